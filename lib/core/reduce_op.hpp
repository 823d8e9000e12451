// The data plane's reduction operators: validation, names, the MPI operator for each element
// type, and the division that turns a sum into MPCOMM_AVG.
#pragma once

#include <mpi.h>

#include <cstddef>

#include "mpcomm.h"

namespace mpcomm {

// INVALID_ARGUMENT naming `argument` and the value of an op outside the enum.
[[noreturn]] void throw_bad_op(mpcomm_op_t op, const char *argument);

// Throws INVALID_ARGUMENT naming `argument` and the value unless op is a known enumerator.
inline void validate_op(mpcomm_op_t op, const char *argument = "op") {
  if (op < MPCOMM_SUM || op >= MPCOMM_NUM_OPS) throw_bad_op(op, argument);
}
// "sum", "prod", "max", "min", "avg"; "unknown" for a value outside the enum.
const char *op_name(mpcomm_op_t op);

// The MPI operator that performs op on elements of dtype (both valid). AVG is performed as
// MPI_SUM followed by divide_in_place() on the result.
MPI_Op mpi_op(mpcomm_datatype_t dtype, mpcomm_op_t op);

// buf[i] /= divisor for count elements of dtype: floats divide (16-bit ones in float32, rounded
// to nearest even), integers truncate toward zero as C division does.
void divide_in_place(void *buf, size_t count, mpcomm_datatype_t dtype, int divisor);

}  // namespace mpcomm
