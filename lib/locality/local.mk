# Node locality: hwloc topology, which ranks share a node, the CPUs a node's processes may use.
libmpcomm_internal_la_SOURCES += \
	%reldir%/node.cpp %reldir%/node.hpp \
	%reldir%/node_cpus.cpp %reldir%/node_cpus.hpp \
	%reldir%/topology.cpp %reldir%/topology.hpp
