// The bytes the rendezvous exchanges over TCP before MPI takes over. Every message is fixed
// in layout and starts with its own magic, so a stranger's bytes are recognised at once.
//
//   challenge (rank 0 -> rank r)  "MPCOMMJN" flags nonce[32]      (at once, on every connection)
//   hello     (rank r -> rank 0)  "MPCOMMJ1" version world_size rank flags launch[64] mac[32]
//   verdict   (rank 0 -> rank r)  "MPCOMMJV" verdict detail detail2
//   port      (rank 0 -> rank r)  "MPCOMMJP" length name[length]    (when it is r's turn)
//
// Integers are unsigned 32-bit, big-endian. launch is the launcher's job name (NUL padded),
// used to tell whether the ranks come from one job or from several. When rank 0 has a join
// token (MPCOMM_JOIN_TOKEN) its challenge says so, and mac is HMAC-SHA256(token, nonce ||
// the hello's first 88 bytes); without a token mac is zero.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mpcomm::rendezvous {

constexpr uint32_t kProtocolVersion = 2;
constexpr size_t kLaunchBytes = 64;
constexpr size_t kMacBytes = 32;
constexpr size_t kNonceBytes = 32;
constexpr size_t kSignedHelloBytes = 8 + 4 * 4 + kLaunchBytes;  // what the mac covers
constexpr size_t kHelloBytes = kSignedHelloBytes + kMacBytes;
constexpr size_t kChallengeBytes = 8 + 4 + kNonceBytes;
constexpr size_t kVerdictBytes = 8 + 3 * 4;
constexpr size_t kPortHeaderBytes = 8 + 4;

struct Hello {
  uint32_t version = kProtocolVersion;
  uint32_t world_size = 0;
  uint32_t rank = 0;
  bool cross_job_capable = false;        // the launcher can connect this job to other jobs
  std::string launch;                    // job name, at most kLaunchBytes; empty when unknown
  std::array<uint8_t, kMacBytes> mac{};  // zero without a token
};

// Rank 0's first words on a connection: a fresh nonce, and whether hellos must prove the token.
struct Challenge {
  bool token_required = false;
  std::array<uint8_t, kNonceBytes> nonce{};
};

// What rank 0 answers a hello. The numbers are part of the protocol.
enum class Verdict : uint32_t {
  Accepted = 1,        // every rank arrived; the port message follows
  WrongWorldSize = 2,  // detail: rank 0's world size
  RankTaken = 3,       // another process already came as this rank
  RankOutOfRange = 4,  // detail: rank 0's world size
  WrongVersion = 5,    // detail: rank 0's protocol version
  TimedOut = 6,        // detail: ranks still missing; detail2: the lowest of them
  NeedsServer = 7,     // several jobs, and the launcher cannot connect them
  Failed = 8,          // rank 0 failed; detail: its mpcomm_status_t
  BadToken = 9,        // the hello did not prove the join token; detail: 1 if it had none
};

struct VerdictMessage {
  Verdict verdict = Verdict::Failed;
  uint32_t detail = 0;
  uint32_t detail2 = 0;
};

std::array<uint8_t, kHelloBytes> encode_hello(const Hello &hello);

// The hello with its mac: HMAC-SHA256(token, nonce || its first kSignedHelloBytes bytes); with
// an empty token, the hello as encode_hello writes it (mac zero).
std::array<uint8_t, kHelloBytes> encode_signed_hello(Hello hello, const std::string &token,
                                                     const Challenge &challenge);

// Whether the hello in exactly kHelloBytes bytes proves token for the nonce (constant time).
bool hello_proves_token(const uint8_t *bytes, size_t n, const std::string &token,
                        const Challenge &challenge);

std::array<uint8_t, kChallengeBytes> encode_challenge(const Challenge &challenge);

// The challenge in exactly kChallengeBytes bytes, or nullopt when they are not one.
std::optional<Challenge> decode_challenge(const uint8_t *bytes, size_t n);

// False once the first n received bytes cannot start a hello (wrong magic): the sender is
// not a rank and need not be read further.
bool could_be_hello(const uint8_t *bytes, size_t n);

// The hello in exactly kHelloBytes bytes, or nullopt when they are not one.
std::optional<Hello> decode_hello(const uint8_t *bytes, size_t n);

std::array<uint8_t, kVerdictBytes> encode_verdict(const VerdictMessage &message);

// The verdict in exactly kVerdictBytes bytes, or nullopt when they are not one (wrong magic,
// unknown verdict).
std::optional<VerdictMessage> decode_verdict(const uint8_t *bytes, size_t n);

std::vector<uint8_t> encode_port(const std::string &port_name);

// The length announced by a port header, or nullopt when the header is not one or the
// length is 0 or above max_length.
std::optional<uint32_t> decode_port_header(const uint8_t *bytes, size_t n, uint32_t max_length);

// A short English name of the verdict, for messages.
const char *verdict_name(Verdict verdict);

}  // namespace mpcomm::rendezvous
