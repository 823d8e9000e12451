// The eager message of an object (group/protocol.hpp): the first byte picks the tag, the rest is
// the received message (at most kEagerBytes, as MPI delivers it into that buffer).
#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"
#include "group/protocol.hpp"

using namespace mpcomm::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const Tag tag = static_cast<Tag>(1 + data[0] % 7);
  const size_t received = std::min(size - 1, kEagerBytes);
  std::vector<char> msg(kEagerBytes, 0);
  std::copy(data + 1, data + 1 + received, msg.begin());
  fuzz_guard([&] {
    const uint64_t length = parse_eager(msg.data(), received, tag);
    if (received < kEagerBytes)
      FUZZ_CHECK(length == received);
    else
      FUZZ_CHECK(!is_inline(length));
  });
  // What the sender packs, the receiver parses back.
  if (received < kEagerBytes) {
    std::vector<char> packed(kEagerBytes);
    const size_t n = pack_eager(packed.data(), data + 1, received, tag);
    FUZZ_CHECK(parse_eager(packed.data(), n, tag) == received);
  }
  return 0;
}
