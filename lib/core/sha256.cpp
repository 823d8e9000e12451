#include "core/sha256.hpp"

#include <memory>

#include "config.h"
#include "core/error.hpp"

#if defined(MPCOMM_SHA256_OPENSSL)
#include <openssl/evp.h>
#elif defined(MPCOMM_SHA256_NETTLE)
#include <nettle/sha2.h>
#else
#error "configure found no SHA-256 provider"
#endif

namespace mpcomm {

namespace {

constexpr std::size_t kDigestBytes = 32;

std::string to_hex(const unsigned char *digest) {
  static const char digits[] = "0123456789abcdef";
  std::string hex(2 * kDigestBytes, '0');
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

void sha256_bytes(const void *data, std::size_t size, unsigned char *digest) {
#if defined(MPCOMM_SHA256_OPENSSL)
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) throw std::bad_alloc();
  unsigned int length = 0;
  require(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx.get(), data, size) == 1 &&
              EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1 && length == kDigestBytes,
          MPCOMM_ERR_INTERNAL, "OpenSSL SHA-256 failed");
#else
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, size, static_cast<const uint8_t *>(data));
  sha256_digest(&ctx, kDigestBytes, digest);
#endif
}

std::string sha256_hex(const void *data, std::size_t size) {
  unsigned char digest[kDigestBytes];
  sha256_bytes(data, size, digest);
  return to_hex(digest);
}

}  // namespace mpcomm
