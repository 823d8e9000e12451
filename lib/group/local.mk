# Groups and their control plane: objects, barrier, timeouts.
libmpcomm_internal_la_SOURCES += \
	%reldir%/barrier.cpp \
	%reldir%/group.cpp %reldir%/group.hpp \
	%reldir%/group_create.cpp \
	%reldir%/node_rank.cpp %reldir%/node_rank.hpp \
	%reldir%/message_queue.cpp %reldir%/message_queue.hpp \
	%reldir%/objects.cpp \
	%reldir%/protocol.cpp %reldir%/protocol.hpp \
	%reldir%/requests.cpp %reldir%/requests.hpp \
	%reldir%/shm_ring.cpp %reldir%/shm_ring.hpp
# The rendezvous for processes launched separately: mpcomm_group_join (host:port, then MPI
# connect/accept in rank order).
libmpcomm_internal_la_SOURCES += \
	%reldir%/join.cpp \
	%reldir%/socket.cpp %reldir%/socket.hpp \
	%reldir%/rendezvous_protocol.cpp %reldir%/rendezvous_protocol.hpp \
	%reldir%/rendezvous_handshake.cpp %reldir%/rendezvous_handshake.hpp \
	%reldir%/rendezvous.cpp %reldir%/rendezvous.hpp
