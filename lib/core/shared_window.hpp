// Freeing an MPI shared-memory window without hanging on a process that never comes.
// MPI_Win_free is collective over the window's communicator and waits forever for a missing
// member; a nonblocking barrier polled against a deadline tells first whether everyone came.
#pragma once

#include <mpi.h>

namespace mpcomm {

// Frees win, then comm (the window's communicator, owned by the caller), once every process of
// comm has come to free them too, waiting at most timeout_s seconds. When someone does not come,
// logs a warning naming `what` and leaves both to MPI_Finalize. After MPI_Finalize it only forgets
// them. Either way win and comm are null on return; a null win is a no-op. Returns whether they
// were freed.
bool free_shared_window(MPI_Win &win, MPI_Comm &comm, double timeout_s, const char *what);

}  // namespace mpcomm
