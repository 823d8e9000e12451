// Objects are bytes: send/recv between a pair, broadcast from any member, all-gather of objects
// of any lengths. Small objects cost one MPI message per pair (protocol.hpp); every wait is
// bounded by the group's timeout. A send does not wait for its receiver (vLLM's send_obj): the
// object is copied and left to complete in the group's outbox (outbox.hpp). A receive buffer that
// is too small gets MPCOMM_ERR_TRUNCATED with the needed length; the object is received anyway and
// kept, and the caller's next call of the same operation from the same source returns it (the group
// stays in step: no sender waits for that retry).
#include "group/objects.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/message_queue.hpp"
#include "group/object_channels.hpp"
#include "group/outbox.hpp"
#include "group/protocol.hpp"

namespace mpcomm {
namespace {

using namespace protocol;

void require_peer(const mpcomm_group_s &g, int peer, const char *name) {
  require_arg(peer >= 0 && peer < g.size(), name, " must be a rank in the group [0, ", g.size(),
              "), got ", peer);
}

const auto kAllGatherKey = std::make_pair(static_cast<int>(kTagAllGather), -1);

[[noreturn]] void all_gather_truncated(size_t total, size_t capacity) {
  throw Error(MPCOMM_ERR_TRUNCATED,
              concat("all_gather_object needs ", total, " bytes but capacity is ", capacity,
                     "; the objects are kept for the next call (lens holds their lengths)"));
}

}  // namespace

void send_object(mpcomm_group_s &g, const void *buf, size_t len, int dst) {
  require_arg(buf != nullptr || len == 0, "buf must not be NULL when len is ", len);
  require_peer(g, dst, "dst");
  require_arg(dst != g.rank(), "dst must not be the caller's own rank ", dst);
  Outbox &outbox = g.outbox();
  const size_t limit = outbox.limit();  // a malformed value is refused before anything is sent
  protocol::run_operation(g, [&] {
    if (ObjectChannels *channels = g.object_channels()) {
      if (channels->local(dst) &&
          channels->write(dst, ObjectChannels::kPointToPoint, kTagSend, buf, len))
        return;
    } else {
      g.count_mpi_send(dst);
    }
    const Deadline deadline(g.timeout());
    const bool small = is_inline(len);
    const size_t copy = small ? len : kEagerBytes + len;
    if (!outbox.buffers(copy)) {
      // Larger than the whole buffer: not copied, it waits for its receiver.
      send_object_to(g, buf, len, &dst, 1, kTagSend, kTagSendData, deadline, "send_object");
      return;
    }
    if (!outbox.make_room(copy, deadline))
      throw Error(
          MPCOMM_ERR_TIMEOUT,
          concat("send_object timed out after ", deadline.seconds(),
                 " s waiting for room: ", outbox.pending_bytes(), " bytes of earlier sends to ",
                 g.describe_ranks(outbox.pending_peers()),
                 " had not been received, and MPCOMM_SEND_OBJECT_BUFFER is ", limit, " bytes"));
    if (small) {
      outbox.post(static_cast<const char *>(buf), len, nullptr, 0, chunk_bytes(), dst, kTagSend,
                  kTagSendData, g.comm());
    } else {
      char *msg = g.scratch(kEagerBytes);
      pack_eager(msg, buf, len, kTagSend);
      outbox.post(msg, kEagerBytes, buf, len, chunk_bytes(), dst, kTagSend, kTagSendData, g.comm());
    }
  });
}

void recv_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src) {
  require_not_null(len, "len");
  require_arg(buf != nullptr || capacity == 0, "buf must not be NULL when capacity is ", capacity);
  require_peer(g, src, "src");
  require_arg(src != g.rank(), "src must not be the caller's own rank ", src);
  protocol::run_operation(g, [&] {
    const Deadline deadline(g.timeout());
    if (!g.kept().count({kTagSend, src})) {
      ObjectChannels *channels = g.object_channels();
      if (channels == nullptr)
        g.count_mpi_recv(src);
      else if (channels->local(src) &&
               receive_from_channel(g, *channels, ObjectChannels::kPointToPoint, src, kTagSend, buf,
                                    capacity, len, deadline, "recv_object"))
        return;
    }
    receive_object(g, buf, capacity, len, src, protocol::kTagSend, protocol::kTagSendData, deadline,
                   "recv_object");
  });
}

