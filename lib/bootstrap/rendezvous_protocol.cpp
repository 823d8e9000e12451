#include "bootstrap/rendezvous_protocol.hpp"

#include <algorithm>
#include <cstring>

#include "core/hmac.hpp"

namespace mpcomm::rendezvous {

namespace {

constexpr char kHelloMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', '1'};
constexpr char kVerdictMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', 'V'};
constexpr char kPortMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', 'P'};
constexpr char kChallengeMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', 'N'};
constexpr uint32_t kFlagCrossJob = 1;
constexpr uint32_t kFlagTokenRequired = 1;

void put_u32(uint8_t *out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t *in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}

}  // namespace

std::array<uint8_t, kHelloBytes> encode_hello(const Hello &hello) {
  std::array<uint8_t, kHelloBytes> out{};
  std::memcpy(out.data(), kHelloMagic, 8);
  put_u32(out.data() + 8, hello.version);
  put_u32(out.data() + 12, hello.world_size);
  put_u32(out.data() + 16, hello.rank);
  put_u32(out.data() + 20, hello.cross_job_capable ? kFlagCrossJob : 0);
  std::memcpy(out.data() + 24, hello.launch.data(), std::min(hello.launch.size(), kLaunchBytes));
  std::memcpy(out.data() + kSignedHelloBytes, hello.mac.data(), kMacBytes);
  return out;
}

namespace {

Mac hello_mac(const uint8_t *hello, const std::string &token, const Challenge &challenge) {
  std::array<uint8_t, kNonceBytes + kSignedHelloBytes> signed_bytes{};
  std::memcpy(signed_bytes.data(), challenge.nonce.data(), kNonceBytes);
  std::memcpy(signed_bytes.data() + kNonceBytes, hello, kSignedHelloBytes);
  return hmac_sha256(token, signed_bytes.data(), signed_bytes.size());
}

}  // namespace

std::array<uint8_t, kHelloBytes> encode_signed_hello(Hello hello, const std::string &token,
                                                     const Challenge &challenge) {
  hello.mac = {};
  auto out = encode_hello(hello);
  if (token.empty()) return out;
  const Mac mac = hello_mac(out.data(), token, challenge);
  std::memcpy(out.data() + kSignedHelloBytes, mac.data(), kMacBytes);
  return out;
}

bool hello_proves_token(const uint8_t *bytes, size_t n, const std::string &token,
                        const Challenge &challenge) {
  if (n != kHelloBytes || token.empty()) return false;
  Mac sent{};
  std::memcpy(sent.data(), bytes + kSignedHelloBytes, kMacBytes);
  return same_mac(sent, hello_mac(bytes, token, challenge));
}

std::array<uint8_t, kChallengeBytes> encode_challenge(const Challenge &challenge) {
  std::array<uint8_t, kChallengeBytes> out{};
  std::memcpy(out.data(), kChallengeMagic, 8);
  put_u32(out.data() + 8, challenge.token_required ? kFlagTokenRequired : 0);
  std::memcpy(out.data() + 12, challenge.nonce.data(), kNonceBytes);
  return out;
}

std::optional<Challenge> decode_challenge(const uint8_t *bytes, size_t n) {
  if (n != kChallengeBytes || std::memcmp(bytes, kChallengeMagic, 8) != 0) return std::nullopt;
  const uint32_t flags = get_u32(bytes + 8);
  if ((flags & ~kFlagTokenRequired) != 0) return std::nullopt;
  Challenge challenge;
  challenge.token_required = (flags & kFlagTokenRequired) != 0;
  std::memcpy(challenge.nonce.data(), bytes + 12, kNonceBytes);
  return challenge;
}

bool could_be_hello(const uint8_t *bytes, size_t n) {
  // Nothing received yet (bytes may be NULL then: memcmp must not see it) could still be one.
  if (n == 0) return true;
  return std::memcmp(bytes, kHelloMagic, std::min<size_t>(n, 8)) == 0;
}

std::optional<Hello> decode_hello(const uint8_t *bytes, size_t n) {
  if (n != kHelloBytes || !could_be_hello(bytes, n)) return std::nullopt;
  Hello hello;
  hello.version = get_u32(bytes + 8);
  hello.world_size = get_u32(bytes + 12);
  hello.rank = get_u32(bytes + 16);
  uint32_t flags = get_u32(bytes + 20);
  if ((flags & ~kFlagCrossJob) != 0) return std::nullopt;
  hello.cross_job_capable = (flags & kFlagCrossJob) != 0;
  const char *launch = reinterpret_cast<const char *>(bytes + 24);
  size_t length = strnlen(launch, kLaunchBytes);
  // The padding after the name must be NUL, and the name printable: no control bytes.
  for (size_t i = length; i < kLaunchBytes; ++i)
    if (launch[i] != '\0') return std::nullopt;
  for (size_t i = 0; i < length; ++i)
    if (static_cast<unsigned char>(launch[i]) < 0x20 || launch[i] == 0x7f) return std::nullopt;
  hello.launch.assign(launch, length);
  std::memcpy(hello.mac.data(), bytes + kSignedHelloBytes, kMacBytes);
  return hello;
}

std::array<uint8_t, kVerdictBytes> encode_verdict(const VerdictMessage &message) {
  std::array<uint8_t, kVerdictBytes> out{};
  std::memcpy(out.data(), kVerdictMagic, 8);
  put_u32(out.data() + 8, static_cast<uint32_t>(message.verdict));
  put_u32(out.data() + 12, message.detail);
  put_u32(out.data() + 16, message.detail2);
  return out;
}

std::optional<VerdictMessage> decode_verdict(const uint8_t *bytes, size_t n) {
  if (n != kVerdictBytes || std::memcmp(bytes, kVerdictMagic, 8) != 0) return std::nullopt;
  uint32_t verdict = get_u32(bytes + 8);
  if (verdict < static_cast<uint32_t>(Verdict::Accepted) ||
      verdict > static_cast<uint32_t>(Verdict::BadToken))
    return std::nullopt;
  return VerdictMessage{static_cast<Verdict>(verdict), get_u32(bytes + 12), get_u32(bytes + 16)};
}

std::vector<uint8_t> encode_port(const std::string &port_name) {
  std::vector<uint8_t> out(kPortHeaderBytes + port_name.size());
  std::memcpy(out.data(), kPortMagic, 8);
  put_u32(out.data() + 8, static_cast<uint32_t>(port_name.size()));
  std::memcpy(out.data() + kPortHeaderBytes, port_name.data(), port_name.size());
  return out;
}

std::optional<uint32_t> decode_port_header(const uint8_t *bytes, size_t n, uint32_t max_length) {
  if (n != kPortHeaderBytes || std::memcmp(bytes, kPortMagic, 8) != 0) return std::nullopt;
  uint32_t length = get_u32(bytes + 8);
  if (length == 0 || length > max_length) return std::nullopt;
  return length;
}

const char *verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::Accepted: return "accepted";
    case Verdict::WrongWorldSize: return "wrong world size";
    case Verdict::RankTaken: return "rank already taken";
    case Verdict::RankOutOfRange: return "rank out of range";
    case Verdict::WrongVersion: return "protocol version mismatch";
    case Verdict::TimedOut: return "timed out";
    case Verdict::NeedsServer: return "jobs cannot be connected";
    case Verdict::Failed: return "rank 0 failed";
    case Verdict::BadToken: return "join token not proven";
  }
  return "unknown verdict";
}

}  // namespace mpcomm::rendezvous
