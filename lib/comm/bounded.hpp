// The control plane's MPI collectives, every one bounded by a timeout: a process that never
// comes makes the others fail with Error(MPCOMM_ERR_TIMEOUT) naming the operation instead of
// hanging. Each runs as a nonblocking collective polled until a deadline
// (core/deadline.hpp); one that timed out can be neither cancelled nor freed, so its request
// is parked with the memory MPI may still write into (core/abandoned.hpp) and the communicator
// must not be used collectively again (the caller breaks its group). Small payloads only: the
// data plane has its own paths. Collective over comm; `what` names the step in messages.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>

#include "core/deadline.hpp"

namespace mpcomm {

// all[r * bytes ...] = process r's `bytes` at mine.
void bounded_all_gather(MPI_Comm comm, const void *mine, void *all, size_t bytes, double timeout_s,
                        const char *what);
// buf at root is copied into buf at every other process.
void bounded_broadcast(MPI_Comm comm, void *buf, size_t bytes, int root, double timeout_s,
                       const char *what);
// Returns once every process has called it.
void bounded_barrier(MPI_Comm comm, double timeout_s, const char *what);
// The smallest and the largest of the processes' values.
int64_t bounded_min(MPI_Comm comm, int64_t mine, double timeout_s, const char *what);
int64_t bounded_max(MPI_Comm comm, int64_t mine, double timeout_s, const char *what);
// The bitwise XOR of the processes' values.
uint64_t bounded_xor(MPI_Comm comm, uint64_t mine, double timeout_s, const char *what);
// values[i] = the largest of the processes' values[i], in one allreduce (n small).
void bounded_max_each(MPI_Comm comm, int64_t *values, size_t n, double timeout_s, const char *what);
// Waits for a started nonblocking MPI operation (`what` names it) until the deadline; on expiry
// parks the request (core/abandoned.hpp: MPI may still touch the operation's buffers until it
// completes, which the caller must allow for) and throws Error(MPCOMM_ERR_TIMEOUT). status, when
// given, receives the completed operation's status.
void bounded_wait(MPI_Request request, const Deadline &deadline, const char *what,
                  MPI_Status *status = MPI_STATUS_IGNORE);
// A duplicate of comm (MPI_Comm_idup), with MPI_ERRORS_RETURN; the caller frees it.
MPI_Comm bounded_dup(MPI_Comm comm, double timeout_s, const char *what);

}  // namespace mpcomm
