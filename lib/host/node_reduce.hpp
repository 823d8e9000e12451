// The reduction of one row of elements over a node's processes, read straight from each one's
// memory: the shared-memory allreduce's slices and reduce_scatterv's blocks through the
// shared-memory exchange. In rank order; float32, float16 and bfloat16 accumulate in float32
// (vectorised), the other dtypes go through MPI's operator (MPI_Reduce_local).
#pragma once

#include <cstddef>

#include "mpcomm.h"

namespace mpcomm::host {

// dst[i] = op over r < n of srcs[r][i] for i < count, dtype reducible and op valid; AVG is the
// sum (the caller divides). For float32, float16 and bfloat16 dst may be one of the sources
// (every source element is read before its result is written); otherwise it overlaps none.
void reduce_rows(mpcomm_datatype_t dtype, mpcomm_op_t op, const char *const *srcs, int n, char *dst,
                 size_t count);

}  // namespace mpcomm::host
