// The data plane's element types: sizes, names, validation, and their DLPack and MPI
// counterparts.
#pragma once

#include <dlpack/dlpack.h>
#include <mpi.h>

#include <cstddef>

#include "mpcomm.h"

namespace mpcomm {

// INVALID_ARGUMENT naming `argument` and the value of a dtype outside the enum.
[[noreturn]] void throw_bad_datatype(mpcomm_datatype_t dtype, const char *argument);

// Throws INVALID_ARGUMENT naming `argument` and the value unless dtype is a known enumerator.
// Inline, as element_size(): every data-plane call checks its types several times.
inline void validate_datatype(mpcomm_datatype_t dtype, const char *argument = "datatype") {
  if (dtype < MPCOMM_INT8 || dtype >= MPCOMM_NUM_DATATYPES) throw_bad_datatype(dtype, argument);
}

// Bytes per element, indexed by mpcomm_datatype_t.
inline constexpr size_t kElementSize[MPCOMM_NUM_DATATYPES] = {1, 1, 4, 8, 2, 2, 4, 8,
                                                              1, 2, 2, 4, 8, 1, 1};

// Bytes per element of a valid dtype.
inline size_t element_size(mpcomm_datatype_t dtype) {
  validate_datatype(dtype);
  return kElementSize[dtype];
}
// "float32", "bfloat16" ...; "unknown" for a value outside the enum.
const char *datatype_name(mpcomm_datatype_t dtype);

bool is_integer(mpcomm_datatype_t dtype);
// Whether op applies to elements of dtype: bool and the 8-bit floats only move.
bool is_reducible(mpcomm_datatype_t dtype);
// Throws INVALID_ARGUMENT naming `argument` and the type unless is_reducible(dtype) (a valid
// dtype): the check every reduction makes before it communicates.
void require_reducible(mpcomm_datatype_t dtype, const char *argument = "dtype");
// float16 and bfloat16: MPI has no such types; mpcomm provides them (mpi_half.hpp).
bool is_16bit_float(mpcomm_datatype_t dtype);

// DLPack type codes newer than the installed dlpack.h (0.6), as DLPack 1.1 numbers them: the
// library reads DLDataType.code as an integer, so a caller with a newer header is understood.
constexpr int kDLCodeBool = 6;           // kDLBool, 8 bits
constexpr int kDLCodeFloat8E4M3FN = 10;  // kDLFloat8_e4m3fn
constexpr int kDLCodeFloat8E5M2 = 12;    // kDLFloat8_e5m2

// The DLPack description of a valid dtype (lanes == 1).
DLDataType to_dl(mpcomm_datatype_t dtype);
// The dtype a DLPack type describes; INVALID_ARGUMENT naming `tensor` (e.g. "in") and the code,
// bits and lanes when there is none.
mpcomm_datatype_t from_dl(DLDataType type, const char *tensor);

// The MPI datatype that carries elements of a valid dtype. For float16 and bfloat16 it is
// mpcomm's own (created on first use, freed at MPI_Finalize), so MPI must be initialised.
MPI_Datatype mpi_datatype(mpcomm_datatype_t dtype);

}  // namespace mpcomm
