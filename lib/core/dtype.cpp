#include "core/dtype.hpp"

#include "core/error.hpp"
#include "core/mpi_half.hpp"

namespace mpcomm {
namespace {

struct DatatypeInfo {
  const char *name;
  DLDataType dl;  // code, bits, lanes
};

// Indexed by mpcomm_datatype_t.
constexpr DatatypeInfo kDatatypes[MPCOMM_NUM_DATATYPES] = {
    {"int8", {kDLInt, 8, 1}},
    {"uint8", {kDLUInt, 8, 1}},
    {"int32", {kDLInt, 32, 1}},
    {"int64", {kDLInt, 64, 1}},
    {"float16", {kDLFloat, 16, 1}},
    {"bfloat16", {kDLBfloat, 16, 1}},
    {"float32", {kDLFloat, 32, 1}},
    {"float64", {kDLFloat, 64, 1}},
    {"bool", {kDLCodeBool, 8, 1}},
    {"int16", {kDLInt, 16, 1}},
    {"uint16", {kDLUInt, 16, 1}},
    {"uint32", {kDLUInt, 32, 1}},
    {"uint64", {kDLUInt, 64, 1}},
    {"float8_e4m3fn", {kDLCodeFloat8E4M3FN, 8, 1}},
    {"float8_e5m2", {kDLCodeFloat8E5M2, 8, 1}},
};

bool known(mpcomm_datatype_t dtype) { return dtype >= MPCOMM_INT8 && dtype < MPCOMM_NUM_DATATYPES; }

const DatatypeInfo &info(mpcomm_datatype_t dtype) {
  validate_datatype(dtype);
  return kDatatypes[dtype];
}

// The dtype of a single-lane DLPack type, or -1: a switch, since every tensor argument of every
// data-plane call is looked up.
constexpr int dtype_of(DLDataType type) {
  if (type.lanes != 1) return -1;
  switch (type.code) {
    case kDLInt:
      switch (type.bits) {
        case 8: return MPCOMM_INT8;
        case 16: return MPCOMM_INT16;
        case 32: return MPCOMM_INT32;
        case 64: return MPCOMM_INT64;
        default: return -1;
      }
    case kDLUInt:
      switch (type.bits) {
        case 8: return MPCOMM_UINT8;
        case 16: return MPCOMM_UINT16;
        case 32: return MPCOMM_UINT32;
        case 64: return MPCOMM_UINT64;
        default: return -1;
      }
    case kDLFloat:
      switch (type.bits) {
        case 16: return MPCOMM_FLOAT16;
        case 32: return MPCOMM_FLOAT32;
        case 64: return MPCOMM_FLOAT64;
        default: return -1;
      }
    case kDLBfloat: return type.bits == 16 ? MPCOMM_BFLOAT16 : -1;
    case kDLCodeBool: return type.bits == 8 ? MPCOMM_BOOL : -1;
    case kDLCodeFloat8E4M3FN: return type.bits == 8 ? MPCOMM_FLOAT8_E4M3FN : -1;
    case kDLCodeFloat8E5M2: return type.bits == 8 ? MPCOMM_FLOAT8_E5M2 : -1;
    default: return -1;
  }
}

// The switch and the table say the same.
constexpr bool lookup_agrees() {
  for (int i = 0; i < MPCOMM_NUM_DATATYPES; ++i)
    if (dtype_of(kDatatypes[i].dl) != i) return false;
  return true;
}
static_assert(lookup_agrees(), "dtype_of and kDatatypes disagree");

constexpr bool sizes_agree() {
  for (int i = 0; i < MPCOMM_NUM_DATATYPES; ++i)
    if (kElementSize[i] * 8 != kDatatypes[i].dl.bits) return false;
  return true;
}
static_assert(sizes_agree(), "a datatype's size and its DLPack bits disagree");

}  // namespace

void throw_bad_datatype(mpcomm_datatype_t dtype, const char *argument) {
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat(argument, " (", static_cast<int>(dtype),
                     ") is not an mpcomm_datatype_t (MPCOMM_INT8 .. MPCOMM_FLOAT8_E5M2 = 0 .. ",
                     MPCOMM_NUM_DATATYPES - 1, ")"));
}

