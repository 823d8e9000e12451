// The object codec's MessagePack decoder (mpcomm::decode, include/mpcomm.hpp): what it accepts
// re-encodes to bytes that decode to the same encoding.
#include <vector>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_guard([&] {
    const mpcomm::Value v = mpcomm::decode(data, size);
    const std::vector<char> once = mpcomm::encode(v);
    const std::vector<char> twice = mpcomm::encode(mpcomm::decode(once.data(), once.size()));
    FUZZ_CHECK(once == twice);
  });
  return 0;
}
