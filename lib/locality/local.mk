# Node locality: hwloc topology, node communicators, shared-memory windows.
libmpcomm_la_SOURCES += \
	%reldir%/nvml.cpp %reldir%/nvml.hpp \
	%reldir%/topology.cpp %reldir%/topology.hpp
