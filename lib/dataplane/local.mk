# The host data plane: element types, 16-bit floats on MPI, large counts, DLPack tensors, and
# the collectives on an MPI communicator that groups call.
libmpcomm_internal_la_SOURCES += \
	%reldir%/buffer.hpp \
	%reldir%/dtype.cpp %reldir%/dtype.hpp \
	%reldir%/half.hpp %reldir%/half_reduce.hpp \
	%reldir%/host_collectives.cpp %reldir%/host_collectives.hpp \
	%reldir%/mpi_count.cpp %reldir%/mpi_count.hpp \
	%reldir%/mpi_half.cpp %reldir%/mpi_half.hpp \
	%reldir%/reduce_op.cpp %reldir%/reduce_op.hpp \
	%reldir%/shm_allreduce.cpp %reldir%/shm_allreduce.hpp \
	%reldir%/tensor.cpp %reldir%/tensor.hpp \
	%reldir%/tensor_collectives.cpp %reldir%/tensor_collectives.hpp
# The data plane of groups: the C entry points and their dispatch to the host plane (MPI, or the
# shared-memory allreduce across one or more nodes) and the device plane.
libmpcomm_internal_la_SOURCES += \
	%reldir%/dataplane_api.cpp \
	%reldir%/group_ops.cpp %reldir%/group_ops.hpp \
	%reldir%/host_allreduce.cpp %reldir%/host_allreduce.hpp
