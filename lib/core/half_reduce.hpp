// The element-wise combination of two 16-bit float vectors in float32, for the MPI operators
// of mpi_half.cpp: each pair is widened, combined and rounded back once.
//
// combine() picks at run time between a portable loop, written so that gcc -O2 vectorises it
// for the baseline instruction set, and on x86-64 with AVX2 and F16C an explicit 8-wide loop
// (float16 converted by the F16C instructions: about 20 times faster for float16, 3 times for
// bfloat16 than the portable loop). Both round to nearest even and give the same bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/half.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MPCOMM_HALF_X86 1
#endif

namespace mpcomm::half {

struct Float16 {
  static float widen(uint16_t h) { return float16_to_float(h); }
  static uint16_t narrow(float f) { return float_to_float16(f); }
};

struct BFloat16 {
  static float widen(uint16_t h) { return bfloat16_to_float(h); }
  static uint16_t narrow(float f) { return float_to_bfloat16(f); }
};

struct Sum {
  float operator()(float a, float b) const { return a + b; }
};
struct Prod {
  float operator()(float a, float b) const { return a * b; }
};
// Max and Min propagate a NaN from either side, so every rank gets a NaN whatever the order in
// which MPI combines the contributions.
struct Max {
  float operator()(float a, float b) const {
    const float larger = a > b ? a : b;
    return a != a ? a : larger;
  }
};
struct Min {
  float operator()(float a, float b) const {
    const float smaller = a < b ? a : b;
    return a != a ? a : smaller;
  }
};

// inout[i] = combine(in[i], inout[i]) for i < n, on any CPU. The work is done in blocks of a
// fixed length: gcc -O2 vectorises only loops whose trip count it knows.
template <class Format, class Combine>
void combine_portable(const uint16_t *__restrict in, uint16_t *__restrict inout, size_t n) {
  constexpr size_t kBlock = 256;
  const Combine op{};
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    const uint16_t *__restrict a = in + i;
    uint16_t *__restrict b = inout + i;
    for (size_t j = 0; j < kBlock; ++j)
      b[j] = Format::narrow(op(Format::widen(a[j]), Format::widen(b[j])));
  }
  for (; i < n; ++i) inout[i] = Format::narrow(op(Format::widen(in[i]), Format::widen(inout[i])));
}

#ifdef MPCOMM_HALF_X86
#define MPCOMM_AVX2_F16C __attribute__((target("avx2,f16c")))

// Whether this CPU runs combine_avx2 (checked once).
inline bool cpu_has_avx2_f16c() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  return has;
}

// 8 elements at a time: float16 by the F16C instructions, bfloat16 by the same shifts and
// rounding as float_to_bfloat16. Both match the scalar conversions bit for bit.
struct Float16x8 {
  MPCOMM_AVX2_F16C static __m256 widen(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
  }
  MPCOMM_AVX2_F16C static __m128i narrow(__m256 f) {
    return _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
};

struct BFloat16x8 {
  MPCOMM_AVX2_F16C static __m256 widen(const uint16_t *p) {
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
  }
  MPCOMM_AVX2_F16C static __m128i narrow(__m256 f) {
    const __m256i r = rounded(f);
    // Every lane is below 0x10000, so the saturating pack is exact.
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  }
  // Each lane's bfloat16, in the low 16 bits of its 32.
  MPCOMM_AVX2_F16C static __m256i rounded(__m256 f) {
    const __m256i u = _mm256_castps_si256(f);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i nearest = _mm256_srli_epi32(
        _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    const __m256i quiet_nan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    const __m256i is_nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
    return _mm256_blendv_epi8(nearest, quiet_nan, is_nan);
  }
};

// 16 elements at a time as two vectors of 8 floats, in an order of the format's choosing (the
// same for every row) that narrow16 undoes.
struct Float16x16 {
  MPCOMM_AVX2_F16C static void widen16(const uint16_t *p, __m256 &lo, __m256 &hi) {
    lo = Float16x8::widen(p);
    hi = Float16x8::widen(p + 8);
  }
  MPCOMM_AVX2_F16C static void narrow16(__m256 lo, __m256 hi, uint16_t *p) {
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p), Float16x8::narrow(lo));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p + 8), Float16x8::narrow(hi));
  }
};
// A bfloat16 is the high half of its float: interleaving with zeros widens 16 in two steps
// (elements 0-3 and 8-11 in lo, 4-7 and 12-15 in hi), and the per-lane pack restores the order.
struct BFloat16x16 {
  MPCOMM_AVX2_F16C static void widen16(const uint16_t *p, __m256 &lo, __m256 &hi) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    lo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(_mm256_setzero_si256(), x));
    hi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(_mm256_setzero_si256(), x));
  }
  MPCOMM_AVX2_F16C static void narrow16(__m256 lo, __m256 hi, uint16_t *p) {
    const __m256i packed = _mm256_packus_epi32(BFloat16x8::rounded(lo), BFloat16x8::rounded(hi));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(p), packed);
  }
};

// The 8- and 16-wide conversions of each format.
template <class Format>
struct Wide;
template <>
struct Wide<Float16> : Float16x8, Float16x16 {};
template <>
struct Wide<BFloat16> : BFloat16x8, BFloat16x16 {};

