// The object plane's shared-memory channels: between every ordered pair of a group's members
// that share a node, two single-producer single-consumer rings, one for send/recv and one for
// the collective object calls (broadcast, all-gather, barrier, which every member calls in the
// same order, so one FIFO serves all three). They replace MPI as the transport of the eager
// message of protocol.hpp and nothing else: a message that does not fit a slot, or finds the
// ring full, travels over MPI on its operation's tag as before, and the chunks of large objects
// and every message to a member on another node always do.
//
// Each channel lives in its receiver's segment (comm/shared_segments.hpp), so a sender that
// frees its group or exits leaves what it wrote readable. Messages of a channel are numbered
// 1, 2, ... in the order they were sent; the sender writes message s into slot s % kSlots and
// publishes s in the slot's sequence word (release), the receiver takes message `expected`
// from its slot once the word holds it and publishes how many it has consumed. Message s goes
// over MPI instead when it does not fit, when its slot still holds a message the receiver has
// not consumed, or when an earlier message of the channel went over MPI and has not been
// consumed yet (so that MPI's FIFO per tag and the ring never overtake each other): the sender
// then publishes the range [divert_begin, divert_end) of message numbers it sent over MPI, and
// the receiver that expects a number in that range takes it from MPI. Send/recv messages sent
// over MPI before the channels existed are such a range too: the handoff at setup.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/shared_segments.hpp"
#include "core/deadline.hpp"

namespace mpcomm {

class ObjectChannels {
 public:
  enum Kind : int { kPointToPoint = 0, kCollective = 1 };
  static constexpr int kKinds = 2;
  static constexpr size_t kSlotBytes = 1024;
  static constexpr size_t kSlotHeaderBytes = 16;  // sequence, length, tag
  static constexpr size_t kPayloadBytes = kSlotBytes - kSlotHeaderBytes;
  static constexpr uint64_t kSlots = 8;
  // Above this many members on one node the rings (n * (n - 1) * 2 * kSlots slots) are not
  // made and the node's members talk over MPI.
  static constexpr int kMaxLocalMembers = 64;

  // Collective over comm (the group's communicator, every member), bounded by timeout_s.
  // mpi_sends[r] / mpi_recvs[r]: the send/recv messages this member has sent to / taken from
  // group rank r over MPI so far. nullptr when this member shares its node with no other member
  // (or with more than kMaxLocalMembers), or when the node's segments cannot be made (the
  // same on every process of the node; logged). Error(TIMEOUT) when a member does not come.
  static std::unique_ptr<ObjectChannels> make(MPI_Comm comm, double timeout_s,
                                              const std::vector<uint64_t> &mpi_sends,
                                              const std::vector<uint64_t> &mpi_recvs);
  ~ObjectChannels() = default;  // unmaps the segments: local, waits for no one
  ObjectChannels(const ObjectChannels &) = delete;
  ObjectChannels &operator=(const ObjectChannels &) = delete;

  // Whether group rank r shares the caller's node (and so has channels with it).
  bool local(int r) const { return local_index_[static_cast<size_t>(r)] >= 0; }

  // Sender: the next message of its channel to dst, len bytes tagged with the operation's tag.
  // true: written into the ring (the receiver has it; never waits). false: the caller sends it
  // over MPI now, as the next message of its tag to dst.
  bool write(int dst, Kind kind, int tag, const void *data, size_t len);

  // Receiver: whether the next message from src is here. kHere: data and length point into
  // the slot until consume(). kOverMpi: the caller takes it from MPI (consume() first).
  struct Arrival {
    enum State { kNotYet, kHere, kOverMpi } state;
    const char *data;
    size_t length;
  };
  // Error(MALFORMED) for a slot header that is not a message of this tag.
  Arrival poll(int src, Kind kind, int tag);
  // Frees the message's slot for its sender and moves on to the next message.
  void consume(int src, Kind kind);

  // The length of the message a slot header announces (another process's bytes: sequence,
  // length, tag), checked against the slot's payload and the expected tag: Error(MALFORMED)
  // otherwise. The pure part of poll(), which the fuzz harness calls.
  static size_t decode_slot(const void *header, int tag);

  // Reused by the callers from call to call (no allocation per call): members a message goes
  // to over MPI, or is awaited from; the request of each member's message over MPI.
  std::vector<int> &over_mpi() { return over_mpi_; }
  std::vector<size_t> &request_of() { return request_of_; }

 private:
  struct Head;
  struct Tail;
  struct Slot;
  struct Sender {
    uint64_t next = 1;           // number of the next message
    uint64_t consumed_seen = 0;  // the receiver's count as last read
    uint64_t divert_end = 0;     // one past the last message sent over MPI
    bool diverting = false;      // messages go over MPI until the receiver consumed divert_end-1
  };

  ObjectChannels(MPI_Comm node, std::vector<int> local_index, double timeout_s);
  // The channel from local index `from` to local index `to`.
  char *channel(int from, int to, Kind kind) const;
  size_t state_index(int local, Kind kind) const {
    return static_cast<size_t>(local) * kKinds + static_cast<size_t>(kind);
  }

  std::vector<int> local_index_;  // per group rank: its node index, or -1
  int me_ = 0;                    // the caller's node index
  std::unique_ptr<SharedSegments> segments_;
  std::vector<Sender> senders_;     // per (node index, kind)
  std::vector<uint64_t> expected_;  // per (node index, kind): number of the next message
  std::vector<int> over_mpi_;
  std::vector<size_t> request_of_;
};

}  // namespace mpcomm
