# Man pages: one real page per family, one-line .so aliases for the other names.
dist_man_MANS += \
	%reldir%/man3/mpcomm_status_string.3 \
	%reldir%/man3/mpcomm_last_error.3 \
	%reldir%/man3/mpcomm_version.3 \
	%reldir%/man7/mpcomm.7

# The data plane's element types and reduction operators.
dist_man_MANS += %reldir%/man3/mpcomm_datatype.3 %reldir%/man3/mpcomm_op.3