// The operators on 8 floats, with the scalar ones' exact semantics: vmaxps(a, b) is
// a > b ? a : b and vminps(a, b) is a < b ? a : b.
MPCOMM_AVX2_F16C inline __m256 apply8(Sum, __m256 a, __m256 b) { return _mm256_add_ps(a, b); }
MPCOMM_AVX2_F16C inline __m256 apply8(Prod, __m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
MPCOMM_AVX2_F16C inline __m256 apply8(Max, __m256 a, __m256 b) {
  return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}
MPCOMM_AVX2_F16C inline __m256 apply8(Min, __m256 a, __m256 b) {
  return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

// combine_portable's result on a CPU with AVX2 and F16C, 8 elements at a time.
template <class Format, class Combine>
MPCOMM_AVX2_F16C void combine_avx2(const uint16_t *__restrict in, uint16_t *__restrict inout,
                                   size_t n) {
  const Combine op{};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 r = apply8(op, Wide<Format>::widen(in + i), Wide<Format>::widen(inout + i));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(inout + i), Wide<Format>::narrow(r));
  }
  for (; i < n; ++i) inout[i] = Format::narrow(op(Format::widen(in[i]), Format::widen(inout[i])));
}

// reduce_rows' loop on a CPU with AVX2 and F16C, 16 elements at a time, then 8.
template <class Format, class Combine>
MPCOMM_AVX2_F16C void reduce_rows_avx2(const uint16_t *const *srcs, int n, uint16_t *dst,
                                       size_t count) {
  const Combine op{};
  // Rows that another core just wrote arrive a cache line at a time from its cache; a loop this
  // long per line keeps too few of them in flight, so each row is fetched kAhead elements early.
  constexpr size_t kAhead = 1024, kLine = 32;
  for (int r = 0; r < n; ++r)
    for (size_t j = 0; j < kAhead && j < count; j += kLine)
      _mm_prefetch(reinterpret_cast<const char *>(srcs[r] + j), _MM_HINT_T0);
  size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    if (i % kLine == 0 && i + kAhead < count)
      for (int r = 0; r < n; ++r)
        _mm_prefetch(reinterpret_cast<const char *>(srcs[r] + i + kAhead), _MM_HINT_T0);
    __m256 lo, hi, row_lo, row_hi;
    Wide<Format>::widen16(srcs[0] + i, lo, hi);
    for (int r = 1; r < n; ++r) {
      Wide<Format>::widen16(srcs[r] + i, row_lo, row_hi);
      lo = apply8(op, lo, row_lo);
      hi = apply8(op, hi, row_hi);
    }
    Wide<Format>::narrow16(lo, hi, dst + i);
  }
  for (; i + 8 <= count; i += 8) {
    __m256 acc = Wide<Format>::widen(srcs[0] + i);
    for (int r = 1; r < n; ++r) acc = apply8(op, acc, Wide<Format>::widen(srcs[r] + i));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), Wide<Format>::narrow(acc));
  }
  for (; i < count; ++i) {
    float a = Format::widen(srcs[0][i]);
    for (int r = 1; r < n; ++r) a = op(a, Format::widen(srcs[r][i]));
    dst[i] = Format::narrow(a);
  }
}

#undef MPCOMM_AVX2_F16C
#endif

// inout[i] = combine(in[i], inout[i]) for i < n, the fastest way this CPU allows.
template <class Format, class Combine>
void combine(const uint16_t *__restrict in, uint16_t *__restrict inout, size_t n) {
#ifdef MPCOMM_HALF_X86
  if (cpu_has_avx2_f16c()) return combine_avx2<Format, Combine>(in, inout, n);
#endif
  combine_portable<Format, Combine>(in, inout, n);
}

// reduce_rows on any CPU, in blocks of a fixed length (gcc -O2 vectorises only loops whose trip
// count it knows).
template <class Format, class Combine>
void reduce_rows_portable(const uint16_t *const *srcs, int n, uint16_t *dst, size_t count) {
  constexpr size_t kBlock = 256;
  const Combine op{};
  float acc[kBlock];
  size_t base = 0;
  for (; base + kBlock <= count; base += kBlock) {
    for (size_t j = 0; j < kBlock; ++j) acc[j] = Format::widen(srcs[0][base + j]);
    for (int r = 1; r < n; ++r)
      for (size_t j = 0; j < kBlock; ++j) acc[j] = op(acc[j], Format::widen(srcs[r][base + j]));
    for (size_t j = 0; j < kBlock; ++j) dst[base + j] = Format::narrow(acc[j]);
  }
  for (size_t i = base; i < count; ++i) {
    float a = Format::widen(srcs[0][i]);
    for (int r = 1; r < n; ++r) a = op(a, Format::widen(srcs[r][i]));
    dst[i] = Format::narrow(a);
  }
}

// dst[i] = combine over r < n of srcs[r][i], in rank order (acc = combine(acc, srcs[r][i])),
// accumulated in float32 and rounded once: the shared-memory allreduce's slice. Every source
// element is read before dst[i] is written, so dst may be one of the sources.
template <class Format, class Combine>
void reduce_rows(const uint16_t *const *srcs, int n, uint16_t *dst, size_t count) {
#ifdef MPCOMM_HALF_X86
  if (cpu_has_avx2_f16c()) return reduce_rows_avx2<Format, Combine>(srcs, n, dst, count);
#endif
  reduce_rows_portable<Format, Combine>(srcs, n, dst, count);
}

}  // namespace mpcomm::half
