# Groups and their control plane: objects, barrier, timeouts.
libmpcomm_la_SOURCES += \
	%reldir%/barrier.cpp \
	%reldir%/group.cpp %reldir%/group.hpp \
	%reldir%/group_create.cpp \
	%reldir%/node_rank.cpp %reldir%/node_rank.hpp \
	%reldir%/message_queue.cpp %reldir%/message_queue.hpp \
	%reldir%/objects.cpp \
	%reldir%/protocol.cpp %reldir%/protocol.hpp \
	%reldir%/requests.cpp %reldir%/requests.hpp \
	%reldir%/shm_ring.cpp %reldir%/shm_ring.hpp
