# The host data plane: MPI collectives on a communicator (large counts, DLPack tensors), the
# shared-memory allreduce across one or more nodes, and its state on a Comm.
libmpcomm_internal_la_SOURCES += \
	%reldir%/buffer.hpp \
	%reldir%/exchange_collectives.cpp %reldir%/exchange_collectives.hpp \
	%reldir%/host_allreduce.cpp %reldir%/host_allreduce.hpp \
	%reldir%/host_collectives.cpp %reldir%/host_collectives.hpp \
	%reldir%/mem_pool.cpp %reldir%/mem_pool.hpp \
	%reldir%/mpi_count.cpp %reldir%/mpi_count.hpp \
	%reldir%/node_reduce.cpp %reldir%/node_reduce.hpp \
	%reldir%/shm_allreduce.cpp %reldir%/shm_allreduce.hpp \
	%reldir%/stream_copy.cpp %reldir%/stream_copy.hpp \
	%reldir%/tensor.cpp %reldir%/tensor.hpp \
	%reldir%/tensor_collectives.cpp %reldir%/tensor_collectives.hpp
