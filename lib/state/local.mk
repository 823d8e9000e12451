# Parallel state: world and model-parallel groups from one MPI communicator, the DP helpers, and
# CUDA graph capture over its groups.
libmpcomm_internal_la_SOURCES += \
	%reldir%/dp_sync.cpp %reldir%/dp_sync.hpp \
	%reldir%/graph_capture.cpp %reldir%/graph_capture.hpp \
	%reldir%/state.cpp %reldir%/state.hpp
