// What the data-plane tests share: typed host buffers read and written as doubles, test values
// exact in every dtype, their reductions, and host DLTensors over them.
#pragma once

#include <dlpack/dlpack.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "core/dtype.hpp"
#include "core/half.hpp"
#include "mpcomm.h"

namespace dptest {

using mpcomm::element_size;
using mpcomm::is_integer;
namespace half = mpcomm::half;

// Every dtype (the moving operations take them all) and those that reduce.
const mpcomm_datatype_t kAllDtypes[] = {
    MPCOMM_INT8,     MPCOMM_UINT8,   MPCOMM_INT32,   MPCOMM_INT64,         MPCOMM_FLOAT16,
    MPCOMM_BFLOAT16, MPCOMM_FLOAT32, MPCOMM_FLOAT64, MPCOMM_BOOL,          MPCOMM_INT16,
    MPCOMM_UINT16,   MPCOMM_UINT32,  MPCOMM_UINT64,  MPCOMM_FLOAT8_E4M3FN, MPCOMM_FLOAT8_E5M2};
const mpcomm_datatype_t kReducibleDtypes[] = {
    MPCOMM_INT8,    MPCOMM_UINT8,   MPCOMM_INT32, MPCOMM_INT64,  MPCOMM_FLOAT16, MPCOMM_BFLOAT16,
    MPCOMM_FLOAT32, MPCOMM_FLOAT64, MPCOMM_INT16, MPCOMM_UINT16, MPCOMM_UINT32,  MPCOMM_UINT64};
const mpcomm_datatype_t kMoveOnlyDtypes[] = {MPCOMM_BOOL, MPCOMM_FLOAT8_E4M3FN, MPCOMM_FLOAT8_E5M2};
const mpcomm_op_t kAllOps[] = {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG};

inline bool is_unsigned(mpcomm_datatype_t dtype) {
  return dtype == MPCOMM_UINT8 || dtype == MPCOMM_UINT16 || dtype == MPCOMM_UINT32 ||
         dtype == MPCOMM_UINT64;
}

// A buffer of elements of one dtype, read and written as doubles (test values are exact in
// every dtype), with a guard byte after the end. Bool and the 8-bit floats, which only move,
// hold the value's low byte as it is: the data plane never reads them.
class Typed {
 public:
  Typed(mpcomm_datatype_t dtype, size_t count)
      : dtype_(dtype), count_(count), bytes_(count * element_size(dtype) + 1, 0xEE) {}
  void *data() { return bytes_.data(); }
  size_t count() const { return count_; }
  bool guard_intact() const { return bytes_.back() == 0xEE; }

  double get(size_t i) const {
    const unsigned char *p = bytes_.data() + i * element_size(dtype_);
    switch (dtype_) {
      case MPCOMM_INT8: return load<int8_t>(p);
      case MPCOMM_UINT8:
      case MPCOMM_BOOL:
      case MPCOMM_FLOAT8_E4M3FN:
      case MPCOMM_FLOAT8_E5M2: return load<uint8_t>(p);
      case MPCOMM_INT16: return load<int16_t>(p);
      case MPCOMM_UINT16: return load<uint16_t>(p);
      case MPCOMM_INT32: return load<int32_t>(p);
      case MPCOMM_UINT32: return load<uint32_t>(p);
      case MPCOMM_INT64: return static_cast<double>(load<int64_t>(p));
      case MPCOMM_UINT64: return static_cast<double>(load<uint64_t>(p));
      case MPCOMM_FLOAT16: return half::float16_to_float(load<uint16_t>(p));
      case MPCOMM_BFLOAT16: return half::bfloat16_to_float(load<uint16_t>(p));
      case MPCOMM_FLOAT32: return load<float>(p);
      default: return load<double>(p);
    }
  }