void broadcast_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src) {
  g.describe_call({0, -1, -1, src, -1});
  require_not_null(len, "len");
  require_peer(g, src, "src");
  const bool root = g.rank() == src;
  // The retry of a truncated receive returns the kept object: no member takes part.
  const bool retry =
      !root && (g.kept().count({protocol::kTagBroadcast, src}) ||
                (src == 0 && g.message_queue() && g.message_queue()->holds_object()));
  if (retry) g.call_is_local();
  if (root) {
    require_arg(*len <= capacity, "at src, *len (", *len, ") must be <= capacity (", capacity, ")");
    require_arg(buf != nullptr || *len == 0, "buf must not be NULL when *len is ", *len);
  } else {
    require_arg(buf != nullptr || capacity == 0, "buf must not be NULL when capacity is ",
                capacity);
  }
  protocol::run_operation(g, [&] {
    MessageQueue *queue = src == 0 ? g.broadcast_queue() : nullptr;
    const Deadline deadline(g.timeout());
    if (queue != nullptr) {
      // Local readers through the shared-memory ring, the others over MPI.
      queue->broadcast(g, buf, capacity, len, deadline);
      return;
    }
    // Only a call every member makes sets the channels up, never a retry.
    ObjectChannels *channels =
        retry ? g.object_channels() : collective_channels(g, deadline, "broadcast_object");
    if (root) {
      // The root writes into the channel of every member on its node and sends to the others
      // (and to those whose channel sends it over MPI): one message each for a small object.
      const std::vector<int> *over_mpi = &g.peers();
      if (channels) {
        std::vector<int> &others = channels->over_mpi();
        others.clear();
        for (int p : g.peers())
          if (!channels->local(p) ||
              !channels->write(p, ObjectChannels::kCollective, kTagBroadcast, buf, *len))
            others.push_back(p);
        over_mpi = &others;
      }
      if (!over_mpi->empty())
        send_object_to(g, buf, *len, over_mpi->data(), over_mpi->size(), kTagBroadcast,
                       kTagBroadcastData, deadline, "broadcast_object");
      return;
    }
    if (channels && channels->local(src) && !g.kept().count({kTagBroadcast, src}) &&
        receive_from_channel(g, *channels, ObjectChannels::kCollective, src, kTagBroadcast, buf,
                             capacity, len, deadline, "broadcast_object"))
      return;
    receive_object(g, buf, capacity, len, src, kTagBroadcast, kTagBroadcastData, deadline,
                   "broadcast_object");
  });
}

void all_gather_object(mpcomm_group_s &g, const void *buf, size_t len, void *out, size_t capacity,
                       size_t *lens) {
  using namespace mpcomm::protocol;
  require_not_null(lens, "lens");
  require_arg(buf != nullptr || len == 0, "buf must not be NULL when len is ", len);
  require_arg(out != nullptr || capacity == 0, "out must not be NULL when capacity is ", capacity);
  if (g.kept().count(kAllGatherKey)) g.call_is_local();  // the retry of a truncated call
  run_operation(g, [&] {
    const char *what = "all_gather_object";
    auto &kept = g.kept();
    if (auto it = kept.find(kAllGatherKey); it != kept.end()) {
      // The result of the previous call, which did not fit: no communication.
      std::copy(g.kept_lengths().begin(), g.kept_lengths().end(), lens);
      if (it->second.size() > capacity) all_gather_truncated(it->second.size(), capacity);
      if (!it->second.empty()) std::memcpy(out, it->second.data(), it->second.size());
      kept.erase(it);
      return;
    }
    const Deadline deadline(g.timeout());
    const int n = g.size(), me = g.rank();
    const auto slot = [](int r) { return static_cast<size_t>(r) * kEagerBytes; };
    // Scratch: one eager message per member; ours sits in our own slot.
    char *msgs = g.scratch(slot(n));
    const size_t mine = pack_eager(msgs + slot(me), buf, len, kTagAllGather);
    // lens[r]: the bytes of member r's eager message, until parsed below.
    if (ObjectChannels *channels = collective_channels(g, deadline, what)) {
      exchange_eager(g, *channels, kTagAllGather, msgs + slot(me), mine, msgs, kEagerBytes, lens,
                     deadline, what);
    } else {
      Requests &requests = g.requests();
      for (int r = 0; r < n; ++r)
        if (r != me) requests.recv(msgs + slot(r), kEagerBytes, r, kTagAllGather, g.comm());
      for (int r = 0; r < n; ++r)
        if (r != me) requests.send(msgs + slot(me), mine, r, kTagAllGather, g.comm());
      finish(g, deadline, what);
      // The receive statuses came in posting order (ranks != me).
      for (int r = 0, posted = 0; r < n; ++r)
        if (r != me) lens[r] = requests.received(static_cast<size_t>(posted++));
    }

    // Lengths, in rank order.
    uint64_t total = 0;
    bool overflow = false;
    for (int r = 0; r < n; ++r) {
      uint64_t length = len;
      if (r != me) length = parse_eager(msgs + slot(r), lens[r], kTagAllGather);
      require(length <= std::numeric_limits<size_t>::max(), MPCOMM_ERR_MALFORMED, "an object of ",
              length, " bytes does not fit in memory");
      lens[r] = static_cast<size_t>(length);
      overflow = overflow || total + length < total;
      total += length;
    }
    require(!overflow, MPCOMM_ERR_MALFORMED, what, ": the lengths add up beyond size_t");
    // Objects land in out, or in a kept copy returned by the next call when out is too small.
    const bool fits = total <= capacity;
    std::vector<char> keep;
    if (!fits) keep.resize(total);
    char *const dst = fits ? static_cast<char *>(out) : keep.data();
    size_t offset = 0;
    for (int r = 0; r < n; ++r) {
      const size_t l = lens[r];
      if (r == me && l) std::memcpy(dst + offset, buf, l);
      if (r != me && is_inline(l) && l) std::memcpy(dst + offset, msgs + slot(r), l);
      offset += l;
    }
    // Large objects, one sender at a time in rank order (every member walks the same order).
    const std::vector<int> &peers = g.peers();
    offset = 0;
    for (int r = 0; r < n; ++r) {
      const size_t l = lens[r];
      if (!is_inline(l)) {
        if (r == me)
          send_chunks(g, static_cast<const char *>(buf), l, peers.data(), peers.size(),
                      kTagAllGatherData, deadline, what);
        else
          recv_chunks(g, dst + offset, l, r, kTagAllGatherData, deadline, what);
      }
      offset += l;
    }
    if (!fits) {
      g.kept().emplace(kAllGatherKey, std::move(keep));
      g.kept_lengths().assign(lens, lens + n);
      all_gather_truncated(total, capacity);
    }
  });
}

}  // namespace mpcomm
