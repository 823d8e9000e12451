// A tensor dict's first message (tensordict/dict_message.hpp), as a receiver takes it apart: the
// header checked against the message's size, then the metadata after the tensors and, for a
// packed dict, the layout of the tensors in the message.
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "tensordict/dict_message.hpp"

using namespace mpcomm::tensordict;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A message starts 64-byte aligned in the receiver's buffer; keep that here.
  std::vector<char> message(size);
  if (size) std::memcpy(message.data(), data, size);
  fuzz_guard([&] {
    const MessageHeader h = parse_header(message.data(), message.size());
    if (h.flags & kMetadataFollows) return;
    FUZZ_CHECK(kHeaderBytes + h.tensor_bytes + h.metadata_bytes == size);
    DecodedMetadata md;
    md.decode(message.data() + kHeaderBytes + h.tensor_bytes, h.metadata_bytes);
    if (h.flags & kPacked) check_packed_layout(md, h.tensor_bytes);
  });
  return 0;
}
