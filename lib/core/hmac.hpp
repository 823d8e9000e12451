// HMAC-SHA256 (RFC 2104) over the SHA-256 of core/sha256.hpp, for the rendezvous token, and a
// comparison of digests whose time does not depend on where they differ.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mpcomm {

using Mac = std::array<uint8_t, 32>;

// HMAC-SHA256 of `size` bytes at `data` under key.
Mac hmac_sha256(const std::string &key, const void *data, std::size_t size);

// a == b, reading every byte of both.
bool same_mac(const Mac &a, const Mac &b);

// n random bytes from the kernel (getrandom); Error(MPCOMM_ERR_SYSTEM) when it has none.
void random_bytes(void *out, std::size_t n);

}  // namespace mpcomm
