// float16 and bfloat16 conversions, checked exhaustively against references written with
// frexp/ldexp/nearbyint arithmetic in double, and the 16-bit combine loops against scalar code.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/half.hpp"
#include "core/half_reduce.hpp"

namespace {

using mpcomm::half::bfloat16_to_float;
using mpcomm::half::float16_to_float;
using mpcomm::half::float_to_bfloat16;
using mpcomm::half::float_to_float16;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// A binary format with `mantissa_bits` stored mantissa bits and exponent bias `bias`, whose
// largest exponent field `max_field` encodes infinity and NaN.
struct Format {
  int mantissa_bits;
  int bias;
  int max_field;
};
constexpr Format kFloat16{10, 15, 31};
constexpr Format kBFloat16{7, 127, 255};

bool is_nan_pattern(uint16_t h, const Format &f) {
  const int field = (h & 0x7FFF) >> f.mantissa_bits;
  return field == f.max_field && (h & ((1 << f.mantissa_bits) - 1)) != 0;
}

// The value a non-NaN 16-bit pattern encodes, by arithmetic.
double reference_value(uint16_t h, const Format &f) {
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  const int field = (h & 0x7FFF) >> f.mantissa_bits;
  const int mantissa = h & ((1 << f.mantissa_bits) - 1);
  if (field == f.max_field) return sign * std::numeric_limits<double>::infinity();
  if (field == 0) return sign * std::ldexp(mantissa, 1 - f.bias - f.mantissa_bits);
  return sign * std::ldexp((1 << f.mantissa_bits) + mantissa, field - f.bias - f.mantissa_bits);
}

// Rounds a non-NaN float to the format, to nearest even, by arithmetic in double.
uint16_t reference_round(float value, const Format &f) {
  const uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(value));
  const int min_exponent = 1 - f.bias;  // of the smallest normal
  const int max_exponent = f.max_field - 1 - f.bias;
  uint32_t field, mantissa;
  if (a < std::ldexp(1.0, min_exponent)) {
    // Subnormal range: a multiple of the smallest subnormal; 2^min_exponent may result.
    const double q = std::nearbyint(std::ldexp(a, f.mantissa_bits - min_exponent));
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(q));
  }
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  int exponent = e - 1;
  double q = std::nearbyint(std::ldexp(a, f.mantissa_bits - exponent));
  if (q == std::ldexp(1.0, f.mantissa_bits + 1)) {
    q /= 2;
    ++exponent;
  }
  if (std::isinf(a) || exponent > max_exponent) {
    field = f.max_field;
    mantissa = 0;
  } else {
    field = static_cast<uint32_t>(exponent + f.bias);
    mantissa = static_cast<uint32_t>(q) - (1u << f.mantissa_bits);
  }
  return static_cast<uint16_t>(sign | (field << f.mantissa_bits) | mantissa);
}

// Floats that probe every rounding decision: each 16-bit value, every midpoint between
// neighbours, one float ulp either side of it, plus random bit patterns of every exponent.
std::vector<float> probe_floats(const Format &f, float (*widen)(uint16_t)) {
  std::vector<float> probes;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (is_nan_pattern(static_cast<uint16_t>(h), f)) continue;
    const float x = widen(static_cast<uint16_t>(h));
    probes.push_back(x);
    const uint32_t next = h + 1;
    if ((next & 0x7FFF) == 0 || is_nan_pattern(static_cast<uint16_t>(next), f)) continue;
    if (std::isinf(x)) continue;
    // Neighbour in magnitude (same sign): the midpoint is exact in float.
    const double mid = (reference_value(static_cast<uint16_t>(h), f) +
                        reference_value(static_cast<uint16_t>(next), f)) /
                       2;
    const float m = static_cast<float>(mid);
    if (std::isinf(m)) continue;
    probes.push_back(m);
    probes.push_back(std::nextafter(m, 0.0f));
    probes.push_back(std::nextafter(m, std::copysign(INFINITY, m)));
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < (1 << 20); ++i) {
    const float x = from_bits(static_cast<uint32_t>(rng()));
    if (!std::isnan(x)) probes.push_back(x);
  }
  return probes;
}

