#include "group/protocol.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace mpcomm::protocol {

namespace {
constexpr size_t kDefaultChunkBytes = size_t{64} << 20;
// Chunks in flight per peer before the sender waits: bounds the number of open requests.
constexpr size_t kWindow = 16;
std::atomic<size_t> forced_chunk_bytes{0};
}  // namespace

size_t chunk_bytes() {
  size_t forced = forced_chunk_bytes.load(std::memory_order_relaxed);
  return forced ? forced : kDefaultChunkBytes;
}

void set_chunk_bytes_for_testing(size_t bytes) {
  forced_chunk_bytes.store(std::min(bytes, kDefaultChunkBytes));
}

size_t pack_eager(char *msg, const void *buf, size_t len, Tag tag) {
  Header h{len, kMagic, static_cast<uint32_t>(tag)};
  std::memcpy(msg, &h, sizeof h);
  if (!is_inline(len)) return sizeof h;
  if (len) std::memcpy(msg + sizeof h, buf, len);
  return sizeof h + len;
}

uint64_t parse_eager(const char *msg, size_t received, Tag tag) {
  Header h;
  require(received >= sizeof h, MPCOMM_ERR_MALFORMED, "received a ", received,
          "-byte message where an object header of ", sizeof h, " bytes belongs");
  std::memcpy(&h, msg, sizeof h);
  require(h.magic == kMagic && h.tag == static_cast<uint32_t>(tag), MPCOMM_ERR_MALFORMED,
          "received a message that is not an object header of this operation");
  const size_t expected = sizeof h + (is_inline(h.length) ? h.length : 0);
  require(received == expected, MPCOMM_ERR_MALFORMED, "an object header announces ", h.length,
          " bytes but its message carries ", received - sizeof h);
  return h.length;
}

void finish(mpcomm_group_s &g, const Deadline &deadline, const char *what) {
  Requests &requests = g.requests();
  if (requests.wait(deadline)) return;
  const auto missing = requests.pending_peers();
  if (!requests.abandon()) g.leak_scratch();
  const std::string message = concat(what, " timed out after ", deadline.seconds(),
                                     " s: ", g.describe_ranks(missing), " had not arrived");
  g.mark_broken(message);
  throw Error(MPCOMM_ERR_TIMEOUT, message);
}

void send_chunks(mpcomm_group_s &g, const char *data, size_t len, const int *peers, size_t npeers,
                 Tag tag, const Deadline &deadline, const char *what) {
  const size_t chunk = chunk_bytes();
  Requests &requests = g.requests();
  for (size_t offset = 0; offset < len;) {
    for (size_t k = 0; k < kWindow && offset < len; ++k) {
      const size_t n = std::min(chunk, len - offset);
      for (size_t p = 0; p < npeers; ++p) requests.send(data + offset, n, peers[p], tag, g.comm());
      offset += n;
    }
    finish(g, deadline, what);
  }
}

void recv_chunks(mpcomm_group_s &g, char *data, size_t len, int src, Tag tag,
                 const Deadline &deadline, const char *what) {
  const size_t chunk = chunk_bytes();
  Requests &requests = g.requests();
  for (size_t offset = 0; offset < len;) {
    for (size_t k = 0; k < kWindow && offset < len; ++k) {
      const size_t n = std::min(chunk, len - offset);
      requests.recv(data + offset, n, src, tag, g.comm());
      offset += n;
    }
    finish(g, deadline, what);
  }
}

double timeout_argument(double seconds, double fallback, const char *name) {
  require_arg(std::isfinite(seconds), name, " must be a finite number of seconds, got ", seconds);
  return seconds > 0 ? seconds : fallback;
}

}  // namespace mpcomm::protocol
