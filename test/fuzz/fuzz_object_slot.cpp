// The header of an object channel slot (group/object_channels.hpp), written by another process
// into shared memory: the input gives the expected tag, then the header; a message the decoder
// accepts lies within the slot's payload (ASan checks every byte of it).
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "group/object_channels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using mpcomm::ObjectChannels;
  constexpr size_t kHeader = ObjectChannels::kSlotHeaderBytes;
  if (size < 1 + kHeader) return 0;
  const int tag = data[0] % 16;
  uint8_t header[kHeader];
  std::memcpy(header, data + 1, kHeader);
  std::vector<char> payload(ObjectChannels::kPayloadBytes);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i);
  fuzz_guard([&] {
    const size_t length = ObjectChannels::decode_slot(header, tag);
    FUZZ_CHECK(length <= payload.size());
    unsigned sum = 0;
    for (size_t i = 0; i < length; ++i) sum += static_cast<unsigned char>(payload[i]);
    (void)sum;
  });
  return 0;
}
