#include "host/node_reduce.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half_reduce.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"

namespace mpcomm::host {
namespace {

// Element formats: how a stored element becomes an accumulator value and back.
struct Float32 {
  using Stored = float;
  static float widen(float v) { return v; }
  static float narrow(float v) { return v; }
};

using half::Max;
using half::Min;
using half::Prod;
using half::Sum;

// dst[i] = op over r of srcs[r][i], in rank order, accumulating in float32. Fixed-length
// blocks keep the inner loops vectorisable at -O2.
template <class Format, class Op>
void reduce_slice(const char *const *srcs, int n, char *dst_bytes, size_t count) {
  using T = typename Format::Stored;
  constexpr size_t kBlock = 256;
  const Op op{};
  float acc[kBlock];
  T *dst = reinterpret_cast<T *>(dst_bytes);
  size_t base = 0;
  for (; base + kBlock <= count; base += kBlock) {
    const T *first = reinterpret_cast<const T *>(srcs[0]) + base;
    for (size_t j = 0; j < kBlock; ++j) acc[j] = Format::widen(first[j]);
    for (int r = 1; r < n; ++r) {
      const T *src = reinterpret_cast<const T *>(srcs[r]) + base;
      for (size_t j = 0; j < kBlock; ++j) acc[j] = op(acc[j], Format::widen(src[j]));
    }
    for (size_t j = 0; j < kBlock; ++j) dst[base + j] = Format::narrow(acc[j]);
  }
  for (size_t i = base; i < count; ++i) {
    float a = Format::widen(reinterpret_cast<const T *>(srcs[0])[i]);
    for (int r = 1; r < n; ++r) a = op(a, Format::widen(reinterpret_cast<const T *>(srcs[r])[i]));
    dst[i] = Format::narrow(a);
  }
}

#ifdef MPCOMM_HALF_X86
// float32 on a CPU with AVX2: 32 elements a step in four registers, each source loaded once
// (the acc blocks above go through memory at the baseline's 4-wide width: about 4 times slower
// in cache). The same operators, in the same order, so the same bits.
template <class Op>
__attribute__((target("avx2,f16c"))) void reduce_float32_avx2(const char *const *srcs, int n,
                                                              char *dst_bytes, size_t count) {
  const Op op{};
  const auto row = [&](int r) { return reinterpret_cast<const float *>(srcs[r]); };
  float *dst = reinterpret_cast<float *>(dst_bytes);
  size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const float *first = row(0) + i;
    __m256 a0 = _mm256_loadu_ps(first), a1 = _mm256_loadu_ps(first + 8);
    __m256 a2 = _mm256_loadu_ps(first + 16), a3 = _mm256_loadu_ps(first + 24);
    for (int r = 1; r < n; ++r) {
      const float *src = row(r) + i;
      a0 = half::apply8(op, a0, _mm256_loadu_ps(src));
      a1 = half::apply8(op, a1, _mm256_loadu_ps(src + 8));
      a2 = half::apply8(op, a2, _mm256_loadu_ps(src + 16));
      a3 = half::apply8(op, a3, _mm256_loadu_ps(src + 24));
    }
    _mm256_storeu_ps(dst + i, a0);
    _mm256_storeu_ps(dst + i + 8, a1);
    _mm256_storeu_ps(dst + i + 16, a2);
    _mm256_storeu_ps(dst + i + 24, a3);
  }
  for (; i < count; ++i) {
    float a = row(0)[i];
    for (int r = 1; r < n; ++r) a = op(a, row(r)[i]);
    dst[i] = a;
  }
}
#endif

template <class Op>
void reduce_float32(const char *const *srcs, int n, char *dst, size_t count) {
#ifdef MPCOMM_HALF_X86
  if (half::cpu_has_avx2_f16c()) return reduce_float32_avx2<Op>(srcs, n, dst, count);
#endif
  reduce_slice<Float32, Op>(srcs, n, dst, count);
}

void reduce_float32_op(mpcomm_op_t op, const char *const *srcs, int n, char *dst, size_t count) {
  switch (op) {
    case MPCOMM_SUM:
    case MPCOMM_AVG: return reduce_float32<Sum>(srcs, n, dst, count);
    case MPCOMM_PROD: return reduce_float32<Prod>(srcs, n, dst, count);
    case MPCOMM_MAX: return reduce_float32<Max>(srcs, n, dst, count);
    case MPCOMM_MIN: return reduce_float32<Min>(srcs, n, dst, count);
    default: break;
  }
  throw Error(MPCOMM_ERR_INTERNAL, concat("reduce_rows: op ", static_cast<int>(op)));
}

// float16 and bfloat16 through half::reduce_rows, 8-wide with F16C where the CPU has it (the
// loop above converts float16 element by element: several times slower than float32).
template <class Format>
void reduce16_op(mpcomm_op_t op, const char *const *srcs, int n, char *dst_bytes, size_t count) {
  const auto *const *rows = reinterpret_cast<const uint16_t *const *>(srcs);
  auto *dst = reinterpret_cast<uint16_t *>(dst_bytes);
  switch (op) {
    case MPCOMM_SUM:
    case MPCOMM_AVG: return half::reduce_rows<Format, half::Sum>(rows, n, dst, count);
    case MPCOMM_PROD: return half::reduce_rows<Format, half::Prod>(rows, n, dst, count);
    case MPCOMM_MAX: return half::reduce_rows<Format, half::Max>(rows, n, dst, count);
    case MPCOMM_MIN: return half::reduce_rows<Format, half::Min>(rows, n, dst, count);
    default: break;
  }
  throw Error(MPCOMM_ERR_INTERNAL, concat("reduce_rows: op ", static_cast<int>(op)));
}

// The other dtypes through MPI's own operator, source by source in rank order: dst = srcs[0],
// then dst = srcs[r] op dst (exact for integers; the same operator MPI_Reduce_scatter uses).
void reduce_by_mpi(mpcomm_datatype_t dtype, mpcomm_op_t op, const char *const *srcs, int n,
                   char *dst, size_t count) {
  const size_t es = element_size(dtype);
  std::memcpy(dst, srcs[0], count * es);
  const MPI_Datatype type = mpi_datatype(dtype);
  const MPI_Op mop = mpi_op(dtype, op);
  constexpr size_t kPiece = INT_MAX;
  for (int r = 1; r < n; ++r)
    for (size_t done = 0; done < count; done += kPiece) {
      const int m = static_cast<int>(std::min(kPiece, count - done));
      MPCOMM_MPI_CHECK(MPI_Reduce_local(srcs[r] + done * es, dst + done * es, m, type, mop));
    }
}

}  // namespace

void reduce_rows(mpcomm_datatype_t dtype, mpcomm_op_t op, const char *const *srcs, int n, char *dst,
                 size_t count) {
  switch (dtype) {
    case MPCOMM_FLOAT32: return reduce_float32_op(op, srcs, n, dst, count);
    case MPCOMM_FLOAT16: return reduce16_op<half::Float16>(op, srcs, n, dst, count);
    case MPCOMM_BFLOAT16: return reduce16_op<half::BFloat16>(op, srcs, n, dst, count);
    default: return reduce_by_mpi(dtype, op, srcs, n, dst, count);
  }
}

}  // namespace mpcomm::host
