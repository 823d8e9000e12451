// The shared-memory ring of a group's message-queue broadcaster (vLLM's ShmRingBuffer): one
// writer, group rank 0, and the readers on its node. The ring is an MPI shared-memory window
// on the writer's node holding `chunks` slots of `chunk_bytes`; each slot carries the sequence
// number of the message written into it and, per local reader, the sequence number it last
// read there. Sequence numbers only grow, so nothing is ever reset: the writer may reuse a slot
// once every reader has read the message before, and a reader may read a slot once it holds
// the message it expects. Flags are written with release and read with acquire semantics.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/deadline.hpp"

namespace mpcomm {

class ShmRing {
 public:
  // Collective over comm (the group's communicator). local[r] says whether group rank r
  // shares memory with rank 0 (locality::same_node_as).
  ShmRing(MPI_Comm comm, const std::vector<int> &local, size_t chunk_bytes, int chunks);
  // close(30).
  ~ShmRing();
  // Frees the window once every process of the node has come to free it too (a nonblocking
  // barrier first, since MPI_Win_free itself would wait forever for a process that never
  // comes); after timeout_s seconds the window is left to MPI_Finalize instead. Idempotent.
  void close(double timeout_s);
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
  MPI_Win win_ = MPI_WIN_NULL;
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
