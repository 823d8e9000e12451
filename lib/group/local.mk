# Groups: a Comm plus the dispatch of the data plane (custom allreduce, NCCL, shared memory,
# MPI), objects, barrier, the message queue, and making groups from communicators.
libmpcomm_internal_la_SOURCES += \
	%reldir%/agreement.cpp %reldir%/agreement.hpp \
	%reldir%/barrier.cpp %reldir%/barrier.hpp \
	%reldir%/dispatch.cpp %reldir%/dispatch.hpp \
	%reldir%/group.cpp %reldir%/group.hpp \
	%reldir%/group_create.cpp %reldir%/group_create.hpp \
	%reldir%/mem_alloc.cpp %reldir%/mem_alloc.hpp \
	%reldir%/message_queue.cpp %reldir%/message_queue.hpp \
	%reldir%/object_channels.cpp %reldir%/object_channels.hpp \
	%reldir%/objects.cpp %reldir%/objects.hpp \
	%reldir%/outbox.cpp %reldir%/outbox.hpp \
	%reldir%/protocol.cpp %reldir%/protocol.hpp \
	%reldir%/requests.cpp %reldir%/requests.hpp \
	%reldir%/shm_ring.cpp %reldir%/shm_ring.hpp
