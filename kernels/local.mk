if HAVE_CUDA
libmpcomm_internal_la_SOURCES += %reldir%/device_probe.cu
endif
EXTRA_DIST += %reldir%/device_probe.cu
noinst_HEADERS = %reldir%/device_probe.h

# Custom allreduce: the rules (pure C++, always built) and, with CUDA, the kernels and their
# launchers. The simulated-world buffers and the timing serve tests and mpcomm-perf only: they go
# into libmpcomm_testing.la, not into the installed library.
libmpcomm_internal_la_SOURCES += %reldir%/custom_allreduce_rules.cpp
if HAVE_CUDA
libmpcomm_internal_la_SOURCES += %reldir%/custom_allreduce.cu
libmpcomm_testing_la_SOURCES += %reldir%/simulated_buffers.cpp \
	%reldir%/custom_allreduce_bench.cpp
endif
EXTRA_DIST += %reldir%/custom_allreduce.cu %reldir%/simulated_buffers.cpp \
	%reldir%/custom_allreduce_bench.cpp
noinst_HEADERS += %reldir%/custom_allreduce_rules.h %reldir%/custom_allreduce.h \
	%reldir%/custom_allreduce.cuh %reldir%/cuda_handles.h %reldir%/simulated_buffers.h \
	%reldir%/custom_allreduce_bench.h
# The suffix rule does not track headers: rebuild the kernels when their headers change.
%reldir%/custom_allreduce.lo: %reldir%/custom_allreduce.cuh %reldir%/custom_allreduce.h \
	%reldir%/custom_allreduce_rules.h
