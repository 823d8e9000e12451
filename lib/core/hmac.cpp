#include "core/hmac.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace mpcomm {

namespace {
constexpr std::size_t kBlockBytes = 64;
}  // namespace

Mac hmac_sha256(const std::string &key, const void *data, std::size_t size) {
  // A key longer than a block is replaced by its digest; then it is padded with zeros.
  std::array<uint8_t, kBlockBytes> block{};
  if (key.size() > kBlockBytes)
    sha256_bytes(key.data(), key.size(), block.data());
  else
    std::memcpy(block.data(), key.data(), key.size());
  std::vector<uint8_t> inner(kBlockBytes + size);
  for (std::size_t i = 0; i < kBlockBytes; ++i) inner[i] = block[i] ^ 0x36;
  if (size) std::memcpy(inner.data() + kBlockBytes, data, size);
  std::array<uint8_t, kBlockBytes + 32> outer{};
  for (std::size_t i = 0; i < kBlockBytes; ++i) outer[i] = block[i] ^ 0x5c;
  sha256_bytes(inner.data(), inner.size(), outer.data() + kBlockBytes);
  Mac mac{};
  sha256_bytes(outer.data(), outer.size(), mac.data());
  return mac;
}

bool same_mac(const Mac &a, const Mac &b) {
  uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

void random_bytes(void *out, std::size_t n) {
  auto *p = static_cast<uint8_t *>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    require(got > 0, MPCOMM_ERR_SYSTEM, "getrandom() failed: ", std::strerror(errno));
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

}  // namespace mpcomm
