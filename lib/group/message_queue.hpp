// A group's message-queue broadcaster (vLLM's MessageQueue): broadcasts from group rank 0 reach
// the readers on its node through a shared-memory ring (shm_ring.hpp) and the others over MPI;
// an object larger than a ring slot goes over MPI to everyone, its slot only saying so.
#pragma once

#include <cstddef>
#include <vector>

#include "core/deadline.hpp"
#include "group/shm_ring.hpp"

struct mpcomm_group_s;

namespace mpcomm {

class MessageQueue {
 public:
  static constexpr size_t kDefaultChunkBytes = size_t{256} << 10;
  static constexpr int kDefaultChunks = 8;

  // Collective over the group.
  MessageQueue(mpcomm_group_s &g, size_t chunk_bytes, int chunks);

  // Group rank 0: broadcasts len bytes. Others: receives into buf (capacity bytes), setting
  // *len; a buffer too small is Error(TRUNCATED) with *len set and the object kept for the
  // next call, as for every object call.
  void broadcast(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len,
                 const Deadline &deadline);

  // Group ranks that are not on the writer's node.
  const std::vector<int> &remote_readers() const { return remote_; }
  ShmRing &ring() { return ring_; }
  // Whether a truncated receive left its object in the ring for the next call (served locally).
  bool holds_object() const { return held_; }

 private:
  MessageQueue(mpcomm_group_s &g, const std::vector<int> &local, size_t chunk_bytes, int chunks);

  ShmRing ring_;
  std::vector<int> remote_;
  bool held_ = false;
};

}  // namespace mpcomm
