// One communicator, the layer every plane and the group stand on: a private MPI communicator
// (MPI_ERRORS_RETURN), the caller's place in it (rank, size, global ranks, node-local rank),
// the timeout of its waits, the broken state a failed collective leaves behind, and the one
// rule of which failures break it (breaks_comm). Planes keep their per-communicator state
// (the host's shared-memory allreduce, the device's NCCL context) as attachments, so that the
// Comm knows none of them and none of them knows the others.
#pragma once

#include <mpi.h>

#include <iosfwd>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "comm/call_check.hpp"
#include "core/error.hpp"
#include "mpcomm.h"

namespace mpcomm {

// Where an operation runs; with its status it decides whether a failure breaks the Comm.
enum class Plane {
  kControl,        // the object protocol, barrier, message queue: point-to-point with a deadline
  kAgreement,      // bounded control-plane collectives (comm/bounded.hpp) among members that agree
  kHost,           // the host data plane: MPI collectives and the shared-memory allreduce
  kDevice,         // the device data plane through NCCL (or a local copy)
  kPairedKernels,  // the custom allreduce, whose kernels pair up call by call across members
};

// THE failure rule: whether a failure with `status` on `plane` leaves the members out of step
// (some took part, some did not), so that no later call may pair with a peer's stale one. The
// table and the reason for each entry are in comm.cpp and HACKING.md.
bool breaks_comm(Plane plane, mpcomm_status_t status);

// What a plane keeps per communicator. Destroyed with the Comm, newest first, while its MPI
// communicator still exists.
class Attachment {
 public:
  virtual ~Attachment() = default;
};

class Comm {
 public:
  // Takes ownership of comm (an intracommunicator). local_rank: the process's rank among the
  // processes of its node in the world the Comm was made from (-1: unknown). Local.
  Comm(MPI_Comm comm, int local_rank);
  virtual ~Comm();
  Comm(const Comm &) = delete;
  Comm &operator=(const Comm &) = delete;

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }
  // Global rank (MPI_COMM_WORLD) of each member, in rank order.
  const std::vector<int> &global_ranks() const { return global_ranks_; }
  // False when members come from more than one MPI_COMM_WORLD; global ranks are then ranks.
  bool ranks_are_global() const { return ranks_are_global_; }
  // Every rank but the caller's, ascending.
  const std::vector<int> &peers() const { return peers_; }

  // Seconds every wait for the other members lasts at most; <= 0 restores MPCOMM_TIMEOUT.
  double timeout() const { return timeout_; }
  void set_timeout(double seconds);

  // "group rank 2 (global rank 5)", for messages.
  std::string describe_rank(int rank) const;
  std::string describe_ranks(const std::vector<int> &ranks) const;

  // A broken Comm refuses every later operation with MPCOMM_ERR_BROKEN and the first cause.
  bool broken() const { return !broken_cause_.empty(); }
  const std::string &broken_cause() const { return broken_cause_; }
  void mark_broken(const std::string &cause);
  // Throws Error(MPCOMM_ERR_BROKEN) if broken.
  void require_usable() const;

  // Runs one operation on `plane`: refuses a broken Comm, and marks it broken when the body
  // fails in a way breaks_comm says leaves the members out of step. `plane` is read after a
  // failure, so a body that learns its path on the way (the device plane's all_reduce) may
  // change it.
  template <class Body>
  void run(const Plane &plane, Body &&body);
  // A bounded control-plane collective (comm/bounded.hpp), run on Plane::kAgreement: a
  // timeout breaks the Comm with a cause that says `what` the members failed to do together.
  // seconds: the body's bound when it is not the Comm's timeout (for the message).
  template <class Body>
  void run_bounded(const char *what, Body &&body, double seconds = 0);

  // Runs one collective, named `name` (its C function), under checking mode
  // (comm/call_check.hpp): when MPCOMM_CHECK is on in the group, the members agree on the call
  // at its first run()/run_bounded(), or at its end when it fails its own checks or returns
  // without communicating. Off (MPCOMM_CHECK as this member read it at the group's first
  // collective; members that have it on agree on it then), in a group of one, or nested in
  // another collective of this Comm: body().
  template <class Body>
  void checked_call(const char *name, Body &&body);
  // The arguments of the collective in progress, for checking mode; nothing outside it.
  void describe_call(const CallArgs &args) {
    if (pending_call_) pending_call_->args = args;
  }
  // The collective in progress is served locally after all (the object a truncated receive
  // kept): it takes no part in checking mode's agreement, nor in the sequence of calls.
  void call_is_local() {
    if (pending_call_ == nullptr) return;
    pending_call_ = nullptr;
    --checked_calls_;
  }
  // The timeout of the collective in progress when it takes its own (a barrier's), for its
  // agreement in checking mode.
  void describe_call_timeout(double seconds) {
    if (pending_call_) pending_call_->timeout_s = seconds;
  }

