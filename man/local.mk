# Man pages: one real page per family, one-line .so aliases for the other names.
dist_man_MANS += \
	%reldir%/man3/mpcomm_status_string.3 \
	%reldir%/man3/mpcomm_last_error.3 \
	%reldir%/man3/mpcomm_version.3 \
	%reldir%/man7/mpcomm.7

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
# mpcomm_group_join: the rendezvous of processes launched separately.
dist_man_MANS += %reldir%/man3/mpcomm_group_join.3
# mpcomm-perf(1): the benchmark program.
dist_man_MANS += %reldir%/man1/mpcomm-perf.1