TEST(Float16, WidensEveryPatternExactly) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t p = static_cast<uint16_t>(h);
    const float x = float16_to_float(p);
    if (is_nan_pattern(p, kFloat16)) {
      ASSERT_TRUE(std::isnan(x)) << std::hex << h;
      // Sign and payload move into the float unchanged.
      ASSERT_EQ(bits(x), ((h & 0x8000u) << 16) | 0x7F800000u | ((h & 0x3FFu) << 13))
          << std::hex << h;
    } else {
      ASSERT_EQ(bits(x), bits(static_cast<float>(reference_value(p, kFloat16)))) << std::hex << h;
    }
  }
}

TEST(Float16, RoundTripIsIdentityExceptNanQuieting) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t p = static_cast<uint16_t>(h);
    const uint16_t back = float_to_float16(float16_to_float(p));
    if (is_nan_pattern(p, kFloat16))
      ASSERT_EQ(back, p | 0x0200) << std::hex << h;  // made quiet, payload and sign kept
    else
      ASSERT_EQ(back, p) << std::hex << h;
  }
}

TEST(Float16, RoundsToNearestEvenLikeTheReference) {
  for (const float x : probe_floats(kFloat16, float16_to_float))
    ASSERT_EQ(float_to_float16(x), reference_round(x, kFloat16))
        << std::hexfloat << x << " bits " << std::hex << bits(x);
}

TEST(Float16, EdgeCases) {
  EXPECT_EQ(float_to_float16(65504.0f), 0x7BFF);   // largest finite
  EXPECT_EQ(float_to_float16(65519.99f), 0x7BFF);  // below the midpoint to 65536
  EXPECT_EQ(float_to_float16(65520.0f), 0x7C00);   // the midpoint: ties to even = inf
  EXPECT_EQ(float_to_float16(1e30f), 0x7C00);
  EXPECT_EQ(float_to_float16(-INFINITY), 0xFC00);
  EXPECT_EQ(float_to_float16(0x1p-24f), 0x0001);             // smallest subnormal
  EXPECT_EQ(float_to_float16(0x1p-25f), 0x0000);             // half of it: ties to even = 0
  EXPECT_EQ(float_to_float16(0x1.000002p-25f), 0x0001);      // just above: rounds up
  EXPECT_EQ(float_to_float16(0x1.8p-24f), 0x0002);           // 1.5 ulps: ties to even = 2
  EXPECT_EQ(float_to_float16(0x1p-14f - 0x1p-25f), 0x0400);  // to the smallest normal
  EXPECT_EQ(float_to_float16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_float16(1.0f + 0x1p-11f), 0x3C00);    // tie, even below
  EXPECT_EQ(float_to_float16(1.0f + 0x1.8p-10f), 0x3C02);  // tie, even above
  const uint16_t nan = float_to_float16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7E00, 0x7E00);
  EXPECT_EQ(float_to_float16(-std::numeric_limits<float>::quiet_NaN()) & 0x8000, 0x8000);
  // A NaN whose payload lies only in the low bits stays NaN, never becomes infinity.
  EXPECT_TRUE(is_nan_pattern(float_to_float16(from_bits(0x7F800001u)), kFloat16));
}

TEST(BFloat16, WidensEveryPatternExactly) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t p = static_cast<uint16_t>(h);
    const float x = bfloat16_to_float(p);
    if (is_nan_pattern(p, kBFloat16)) {
      ASSERT_TRUE(std::isnan(x)) << std::hex << h;
      ASSERT_EQ(bits(x), h << 16) << std::hex << h;
    } else {
      ASSERT_EQ(bits(x), bits(static_cast<float>(reference_value(p, kBFloat16)))) << std::hex << h;
    }
  }
}

