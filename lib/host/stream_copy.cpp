#include "host/stream_copy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mpcomm::host {

void stream_copy(void *dst, const void *src, size_t bytes) {
#if defined(__x86_64__)
  char *out = static_cast<char *>(dst);
  const char *in = static_cast<const char *>(src);
  // Plain stores up to dst's first 16-byte boundary, then 64 streamed bytes a step, then the tail.
  const size_t head = std::min(bytes, (16 - reinterpret_cast<uintptr_t>(out) % 16) % 16);
  std::memcpy(out, in, head);
  size_t i = head;
  for (; i + 64 <= bytes; i += 64) {
    const auto *from = reinterpret_cast<const __m128i *>(in + i);
    auto *to = reinterpret_cast<__m128i *>(out + i);
    const __m128i a = _mm_loadu_si128(from), b = _mm_loadu_si128(from + 1);
    const __m128i c = _mm_loadu_si128(from + 2), d = _mm_loadu_si128(from + 3);
    _mm_stream_si128(to, a);
    _mm_stream_si128(to + 1, b);
    _mm_stream_si128(to + 2, c);
    _mm_stream_si128(to + 3, d);
  }
  std::memcpy(out + i, in + i, bytes - i);
  // Streamed stores are weakly ordered: a flag stored after this must not pass them.
  _mm_sfence();
#else
  std::memcpy(dst, src, bytes);
#endif
}

}  // namespace mpcomm::host
