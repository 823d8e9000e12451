// The memory bound an operation is compared with: what the memory system of this node allows,
// measured in the same process at the same size (mpcomm-perf(1), "MEMORY BOUND").
#pragma once

#include <mpi.h>

#include <cstddef>

namespace perf {

// Seconds for one rank to copy S bytes (memcpy: S read, S written), and to copy S bytes that
// another rank of the node has just written, in pieces of at most 256 KiB (read from the other
// core's cache: what every rank pays to see its peers' data), measured on every rank of world
// at once (the ranks of a node share its memory bandwidth), the median of a few repetitions,
// the maximum over ranks.
struct MemoryRates {
  size_t bytes = 0;
  double copy_s = 0;
  double peer_copy_s = 0;
};
MemoryRates measure_memory_rates(size_t bytes, MPI_Comm world);

// The all_reduce of S bytes on n ranks of one node, inputs and outputs in each rank's own
// memory: each rank reads its input and writes its output once (a copy of S), and (n-1)/n of
// the data comes from its peers' cores twice, their inputs for the slice it reduces and their
// reduced slices for its output:
//   copy(S) + 2 (n-1)/n peer_copy(S)
// The arithmetic is taken to hide under the memory traffic. Seconds.
double all_reduce_bound_s(const MemoryRates &rates, int np);

}  // namespace perf
