# Man pages: one real page per family, one-line .so aliases for the other names.
dist_man_MANS += \
	%reldir%/man3/mpcomm_status_string.3 \
	%reldir%/man3/mpcomm_last_error.3 \
	%reldir%/man3/mpcomm_version.3 \
	%reldir%/man7/mpcomm.7
# mpcomm_group_join: the rendezvous of processes launched separately.
dist_man_MANS += %reldir%/man3/mpcomm_group_join.3
# mpcomm-perf(1): the benchmark program.
dist_man_MANS += %reldir%/man1/mpcomm-perf.1
