#include "bootstrap/rendezvous_protocol.hpp"

#include <algorithm>
#include <cstring>

namespace mpcomm::rendezvous {

namespace {

constexpr char kHelloMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', '1'};
constexpr char kVerdictMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', 'V'};
constexpr char kPortMagic[8] = {'M', 'P', 'C', 'O', 'M', 'M', 'J', 'P'};
constexpr uint32_t kFlagCrossJob = 1;

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
  return out;
}

bool could_be_hello(const uint8_t *bytes, size_t n) {
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
      verdict > static_cast<uint32_t>(Verdict::Failed))
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
  }
  return "unknown verdict";
}

}  // namespace mpcomm::rendezvous
