#include "group/protocol.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

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
  if (is_inline(len)) {
    if (len) std::memcpy(msg, buf, len);
    return len;
  }
  Header h{len, kMagic, static_cast<uint32_t>(tag)};
  std::memset(msg, 0, kEagerBytes);
  std::memcpy(msg, &h, sizeof h);
  return kEagerBytes;
}

uint64_t parse_eager(const char *msg, size_t received, Tag tag) {
  if (received < kEagerBytes) return received;
  require(received == kEagerBytes, MPCOMM_ERR_MALFORMED, "received a ", received,
          "-byte message where an object of at most ", kEagerBytes, " bytes belongs");
  Header h;
  std::memcpy(&h, msg, sizeof h);
  require(h.magic == kMagic && h.tag == static_cast<uint32_t>(tag), MPCOMM_ERR_MALFORMED,
          "received a message that is not an object header of this operation");
  require(!is_inline(h.length), MPCOMM_ERR_MALFORMED, "an object header announces ", h.length,
          " bytes, which would have travelled inline");
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

void probe(mpcomm_group_s &g, int src, Tag tag, const Deadline &deadline, const char *what,
           MPI_Message *message, size_t *bytes) {
  MPI_Status status;
  int found = 0, code = MPI_SUCCESS;
  const bool arrived = poll_until(deadline, [&] {
    code = MPI_Improbe(src, tag, g.comm(), &found, message, &status);
    return found != 0 || code != MPI_SUCCESS;
  });
  mpi_check(code, "MPI_Improbe");
  if (!arrived) {
    const std::string cause = concat(what, " timed out after ", deadline.seconds(),
                                     " s: ", g.describe_rank(src), " had not arrived");
    g.mark_broken(cause);
    throw Error(MPCOMM_ERR_TIMEOUT, cause);
  }
  int count = 0;
  MPCOMM_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  *bytes = count < 0 ? 0 : static_cast<size_t>(count);
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

[[noreturn]] void truncated(uint64_t needed, size_t capacity, const char *what) {
  throw Error(MPCOMM_ERR_TRUNCATED,
              concat(what, " needs ", needed, " bytes but capacity is ", capacity,
                     "; the object is kept for the next call (*len holds its length)"));
}

// Receives one object sent by pack_eager + send_chunks from src: the eager message first, then
// its chunks. An object that does not fit in capacity is kept in the group (key: tag, src) and
// returned by the next call; *len is set before a truncation.
void receive_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src, Tag tag,
                    Tag data_tag, const Deadline &deadline, const char *what) {
  auto &kept = g.kept();
  const auto key = std::make_pair(static_cast<int>(tag), src);
  if (auto it = kept.find(key); it != kept.end()) {
    *len = it->second.size();
    if (*len > capacity) truncated(*len, capacity, what);
    if (*len) std::memcpy(buf, it->second.data(), *len);
    kept.erase(it);
    return;
  }
  char *msg = g.scratch(kEagerBytes);
  g.requests().recv(msg, kEagerBytes, src, tag, g.comm());
  finish(g, deadline, what);
  const uint64_t length = parse_eager(msg, g.requests().received(0), tag);
  require(length <= std::numeric_limits<size_t>::max(), MPCOMM_ERR_MALFORMED, "an object of ",
          length, " bytes does not fit in memory");
  *len = static_cast<size_t>(length);
  const bool fits = length <= capacity;
  std::vector<char> keep;
  char *dst = static_cast<char *>(buf);
  if (!fits) {
    keep.resize(*len);
    dst = keep.data();
  }
  if (is_inline(length)) {
    if (length) std::memcpy(dst, msg, length);
  } else {
    recv_chunks(g, dst, length, src, data_tag, deadline, what);
  }
  if (!fits) {
    kept.emplace(key, std::move(keep));
    truncated(length, capacity, what);
  }
}

bool receive_from_channel(mpcomm_group_s &g, ObjectChannels &channels, ObjectChannels::Kind kind,
                          int src, Tag tag, void *buf, size_t capacity, size_t *len,
                          const Deadline &deadline, const char *what) {
  ObjectChannels::Arrival a{};
  if (!poll_until(deadline, [&] {
        a = channels.poll(src, kind, tag);
        return a.state != ObjectChannels::Arrival::kNotYet;
      })) {
    const std::string cause = concat(what, " timed out after ", deadline.seconds(),
                                     " s: ", g.describe_rank(src), " had not arrived");
    g.mark_broken(cause);
    throw Error(MPCOMM_ERR_TIMEOUT, cause);
  }
  if (a.state == ObjectChannels::Arrival::kOverMpi) {
    channels.consume(src, kind);
    return false;
  }
  *len = a.length;
  if (a.length > capacity) {
    g.kept().emplace(std::make_pair(static_cast<int>(tag), src),
                     std::vector<char>(a.data, a.data + a.length));
    channels.consume(src, kind);
    truncated(a.length, capacity, what);
  }
  if (a.length) std::memcpy(buf, a.data, a.length);
  channels.consume(src, kind);
  return true;
}

void exchange_eager(mpcomm_group_s &g, ObjectChannels &channels, Tag tag, const char *mine,
                    size_t bytes, char *msgs, size_t stride, size_t *received,
                    const Deadline &deadline, const char *what) {
  constexpr size_t kNoRequest = std::numeric_limits<size_t>::max();
  const int n = g.size(), me = g.rank();
  Requests &requests = g.requests();
  std::vector<size_t> &request_of = channels.request_of();
  request_of.assign(static_cast<size_t>(n), kNoRequest);
  const auto recv_over_mpi = [&](int r) {
    request_of[static_cast<size_t>(r)] = requests.size();
    requests.recv(msgs + static_cast<size_t>(r) * stride, stride, r, tag, g.comm());
  };
  for (int r = 0; r < n; ++r)
    if (r != me && !channels.local(r)) recv_over_mpi(r);
  for (int r = 0; r < n; ++r)
    if (r != me &&
        !(channels.local(r) && channels.write(r, ObjectChannels::kCollective, tag, mine, bytes)))
      requests.send(mine, bytes, r, tag, g.comm());
  // The members on the node: their message is in the channel, or says it travels over MPI.
  std::vector<int> &waiting = channels.over_mpi();
  waiting.clear();
  for (int r = 0; r < n; ++r)
    if (r != me && channels.local(r)) waiting.push_back(r);
  const bool arrived = poll_until(deadline, [&] {
    for (size_t k = 0; k < waiting.size();) {
      const int r = waiting[k];
      const ObjectChannels::Arrival a = channels.poll(r, ObjectChannels::kCollective, tag);
      if (a.state == ObjectChannels::Arrival::kNotYet) {
        ++k;
        continue;
      }
      if (a.state == ObjectChannels::Arrival::kHere) {
        if (a.length > stride)  // not require(): its arguments would be built on every call
          throw Error(MPCOMM_ERR_MALFORMED,
                      concat(what, ": a message of ", a.length, " bytes from ", g.describe_rank(r),
                             " where at most ", stride, " belong"));
        if (a.length) std::memcpy(msgs + static_cast<size_t>(r) * stride, a.data, a.length);
        if (received) received[r] = a.length;
      } else {
        recv_over_mpi(r);
      }
      channels.consume(r, ObjectChannels::kCollective);
      waiting[k] = waiting.back();
      waiting.pop_back();
    }
    return waiting.empty();
  });
  if (!arrived) {
    std::sort(waiting.begin(), waiting.end());
    if (!requests.abandon()) g.leak_scratch();
    const std::string message = concat(what, " timed out after ", deadline.seconds(),
                                       " s: ", g.describe_ranks(waiting), " had not arrived");
    g.mark_broken(message);
    throw Error(MPCOMM_ERR_TIMEOUT, message);
  }
  finish(g, deadline, what);
  if (received)
    for (int r = 0; r < n; ++r)
      if (request_of[static_cast<size_t>(r)] != kNoRequest)
        received[r] = requests.received(request_of[static_cast<size_t>(r)]);
}

void mpi_barrier(mpcomm_group_s &g, const Deadline &deadline, const char *what) {
  // Zero-byte messages never touch their buffers; MPI only wants a valid address.
  static char token;
  Requests &requests = g.requests();
  if (g.size() <= kAllToAllBarrierLimit) {
    for (int peer : g.peers()) requests.recv(&token, 0, peer, kTagBarrier, g.comm());
    for (int peer : g.peers()) Requests::post_token(peer, kTagBarrier, g.comm());
    finish(g, deadline, what);
    return;
  }
  const std::string round = concat(what, " (the named rank or one it waited for)");
  const int n = g.size(), me = g.rank();
  for (int distance = 1; distance < n; distance *= 2) {
    requests.recv(&token, 0, (me - distance + n) % n, kTagBarrier, g.comm());
    Requests::post_token((me + distance) % n, kTagBarrier, g.comm());
    finish(g, deadline, round.c_str());
  }
}

ObjectChannels *collective_channels(mpcomm_group_s &g, const Deadline &deadline, const char *what) {
  if (g.object_channels_decided()) return g.object_channels();
  if (g.size() > 1) mpi_barrier(g, deadline, what);
  return g.make_object_channels();
}

// Sends one object to each of peers: the eager message, then the chunks of a large object.
void send_object_to(mpcomm_group_s &g, const void *buf, size_t len, const int *peers, size_t npeers,
                    Tag tag, Tag data_tag, const Deadline &deadline, const char *what) {
  char *msg = g.scratch(kEagerBytes);
  const size_t bytes = pack_eager(msg, buf, len, tag);
  for (size_t p = 0; p < npeers; ++p) g.requests().send(msg, bytes, peers[p], tag, g.comm());
  finish(g, deadline, what);
  if (!is_inline(len))
    send_chunks(g, static_cast<const char *>(buf), len, peers, npeers, data_tag, deadline, what);
}

}  // namespace mpcomm::protocol
