# One communicator: the control plane's bounded MPI collectives.
libmpcomm_internal_la_SOURCES += %reldir%/bounded.cpp %reldir%/bounded.hpp