  // The attachment of type T, or nullptr.
  template <class T>
  T *find() const;
  // Attaches a new T (T derives from Attachment) and returns it; replaces none.
  template <class T>
  T &attach(std::unique_ptr<T> attachment);
  // Destroys the attachment of type T, if any.
  template <class T>
  void detach();

 private:
  using Key = const void *;
  template <class T>
  static Key key_of() {
    static const char key = 0;
    return &key;
  }
  Attachment *find_key(Key key) const;
  // Whether checking mode is on: MPCOMM_CHECK, read at the first call.
  bool checking();
  // The agreement of the call in checking mode that has not communicated yet, if any.
  void agree_pending() {
    if (pending_call_) agree_pending_call();
  }
  void agree_pending_call();
  void agree_failed_call(CallCheck &call, const Error &error);
  void attach_key(Key key, std::unique_ptr<Attachment> attachment);
  void detach_key(Key key);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
  int local_rank_ = -1;
  std::vector<int> global_ranks_;
  std::vector<int> peers_;
  bool ranks_are_global_ = true;
  double timeout_ = 0;
  std::string broken_cause_;
  std::vector<std::pair<Key, std::unique_ptr<Attachment>>> attachments_;
  enum class Checking { kUnread, kOff, kOn } checking_ = Checking::kUnread;
  uint64_t checked_calls_ = 0;
  CallCheck *pending_call_ = nullptr;
};

// The default timeout of every wait: MPCOMM_TIMEOUT, 300 seconds.
double default_timeout();

// Streams "group of 4 [0 1 2 3]" (the members' global ranks, the first 8) into a log line;
// nothing is built unless the line is written.
struct GroupName {
  const Comm &group;
};
std::ostream &operator<<(std::ostream &out, GroupName name);

template <class Body>
void Comm::run(const Plane &plane, Body &&body) {
  require_usable();
  agree_pending();
  try {
    body();
  } catch (const Error &e) {
    if (breaks_comm(plane, e.status())) mark_broken(e.what());
    throw;
  } catch (const std::bad_alloc &) {
    if (breaks_comm(plane, MPCOMM_ERR_NO_MEMORY)) mark_broken("failed half-way: out of memory");
    throw;
  } catch (const std::exception &e) {
    if (breaks_comm(plane, MPCOMM_ERR_INTERNAL)) mark_broken(concat("failed half-way: ", e.what()));
    throw;
  }
}

template <class Body>
void Comm::run_bounded(const char *what, Body &&body, double seconds) {
  require_usable();
  agree_pending();
  try {
    body();
  } catch (const Error &e) {
    if (!breaks_comm(Plane::kAgreement, e.status())) throw;
    if (e.status() != MPCOMM_ERR_TIMEOUT) {
      mark_broken(e.what());
      throw;
    }
    const std::string cause = concat("timed out after ", seconds > 0 ? seconds : timeout_, " s in ",
                                     what, ": not every member of the group took part");
    mark_broken(cause);
    throw Error(MPCOMM_ERR_TIMEOUT, cause);
  }
}

template <class Body>
void Comm::checked_call(const char *name, Body &&body) {
  if (pending_call_ != nullptr || size_ == 1 || !checking()) return body();
  CallCheck call;
  call.name = name;
  call.sequence = ++checked_calls_;
  pending_call_ = &call;
  try {
    body();
  } catch (const Error &e) {
    if (pending_call_ == nullptr) throw;  // agreed, then failed on the way
    agree_failed_call(call, e);           // throws
  } catch (const std::bad_alloc &) {
    if (pending_call_ == nullptr) throw;
    agree_failed_call(call, Error(MPCOMM_ERR_NO_MEMORY, "out of memory"));
  } catch (const std::exception &e) {
    if (pending_call_ == nullptr) throw;
    agree_failed_call(call, Error(MPCOMM_ERR_INTERNAL, e.what()));
  } catch (...) {
    pending_call_ = nullptr;
    throw;
  }
  agree_pending();  // a call that returned without communicating
}

template <class T>
T *Comm::find() const {
  return static_cast<T *>(find_key(key_of<T>()));
}

template <class T>
T &Comm::attach(std::unique_ptr<T> attachment) {
  T &held = *attachment;
  attach_key(key_of<T>(), std::move(attachment));
  return held;
}

template <class T>
void Comm::detach() {
  detach_key(key_of<T>());
}

}  // namespace mpcomm
