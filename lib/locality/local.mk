# Node locality: hwloc topology, GPU links, which ranks share a node.
libmpcomm_internal_la_SOURCES += \
	%reldir%/node.cpp %reldir%/node.hpp %reldir%/node_api.cpp \
	%reldir%/node_cpus.cpp %reldir%/node_cpus.hpp \
	%reldir%/nvml.cpp %reldir%/nvml.hpp \
	%reldir%/topology.cpp %reldir%/topology.hpp