const char *datatype_name(mpcomm_datatype_t dtype) {
  return known(dtype) ? kDatatypes[dtype].name : "unknown";
}

bool is_integer(mpcomm_datatype_t dtype) {
  switch (dtype) {
    case MPCOMM_INT8:
    case MPCOMM_UINT8:
    case MPCOMM_INT16:
    case MPCOMM_UINT16:
    case MPCOMM_INT32:
    case MPCOMM_UINT32:
    case MPCOMM_INT64:
    case MPCOMM_UINT64: return true;
    default: return false;
  }
}

bool is_reducible(mpcomm_datatype_t dtype) {
  return dtype != MPCOMM_BOOL && dtype != MPCOMM_FLOAT8_E4M3FN && dtype != MPCOMM_FLOAT8_E5M2;
}

void require_reducible(mpcomm_datatype_t dtype, const char *argument) {
  if (is_reducible(dtype)) return;
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat(argument, " ", datatype_name(dtype),
                     " does not reduce: bool and the 8-bit floats only move (all_gather, "
                     "broadcast, send/recv, all_to_all); reductions take integers and float16, "
                     "bfloat16, float32 and float64"));
}

bool is_16bit_float(mpcomm_datatype_t dtype) {
  return dtype == MPCOMM_FLOAT16 || dtype == MPCOMM_BFLOAT16;
}

DLDataType to_dl(mpcomm_datatype_t dtype) { return info(dtype).dl; }

mpcomm_datatype_t from_dl(DLDataType type, const char *tensor) {
  require_arg(type.lanes == 1, tensor, ".dtype.lanes must be 1, got ", type.lanes);
  const int dtype = dtype_of(type);
  if (dtype >= 0) return static_cast<mpcomm_datatype_t>(dtype);
  throw Error(
      MPCOMM_ERR_INVALID_ARGUMENT,
      concat(tensor, ".dtype (code ", static_cast<int>(type.code), ", bits ",
             static_cast<int>(type.bits),
             ") is not supported: int8/16/32/64, uint8/16/32/64, float16, bfloat16, float32, "
             "float64, bool (code 6) and float8 e4m3fn (code 10) and e5m2 (code 12), "
             "all of one lane, are"));
}

MPI_Datatype mpi_datatype(mpcomm_datatype_t dtype) {
  validate_datatype(dtype);
  switch (dtype) {
    case MPCOMM_INT8: return MPI_INT8_T;
    case MPCOMM_UINT8: return MPI_UINT8_T;
    case MPCOMM_INT32: return MPI_INT32_T;
    case MPCOMM_INT64: return MPI_INT64_T;
    case MPCOMM_FLOAT16:
    case MPCOMM_BFLOAT16: return mpi_half_datatype(dtype);
    case MPCOMM_FLOAT32: return MPI_FLOAT;
    case MPCOMM_FLOAT64: return MPI_DOUBLE;
    case MPCOMM_INT16: return MPI_INT16_T;
    case MPCOMM_UINT16: return MPI_UINT16_T;
    case MPCOMM_UINT32: return MPI_UINT32_T;
    case MPCOMM_UINT64: return MPI_UINT64_T;
    // Bytes that only move: no MPI operator ever applies to them.
    case MPCOMM_BOOL:
    case MPCOMM_FLOAT8_E4M3FN:
    case MPCOMM_FLOAT8_E5M2: return MPI_UINT8_T;
    case MPCOMM_NUM_DATATYPES: break;
  }
  throw Error(MPCOMM_ERR_INTERNAL, concat("mpi_datatype: dtype ", static_cast<int>(dtype)));
}

}  // namespace mpcomm
