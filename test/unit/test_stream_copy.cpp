// stream_copy: the same bytes as memcpy at every alignment of source and destination and every
// length around its 16-byte head and 64-byte steps, touching nothing outside the destination.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "host/stream_copy.hpp"

TEST(StreamCopy, CopiesEveryAlignmentAndLength) {
  std::vector<uint8_t> src(4096 + 64);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7 + 3);
  for (size_t from = 0; from < 20; from += 3)
    for (size_t to = 0; to < 20; to += 5)
      for (size_t n : {0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1000, 4096}) {
        std::vector<uint8_t> dst(n + 64, 0xee);
        mpcomm::host::stream_copy(dst.data() + to, src.data() + from, n);
        for (size_t i = 0; i < dst.size(); ++i) {
          const bool inside = i >= to && i < to + n;
          ASSERT_EQ(dst[i], inside ? src[from + i - to] : 0xee)
              << "from +" << from << " to +" << to << " n " << n << " at " << i;
        }
      }
}