  void put(size_t i, double x) {
    unsigned char *p = bytes_.data() + i * element_size(dtype_);
    switch (dtype_) {
      case MPCOMM_INT8: return store(p, static_cast<int8_t>(x));
      case MPCOMM_UINT8:
      case MPCOMM_BOOL:
      case MPCOMM_FLOAT8_E4M3FN:
      case MPCOMM_FLOAT8_E5M2: return store(p, static_cast<uint8_t>(static_cast<int64_t>(x)));
      case MPCOMM_INT16: return store(p, static_cast<int16_t>(x));
      case MPCOMM_UINT16: return store(p, static_cast<uint16_t>(x));
      case MPCOMM_INT32: return store(p, static_cast<int32_t>(x));
      case MPCOMM_UINT32: return store(p, static_cast<uint32_t>(x));
      case MPCOMM_INT64: return store(p, static_cast<int64_t>(x));
      case MPCOMM_UINT64: return store(p, static_cast<uint64_t>(x));
      case MPCOMM_FLOAT16: return store(p, half::float_to_float16(static_cast<float>(x)));
      case MPCOMM_BFLOAT16: return store(p, half::float_to_bfloat16(static_cast<float>(x)));
      case MPCOMM_FLOAT32: return store(p, static_cast<float>(x));
      default: return store(p, x);
    }
  }

 private:
  template <class T>
  static T load(const unsigned char *p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  template <class T>
  static void store(unsigned char *p, T v) {
    std::memcpy(p, &v, sizeof v);
  }
  mpcomm_datatype_t dtype_;
  size_t count_;
  std::vector<unsigned char> bytes_;
};

// Rank r's element i under op: small integers whose reduction over 4 ranks is exact in every
// dtype (int8 sums stay below 127, products below 16; unsigned values are never negative).
inline double input_value(mpcomm_op_t op, mpcomm_datatype_t dtype, int rank, size_t i) {
  const bool is_signed = !is_unsigned(dtype);
  switch (op) {
    case MPCOMM_PROD: {
      const double v = 1 + static_cast<double>((i + rank) % 2);
      return is_signed && (i + rank) % 3 == 0 ? -v : v;
    }
    case MPCOMM_MAX:
    case MPCOMM_MIN: return static_cast<double>((i * 7 + rank * 3) % 11) - (is_signed ? 5 : 0);
    default: return static_cast<double>((i + 3 * rank) % 6) - (is_signed && i % 2 ? 5 : 0);
  }
}

inline double reduce_reference(mpcomm_op_t op, mpcomm_datatype_t dtype, int size, size_t i) {
  double r = input_value(op, dtype, 0, i);
  for (int rank = 1; rank < size; ++rank) {
    const double v = input_value(op, dtype, rank, i);
    if (op == MPCOMM_PROD)
      r *= v;
    else if (op == MPCOMM_MAX)
      r = v > r ? v : r;
    else if (op == MPCOMM_MIN)
      r = v < r ? v : r;
    else
      r += v;
  }
  if (op != MPCOMM_AVG) return r;
  if (is_integer(dtype)) return static_cast<double>(static_cast<int64_t>(r) / size);
  return r / size;  // size is 1, 2 or 4: exact
}

// A host DLTensor over a Typed buffer.
struct Tensor {
  std::vector<int64_t> shape;
  Typed buf;
  DLTensor dl{};
  Tensor(mpcomm_datatype_t dtype, std::vector<int64_t> s)
      : shape(std::move(s)), buf(dtype, numel(shape)) {
    dl.data = buf.data();
    dl.device = {kDLCPU, 0};
    dl.ndim = static_cast<int>(shape.size());
    dl.dtype = mpcomm::to_dl(dtype);
    dl.shape = shape.data();
  }
  Tensor(const Tensor &) = delete;
  static size_t numel(const std::vector<int64_t> &shape) {
    size_t n = 1;
    for (int64_t e : shape) n *= static_cast<size_t>(e);
    return n;
  }
  // Flat index of a multi-index.
  size_t index(const std::vector<int64_t> &at) const {
    size_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + at[d];
    return flat;
  }
};

// Calls fn(multi-index) for every element of shape.
template <class Fn>
inline void for_each_index(const std::vector<int64_t> &shape, Fn &&fn) {
  std::vector<int64_t> at(shape.size(), 0);
  for (size_t n = Tensor::numel(shape), k = 0; k < n; ++k) {
    fn(at);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++at[d] < shape[d]) break;
      at[d] = 0;
    }
  }
}

// Element `at` of rank r's input: a function of the rank and the position, below 100.
inline double shaped_value(int rank, const std::vector<int64_t> &at) {
  double v = rank * 7;
  for (int64_t x : at) v = v * 3 + static_cast<double>(x);
  return static_cast<double>(static_cast<int64_t>(v) % 97);
}

}  // namespace dptest
