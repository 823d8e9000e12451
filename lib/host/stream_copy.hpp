// A copy whose stores bypass the caches (non-temporal stores), for data another core reads
// next from a buffer it has read before: the shared-memory exchange's halves. A plain store to a
// line that the reader still holds from the last use of the buffer must first take the line
// back from the reader's cache, and memcpy does that a line at a time when source and
// destination are not mutually aligned (all_to_allv's blocks): on 2 ranks that made the
// exchange of 256 KiB 1.4-1.9 times MPI's time, and 0.6 times with these stores (mpcomm-perf
// all_to_allv --baseline mpi).
#pragma once

#include <cstddef>

namespace mpcomm::host {

// memcpy(dst, src, bytes) with non-temporal stores where the CPU has them (x86-64), complete and
// ordered before any later store (a flag the reader waits on). dst and src must not overlap.
void stream_copy(void *dst, const void *src, size_t bytes);

}  // namespace mpcomm::host
