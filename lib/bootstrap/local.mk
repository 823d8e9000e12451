# The rendezvous for processes launched separately (mpcomm_group_join): host:port, then MPI
# connect/accept in rank order.
libmpcomm_internal_la_SOURCES += \
	%reldir%/socket.cpp %reldir%/socket.hpp \
	%reldir%/rendezvous_protocol.cpp %reldir%/rendezvous_protocol.hpp \
	%reldir%/rendezvous_handshake.cpp %reldir%/rendezvous_handshake.hpp \
	%reldir%/rendezvous.cpp %reldir%/rendezvous.hpp
