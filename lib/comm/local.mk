# One communicator: the Comm (ranks, timeout, broken state, the failure rule, the planes'
# attachments, checking mode), the node-local rank, the node count, the bounded control-plane
# collectives, the shared-memory segments of a node's processes, the bounded wait for their
# flags, and the XOR over them that the v-collectives' agreement takes on one node.
libmpcomm_internal_la_SOURCES += \
	%reldir%/agreed_setting.cpp %reldir%/agreed_setting.hpp \
	%reldir%/bounded.cpp %reldir%/bounded.hpp \
	%reldir%/call_check.cpp %reldir%/call_check.hpp \
	%reldir%/comm.cpp %reldir%/comm.hpp \
	%reldir%/node_count.cpp %reldir%/node_count.hpp \
	%reldir%/node_rank.cpp %reldir%/node_rank.hpp \
	%reldir%/node_wait.hpp \
	%reldir%/shared_segments.cpp %reldir%/shared_segments.hpp \
	%reldir%/shm_exchange.cpp %reldir%/shm_exchange.hpp
