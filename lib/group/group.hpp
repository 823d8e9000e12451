// The group object behind mpcomm_group_t: one private MPI communicator (MPI_ERRORS_RETURN), the
// caller's place in it, the timeout of its control-plane calls, scratch for the object protocol,
// and the broken state a failed collective leaves behind.
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

#include "core/error.hpp"
#include "group/requests.hpp"
#include "mpcomm.h"

namespace mpcomm {
class MessageQueue;
}
namespace mpcomm::dataplane {
class HostAllreduce;
enum class HostAllreduceChoice : int;
}  // namespace mpcomm::dataplane
namespace mpcomm::device {
// The group's device data plane (NCCL communicator, custom allreduce); lib/device defines it, and
// the deleter, for the build with CUDA and NCCL and for the one without.
class DeviceContext;
struct DeviceContextDeleter {
  void operator()(DeviceContext *context) const noexcept;
};
}  // namespace mpcomm::device
namespace mpcomm::tensordict {
// What a group's tensor dict exchanges reuse from call to call (lib/tensordict/workspace.hpp).
class Workspace;
struct WorkspaceDeleter {
  void operator()(Workspace *workspace) const noexcept;
};
}  // namespace mpcomm::tensordict

struct mpcomm_group_s {
 public:
  // Takes ownership of comm (an intracommunicator); computes the ranks. Local: no communication.
  explicit mpcomm_group_s(MPI_Comm comm);
  ~mpcomm_group_s();
  mpcomm_group_s(const mpcomm_group_s &) = delete;
  mpcomm_group_s &operator=(const mpcomm_group_s &) = delete;

  MPI_Comm comm() const { return comm_; }
  int rank() const { return info_.rank_in_group; }
  int size() const { return info_.size; }
  // Global rank (MPI_COMM_WORLD) of each member, in group order.
  const std::vector<int> &global_ranks() const { return global_ranks_; }
  // False when members come from more than one MPI_COMM_WORLD; global ranks are group ranks.
  bool ranks_are_global() const { return ranks_are_global_; }
  // The caller's place, with local_rank read at this call.
  mpcomm_group_info_t info() const;

  // Seconds the object calls wait; seconds <= 0 restores the MPCOMM_TIMEOUT default.
  double timeout() const { return timeout_; }
  void set_timeout(double seconds);

  // "group rank 2 (global rank 5)", for messages.
  std::string describe_rank(int group_rank) const;
  std::string describe_ranks(const std::vector<int> &group_ranks) const;

  // A broken group refuses every later operation with MPCOMM_ERR_BROKEN and the first cause.
  bool broken() const { return !broken_cause_.empty(); }
  const std::string &broken_cause() const { return broken_cause_; }
  void mark_broken(const std::string &cause);
  // Throws Error(MPCOMM_ERR_BROKEN) if broken.
  void require_usable() const;
  // Runs body, a bounded control-plane collective on the group's communicator
  // (comm/bounded.hpp): the group must be usable, and a timeout, which leaves the collective
  // half-done, breaks it. Error(TIMEOUT) then says `what` the members failed to do together.
  template <class Body>
  void run_bounded(const char *what, Body &&body);

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

  // Every group rank but the caller's, ascending.
  std::vector<int> &peer_list() { return peers_; }

  // The requests of the control-plane call in progress (reused: no allocation per call).
  mpcomm::Requests &requests() { return requests_; }

  // The message-queue broadcaster of broadcasts from group rank 0, or nullptr (then they go
  // over MPI). Made by enable_message_queue(), collectively.
  mpcomm::MessageQueue *message_queue() { return message_queue_.get(); }
  void enable_message_queue(size_t chunk_bytes, int chunks);

