// Host memory that an abandoned MPI operation may still write into (a receive given up on a
// timeout): it must never be freed, so it is parked here, still referenced, until the process
// exits. Parked memory is held on purpose, and leak checkers see it as held.
#pragma once

namespace mpcomm {

// Keeps memory (from malloc, aligned_alloc or new) allocated and referenced until exit. nullptr
// is ignored. Never throws: if the list cannot grow, the memory is simply never freed.
void keep_until_exit(void *memory) noexcept;

}  // namespace mpcomm
