// The header of a message-queue ring slot (group/shm_ring.hpp), written by another process into
// shared memory: the input gives the slot size, then the header; a message the decoder accepts
// lies within the slot (ASan checks every byte of it).
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "group/shm_ring.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  constexpr size_t kHeader = mpcomm::ShmRing::kSlotHeaderBytes;
  if (size < 2 + kHeader) return 0;
  const size_t chunk_bytes = 64 * (1 + ((size_t{data[0]} << 8 | data[1]) % 64));
  uint8_t header[kHeader];
  std::memcpy(header, data + 2, kHeader);
  std::vector<char> payload(chunk_bytes);
  for (size_t i = 0; i < chunk_bytes; ++i) payload[i] = static_cast<char>(i);
  fuzz_guard([&] {
    const auto m = mpcomm::ShmRing::decode_slot(header, payload.data(), chunk_bytes, 1);
    if (m.elsewhere) return;
    FUZZ_CHECK(m.length <= chunk_bytes);
    unsigned sum = 0;
    for (size_t i = 0; i < m.length; ++i) sum += static_cast<unsigned char>(m.data[i]);
    (void)sum;
  });
  return 0;
}
