// The shared-memory ring of a group's message-queue broadcaster (vLLM's ShmRingBuffer): one
// writer, group rank 0, and the readers on its node. The ring is the writer's shared-memory
// segment (comm/shared_segments.hpp), mapped by the processes of its node, holding `chunks` slots
// of `chunk_bytes`; each slot carries the sequence
// number of the message written into it and, per local reader, the sequence number it last
// read there. Sequence numbers only grow, so nothing is ever reset: the writer may reuse a slot
// once every reader has read the message before, and a reader may read a slot once it holds
// the message it expects. Flags are written with release and read with acquire semantics.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/shared_segments.hpp"
#include "core/deadline.hpp"

namespace mpcomm {

class ShmRing {
 public:
  // Collective over comm (the group's communicator). local[r] says whether group rank r
  // shares memory with rank 0 (locality::same_node_as). Waits at most timeout_s seconds for the
  // other processes.
  ShmRing(MPI_Comm comm, const std::vector<int> &local, size_t chunk_bytes, int chunks,
          double timeout_s = 300);
  // Unmaps the ring and frees the node communicator: local, waiting for no one.
  ~ShmRing();
  ShmRing(const ShmRing &) = delete;
  ShmRing &operator=(const ShmRing &) = delete;

  bool is_writer() const { return rank_ == 0; }
  bool is_local_reader() const { return reader_index_ >= 0; }
  size_t chunk_bytes() const { return chunk_bytes_; }
  // Group ranks of the readers on the writer's node, in order.
  const std::vector<int> &local_readers() const { return local_readers_; }

  // Writer: publishes the next message, len <= chunk_bytes() bytes of data; with `elsewhere`
  // the slot only says that the message travels over MPI (too large for a slot). Waits for the
  // slot until the deadline, then Error(TIMEOUT) naming the readers that had not read it.
  void write(const void *data, size_t len, bool elsewhere, const Deadline &deadline);

  // Local reader: the next message, waited for until the deadline (then Error(TIMEOUT) naming
  // the writer). The message stays in its slot, and peek() returns it again, until release().
  struct Message {
    const char *data;
    size_t length;
    bool elsewhere;
  };
  Message peek(const Deadline &deadline);
  void release();

  // The message a slot's header announces: header is the slot's first bytes (another process's
  // words: written, length, elsewhere), payload its data area of chunk_bytes. Error(MALFORMED)
  // for a length beyond the slot. (The pure part of peek(), which the fuzzers call.)
  static Message decode_slot(const void *header, const char *payload, size_t chunk_bytes,
                             uint64_t expected);
  static constexpr size_t kSlotHeaderBytes = 24;

 private:
  struct Slot;
  Slot *slot(uint64_t sequence) const;
  uint64_t *read_flag(Slot *s, int reader) const;

  MPI_Comm node_ = MPI_COMM_NULL;
  std::unique_ptr<SharedSegments> segments_;
  int rank_ = 0;
  int reader_index_ = -1;  // index among local readers, -1 if not one
  std::vector<int> local_readers_;
  size_t chunk_bytes_;
  int chunks_;
  size_t slot_bytes_ = 0;
  char *base_ = nullptr;
  uint64_t next_ = 1;  // the sequence number this rank writes or reads next
};

}  // namespace mpcomm
