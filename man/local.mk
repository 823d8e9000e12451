# Man pages: one real page per family, one-line .so aliases for the other names.
dist_man_MANS += \
	%reldir%/man3/mpcomm_status_string.3 \
	%reldir%/man3/mpcomm_last_error.3 \
	%reldir%/man3/mpcomm_version.3 \
	%reldir%/man7/mpcomm.7
dist_man_MANS += \
	%reldir%/man3/mpcomm_state_create.3 \
	%reldir%/man3/mpcomm_state_destroy.3 \
	%reldir%/man3/mpcomm_state_group.3 \
	%reldir%/man3/mpcomm_default_state_set.3 \
	%reldir%/man3/mpcomm_default_state_get.3 \
	%reldir%/man3/mpcomm_dp_has_unfinished.3 \
	%reldir%/man3/mpcomm_dp_sync_kv_cache_memory_size.3