TEST(BFloat16, RoundTripIsIdentityExceptNanQuieting) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t p = static_cast<uint16_t>(h);
    const uint16_t back = float_to_bfloat16(bfloat16_to_float(p));
    if (is_nan_pattern(p, kBFloat16))
      ASSERT_EQ(back, p | 0x0040) << std::hex << h;
    else
      ASSERT_EQ(back, p) << std::hex << h;
  }
}

TEST(BFloat16, RoundsToNearestEvenLikeTheReference) {
  for (const float x : probe_floats(kBFloat16, bfloat16_to_float))
    ASSERT_EQ(float_to_bfloat16(x), reference_round(x, kBFloat16))
        << std::hexfloat << x << " bits " << std::hex << bits(x);
}

TEST(BFloat16, EdgeCases) {
  EXPECT_EQ(float_to_bfloat16(from_bits(0x7F7FFFFFu)), 0x7F80);  // max float rounds to inf
  EXPECT_EQ(float_to_bfloat16(from_bits(0x7F7F7FFFu)), 0x7F7F);  // below the midpoint
  EXPECT_EQ(float_to_bfloat16(from_bits(0x3F808000u)), 0x3F80);  // tie, even below
  EXPECT_EQ(float_to_bfloat16(from_bits(0x3F818000u)), 0x3F82);  // tie, even above
  EXPECT_EQ(float_to_bfloat16(from_bits(0x00008000u)), 0x0000);  // subnormal tie to even 0
  EXPECT_EQ(float_to_bfloat16(from_bits(0x00018000u)), 0x0002);
  // A NaN with payload only in the discarded bits stays NaN (not infinity).
  EXPECT_EQ(float_to_bfloat16(from_bits(0x7F800001u)), 0x7FC0);
  EXPECT_EQ(float_to_bfloat16(from_bits(0xFF800001u)), 0xFFC0);
}

using Kernel = void (*)(const uint16_t *, uint16_t *, size_t);

// A combine loop against plain scalar code, over lengths around the block and vector sizes.
void check_combine(Kernel kernel, uint16_t (*narrow)(float), float (*widen)(uint16_t),
                   float (*scalar)(float, float), const char *name) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  for (const size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{255}, size_t{256},
                         size_t{257}, size_t{1000}}) {
    std::vector<uint16_t> in(n), inout(n), expected(n);
    for (size_t i = 0; i < n; ++i) {
      in[i] = narrow(dist(rng));
      inout[i] = narrow(dist(rng));
    }
    if (n > 3) {
      in[1] = narrow(NAN);  // NaN from either side propagates
      inout[2] = narrow(NAN);
    }
    for (size_t i = 0; i < n; ++i) expected[i] = narrow(scalar(widen(in[i]), widen(inout[i])));
    kernel(in.data(), inout.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(widen(expected[i])))
        ASSERT_TRUE(std::isnan(widen(inout[i]))) << name << " n " << n << " i " << i;
      else
        ASSERT_EQ(inout[i], expected[i]) << name << " n " << n << " i " << i;
    }
  }
}

float sum(float a, float b) { return a + b; }
float prod(float a, float b) { return a * b; }
float max(float a, float b) { return std::isnan(a) || std::isnan(b) ? NAN : std::fmax(a, b); }
float min(float a, float b) { return std::isnan(a) || std::isnan(b) ? NAN : std::fmin(a, b); }

template <template <class, class> class Loop>
void check_every_combination(const char *name) {
  using namespace mpcomm::half;
  check_combine(Loop<Float16, Sum>::run, float_to_float16, float16_to_float, sum, name);
  check_combine(Loop<Float16, Prod>::run, float_to_float16, float16_to_float, prod, name);
  check_combine(Loop<Float16, Max>::run, float_to_float16, float16_to_float, max, name);
  check_combine(Loop<Float16, Min>::run, float_to_float16, float16_to_float, min, name);
  check_combine(Loop<BFloat16, Sum>::run, float_to_bfloat16, bfloat16_to_float, sum, name);
  check_combine(Loop<BFloat16, Prod>::run, float_to_bfloat16, bfloat16_to_float, prod, name);
  check_combine(Loop<BFloat16, Max>::run, float_to_bfloat16, bfloat16_to_float, max, name);
  check_combine(Loop<BFloat16, Min>::run, float_to_bfloat16, bfloat16_to_float, min, name);
}

