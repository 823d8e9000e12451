// The group object behind mpcomm_group_t: a Comm (comm/comm.hpp: the communicator, ranks,
// timeout, broken state, failure rule and the planes' attachments) plus what the group layer
// keeps itself: the object protocol's scratch, requests and pending sends, objects kept for a
// larger receive, the message queue, the tensor-dict workspace, and who owns it.
//
// Tags 1 to 15 on the communicator belong to the control plane (group/protocol.hpp); other
// layers that send on comm() use tags from 16 up.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "comm/comm.hpp"
#include "core/error.hpp"
#include "group/outbox.hpp"
#include "group/requests.hpp"
#include "mpcomm.h"

namespace mpcomm {
class MessageQueue;
class ObjectChannels;
}  // namespace mpcomm
namespace mpcomm::tensordict {
// What a group's tensor dict exchanges reuse from call to call (lib/tensordict/workspace.hpp).
class Workspace;
struct WorkspaceDeleter {
  void operator()(Workspace *workspace) const noexcept;
};
}  // namespace mpcomm::tensordict

struct mpcomm_group_s : mpcomm::Comm {
 public:
  // Takes ownership of comm (an intracommunicator); computes the ranks. Local: no communication.
  mpcomm_group_s(MPI_Comm comm, int local_rank);
  ~mpcomm_group_s() override;

  // The caller's place, as mpcomm_group_info returns it.
  mpcomm_group_info_t info() const;

  // Groups owned by something else (a parallel state) cannot be freed by mpcomm_group_free.
  void set_owner(const char *owner) { owner_ = owner ? owner : ""; }
  const std::string &owner() const { return owner_; }

  // Scratch of at least bytes, owned by the group. MPI may still write into it after a call
  // that was abandoned; then it is never freed (leak_scratch()).
  char *scratch(size_t bytes);
  void leak_scratch() { scratch_leaked_ = true; }

  // Objects that arrived for a receive buffer too small to hold them, kept for the next call
  // of the same operation from the same source: key (tag of the operation, source rank).
  std::map<std::pair<int, int>, std::vector<char>> &kept() { return kept_; }
  // The lengths that go with a kept all-gather result.
  std::vector<size_t> &kept_lengths() { return kept_lengths_; }

  // The requests of the control-plane call in progress (reused: no allocation per call).
  mpcomm::Requests &requests() { return requests_; }

  // The object sends that have not completed (mpcomm_send_object returns before its receiver
  // takes the object).
  mpcomm::Outbox &outbox() { return outbox_; }
  // Waits, bounded by the timeout, for the pending object sends of a usable group; returns
  // what is still pending after that ("" when nothing is, and for a broken group or after
  // MPI_Finalize, whose sends are left to complete on their own). Never throws.
  std::string finish_sends() noexcept;

  // The message-queue broadcaster of broadcasts from group rank 0, or nullptr (then they go
  // over MPI, or the queue is deferred and not made yet). Made by enable_message_queue(),
  // collectively.
  mpcomm::MessageQueue *message_queue() { return message_queue_.get(); }
  void enable_message_queue(size_t chunk_bytes, int chunks);
  // Local: the queue is made by the first broadcast from group rank 0 (broadcast_queue()), so
  // that a group which never broadcasts costs neither its setup nor its ring.
  void defer_message_queue(size_t chunk_bytes, int chunks);
  bool message_queue_deferred() const { return deferred_chunks_ > 0; }
  // The queue of a broadcast from group rank 0, made now when it was deferred: collective, in
  // the broadcast every member calls together. nullptr when the group has none.
  mpcomm::MessageQueue *broadcast_queue();

  // The object plane's shared-memory channels with the members on the caller's node
  // (object_channels.hpp), or nullptr: before the group's first collective object call
  // (protocol::collective_channels, which makes them), and when no other member shares the
  // node. make_object_channels(): collective, once every member has arrived; tried once.
  mpcomm::ObjectChannels *object_channels() { return object_channels_.get(); }
  bool object_channels_decided() const { return object_channels_decided_; }
  mpcomm::ObjectChannels *make_object_channels();
  // Until the channels are decided, send_object/recv_object count the messages to / from each
  // member over MPI, which the channels take over as their first messages.
  void count_mpi_send(int dst) {
    if (!object_channels_decided_) ++mpi_sends_[static_cast<size_t>(dst)];
  }
  void count_mpi_recv(int src) {
    if (!object_channels_decided_) ++mpi_recvs_[static_cast<size_t>(src)];
  }

  // The tensor dict layer's buffers and derived type cache: made on first use by lib/tensordict.
  std::unique_ptr<mpcomm::tensordict::Workspace, mpcomm::tensordict::WorkspaceDeleter>
      &tensor_dict_workspace() {
    return tensor_dict_workspace_;
  }

 private:
  std::map<std::pair<int, int>, std::vector<char>> kept_;
  std::vector<size_t> kept_lengths_;
  std::string owner_;
  char *scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  bool scratch_leaked_ = false;
  mpcomm::Requests requests_;
  mpcomm::Outbox outbox_;  // destroyed before ~Comm frees the communicator: parks what is left
  std::unique_ptr<mpcomm::MessageQueue> message_queue_;
  size_t deferred_chunk_bytes_ = 0;
  int deferred_chunks_ = 0;  // > 0: a queue is deferred
  std::unique_ptr<mpcomm::ObjectChannels> object_channels_;
  bool object_channels_decided_ = false;
  std::vector<uint64_t> mpi_sends_, mpi_recvs_;
  std::unique_ptr<mpcomm::tensordict::Workspace, mpcomm::tensordict::WorkspaceDeleter>
      tensor_dict_workspace_;
};

namespace mpcomm {

// Wraps a communicator the caller created and hands over (the group frees it) into a new group
// handle; sets MPI_ERRORS_RETURN on it. local_rank: the process's node-local rank in the world
// the group was made from (comm/node_rank.hpp). Local: no communication. On failure comm is
// freed.
mpcomm_group_t adopt_communicator(MPI_Comm comm, int local_rank);

}  // namespace mpcomm
