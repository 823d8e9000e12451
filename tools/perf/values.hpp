// The element values of the typed operations' checks, the MPI types of their baselines, and the
// host buffers and tensors they run on. Inputs are small integers (1 to 5, or 1 and 2 for a
// product), so that every dtype holds them, and their sums, products, maxima and minima over
// many ranks, exactly; only an average rounds.
#pragma once

#include <dlpack/dlpack.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpcomm.h"

namespace perf {

// The value of element i of rank's input in check round `round`, for a reduction by op (the
// data-movement operations use MPCOMM_SUM's values).
double input_value(size_t i, int rank, unsigned round, mpcomm_op_t op, int size);

// op over ranks 0..size-1 of input_value(i, r, round, op, size), rounded as dtype rounds it
// (AVG of integers truncates toward zero).
double reduced_value(size_t i, int size, unsigned round, mpcomm_op_t op, mpcomm_datatype_t dtype);

// buf[0..count) = input_value(offset + k, rank, round, op, size) in dtype.
void fill_values(void *buf, size_t count, size_t offset, mpcomm_datatype_t dtype, int rank,
                 unsigned round, mpcomm_op_t op, int size);

// Element i of buf as a double.
double element_value(const void *buf, size_t i, mpcomm_datatype_t dtype);

// True when got equals want within what dtype rounds (exact for integers).
bool same_value(double got, double want, mpcomm_datatype_t dtype);

// The plain MPI description of count elements of dtype for the baseline: movement keeps the
// bytes (float16 and bfloat16 as MPI_UINT16_T); a reduction of float16 or bfloat16 reduces the
// same bytes as MPI_FLOAT (count / 2 of them; MPI has no 16-bit floats). AVG sums.
struct MpiLayout {
  MPI_Datatype type;
  int count;
};
MpiLayout mpi_layout(mpcomm_datatype_t dtype, size_t count, bool reduction);
MPI_Op mpi_baseline_op(mpcomm_op_t op);

// A host buffer of count elements of dtype, rounded up to whole 8-byte words (aligned).
class TypedBuffer {
 public:
  void resize(size_t count, mpcomm_datatype_t dtype);
  void *data() { return words_.data(); }
  const void *data() const { return words_.data(); }
  size_t count() const { return count_; }

 private:
  std::vector<unsigned long long> words_;
  size_t count_ = 0;
};

// A one-dimensional host tensor over a TypedBuffer (wrap again after a resize).
struct Tensor1d {
  int64_t shape[1] = {0};
  DLTensor t{};
  void wrap(TypedBuffer &buf, mpcomm_datatype_t dtype);
};

}  // namespace perf
