// vLLM's divide() and ensure_divisibility() for the library's C++ code: the quotient of two
// integers that must divide exactly, or an Error naming both numbers.
#pragma once

#include <type_traits>

#include "core/error.hpp"

namespace mpcomm::parallel {

// Throws Error(MPCOMM_ERR_INVALID_ARGUMENT) "N is not divisible by D" unless D divides N
// (D == 0 is an error too).
template <class Int>
void ensure_divisibility(Int numerator, Int denominator) {
  static_assert(std::is_integral<Int>::value, "ensure_divisibility takes integers");
  require_arg(denominator != 0 && numerator % denominator == 0, numerator, " is not divisible by ",
              denominator);
}

// numerator / denominator, after ensure_divisibility.
template <class Int>
Int divide(Int numerator, Int denominator) {
  ensure_divisibility(numerator, denominator);
  return numerator / denominator;
}

}  // namespace mpcomm::parallel
