// The element-wise combination of two 16-bit float vectors in float32, for the MPI operators
// of mpi_half.cpp: each pair is widened, combined and rounded back once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/half.hpp"

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

// inout[i] = combine(in[i], inout[i]) for i < n. The work is done in blocks of a fixed length:
// gcc -O2 vectorises only loops whose trip count it knows, and the remainder is short.
template <class Format, class Combine>
void combine(const uint16_t *__restrict in, uint16_t *__restrict inout, size_t n) {
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

}  // namespace mpcomm::half