  // The shared-memory host allreduce (dataplane/host_allreduce.hpp), or nullptr until the
  // group's first host all_reduce that may take it; made collectively by the data plane.
  std::unique_ptr<mpcomm::dataplane::HostAllreduce> &host_allreduce() { return host_allreduce_; }
  // The MPCOMM_HOST_ALLREDUCE its members agreed on at the group's first host all_reduce
  // (zero, kUnread, before); set by the data plane.
  mpcomm::dataplane::HostAllreduceChoice &host_allreduce_choice() { return host_allreduce_choice_; }

  // Checks that a handle looks like a live group (catches NULL and most freed handles).
  bool valid() const { return magic_ == kMagic; }

  // The device data plane (lib/device): made on first use by lib/device, freed with the group.
  std::unique_ptr<mpcomm::device::DeviceContext, mpcomm::device::DeviceContextDeleter>
      &device_context() {
    return device_context_;
  }
  // The tensor dict layer's buffers and derived type cache: made on first use by lib/tensordict.
  std::unique_ptr<mpcomm::tensordict::Workspace, mpcomm::tensordict::WorkspaceDeleter>
      &tensor_dict_workspace() {
    return tensor_dict_workspace_;
  }

  // The CUDA device asked for with mpcomm_group_set_device, or -1 for the default.
  int requested_device() const { return requested_device_; }
  void set_requested_device(int device) { requested_device_ = device; }
  // Why the custom allreduce must not be used on this group (a parallel state's configuration),
  // or empty.
  const std::string &custom_allreduce_off() const { return custom_allreduce_off_; }
  void set_custom_allreduce_off(const std::string &why) { custom_allreduce_off_ = why; }

 private:
  static constexpr uint64_t kMagic = 0x6d70636f6d6d4752ULL;  // "mpcommGR"
  uint64_t magic_ = kMagic;
  MPI_Comm comm_ = MPI_COMM_NULL;
  mpcomm_group_info_t info_{};
  std::vector<int> global_ranks_;
  std::vector<int> peers_;
  std::map<std::pair<int, int>, std::vector<char>> kept_;
  std::vector<size_t> kept_lengths_;
  bool ranks_are_global_ = true;
  double timeout_ = 0;
  std::string broken_cause_;
  std::string owner_;
  char *scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  bool scratch_leaked_ = false;
  mpcomm::Requests requests_;
  std::unique_ptr<mpcomm::MessageQueue> message_queue_;
  std::unique_ptr<mpcomm::dataplane::HostAllreduce> host_allreduce_;
  mpcomm::dataplane::HostAllreduceChoice host_allreduce_choice_{};
  int requested_device_ = -1;
  std::string custom_allreduce_off_;
  std::unique_ptr<mpcomm::tensordict::Workspace, mpcomm::tensordict::WorkspaceDeleter>
      tensor_dict_workspace_;
  // Reset first in the destructor, while the communicator still exists.
  std::unique_ptr<mpcomm::device::DeviceContext, mpcomm::device::DeviceContextDeleter>
      device_context_;
};

template <class Body>
void mpcomm_group_s::run_bounded(const char *what, Body &&body) {
  require_usable();
  try {
    body();
  } catch (const mpcomm::Error &e) {
    if (e.status() != MPCOMM_ERR_TIMEOUT) throw;
    const std::string cause = mpcomm::concat("timed out after ", timeout_, " s in ", what,
                                             ": not every member of the group took part");
    mark_broken(cause);
    throw mpcomm::Error(MPCOMM_ERR_TIMEOUT, cause);
  }
}

namespace mpcomm {

// Wraps a communicator the caller created and hands over (the group frees it) into a new group
// handle; sets MPI_ERRORS_RETURN on it. Local: no communication. On failure comm is freed.
mpcomm_group_t adopt_communicator(MPI_Comm comm);

// The group behind a C handle; Error(INVALID_ARGUMENT) naming `name` if NULL or not a group.
mpcomm_group_s &group_ref(mpcomm_group_t group, const char *name = "group");

// The default timeout of object calls: MPCOMM_TIMEOUT, 300 seconds.
double default_object_timeout();

}  // namespace mpcomm
