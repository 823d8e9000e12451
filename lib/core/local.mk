libmpcomm_internal_la_SOURCES += \
	%reldir%/env.cpp %reldir%/env.hpp \
	%reldir%/error.hpp \
	%reldir%/log.cpp %reldir%/log.hpp \
	%reldir%/status.cpp %reldir%/status.hpp
# Element types and reduction ops: sizes, names, DLPack and MPI types, 16-bit floats on MPI.
libmpcomm_internal_la_SOURCES += \
	%reldir%/dtype.cpp %reldir%/dtype.hpp \
	%reldir%/half.hpp %reldir%/half_reduce.hpp \
	%reldir%/mpi_half.cpp %reldir%/mpi_half.hpp \
	%reldir%/reduce_op.cpp %reldir%/reduce_op.hpp
# The handles handed out and not yet freed, checked by every C entry point.
libmpcomm_internal_la_SOURCES += %reldir%/live_handles.cpp %reldir%/live_handles.hpp
# SHA-256 (libcrypto or nettle), for configuration hashes.
libmpcomm_internal_la_SOURCES += %reldir%/sha256.cpp %reldir%/sha256.hpp
# HMAC-SHA256 and random bytes, for the rendezvous token (MPCOMM_JOIN_TOKEN).
libmpcomm_internal_la_SOURCES += %reldir%/hmac.cpp %reldir%/hmac.hpp

# Deadlines and MPI return codes for the control plane.
libmpcomm_internal_la_SOURCES += %reldir%/deadline.cpp %reldir%/deadline.hpp %reldir%/mpi_call.hpp \
	%reldir%/mpi_running.cpp %reldir%/fortran_handle.hpp
# Memory an abandoned MPI operation may still write into, kept until exit or until it completes.
libmpcomm_internal_la_SOURCES += %reldir%/abandoned.cpp %reldir%/abandoned.hpp
# Helper programs run in a child process with a time limit (mpcomm-p2p-check).
libmpcomm_internal_la_SOURCES += %reldir%/child_process.cpp %reldir%/child_process.hpp
