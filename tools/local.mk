# Installed programs.
# mpcomm-info: group layout, rank membership and build facts.
bin_PROGRAMS += tools/mpcomm-info
tools_mpcomm_info_SOURCES = tools/mpcomm-info.cpp \
	tools/info/locality_report.cpp tools/info/locality_report.hpp \
	tools/info/launch_check.cpp tools/info/launch_check.hpp
tools_mpcomm_info_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tools_mpcomm_info_LDADD = $(MPCOMM_INTERNAL_LIBS) $(HWLOC_LIBS)
# mpcomm-p2p-check: the GPU P2P check the library runs in a child process (not on PATH).
if HAVE_CUDA
pkglibexec_PROGRAMS = tools/mpcomm-p2p-check
tools_mpcomm_p2p_check_SOURCES = tools/mpcomm-p2p-check.cpp
tools_mpcomm_p2p_check_LDADD = $(MPCOMM_INTERNAL_LIBS) $(CUDA_LDFLAGS) $(CUDA_LIBS)
endif
EXTRA_DIST += tools/mpcomm-p2p-check.cpp
# mpcomm-perf: nccl-tests-style timing of mpcomm operations, with an optional MPI baseline.
bin_PROGRAMS += tools/mpcomm-perf
tools_mpcomm_perf_SOURCES = tools/mpcomm-perf.cpp \
	tools/perf/options.cpp tools/perf/options.hpp \
	tools/perf/ops.cpp tools/perf/ops.hpp \
	tools/perf/report.cpp tools/perf/report.hpp \
	tools/perf/bound.cpp tools/perf/bound.hpp \
	tools/perf/values.cpp tools/perf/values.hpp \
	tools/perf/data_ops.cpp \
	tools/perf/tensor_dict_op.cpp \
	tools/perf/state_op.cpp \
	tools/perf/device_modes.cpp
tools_mpcomm_perf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
# The GPU modes allocate device buffers themselves (nothing without CUDA).
tools_mpcomm_perf_LDADD = $(MPCOMM_INTERNAL_LIBS) $(CUDA_LDFLAGS) $(CUDA_LIBS)
