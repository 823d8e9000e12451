#include "group/object_channels.hpp"

#include <cstring>
#include <numeric>

#include "comm/bounded.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

// What the sender publishes of its messages sent over MPI, alone on a cache line.
struct alignas(64) ObjectChannels::Head {
  uint64_t divert_begin;
  uint64_t divert_end;
};
// How many messages the receiver has consumed, on a line of its own.
struct alignas(64) ObjectChannels::Tail {
  uint64_t consumed;
};
struct ObjectChannels::Slot {
  uint64_t sequence;  // the number of the message in the slot (0: none yet)
  uint32_t length;
  uint32_t tag;
  char payload[kPayloadBytes];
};

namespace {
constexpr size_t kChannelBytes = 128 + ObjectChannels::kSlots * ObjectChannels::kSlotBytes;

uint64_t load(const uint64_t *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }
void store(uint64_t *word, uint64_t v) { __atomic_store_n(word, v, __ATOMIC_RELEASE); }

// Owns the node communicator while the channels are made.
struct NodeComm {
  MPI_Comm comm = MPI_COMM_NULL;
  ~NodeComm() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};
}  // namespace

std::unique_ptr<ObjectChannels> ObjectChannels::make(MPI_Comm comm, double timeout_s,
                                                     const std::vector<uint64_t> &mpi_sends,
                                                     const std::vector<uint64_t> &mpi_recvs) {
  static_assert(sizeof(Slot) == kSlotBytes && sizeof(Head) == 64 && sizeof(Tail) == 64);
  int rank = 0, size = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  // Every member has come once this returns, so the blocking split cannot hang.
  bounded_barrier(comm, timeout_s, "setting up the object channels");
  NodeComm node;
  mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node.comm),
            "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)");
  MPI_Comm_set_errhandler(node.comm, MPI_ERRORS_RETURN);
  int members = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_size(node.comm, &members));
  if (members == 1 || members > kMaxLocalMembers) return nullptr;  // the same on the whole node

  // The group rank of each process of the node.
  std::vector<int> node_ranks(static_cast<size_t>(members)), group_ranks(node_ranks.size());
  std::iota(node_ranks.begin(), node_ranks.end(), 0);
  MPI_Group node_group = MPI_GROUP_NULL, group = MPI_GROUP_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(node.comm, &node_group));
  int rc = MPI_Comm_group(comm, &group);
  if (rc == MPI_SUCCESS)
    rc = MPI_Group_translate_ranks(node_group, members, node_ranks.data(), group,
                                   group_ranks.data());
  MPI_Group_free(&node_group);
  if (group != MPI_GROUP_NULL) MPI_Group_free(&group);
  mpi_check(rc, "MPI_Group_translate_ranks");
  std::vector<int> local_index(static_cast<size_t>(size), -1);
  for (int j = 0; j < members; ++j) local_index[static_cast<size_t>(group_ranks[j])] = j;

  std::unique_ptr<ObjectChannels> channels;
  try {
    channels.reset(new ObjectChannels(node.comm, std::move(local_index), timeout_s));
  } catch (const Error &e) {
    // Every process of the node fails alike to make the segments: the node takes MPI.
    if (e.status() != MPCOMM_ERR_SYSTEM) throw;
    log::warn(log::Subsys::Shm, "objects between the members on this node take MPI: ", e.what());
    return nullptr;
  }

  // The handoff: send/recv messages that went over MPI before are the channel's first range
  // of messages over MPI, on both sides.
  ObjectChannels &c = *channels;
  for (int q = 0; q < size; ++q) {
    const int j = c.local_index_[static_cast<size_t>(q)];
    if (j < 0 || q == rank) continue;
    const uint64_t sent = mpi_sends[static_cast<size_t>(q)];
    Sender &out = c.senders_[c.state_index(j, kPointToPoint)];
    out.next = sent + 1;
    if (sent > 0) {
      auto *head = reinterpret_cast<Head *>(c.channel(c.me_, j, kPointToPoint));
      out.diverting = true;
      out.divert_end = sent + 1;
      __atomic_store_n(&head->divert_begin, 1, __ATOMIC_RELAXED);
      store(&head->divert_end, sent + 1);
    }
    const uint64_t taken = mpi_recvs[static_cast<size_t>(q)];
    c.expected_[c.state_index(j, kPointToPoint)] = taken + 1;
    store(&reinterpret_cast<Tail *>(c.channel(j, c.me_, kPointToPoint) + 64)->consumed, taken);
  }
  return channels;
}

