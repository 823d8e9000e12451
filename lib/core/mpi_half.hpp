// MPI datatypes and reduction operators for float16 and bfloat16, which MPI does not have.
//
// Both types are one MPI_UINT16_T (so a heterogeneous MPI still swaps bytes correctly) under a
// name of their own. The operators (sum, prod, max, min; all commutative) widen each pair of
// elements to float32, combine them and round back to nearest even. Everything is created once,
// on first use, and freed when MPI_Finalize deletes the attributes of MPI_COMM_SELF.
#pragma once

#include <mpi.h>

#include "mpcomm.h"

namespace mpcomm {

// MPI must be initialised; dtype is MPCOMM_FLOAT16 or MPCOMM_BFLOAT16.
MPI_Datatype mpi_half_datatype(mpcomm_datatype_t dtype);
// op is MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX or MPCOMM_MIN (AVG is a SUM; see reduce_op.hpp).
MPI_Op mpi_half_op(mpcomm_datatype_t dtype, mpcomm_op_t op);

}  // namespace mpcomm
