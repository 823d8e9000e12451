#include "group/message_queue.hpp"

#include <cstring>

#include "core/error.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"
#include "locality/node.hpp"

namespace mpcomm {

namespace {
std::vector<int> same_node_as_writer(mpcomm_group_s &g) {
  std::vector<int> flags;
  g.run_bounded("finding the message queue's readers on the writer's node",
                [&] { flags = locality::same_node_as(g.comm(), 0, g.timeout()); });
  return flags;
}
}  // namespace

MessageQueue::MessageQueue(mpcomm_group_s &g, size_t chunk_bytes, int chunks)
    : MessageQueue(g, same_node_as_writer(g), chunk_bytes, chunks) {}

MessageQueue::MessageQueue(mpcomm_group_s &g, const std::vector<int> &local, size_t chunk_bytes,
                           int chunks)
    : ring_(g.comm(), local, chunk_bytes, chunks, g.timeout()) {
  for (size_t r = 1; r < local.size(); ++r)
    if (!local[r]) remote_.push_back(static_cast<int>(r));
}

void MessageQueue::broadcast(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len,
                             const Deadline &deadline) {
  const char *what = "broadcast_object";
  if (ring_.is_writer()) {
    const bool fits = *len <= ring_.chunk_bytes();
    ring_.write(buf, *len, !fits, deadline);
    // Readers elsewhere always, and local readers when the object is too large for a slot.
    std::vector<int> over_mpi = remote_;
    if (!fits)
      over_mpi.insert(over_mpi.end(), ring_.local_readers().begin(), ring_.local_readers().end());
    if (!over_mpi.empty())
      protocol::send_object_to(g, buf, *len, over_mpi.data(), over_mpi.size(),
                               protocol::kTagBroadcast, protocol::kTagBroadcastData, deadline,
                               what);
    return;
  }
  // A kept object (an earlier call's buffer was too small) comes first; so do readers off the
  // writer's node, which are served over MPI only.
  const bool kept = g.kept().count({protocol::kTagBroadcast, 0}) != 0;
  if (kept || !ring_.is_local_reader()) {
    protocol::receive_object(g, buf, capacity, len, 0, protocol::kTagBroadcast,
                             protocol::kTagBroadcastData, deadline, what);
    return;
  }
  ShmRing::Message msg{};
  try {
    msg = ring_.peek(deadline);
  } catch (const Error &e) {
    if (e.status() != MPCOMM_ERR_TIMEOUT) throw;
    throw Error(MPCOMM_ERR_TIMEOUT, concat(what, " timed out after ", deadline.seconds(),
                                           " s: no message from the writer, ", g.describe_rank(0)));
  }
  if (msg.elsewhere) {
    ring_.release();
    protocol::receive_object(g, buf, capacity, len, 0, protocol::kTagBroadcast,
                             protocol::kTagBroadcastData, deadline, what);
    return;
  }
  *len = msg.length;
  // Too small a buffer: the object stays in its slot for the next call.
  held_ = msg.length > capacity;
  require(msg.length <= capacity, MPCOMM_ERR_TRUNCATED, what, " needs ", msg.length,
          " bytes but capacity is ", capacity,
          "; the object is kept for the next call (*len holds its length)");
  if (msg.length) std::memcpy(buf, msg.data, msg.length);
  ring_.release();
}

}  // namespace mpcomm
