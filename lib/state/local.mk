# Parallel state: world and model-parallel groups from one MPI communicator.
libmpcomm_internal_la_SOURCES += \
	%reldir%/dp_sync.cpp \
	%reldir%/state.cpp %reldir%/state.hpp %reldir%/state_api.cpp