ObjectChannels::ObjectChannels(MPI_Comm node, std::vector<int> local_index, double timeout_s)
    : local_index_(std::move(local_index)) {
  int members = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(node, &me_));
  MPCOMM_MPI_CHECK(MPI_Comm_size(node, &members));
  const size_t channels = static_cast<size_t>(members) * kKinds;
  segments_ = std::make_unique<SharedSegments>(node, channels * kChannelBytes, timeout_s,
                                               "the object channels");
  senders_.resize(channels);
  expected_.assign(channels, 1);
}

char *ObjectChannels::channel(int from, int to, Kind kind) const {
  return segments_->base(to) + state_index(from, kind) * kChannelBytes;
}

bool ObjectChannels::write(int dst, Kind kind, int tag, const void *data, size_t len) {
  const int j = local_index_[static_cast<size_t>(dst)];
  Sender &out = senders_[state_index(j, kind)];
  char *c = channel(me_, j, kind);
  auto *head = reinterpret_cast<Head *>(c);
  const uint64_t *consumed = &reinterpret_cast<Tail *>(c + 64)->consumed;
  const uint64_t s = out.next++;
  if (out.diverting) {
    out.consumed_seen = load(consumed);
    out.diverting = out.consumed_seen + 1 < out.divert_end;
  }
  if (!out.diverting && len <= kPayloadBytes) {
    // The slot last held message s - kSlots; free once the receiver consumed it.
    if (s > out.consumed_seen + kSlots) out.consumed_seen = load(consumed);
    if (s <= out.consumed_seen + kSlots) {
      auto *slot = reinterpret_cast<Slot *>(c + 128 + (s % kSlots) * kSlotBytes);
      if (len) std::memcpy(slot->payload, data, len);
      slot->length = static_cast<uint32_t>(len);
      slot->tag = static_cast<uint32_t>(tag);
      store(&slot->sequence, s);
      return true;
    }
  }
  if (!out.diverting) {
    out.diverting = true;
    __atomic_store_n(&head->divert_begin, s, __ATOMIC_RELAXED);  // published by divert_end
  }
  out.divert_end = s + 1;
  store(&head->divert_end, s + 1);
  return false;
}

ObjectChannels::Arrival ObjectChannels::poll(int src, Kind kind, int tag) {
  const int j = local_index_[static_cast<size_t>(src)];
  const uint64_t expected = expected_[state_index(j, kind)];
  const char *c = channel(j, me_, kind);
  const auto *slot = reinterpret_cast<const Slot *>(c + 128 + (expected % kSlots) * kSlotBytes);
  if (load(&slot->sequence) == expected)
    return Arrival{Arrival::kHere, slot->payload, decode_slot(slot, tag)};
  const auto *head = reinterpret_cast<const Head *>(c);
  if (expected < load(&head->divert_end) &&
      expected >= __atomic_load_n(&head->divert_begin, __ATOMIC_RELAXED))
    return Arrival{Arrival::kOverMpi, nullptr, 0};
  return Arrival{Arrival::kNotYet, nullptr, 0};
}

void ObjectChannels::consume(int src, Kind kind) {
  const int j = local_index_[static_cast<size_t>(src)];
  uint64_t &expected = expected_[state_index(j, kind)];
  store(&reinterpret_cast<Tail *>(channel(j, me_, kind) + 64)->consumed, expected);
  ++expected;
}

size_t ObjectChannels::decode_slot(const void *header, int tag) {
  static_assert(offsetof(Slot, payload) == kSlotHeaderBytes);
  // Another process's words, read once: a length beyond the slot would read past it.
  uint64_t sequence = 0;
  uint32_t words[2];
  std::memcpy(&sequence, header, sizeof sequence);
  std::memcpy(words, static_cast<const char *>(header) + sizeof sequence, sizeof words);
  require(words[0] <= kPayloadBytes, MPCOMM_ERR_MALFORMED, "object channel message ", sequence,
          " announces ", words[0], " bytes in a slot of ", kPayloadBytes);
  require(words[1] == static_cast<uint32_t>(tag), MPCOMM_ERR_MALFORMED, "object channel message ",
          sequence, " carries tag ", words[1], " where a message of tag ", tag,
          " belongs (the members called different object operations)");
  return words[0];
}

}  // namespace mpcomm
