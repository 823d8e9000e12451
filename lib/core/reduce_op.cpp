#include "core/reduce_op.hpp"

#include <cstdint>
#include <type_traits>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/mpi_half.hpp"

namespace mpcomm {
namespace {

// Integers divide as int64_t, unsigned ones as uint64_t (the divisor, a group size, may not fit
// the element type); C truncates.
template <class T>
void divide_integer(void *buf, size_t count, int divisor) {
  using Wide = std::conditional_t<std::is_unsigned_v<T>, uint64_t, int64_t>;
  T *p = static_cast<T *>(buf);
  const auto d = static_cast<Wide>(divisor);
  for (size_t i = 0; i < count; ++i) p[i] = static_cast<T>(static_cast<Wide>(p[i]) / d);
}

template <class T>
void divide_float(void *buf, size_t count, int divisor) {
  T *p = static_cast<T *>(buf);
  const T d = static_cast<T>(divisor);
  for (size_t i = 0; i < count; ++i) p[i] /= d;
}

template <float (*widen)(uint16_t), uint16_t (*narrow)(float)>
void divide_16bit(void *buf, size_t count, int divisor) {
  uint16_t *p = static_cast<uint16_t *>(buf);
  const float d = static_cast<float>(divisor);
  for (size_t i = 0; i < count; ++i) p[i] = narrow(widen(p[i]) / d);
}

}  // namespace

void throw_bad_op(mpcomm_op_t op, const char *argument) {
  throw Error(
      MPCOMM_ERR_INVALID_ARGUMENT,
      concat(argument, " (", static_cast<int>(op),
             ") is not an mpcomm_op_t (MPCOMM_SUM .. MPCOMM_AVG = 0 .. ", MPCOMM_NUM_OPS - 1, ")"));
}

const char *op_name(mpcomm_op_t op) {
  switch (op) {
    case MPCOMM_SUM: return "sum";
    case MPCOMM_PROD: return "prod";
    case MPCOMM_MAX: return "max";
    case MPCOMM_MIN: return "min";
    case MPCOMM_AVG: return "avg";
    case MPCOMM_NUM_OPS: break;
  }
  return "unknown";
}

MPI_Op mpi_op(mpcomm_datatype_t dtype, mpcomm_op_t op) {
  require_reducible(dtype);
  const mpcomm_op_t performed = op == MPCOMM_AVG ? MPCOMM_SUM : op;
  if (is_16bit_float(dtype)) return mpi_half_op(dtype, performed);
  switch (performed) {
    case MPCOMM_SUM: return MPI_SUM;
    case MPCOMM_PROD: return MPI_PROD;
    case MPCOMM_MAX: return MPI_MAX;
    case MPCOMM_MIN: return MPI_MIN;
    default: break;
  }
  throw Error(MPCOMM_ERR_INTERNAL, concat("mpi_op: op ", static_cast<int>(op), " unmapped"));
}

void divide_in_place(void *buf, size_t count, mpcomm_datatype_t dtype, int divisor) {
  switch (dtype) {
    case MPCOMM_INT8: return divide_integer<int8_t>(buf, count, divisor);
    case MPCOMM_UINT8: return divide_integer<uint8_t>(buf, count, divisor);
    case MPCOMM_INT32: return divide_integer<int32_t>(buf, count, divisor);
    case MPCOMM_INT64: return divide_integer<int64_t>(buf, count, divisor);
    case MPCOMM_FLOAT16:
      return divide_16bit<half::float16_to_float, half::float_to_float16>(buf, count, divisor);
    case MPCOMM_BFLOAT16:
      return divide_16bit<half::bfloat16_to_float, half::float_to_bfloat16>(buf, count, divisor);
    case MPCOMM_FLOAT32: return divide_float<float>(buf, count, divisor);
    case MPCOMM_FLOAT64: return divide_float<double>(buf, count, divisor);
    case MPCOMM_INT16: return divide_integer<int16_t>(buf, count, divisor);
    case MPCOMM_UINT16: return divide_integer<uint16_t>(buf, count, divisor);
    case MPCOMM_UINT32: return divide_integer<uint32_t>(buf, count, divisor);
    case MPCOMM_UINT64: return divide_integer<uint64_t>(buf, count, divisor);
    case MPCOMM_BOOL:
    case MPCOMM_FLOAT8_E4M3FN:
    case MPCOMM_FLOAT8_E5M2:  // refused before (require_reducible)
    case MPCOMM_NUM_DATATYPES: break;
  }
  throw Error(MPCOMM_ERR_INTERNAL,
              concat("divide_in_place: dtype ", static_cast<int>(dtype), " unmapped"));
}

}  // namespace mpcomm
