// The object sends of one group that have not completed yet (vLLM's send_obj does not wait for
// its receiver): each object is copied, posted with MPI_Isend, and reaped by the group's later
// object calls and by mpcomm_group_free. The copies held add up to at most
// MPCOMM_SEND_OBJECT_BUFFER bytes; a send that would exceed it first waits, bounded by the
// group's timeout, for earlier sends to complete, and an object larger than the limit is not
// copied but waits for its receiver.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "core/deadline.hpp"

namespace mpcomm {

class Outbox {
 public:
  Outbox() = default;
  Outbox(const Outbox &) = delete;
  Outbox &operator=(const Outbox &) = delete;
  // Parks what is still pending (never waits): see abandon().
  ~Outbox();

  // MPCOMM_SEND_OBJECT_BUFFER, read at the group's first send and kept.
  size_t limit();
  // Whether an object whose copy takes `bytes` is buffered at all (bytes <= limit).
  bool buffers(size_t bytes) { return bytes <= limit(); }

  // Frees the copies of the sends that have completed; never waits. An MPI error of a send
  // throws Error(MPCOMM_ERR_MPI).
  void reap();
  // Waits until `bytes` more fit under the limit; false when the deadline passed first.
  bool make_room(size_t bytes, const Deadline &deadline);
  // Waits for every pending send; false when the deadline passed first.
  bool drain(const Deadline &deadline);

  // Copies the eager message (`message` bytes, sent on tag) and the object's `len` bytes at data
  // (sent after it in chunks of at most `chunk` on data_tag) into one block, posts the sends to
  // dst and returns; the block is freed once every send has completed.
  void post(const char *eager, size_t message, const void *data, size_t len, size_t chunk, int dst,
            int tag, int data_tag, MPI_Comm comm);

  // Group ranks the pending sends go to (ascending, once each), their count and their bytes.
  std::vector<int> pending_peers() const;
  size_t pending_sends() const { return entries_.size(); }
  size_t pending_bytes() const { return bytes_; }

  // Leaves the pending sends to complete on their own: each request is parked with
  // keep_until_done (never freed while incomplete), the copy freed after its last one.
  void abandon() noexcept;

 private:
  // A copy: a reference count (used once its requests are parked), then the bytes.
  static constexpr size_t kHeader = 16;
  static char *new_block(size_t bytes);
  static void release_block(void *block) noexcept;

  struct Entry {
    char *block = nullptr;
    size_t bytes = 0;
    int dst = 0;
    std::vector<MPI_Request> requests;
  };
  // Tests an entry's requests without waiting; true when all have completed.
  static bool complete(Entry &entry);

  std::optional<size_t> limit_;
  std::vector<Entry> entries_;  // in posting order
  size_t bytes_ = 0;
};

}  // namespace mpcomm
