# Device data planes: what the library decides before it calls into kernels/.
libmpcomm_internal_la_SOURCES += \
	%reldir%/custom_allreduce_algo.cpp %reldir%/custom_allreduce_algo.hpp

# The GPU data plane: the pure dispatch rules, its state on a Comm and NVML always; NCCL, the custom
# allreduce's host side and the group's device context with CUDA and NCCL, else one file that
# answers MPCOMM_ERR_NOT_SUPPORTED.
libmpcomm_internal_la_SOURCES += \
	%reldir%/custom_allreduce_choice.cpp %reldir%/custom_allreduce_choice.hpp \
	%reldir%/custom_allreduce_eligibility.cpp %reldir%/custom_allreduce_eligibility.hpp \
	%reldir%/device_ops.hpp %reldir%/device_state.hpp %reldir%/gpu_choice.hpp \
	%reldir%/nvml.cpp %reldir%/nvml.hpp
# The P2P check's answers, verdict and per-node cache (pure); the library finds the installed
# mpcomm-p2p-check through MPCOMM_PKGLIBEXECDIR.
libmpcomm_internal_la_SOURCES += \
	%reldir%/p2p_report.cpp %reldir%/p2p_report.hpp \
	%reldir%/p2p_cache.cpp %reldir%/p2p_cache.hpp
AM_CPPFLAGS += -DMPCOMM_PKGLIBEXECDIR='"$(pkglibexecdir)"'
if HAVE_NCCL
libmpcomm_internal_la_SOURCES += \
	%reldir%/bounded_mpi.cpp %reldir%/bounded_mpi.hpp \
	%reldir%/cuda_util.hpp \
	%reldir%/custom_allreduce_host.cpp %reldir%/custom_allreduce_host.hpp \
	%reldir%/device_context.cpp %reldir%/device_context.hpp \
	%reldir%/device_ops.cpp \
	%reldir%/ipc_buffer.cpp %reldir%/ipc_buffer.hpp \
	%reldir%/nccl_comm.cpp %reldir%/nccl_comm.hpp \
	%reldir%/p2p_check.cpp %reldir%/p2p_check.hpp
else
libmpcomm_internal_la_SOURCES += %reldir%/device_ops_nocuda.cpp
endif
EXTRA_DIST += %reldir%/bounded_mpi.cpp %reldir%/bounded_mpi.hpp %reldir%/cuda_util.hpp \
	%reldir%/custom_allreduce_host.cpp %reldir%/custom_allreduce_host.hpp \
	%reldir%/device_context.cpp %reldir%/device_context.hpp %reldir%/device_ops.cpp \
	%reldir%/ipc_buffer.cpp %reldir%/ipc_buffer.hpp %reldir%/nccl_comm.cpp \
	%reldir%/nccl_comm.hpp %reldir%/p2p_check.cpp %reldir%/p2p_check.hpp \
	%reldir%/device_ops_nocuda.cpp
