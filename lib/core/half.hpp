// float16 (IEEE binary16) and bfloat16 <-> float32 conversions, rounding to nearest even.
//
// Written without data-dependent branches (every case is computed and one is selected) so that
// the loops of the 16-bit reduction operators vectorise under gcc -O2. They assume the default
// floating-point environment: round to nearest, subnormals not flushed to zero.
#pragma once

#include <cstdint>
#include <cstring>

namespace mpcomm::half {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// cond ? if_true : if_false by masks: gcc keeps it a blend instead of turning it into a branch
// around a floating-point operation, which would stop vectorisation (the operation may trap).
inline uint32_t select_bits(bool cond, uint32_t if_true, uint32_t if_false) {
  const uint32_t mask = 0u - static_cast<uint32_t>(cond);
  return (if_true & mask) | (if_false & ~mask);
}

// bfloat16 is the upper half of a float32: widening is exact.
inline float bfloat16_to_float(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

// Rounds the lower 16 bits away, ties to even. A NaN keeps its sign and upper payload and is
// made quiet (a plain rounding could carry a NaN into infinity).
inline uint16_t float_to_bfloat16(float f) {
  const uint32_t u = float_bits(f);
  const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x0040u;
  const bool is_nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
  return static_cast<uint16_t>(is_nan ? quiet_nan : rounded);
}

// float16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
inline float float16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const int32_t magnitude = h & 0x7FFF;
  // Normal numbers: move the fields into place and re-bias the exponent by 127 - 15. Infinity
  // and NaN (exponent 31) need the exponent to become 255: re-bias by another 128 - 16.
  const int32_t moved = magnitude << 13;
  const int32_t normal = moved + (magnitude >= 0x7C00 ? 0x70000000 : 0x38000000);
  // Zero and subnormals are mantissa * 2^-24, which the integer conversion does exactly.
  const float subnormal = static_cast<float>(magnitude) * 0x1p-24f;
  return bits_float(
      sign | select_bits(magnitude < 0x0400, float_bits(subnormal), static_cast<uint32_t>(normal)));
}

inline uint16_t float_to_float16(float f) {
  const uint32_t u = float_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  // Signed compares on the magnitude (< 2^31) vectorise on every x86-64.
  const int32_t a = static_cast<int32_t>(u & 0x7FFFFFFFu);
  // Normal results: re-bias the exponent (127 - 15) and round 13 mantissa bits away, ties to
  // even; a carry out of the mantissa correctly increments the exponent.
  const int32_t rebiased = a - 0x38000000;
  const int32_t normal = (rebiased + 0x0FFF + ((rebiased >> 13) & 1)) >> 13;
  // Subnormal results (|f| < 2^-14): adding 0.5 leaves |f| rounded to a multiple of 2^-24 (the
  // spacing of floats in [0.5, 1)) in the low mantissa bits; 2^-14 itself becomes 0x0400, the
  // smallest normal float16, as it should.
  const uint32_t subnormal = float_bits(bits_float(static_cast<uint32_t>(a)) + 0.5f) - 0x3F000000u;
  // NaN stays NaN: quiet, sign and upper payload kept. Values from 65520 up (the midpoint
  // between 65504, the largest float16, and 65536) round to infinity.
  const int32_t nan = 0x7E00 | ((a >> 13) & 0x03FF);
  uint32_t magnitude = select_bits(a < 0x38800000, subnormal, static_cast<uint32_t>(normal));
  magnitude = select_bits(a >= 0x477FF000, 0x7C00u, magnitude);
  magnitude = select_bits(a > 0x7F800000, static_cast<uint32_t>(nan), magnitude);
  return static_cast<uint16_t>(sign | magnitude);
}

}  // namespace mpcomm::half
