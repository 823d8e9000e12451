# Parallel configuration, rank layout and pipeline partition (pure: no MPI).
libmpcomm_internal_la_SOURCES += \
	%reldir%/parallel_config.cpp %reldir%/parallel_config.hpp \
	%reldir%/config_hash.cpp %reldir%/config_hash.hpp \
	%reldir%/layout.cpp %reldir%/layout.hpp \
	%reldir%/pp_indices.cpp %reldir%/pp_indices.hpp \
	%reldir%/divide.hpp
