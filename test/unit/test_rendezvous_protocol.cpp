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
  for (uint32_t v = 1; v <= 8; ++v) {
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
  bytes[11] = 9;  // beyond the last
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
  Request r{"127.0.0.1", 70000, 0, 2, 1.0};
  try {
    validate(r);
    ADD_FAILURE() << "port 70000 accepted";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("got 70000"), std::string::npos) << e.what();
  }
}
