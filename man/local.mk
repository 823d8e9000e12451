# Man pages: one real page per family, one-line .so aliases for the other names.
dist_man_MANS += \
	%reldir%/man3/mpcomm_status_string.3 \
	%reldir%/man3/mpcomm_last_error.3 \
	%reldir%/man3/mpcomm_version.3 \
	%reldir%/man7/mpcomm.7
# Parallel configuration, rank layout, pipeline partition, and mpcomm-info.
dist_man_MANS += \
	%reldir%/man3/mpcomm_parallel_config.3 \
	%reldir%/man3/mpcomm_parallel_config_validate.3 \
	%reldir%/man3/mpcomm_parallel_config_hash.3 \
	%reldir%/man3/mpcomm_parallel_config_world_size.3 \
	%reldir%/man3/mpcomm_parallel_config_world_size_across_dp.3 \
	%reldir%/man3/mpcomm_layout_group_ranks.3 \
	%reldir%/man3/mpcomm_pp_indices.3 \
	%reldir%/man1/mpcomm-info.1

# Groups and their control plane.
dist_man_MANS += \
	%reldir%/man3/mpcomm_group.3 \
	%reldir%/man3/mpcomm_group_from_comm.3 \
	%reldir%/man3/mpcomm_group_from_ranks.3 \
	%reldir%/man3/mpcomm_group_free.3 \
	%reldir%/man3/mpcomm_group_info.3 \
	%reldir%/man3/mpcomm_group_ranks.3 \
	%reldir%/man3/mpcomm_group_set_timeout.3 \
	%reldir%/man3/mpcomm_group_get_timeout.3 \
	%reldir%/man3/mpcomm_objects.3 \
	%reldir%/man3/mpcomm_send_object.3 \
	%reldir%/man3/mpcomm_recv_object.3 \
	%reldir%/man3/mpcomm_broadcast_object.3 \
	%reldir%/man3/mpcomm_all_gather_object.3 \
	%reldir%/man3/mpcomm_barrier.3
dist_man_MANS += \
	%reldir%/man3/mpcomm_in_the_same_node_as.3 \
	%reldir%/man3/mpcomm_node_count.3
dist_man_MANS += \
	%reldir%/man3/mpcomm_state_create.3 \
	%reldir%/man3/mpcomm_state_destroy.3 \
	%reldir%/man3/mpcomm_state_group.3 \
	%reldir%/man3/mpcomm_default_state_set.3 \
	%reldir%/man3/mpcomm_default_state_get.3 \
	%reldir%/man3/mpcomm_dp_has_unfinished.3 \
	%reldir%/man3/mpcomm_dp_sync_kv_cache_memory_size.3
dist_man_MANS += %reldir%/man3/mpcomm_group_enable_message_queue.3
# mpcomm_group_join: the rendezvous of processes launched separately.
dist_man_MANS += %reldir%/man3/mpcomm_group_join.3
# mpcomm-perf(1): the benchmark program.
dist_man_MANS += %reldir%/man1/mpcomm-perf.1
# mpcomm-p2p-check(1): the GPU P2P check the library runs in a child process.
dist_man_MANS += %reldir%/man1/mpcomm-p2p-check.1

# The data plane's element types and reduction operators.
dist_man_MANS += %reldir%/man3/mpcomm_datatype.3 %reldir%/man3/mpcomm_op.3

# The C++ API.
dist_man_MANS += %reldir%/man3/mpcomm.hpp.3

# GPU data plane.
dist_man_MANS += \
	%reldir%/man3/mpcomm_gpu.3 \
	%reldir%/man3/mpcomm_group_set_device.3 \
	%reldir%/man3/mpcomm_group_device_init.3 \
	%reldir%/man3/mpcomm_group_set_custom_allreduce.3 \
	%reldir%/man3/mpcomm_group_device_allreduce_path.3 \
	%reldir%/man3/mpcomm_graph_capture_begin.3 \
	%reldir%/man3/mpcomm_graph_capture_end.3

# Tensor dictionaries.
dist_man_MANS += \
	%reldir%/man3/mpcomm_tensor_dict.3 \
	%reldir%/man3/mpcomm_tensor_dict_create.3 \
	%reldir%/man3/mpcomm_tensor_dict_free.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_tensor.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_int.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_double.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_bool.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_string.3 \
	%reldir%/man3/mpcomm_tensor_dict_set_bytes.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_kind.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_tensor.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_int.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_double.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_bool.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_string.3 \
	%reldir%/man3/mpcomm_tensor_dict_get_bytes.3 \
	%reldir%/man3/mpcomm_tensor_dict_size.3 \
	%reldir%/man3/mpcomm_tensor_dict_key_at.3 \
	%reldir%/man3/mpcomm_broadcast_tensor_dict.3 \
	%reldir%/man3/mpcomm_send_tensor_dict.3 \
	%reldir%/man3/mpcomm_recv_tensor_dict.3
# The data plane on groups: flat buffers and DLPack tensors.
dist_man_MANS += \
	%reldir%/man3/mpcomm_all_reduce.3 \
	%reldir%/man3/mpcomm_broadcast.3 \
	%reldir%/man3/mpcomm_send.3 \
	%reldir%/man3/mpcomm_recv.3 \
	%reldir%/man3/mpcomm_all_gather.3 \
	%reldir%/man3/mpcomm_reduce_scatter.3 \
	%reldir%/man3/mpcomm_gather.3 \
	%reldir%/man3/mpcomm_all_gatherv.3 \
	%reldir%/man3/mpcomm_reduce_scatterv.3 \
	%reldir%/man3/mpcomm_all_to_all.3 \
	%reldir%/man3/mpcomm_all_to_allv.3 \
	%reldir%/man3/mpcomm_mem_alloc.3 \
	%reldir%/man3/mpcomm_mem_free.3
# The 1.0 ABI's additions: a config started by a function, a group's communicator, and
# communicators given as Fortran handles.
dist_man_MANS += \
	%reldir%/man3/mpcomm_parallel_config_init.3 \
	%reldir%/man3/mpcomm_group_comm.3 \
	%reldir%/man3/mpcomm_group_from_comm_f.3 \
	%reldir%/man3/mpcomm_group_comm_f.3 \
	%reldir%/man3/mpcomm_group_from_ranks_f.3 \
	%reldir%/man3/mpcomm_state_create_f.3

# The alias pages (a single .so line) are installed as symbolic links to the page they name:
# man, man -l and groff then find the page from any directory.
install-data-hook: install-man-aliases
install-man-aliases:
	@for f in $(dist_man_MANS); do \
	  first=`sed -n 1p "$(srcdir)/$$f"`; \
	  case "$$first" in ".so "*) ;; *) continue ;; esac; \
	  target=`echo "$$first" | sed 's/^\.so //'`; \
	  sec=`echo "$$f" | sed 's|.*/man\([0-9]\)/[^/]*$$|\1|'`; \
	  tsec=`echo "$$target" | sed 's|^man\([0-9]\)/.*|\1|'`; \
	  link=`basename "$$target"`; \
	  test "$$sec" = "$$tsec" || link="../man$$tsec/$$link"; \
	  dir="$(DESTDIR)$(mandir)/man$$sec"; \
	  rm -f "$$dir/`basename $$f`" && ln -s "$$link" "$$dir/`basename $$f`" || exit 1; \
	done
.PHONY: install-man-aliases