template <class Format, class Combine>
struct Portable {
  static void run(const uint16_t *in, uint16_t *inout, size_t n) {
    mpcomm::half::combine_portable<Format, Combine>(in, inout, n);
  }
};
template <class Format, class Combine>
struct Dispatched {
  static void run(const uint16_t *in, uint16_t *inout, size_t n) {
    mpcomm::half::combine<Format, Combine>(in, inout, n);
  }
};

TEST(HalfCombine, PortableLoopMatchesScalarFloat32Arithmetic) {
  check_every_combination<Portable>("portable");
}

TEST(HalfCombine, DispatchedLoopMatchesScalarFloat32Arithmetic) {
  check_every_combination<Dispatched>("dispatched");
}

#ifdef MPCOMM_HALF_X86
template <class Format, class Combine>
struct Avx2 {
  static void run(const uint16_t *in, uint16_t *inout, size_t n) {
    mpcomm::half::combine_avx2<Format, Combine>(in, inout, n);
  }
};

TEST(HalfCombine, Avx2LoopMatchesScalarFloat32Arithmetic) {
  if (!mpcomm::half::cpu_has_avx2_f16c()) GTEST_SKIP() << "no AVX2 and F16C on this CPU";
  check_every_combination<Avx2>("avx2");
}

// The 8-wide conversions over arrays, for comparison with the scalar ones.
template <class Wide>
__attribute__((target("avx2,f16c"))) void widen_x8(const uint16_t *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i += 8) _mm256_storeu_ps(out + i, Wide::widen(in + i));
}
template <class Wide>
__attribute__((target("avx2,f16c"))) void narrow_x8(const float *in, uint16_t *out, size_t n) {
  for (size_t i = 0; i < n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i), Wide::narrow(_mm256_loadu_ps(in + i)));
}

template <class Wide>
void check_8_wide_conversions(uint16_t (*narrow)(float), float (*widen)(uint16_t),
                              const Format &f) {
  std::vector<uint16_t> all(0x10000);
  for (uint32_t h = 0; h < 0x10000; ++h) all[h] = static_cast<uint16_t>(h);
  std::vector<float> widened(all.size());
  widen_x8<Wide>(all.data(), widened.data(), all.size());
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (is_nan_pattern(static_cast<uint16_t>(h), f))  // F16C quiets signalling NaNs
      ASSERT_TRUE(std::isnan(widened[h]) && std::signbit(widened[h]) == ((h & 0x8000) != 0));
    else
      ASSERT_EQ(bits(widened[h]), bits(widen(static_cast<uint16_t>(h)))) << std::hex << h;
  }
  std::vector<float> probes = probe_floats(f, widen);
  std::mt19937 rng(99);
  for (int i = 0; i < 4096; ++i)  // NaNs of every payload and both signs
    probes.push_back(from_bits(0x7F800001u | (static_cast<uint32_t>(rng()) & 0x807FFFFFu)));
  probes.resize((probes.size() + 7) / 8 * 8, 1.0f);
  std::vector<uint16_t> narrowed(probes.size());
  narrow_x8<Wide>(probes.data(), narrowed.data(), probes.size());
  for (size_t i = 0; i < probes.size(); ++i)
    ASSERT_EQ(narrowed[i], narrow(probes[i]))
        << std::hexfloat << probes[i] << " bits " << std::hex << bits(probes[i]);
}

TEST(HalfCombine, EightWideConversionsMatchTheScalarOnesBitForBit) {
  if (!mpcomm::half::cpu_has_avx2_f16c()) GTEST_SKIP() << "no AVX2 and F16C on this CPU";
  check_8_wide_conversions<mpcomm::half::Float16x8>(float_to_float16, float16_to_float, kFloat16);
  check_8_wide_conversions<mpcomm::half::BFloat16x8>(float_to_bfloat16, bfloat16_to_float,
                                                     kBFloat16);
}
#endif

