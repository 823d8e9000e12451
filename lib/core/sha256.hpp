// SHA-256 from a well-kept library (OpenSSL's libcrypto, or nettle), as configure found it.
#pragma once

#include <cstddef>
#include <string>

namespace mpcomm {

// The digest of `size` bytes at `data` as 64 lowercase hex digits.
std::string sha256_hex(const void *data, std::size_t size);

// The 32-byte digest of `size` bytes at `data`, written to `digest`.
void sha256_bytes(const void *data, std::size_t size, unsigned char *digest);

inline std::string sha256_hex(const std::string &text) {
  return sha256_hex(text.data(), text.size());
}

}  // namespace mpcomm
