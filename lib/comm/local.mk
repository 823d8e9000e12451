# One communicator: the Comm (ranks, timeout, broken state, the failure rule, the planes'
# attachments), the node-local rank, the node count, and the bounded control-plane collectives.
libmpcomm_internal_la_SOURCES += \
	%reldir%/agreed_setting.cpp %reldir%/agreed_setting.hpp \
	%reldir%/bounded.cpp %reldir%/bounded.hpp \
	%reldir%/comm.cpp %reldir%/comm.hpp \
	%reldir%/node_count.cpp %reldir%/node_count.hpp \
	%reldir%/node_rank.cpp %reldir%/node_rank.hpp
