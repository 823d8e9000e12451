// Byte ranges of the data plane's buffers: overflow-checked sizes and overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/error.hpp"

namespace mpcomm::host {

// count * element_size, or INVALID_ARGUMENT naming `argument` when it does not fit a size_t.
inline size_t checked_bytes(size_t count, size_t element_size, const char *argument) {
  require_arg(element_size == 0 || count <= std::numeric_limits<size_t>::max() / element_size,
              argument, " (", count, " elements of ", element_size, " bytes) overflows size_t");
  return count * element_size;
}

// Whether [a, a + a_bytes) and [b, b + b_bytes) share a byte; empty ranges share none.
inline bool bytes_overlap(const void *a, size_t a_bytes, const void *b, size_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  const auto a_begin = reinterpret_cast<uintptr_t>(a), b_begin = reinterpret_cast<uintptr_t>(b);
  return a_begin < b_begin + b_bytes && b_begin < a_begin + a_bytes;
}

}  // namespace mpcomm::host