TEST(HalfCombine, SumRoundsOnceFromFloat32) {
  // 2048 + 1 is not a float16 (spacing 2 there): float32 gives 2049, rounded to even 2048.
  uint16_t in = float_to_float16(1.0f), inout = float_to_float16(2048.0f);
  mpcomm::half::combine<mpcomm::half::Float16, mpcomm::half::Sum>(&in, &inout, 1);
  EXPECT_EQ(float16_to_float(inout), 2048.0f);
  in = float_to_float16(3.0f);
  inout = float_to_float16(2048.0f);
  mpcomm::half::combine<mpcomm::half::Float16, mpcomm::half::Sum>(&in, &inout, 1);
  EXPECT_EQ(float16_to_float(inout), 2052.0f);  // 2051 ties to even 2052
}

// reduce_rows (the shared-memory allreduce's slice) against a left fold in float32 over three
// rows, written over the middle row (as a rank reduces into its own segment), with NaNs.
template <class Format, class Combine>
void check_reduce_rows(bool portable, uint16_t (*narrow)(float), float (*widen)(uint16_t),
                       float (*scalar)(float, float), const char *name) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  for (const size_t n :
       {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{15}, size_t{16}, size_t{17},
        size_t{24}, size_t{31}, size_t{33}, size_t{255}, size_t{256}, size_t{257}, size_t{1000}}) {
    std::vector<uint16_t> rows[3], expected(n);
    for (auto &row : rows) {
      row.resize(n);
      for (auto &v : row) v = narrow(dist(rng));
    }
    if (n > 5) {
      rows[0][3] = narrow(NAN);
      rows[2][5] = narrow(NAN);
    }
    for (size_t i = 0; i < n; ++i)
      expected[i] = narrow(scalar(scalar(widen(rows[0][i]), widen(rows[1][i])), widen(rows[2][i])));
    const uint16_t *srcs[3] = {rows[0].data(), rows[1].data(), rows[2].data()};
    if (portable)
      mpcomm::half::reduce_rows_portable<Format, Combine>(srcs, 3, rows[1].data(), n);
    else
      mpcomm::half::reduce_rows<Format, Combine>(srcs, 3, rows[1].data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(widen(expected[i])))
        ASSERT_TRUE(std::isnan(widen(rows[1][i]))) << name << " n " << n << " i " << i;
      else
        ASSERT_EQ(rows[1][i], expected[i]) << name << " n " << n << " i " << i;
    }
  }
}

TEST(HalfCombine, ReduceRowsMatchesALeftFoldInFloat32) {
  using namespace mpcomm::half;
  for (const bool portable : {true, false}) {  // the portable loop, and the dispatched one
    check_reduce_rows<Float16, Sum>(portable, float_to_float16, float16_to_float, sum, "f16 sum");
    check_reduce_rows<Float16, Prod>(portable, float_to_float16, float16_to_float, prod,
                                     "f16 prod");
    check_reduce_rows<Float16, Max>(portable, float_to_float16, float16_to_float, max, "f16 max");
    check_reduce_rows<Float16, Min>(portable, float_to_float16, float16_to_float, min, "f16 min");
    check_reduce_rows<BFloat16, Sum>(portable, float_to_bfloat16, bfloat16_to_float, sum,
                                     "bf16 sum");
    check_reduce_rows<BFloat16, Prod>(portable, float_to_bfloat16, bfloat16_to_float, prod,
                                      "bf16 prod");
    check_reduce_rows<BFloat16, Max>(portable, float_to_bfloat16, bfloat16_to_float, max,
                                     "bf16 max");
    check_reduce_rows<BFloat16, Min>(portable, float_to_bfloat16, bfloat16_to_float, min,
                                     "bf16 min");
  }
}

}  // namespace
