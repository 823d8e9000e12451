# Device data planes: what the library decides before it calls into kernels/.
libmpcomm_la_SOURCES += \
	%reldir%/custom_allreduce_algo.cpp %reldir%/custom_allreduce_algo.hpp
