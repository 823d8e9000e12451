// The rendezvous wire format and policy, without MPI: every message round-trips, strangers'
// bytes are recognised early, malformed messages decode to nothing, wildcard hosts are refused.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "bootstrap/rendezvous.hpp"
#include "bootstrap/rendezvous_handshake.hpp"
#include "bootstrap/rendezvous_protocol.hpp"
#include "bootstrap/socket.hpp"
#include "core/error.hpp"
#include "core/hmac.hpp"

using namespace mpcomm::rendezvous;

TEST(RendezvousProtocol, HelloRoundTrips) {
  Hello h;
  h.world_size = 8;
  h.rank = 5;
  h.cross_job_capable = true;
  h.launch = "2114519041";
  auto bytes = encode_hello(h);
  auto back = decode_hello(bytes.data(), bytes.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->version, kProtocolVersion);
  EXPECT_EQ(back->world_size, 8u);
  EXPECT_EQ(back->rank, 5u);
  EXPECT_TRUE(back->cross_job_capable);
  EXPECT_EQ(back->launch, "2114519041");
}

TEST(RendezvousProtocol, StrangersBytesAreRecognisedEarly) {
  const char http[] = "GET / HTTP/1.0\r\n";
  EXPECT_FALSE(could_be_hello(reinterpret_cast<const uint8_t *>(http), 1));
  auto bytes = encode_hello(Hello{});
  for (size_t n = 0; n <= kHelloBytes; ++n) EXPECT_TRUE(could_be_hello(bytes.data(), n)) << n;
  bytes[3] ^= 1;
  EXPECT_FALSE(could_be_hello(bytes.data(), 4));
}

// Found by fuzz_rendezvous: no bytes at NULL went to memcmp (undefined behaviour, which the
// sanitizer build's UBSan stops at). Every decoder takes NULL with a length of 0.
TEST(RendezvousProtocol, NoBytesAtNullAreNotAMessage) {
  EXPECT_TRUE(could_be_hello(nullptr, 0));
  EXPECT_FALSE(decode_hello(nullptr, 0).has_value());
  EXPECT_FALSE(decode_verdict(nullptr, 0).has_value());
  EXPECT_FALSE(decode_challenge(nullptr, 0).has_value());
  EXPECT_FALSE(decode_port_header(nullptr, 0, 100).has_value());
}

TEST(RendezvousProtocol, MalformedHellosDecodeToNothing) {
  Hello h;
  h.launch = "job";
  auto good = encode_hello(h);
  EXPECT_FALSE(decode_hello(good.data(), good.size() - 1).has_value());  // short
  auto bad_flags = good;
  bad_flags[20] = 0x80;  // an unknown flag bit
  EXPECT_FALSE(decode_hello(bad_flags.data(), bad_flags.size()).has_value());
  auto junk_after_name = good;
  junk_after_name[24 + 10] = 'x';  // padding after the name must be NUL
  EXPECT_FALSE(decode_hello(junk_after_name.data(), junk_after_name.size()).has_value());
  auto control_byte = good;
  control_byte[24] = '\n';
  EXPECT_FALSE(decode_hello(control_byte.data(), control_byte.size()).has_value());
}

TEST(RendezvousProtocol, LongLaunchNamesAreCut) {
  Hello h;
  h.launch = std::string(100, 'a');
  auto bytes = encode_hello(h);
  auto back = decode_hello(bytes.data(), bytes.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->launch, std::string(kLaunchBytes, 'a'));
}

TEST(RendezvousProtocol, VerdictsRoundTripAndUnknownOnesAreRefused) {
  for (uint32_t v = 1; v <= 9; ++v) {
    auto bytes = encode_verdict({static_cast<Verdict>(v), 7, 3});
    auto back = decode_verdict(bytes.data(), bytes.size());
    ASSERT_TRUE(back.has_value()) << v;
    EXPECT_EQ(static_cast<uint32_t>(back->verdict), v);
    EXPECT_EQ(back->detail, 7u);
    EXPECT_EQ(back->detail2, 3u);
    EXPECT_STRNE(verdict_name(back->verdict), "unknown verdict");
  }
  auto bytes = encode_verdict({Verdict::Accepted, 0, 0});
  bytes[11] = 0;  // verdict 0
  EXPECT_FALSE(decode_verdict(bytes.data(), bytes.size()).has_value());
  bytes[11] = 10;  // beyond the last
  EXPECT_FALSE(decode_verdict(bytes.data(), bytes.size()).has_value());
  auto hello = encode_hello(Hello{});
  EXPECT_FALSE(decode_verdict(hello.data(), kVerdictBytes).has_value());  // wrong magic
}

TEST(RendezvousProtocol, PortHeaderBoundsTheLength) {
  auto bytes = encode_port("831258625.0:1813235922");
  auto length = decode_port_header(bytes.data(), kPortHeaderBytes, 255);
  ASSERT_TRUE(length.has_value());
  EXPECT_EQ(*length, 22u);
  EXPECT_EQ(std::string(bytes.begin() + kPortHeaderBytes, bytes.end()), "831258625.0:1813235922");
  EXPECT_FALSE(decode_port_header(bytes.data(), kPortHeaderBytes, 21).has_value());
  auto empty = encode_port("");
  EXPECT_FALSE(decode_port_header(empty.data(), kPortHeaderBytes, 255).has_value());
  bytes[0] = 'X';
  EXPECT_FALSE(decode_port_header(bytes.data(), kPortHeaderBytes, 255).has_value());
}

