# Groups and their control plane: objects, barrier, timeouts.
libmpcomm_la_SOURCES += \
	%reldir%/group.cpp %reldir%/group.hpp \
	%reldir%/group_create.cpp \
	%reldir%/node_rank.cpp %reldir%/node_rank.hpp \
	%reldir%/requests.cpp %reldir%/requests.hpp
