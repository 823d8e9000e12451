#include "group/shm_ring.hpp"

#include <cstddef>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

namespace {
constexpr size_t kLine = 64;
size_t round_up(size_t v) { return (v + kLine - 1) / kLine * kLine; }
}  // namespace

// A slot: its header on one cache line, each reader's flag on its own line (readers spin on the
// header, the writer on the flags), then the data.
struct ShmRing::Slot {
  alignas(64) uint64_t written;  // sequence number of the message in the slot (0: none yet)
  uint64_t length;
  uint64_t elsewhere;
};

ShmRing::ShmRing(MPI_Comm comm, const std::vector<int> &local, size_t chunk_bytes, int chunks,
                 double timeout_s)
    : chunk_bytes_(round_up(chunk_bytes)), chunks_(chunks) {
  MPI_Comm_rank(comm, &rank_);
  for (size_t r = 1; r < local.size(); ++r) {
    if (!local[r]) continue;
    if (static_cast<int>(r) == rank_) reader_index_ = static_cast<int>(local_readers_.size());
    local_readers_.push_back(static_cast<int>(r));
  }
  slot_bytes_ = kLine * (1 + local_readers_.size()) + chunk_bytes_;
  // The writer's segment, mapped on its node; on other nodes there is nothing to map and it is
  // never touched. MPI_COMM_TYPE_SHARED keeps comm's order, so the writer is node rank 0.
  mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_),
            "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)");
  MPI_Comm_set_errhandler(node_, MPI_ERRORS_RETURN);
  const size_t bytes = is_writer() ? slot_bytes_ * static_cast<size_t>(chunks_) : 0;
  try {
    // Zeroed, and mapped by every process of the node before any reader looks at it.
    segments_ =
        std::make_unique<SharedSegments>(node_, bytes, timeout_s, "the message queue's ring");
  } catch (...) {
    MPI_Comm_free(&node_);
    throw;
  }
  base_ = is_writer() || is_local_reader() ? segments_->base(0) : nullptr;
}

ShmRing::~ShmRing() {
  segments_.reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  // MPI_Comm_free only marks the communicator for release: it waits for no one.
  if (!finalized && node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
}

ShmRing::Slot *ShmRing::slot(uint64_t sequence) const {
  return reinterpret_cast<Slot *>(base_ +
                                  ((sequence - 1) % static_cast<uint64_t>(chunks_)) * slot_bytes_);
}

uint64_t *ShmRing::read_flag(Slot *s, int reader) const {
  return reinterpret_cast<uint64_t *>(reinterpret_cast<char *>(s) + kLine * (1 + reader));
}

void ShmRing::write(const void *data, size_t len, bool elsewhere, const Deadline &deadline) {
  require(is_writer(), MPCOMM_ERR_INTERNAL, "only group rank 0 writes the message queue");
  require(elsewhere || len <= chunk_bytes_, MPCOMM_ERR_INTERNAL, "message of ", len,
          " bytes for a slot of ", chunk_bytes_);
  const uint64_t sequence = next_;
  Slot *s = slot(sequence);
  // The slot last held message sequence - chunks; every local reader must be done with it.
  const uint64_t previous = sequence > static_cast<uint64_t>(chunks_) ? sequence - chunks_ : 0;
  const int readers = static_cast<int>(local_readers_.size());
  bool free = poll_until(deadline, [&] {
    for (int j = 0; j < readers; ++j)
      if (__atomic_load_n(read_flag(s, j), __ATOMIC_ACQUIRE) < previous) return false;
    return true;
  });
  if (!free) {
    std::string slow;
    for (int j = 0; j < readers; ++j)
      if (__atomic_load_n(read_flag(s, j), __ATOMIC_ACQUIRE) < previous)
        slow += (slow.empty() ? "" : ", ") + std::to_string(local_readers_[static_cast<size_t>(j)]);
    throw Error(MPCOMM_ERR_TIMEOUT,
                concat("no free message-queue slot within ", deadline.seconds(),
                       " s: group rank(s) ", slow, " did not read message ", previous));
  }
  char *payload = reinterpret_cast<char *>(s) + kLine * (1 + local_readers_.size());
  if (!elsewhere && len) std::memcpy(payload, data, len);
  s->length = len;
  s->elsewhere = elsewhere ? 1 : 0;
  __atomic_store_n(&s->written, sequence, __ATOMIC_RELEASE);
  ++next_;
}

ShmRing::Message ShmRing::peek(const Deadline &deadline) {
  require(is_local_reader(), MPCOMM_ERR_INTERNAL, "not a local reader of the message queue");
  Slot *s = slot(next_);
  const uint64_t expected = next_;
  if (!poll_until(deadline,
                  [&] { return __atomic_load_n(&s->written, __ATOMIC_ACQUIRE) == expected; }))
    throw Error(MPCOMM_ERR_TIMEOUT,
                concat("no message from the writer, group rank 0, within ", deadline.seconds(),
                       " s (message-queue message ", expected, ")"));
  const char *payload = reinterpret_cast<const char *>(s) + kLine * (1 + local_readers_.size());
  return decode_slot(s, payload, chunk_bytes_, expected);
}

ShmRing::Message ShmRing::decode_slot(const void *header, const char *payload, size_t chunk_bytes,
                                      uint64_t expected) {
  static_assert(offsetof(Slot, elsewhere) + sizeof(uint64_t) == kSlotHeaderBytes);
  // The header is another process's word, read once: a length beyond the slot would read past it.
  uint64_t words[3];
  std::memcpy(words, header, sizeof words);
  const uint64_t length = words[1], elsewhere = words[2];
  require(elsewhere != 0 || length <= chunk_bytes, MPCOMM_ERR_MALFORMED, "message-queue message ",
          expected, " announces ", length, " bytes in its slot, which holds ", chunk_bytes);
  return Message{payload, static_cast<size_t>(length), elsewhere != 0};
}

void ShmRing::release() {
  Slot *s = slot(next_);
  __atomic_store_n(read_flag(s, reader_index_), next_, __ATOMIC_RELEASE);
  ++next_;
}

}  // namespace mpcomm
