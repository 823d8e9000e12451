#include "perf/values.hpp"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/dtype.hpp"
#include "core/half.hpp"

namespace perf {

using mpcomm::element_size;

double input_value(size_t i, int rank, unsigned round, mpcomm_op_t op, int size) {
  // A product over many ranks stays exact when one rank gives 2 and the others 1.
  if (op == MPCOMM_PROD)
    return (i + round) % static_cast<size_t>(size) == static_cast<size_t>(rank) ? 2.0 : 1.0;
  return static_cast<double>((i * 7 + static_cast<size_t>(rank) * 3 + round) % 5 + 1);
}

namespace {

// v as dtype stores it.
double rounded(double v, mpcomm_datatype_t dtype) {
  using namespace mpcomm::half;
  switch (dtype) {
    case MPCOMM_FLOAT16: return float16_to_float(float_to_float16(static_cast<float>(v)));
    case MPCOMM_BFLOAT16: return bfloat16_to_float(float_to_bfloat16(static_cast<float>(v)));
    case MPCOMM_FLOAT32: return static_cast<float>(v);
    case MPCOMM_FLOAT64: return v;
    default: return std::trunc(v);
  }
}

}  // namespace

double reduced_value(size_t i, int size, unsigned round, mpcomm_op_t op, mpcomm_datatype_t dtype) {
  double acc = input_value(i, 0, round, op, size);
  for (int r = 1; r < size; ++r) {
    const double v = input_value(i, r, round, op, size);
    switch (op) {
      case MPCOMM_PROD: acc *= v; break;
      case MPCOMM_MAX: acc = std::max(acc, v); break;
      case MPCOMM_MIN: acc = std::min(acc, v); break;
      default: acc += v;
    }
  }
  if (op == MPCOMM_AVG) acc /= size;
  return rounded(acc, dtype);
}

void fill_values(void *buf, size_t count, size_t offset, mpcomm_datatype_t dtype, int rank,
                 unsigned round, mpcomm_op_t op, int size) {
  using namespace mpcomm::half;
  for (size_t k = 0; k < count; ++k) {
    const double v = input_value(offset + k, rank, round, op, size);
    switch (dtype) {
      case MPCOMM_INT8: static_cast<int8_t *>(buf)[k] = static_cast<int8_t>(v); break;
      case MPCOMM_UINT8: static_cast<uint8_t *>(buf)[k] = static_cast<uint8_t>(v); break;
      case MPCOMM_INT32: static_cast<int32_t *>(buf)[k] = static_cast<int32_t>(v); break;
      case MPCOMM_INT64: static_cast<int64_t *>(buf)[k] = static_cast<int64_t>(v); break;
      case MPCOMM_FLOAT16:
        static_cast<uint16_t *>(buf)[k] = float_to_float16(static_cast<float>(v));
        break;
      case MPCOMM_BFLOAT16:
        static_cast<uint16_t *>(buf)[k] = float_to_bfloat16(static_cast<float>(v));
        break;
      case MPCOMM_FLOAT32: static_cast<float *>(buf)[k] = static_cast<float>(v); break;
      case MPCOMM_INT16: static_cast<int16_t *>(buf)[k] = static_cast<int16_t>(v); break;
      case MPCOMM_UINT16: static_cast<uint16_t *>(buf)[k] = static_cast<uint16_t>(v); break;
      case MPCOMM_UINT32: static_cast<uint32_t *>(buf)[k] = static_cast<uint32_t>(v); break;
      case MPCOMM_UINT64: static_cast<uint64_t *>(buf)[k] = static_cast<uint64_t>(v); break;
      // Types that only move: bool as v's parity, the 8-bit floats as v's bit pattern.
      case MPCOMM_BOOL: static_cast<uint8_t *>(buf)[k] = static_cast<uint8_t>(v) & 1u; break;
      case MPCOMM_FLOAT8_E4M3FN:
      case MPCOMM_FLOAT8_E5M2: static_cast<uint8_t *>(buf)[k] = static_cast<uint8_t>(v); break;
      default: static_cast<double *>(buf)[k] = v;
    }
  }
}

double element_value(const void *buf, size_t i, mpcomm_datatype_t dtype) {
  using namespace mpcomm::half;
  switch (dtype) {
    case MPCOMM_INT8: return static_cast<const int8_t *>(buf)[i];
    case MPCOMM_UINT8: return static_cast<const uint8_t *>(buf)[i];
    case MPCOMM_INT32: return static_cast<const int32_t *>(buf)[i];
    case MPCOMM_INT64: return static_cast<double>(static_cast<const int64_t *>(buf)[i]);
    case MPCOMM_FLOAT16: return float16_to_float(static_cast<const uint16_t *>(buf)[i]);
    case MPCOMM_BFLOAT16: return bfloat16_to_float(static_cast<const uint16_t *>(buf)[i]);
    case MPCOMM_FLOAT32: return static_cast<const float *>(buf)[i];
    case MPCOMM_INT16: return static_cast<const int16_t *>(buf)[i];
    case MPCOMM_UINT16: return static_cast<const uint16_t *>(buf)[i];
    case MPCOMM_UINT32: return static_cast<const uint32_t *>(buf)[i];
    case MPCOMM_UINT64: return static_cast<double>(static_cast<const uint64_t *>(buf)[i]);
    case MPCOMM_BOOL:
    case MPCOMM_FLOAT8_E4M3FN:
    case MPCOMM_FLOAT8_E5M2: return static_cast<const uint8_t *>(buf)[i];
    default: return static_cast<const double *>(buf)[i];
  }
}

bool same_value(double got, double want, mpcomm_datatype_t dtype) {
  // An average may round differently in the library's accumulation than here: one unit in the
  // last place of the type.
  double tolerance = 0;
  if (dtype == MPCOMM_FLOAT16) tolerance = std::ldexp(std::fabs(want), -10);
  if (dtype == MPCOMM_BFLOAT16) tolerance = std::ldexp(std::fabs(want), -7);
  if (dtype == MPCOMM_FLOAT32) tolerance = std::ldexp(std::fabs(want), -23);
  if (dtype == MPCOMM_FLOAT64) tolerance = std::ldexp(std::fabs(want), -52);
  return std::fabs(got - want) <= tolerance;
}

MpiLayout mpi_layout(mpcomm_datatype_t dtype, size_t count, bool reduction) {
  MpiLayout layout{MPI_BYTE, 0};
  switch (dtype) {
    case MPCOMM_INT8: layout.type = MPI_INT8_T; break;
    case MPCOMM_UINT8: layout.type = MPI_UINT8_T; break;
    case MPCOMM_INT32: layout.type = MPI_INT32_T; break;
    case MPCOMM_INT64: layout.type = MPI_INT64_T; break;
    case MPCOMM_FLOAT16:
    case MPCOMM_BFLOAT16:
      layout.type = reduction ? MPI_FLOAT : MPI_UINT16_T;
      if (reduction) count = (count + 1) / 2;
      break;
    case MPCOMM_FLOAT32: layout.type = MPI_FLOAT; break;
    case MPCOMM_INT16: layout.type = MPI_INT16_T; break;
    case MPCOMM_UINT16: layout.type = MPI_UINT16_T; break;
    case MPCOMM_UINT32: layout.type = MPI_UINT32_T; break;
    case MPCOMM_UINT64: layout.type = MPI_UINT64_T; break;
    case MPCOMM_BOOL:
    case MPCOMM_FLOAT8_E4M3FN:
    case MPCOMM_FLOAT8_E5M2: layout.type = MPI_UINT8_T; break;
    default: layout.type = MPI_DOUBLE;
  }
  if (count > static_cast<size_t>(INT_MAX))
    throw std::runtime_error("the MPI baseline takes at most INT_MAX elements, got " +
                             std::to_string(count));
  layout.count = static_cast<int>(count);
  return layout;
}

MPI_Op mpi_baseline_op(mpcomm_op_t op) {
  switch (op) {
    case MPCOMM_PROD: return MPI_PROD;
    case MPCOMM_MAX: return MPI_MAX;
    case MPCOMM_MIN: return MPI_MIN;
    default: return MPI_SUM;
  }
}

void TypedBuffer::resize(size_t count, mpcomm_datatype_t dtype) {
  const size_t bytes = count * element_size(dtype);
  words_.assign((bytes + 7) / 8 + 1, 0);  // + 1: a 16-bit reduction baseline rounds up
  count_ = count;
}

void Tensor1d::wrap(TypedBuffer &buf, mpcomm_datatype_t dtype) {
  shape[0] = static_cast<int64_t>(buf.count());
  t = DLTensor{};
  t.data = buf.data();
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = 1;
  t.dtype = mpcomm::to_dl(dtype);
  t.shape = shape;
}

}  // namespace perf
