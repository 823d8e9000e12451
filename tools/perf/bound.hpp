// The memory bound an operation is compared with: what the memory system of this node allows,
// measured in the same process at the same size (mpcomm-perf(1), "MEMORY BOUND").
#pragma once

#include <mpi.h>

#include <cstddef>

namespace perf {

// Seconds for one rank to copy S bytes (memcpy: S read, S written) and to add two float32
// arrays of S bytes into a third (2S read, S written), measured on every rank of world at
// once (the ranks of a node share its memory bandwidth), the median of a few repetitions, the
// maximum over ranks.
struct MemoryRates {
  size_t bytes = 0;
  double copy_s = 0;
  double add_s = 0;
};
MemoryRates measure_memory_rates(size_t bytes, MPI_Comm world);

// The all_reduce of S bytes on n ranks of one node, inputs and outputs in each rank's own
// memory. Each rank publishes the (n-1)/n of its input that the others reduce, reduces its own
// 1/n slice (reads S, writes S/n), and copies the other (n-1)/n of the result into its output:
//   2 (n-1)/n copy(S) + (n+1)/(3n) add(S)
// (an add moves 3S bytes, the slice's reduction S + S/n). Seconds.
double all_reduce_bound_s(const MemoryRates &rates, int np);

}  // namespace perf
