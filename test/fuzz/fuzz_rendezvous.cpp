// The rendezvous messages (group/rendezvous_protocol.hpp) that cross the network before anyone
// is authenticated: the first byte picks the decoder, the rest is what arrived. What a decoder
// accepts re-encodes to exactly the bytes it was given (every message has one encoding).
#include <cstring>
#include <vector>

#include "bootstrap/rendezvous_handshake.hpp"
#include "bootstrap/rendezvous_protocol.hpp"
#include "fuzz_common.hpp"

using namespace mpcomm::rendezvous;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 5;
  // A copy of exactly the bytes received, so that ASan sees any read beyond them.
  const std::vector<uint8_t> bytes(data + 1, data + size);
  const uint8_t *p = bytes.data();
  const size_t n = bytes.size();
  fuzz_guard([&] {
    switch (which) {
      case 0: {
        (void)could_be_hello(p, n);
        auto hello = decode_hello(p, n);
        if (!hello) return;
        FUZZ_CHECK(n == kHelloBytes);
        const auto again = encode_hello(*hello);
        FUZZ_CHECK(std::memcmp(again.data(), p, n) == 0);
        Challenge challenge;
        (void)hello_proves_token(p, n, "token", challenge);
        std::vector<Hello> hellos = {*hello, *hello};
        (void)launches_can_connect(hellos);
        return;
      }
      case 1: {
        auto verdict = decode_verdict(p, n);
        if (!verdict) return;
        FUZZ_CHECK(verdict_name(verdict->verdict) != nullptr);
        const auto again = encode_verdict(*verdict);
        FUZZ_CHECK(n == again.size() && std::memcmp(again.data(), p, n) == 0);
        return;
      }
      case 2: {
        auto length = decode_port_header(p, n, 1023);
        if (!length) return;
        FUZZ_CHECK(*length >= 1 && *length <= 1023);
        return;
      }
      case 3: {
        auto challenge = decode_challenge(p, n);
        if (!challenge) return;
        const auto again = encode_challenge(*challenge);
        FUZZ_CHECK(n == again.size() && std::memcmp(again.data(), p, n) == 0);
        return;
      }
      default: {
        // A hello of another length than kHelloBytes never proves a token.
        Challenge challenge;
        if (n != kHelloBytes) FUZZ_CHECK(!hello_proves_token(p, n, "token", challenge));
        return;
      }
    }
  });
  return 0;
}