TEST(RendezvousPolicy, LaunchesCanConnect) {
  auto hello = [](const char *launch, bool capable) {
    Hello h;
    h.launch = launch;
    h.cross_job_capable = capable;
    return h;
  };
  // One job: always.
  EXPECT_TRUE(launches_can_connect({hello("42", false), hello("42", false)}));
  // Several jobs: only when every process can reach other jobs.
  EXPECT_FALSE(launches_can_connect({hello("42", false), hello("43", false)}));
  EXPECT_FALSE(launches_can_connect({hello("42", true), hello("43", false)}));
  EXPECT_TRUE(launches_can_connect({hello("42", true), hello("43", true)}));
  // Unknown launches count as different ones.
  EXPECT_FALSE(launches_can_connect({hello("", false), hello("", false)}));
  EXPECT_TRUE(launches_can_connect({hello("", true), hello("", true)}));
}

TEST(RendezvousSocket, WildcardHostsAreRefused) {
  for (const char *host : {"0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0"}) {
    try {
      mpcomm::net::resolve(host, 5000);
      ADD_FAILURE() << host << " was accepted";
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT) << host;
      EXPECT_NE(std::string(e.what()).find("wildcard"), std::string::npos) << e.what();
    }
  }
  auto loopback = mpcomm::net::resolve("127.0.0.1", 5000);
  ASSERT_EQ(loopback.size(), 1u);
  EXPECT_EQ(loopback[0].text, "127.0.0.1:5000");
  auto loopback6 = mpcomm::net::resolve("::1", 5000);
  ASSERT_EQ(loopback6.size(), 1u);
  EXPECT_EQ(loopback6[0].text, "[::1]:5000");
}

TEST(RendezvousSocket, ValidateNamesTheValue) {
  Request r{"127.0.0.1", 70000, 0, 2, 1.0, ""};
  try {
    validate(r);
    ADD_FAILURE() << "port 70000 accepted";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("got 70000"), std::string::npos) << e.what();
  }
}

namespace {
std::string hex(const mpcomm::Mac &mac) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : mac) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}
}  // namespace

// RFC 4231, test cases 1, 2 and 6 (a key longer than a block).
TEST(RendezvousToken, HmacSha256MatchesRfc4231) {
  const std::string data1 = "Hi There";
  EXPECT_EQ(hex(mpcomm::hmac_sha256(std::string(20, '\x0b'), data1.data(), data1.size())),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::string data2 = "what do ya want for nothing?";
  EXPECT_EQ(hex(mpcomm::hmac_sha256("Jefe", data2.data(), data2.size())),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  EXPECT_EQ(hex(mpcomm::hmac_sha256(std::string(131, '\xaa'), data6.data(), data6.size())),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(RendezvousToken, ChallengeRoundTripsAndMalformedOnesAreRefused) {
  Challenge c;
  c.token_required = true;
  for (size_t i = 0; i < kNonceBytes; ++i) c.nonce[i] = static_cast<uint8_t>(i * 7);
  auto bytes = encode_challenge(c);
  auto back = decode_challenge(bytes.data(), bytes.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->token_required);
  EXPECT_EQ(back->nonce, c.nonce);
  EXPECT_FALSE(decode_challenge(bytes.data(), bytes.size() - 1).has_value());
  auto bad_flags = bytes;
  bad_flags[11] |= 2;
  EXPECT_FALSE(decode_challenge(bad_flags.data(), bad_flags.size()).has_value());
  auto bad_magic = bytes;
  bad_magic[7] = 'X';
  EXPECT_FALSE(decode_challenge(bad_magic.data(), bad_magic.size()).has_value());
}

// A signed hello proves the token for its nonce only: another token, another nonce or any
// changed byte fails, and an unsigned hello never proves a token.
TEST(RendezvousToken, SignedHelloProvesTheTokenForItsNonceOnly) {
  Hello h;
  h.world_size = 4;
  h.rank = 2;
  h.launch = "job";
  Challenge c;
  c.token_required = true;
  mpcomm::random_bytes(c.nonce.data(), c.nonce.size());
  auto bytes = encode_signed_hello(h, "secret", c);
  ASSERT_TRUE(decode_hello(bytes.data(), bytes.size()).has_value());
  EXPECT_TRUE(hello_proves_token(bytes.data(), bytes.size(), "secret", c));
  EXPECT_FALSE(hello_proves_token(bytes.data(), bytes.size(), "secreT", c));
  EXPECT_FALSE(hello_proves_token(bytes.data(), bytes.size(), "", c));
  EXPECT_FALSE(hello_proves_token(bytes.data(), bytes.size() - 1, "secret", c));
  Challenge other = c;
  other.nonce[0] ^= 1;
  EXPECT_FALSE(hello_proves_token(bytes.data(), bytes.size(), "secret", other));
  for (size_t i = 0; i < kHelloBytes; ++i) {
    auto changed = bytes;
    changed[i] ^= 0x20;
    EXPECT_FALSE(hello_proves_token(changed.data(), changed.size(), "secret", c)) << i;
  }
  auto plain = encode_signed_hello(h, "", c);
  EXPECT_EQ(plain, encode_hello(h));
  EXPECT_FALSE(hello_proves_token(plain.data(), plain.size(), "secret", c));
}
