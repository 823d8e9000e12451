// Host memory that an abandoned MPI operation may still write into (a receive given up on a
// timeout): it must never be freed while the operation may run, so it is parked here, still
// referenced. Parked memory is held on purpose, and leak checkers see it as held.
#pragma once

#include <mpi.h>

#include <memory>

#include "core/error.hpp"

namespace mpcomm {

// Keeps memory (from malloc, aligned_alloc or new) allocated and referenced until exit. nullptr
// is ignored. Never throws: if the list cannot grow, the memory is simply never freed.
void keep_until_exit(void *memory) noexcept;

// Parks a pending nonblocking collective given up on a timeout, with the memory it may still
// write into. Such a request can be neither cancelled nor freed (MPI_Request_free on it is
// erroneous, and Open MPI aborts the job), so it stays pending: every later call here, and the
// start of MPI_Finalize, test the parked requests without waiting and release(memory) once one
// has completed. Call it while MPI runs. Never throws: if the list cannot grow, the request is
// never tested again and the memory never freed.
void keep_until_done(MPI_Request request, void *memory, void (*release)(void *memory)) noexcept;

// The same for memory owned by a unique_ptr, deleted once the request has completed.
template <class T>
void keep_until_done(MPI_Request request, std::unique_ptr<T> memory) noexcept {
  keep_until_done(request, memory.release(), [](void *p) { delete static_cast<T *>(p); });
}

// Runs call, a bounded MPI operation that uses `memory` (a staging buffer, its counts); on a
// timeout the memory is kept until exit instead of freed with the unique_ptr, since the
// abandoned operation may still read or write it.
template <class T, class Call>
void keep_on_timeout(std::unique_ptr<T> &memory, Call &&call) {
  try {
    call();
  } catch (const Error &e) {
    if (e.status() == MPCOMM_ERR_TIMEOUT) keep_until_exit(memory.release());
    throw;
  }
}

}  // namespace mpcomm
