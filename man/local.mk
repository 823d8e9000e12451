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
