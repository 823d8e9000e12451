#include "comm/comm.hpp"

#include <cmath>
#include <ostream>

#include "comm/agreed_setting.hpp"
#include "core/env.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

namespace {

// One row per status that breaks on some plane; a status without a row breaks on none.
// kControl: the object protocol checks its arguments before it communicates, so any failure
//   after that (a timeout, MPI, malformed traffic, memory running out half-way) leaves the
//   members out of step; only a truncation, which the receiver reports and keeps, does not.
// kAgreement: a bounded collective that timed out or failed in MPI is left half-done; members
//   that disagree (INVALID_ARGUMENT) all fail alike and stay in step.
// kHost: MPI, a timeout of the shared-memory allreduce, malformed bytes or an internal error
//   leave peers in a collective; an argument error is found before any communication.
// kDevice: NCCL and timeouts; a CUDA error before the collective is launched is local.
// kPairedKernels: every failure, because the peers' kernels wait for this member's.
struct Row {
  mpcomm_status_t status;
  bool control, agreement, host, device;
};
constexpr Row kRule[] = {
    //                          control agreement host   device
    {MPCOMM_ERR_TIMEOUT, true, true, true, true},
    {MPCOMM_ERR_MPI, true, true, true, false},
    {MPCOMM_ERR_NCCL, true, true, true, true},
    {MPCOMM_ERR_MALFORMED, true, false, true, false},
    {MPCOMM_ERR_INTERNAL, true, true, true, false},
    {MPCOMM_ERR_NO_MEMORY, true, false, false, false},
    {MPCOMM_ERR_SYSTEM, true, false, false, false},
    {MPCOMM_ERR_CUDA, true, false, false, false},
    {MPCOMM_ERR_INVALID_ARGUMENT, true, false, false, false},
    {MPCOMM_ERR_INVALID_USAGE, true, false, false, false},
    {MPCOMM_ERR_NOT_SUPPORTED, true, false, false, false},
};

}  // namespace

bool breaks_comm(Plane plane, mpcomm_status_t status) {
  if (status == MPCOMM_SUCCESS || status == MPCOMM_ERR_BROKEN) return false;
  if (plane == Plane::kPairedKernels) return true;
  for (const Row &row : kRule) {
    if (row.status != status) continue;
    switch (plane) {
      case Plane::kControl: return row.control;
      case Plane::kAgreement: return row.agreement;
      case Plane::kHost: return row.host;
      case Plane::kDevice: return row.device;
      case Plane::kPairedKernels: return true;
    }
  }
  return false;
}

double default_timeout() { return env::seconds("MPCOMM_TIMEOUT"); }

Comm::Comm(MPI_Comm comm, int local_rank) : comm_(comm), local_rank_(local_rank) {
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));

  // Global ranks: the members' ranks in MPI_COMM_WORLD. A Comm joined across worlds has
  // members this process's world does not hold; then its own ranks stand in.
  MPI_Group group = MPI_GROUP_NULL, world = MPI_GROUP_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(comm_, &group));
  MPCOMM_MPI_CHECK(MPI_Comm_group(MPI_COMM_WORLD, &world));
  std::vector<int> members(static_cast<size_t>(size_));
  for (int i = 0; i < size_; ++i) members[static_cast<size_t>(i)] = i;
  global_ranks_.assign(static_cast<size_t>(size_), MPI_UNDEFINED);
  int rc = MPI_Group_translate_ranks(group, size_, members.data(), world, global_ranks_.data());
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  mpi_check(rc, "MPI_Group_translate_ranks");
  for (int g : global_ranks_)
    if (g == MPI_UNDEFINED) ranks_are_global_ = false;
  if (!ranks_are_global_) global_ranks_ = members;
  for (int i = 0; i < size_; ++i)
    if (i != rank_) peers_.push_back(i);
  timeout_ = default_timeout();
}

Comm::~Comm() {
  // Newest first: a plane's teardown may still talk over the communicator.
  while (!attachments_.empty()) attachments_.pop_back();
  int finalized = 0;
  MPI_Finalized(&finalized);
  // MPI_Comm_free only marks the communicator for release once its pending operations end,
  // so freeing a broken Comm does not wait for a peer that never came.
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Comm::set_timeout(double seconds) {
  require_arg(std::isfinite(seconds), "seconds must be finite, got ", seconds);
  timeout_ = seconds > 0 ? seconds : default_timeout();
}

std::string Comm::describe_rank(int rank) const {
  if (rank < 0 || rank >= size_ || !ranks_are_global_) return concat("group rank ", rank);
  return concat("group rank ", rank, " (global rank ", global_ranks_[static_cast<size_t>(rank)],
                ")");
}

std::string Comm::describe_ranks(const std::vector<int> &ranks) const {
  if (ranks.size() == 1) return describe_rank(ranks[0]);
  std::string list, global;
  for (int r : ranks) {
    list += concat(list.empty() ? "" : ", ", r);
    if (r >= 0 && r < size_)
      global += concat(global.empty() ? "" : ", ", global_ranks_[static_cast<size_t>(r)]);
  }
  if (!ranks_are_global_) return concat("group ranks ", list);
  return concat("group ranks ", list, " (global ranks ", global, ")");
}

void Comm::mark_broken(const std::string &cause) {
  if (broken_cause_.empty()) broken_cause_ = cause;
}

void Comm::require_usable() const {
  require(!broken(), MPCOMM_ERR_BROKEN,
          "the group is broken since an earlier failure: ", broken_cause_);
}

bool Comm::checking() {
  if (checking_ != Checking::kUnread) return checking_ == Checking::kOn;
  int mine = -1;
  std::string invalid;
  try {
    mine = checking_requested() ? 1 : 0;
  } catch (const Error &e) {
    invalid = e.what();
  }
  // Off costs nothing, not even an agreement. On, the members agree on it once: a member that is
  // off never comes, so the others time out here naming MPCOMM_CHECK instead of entering
  // collectives it does not; a malformed value fails every member alike.
  if (mine == 0) {
    checking_ = Checking::kOff;
    return false;
  }
  agree_on_setting(*this, "MPCOMM_CHECK", mine, invalid, {"0", "1"});
  checking_ = Checking::kOn;
  return true;
}

void Comm::agree_pending_call() {
  CallCheck &call = *pending_call_;
  pending_call_ = nullptr;
  agree_on_call(*this, call);
}

void Comm::agree_failed_call(CallCheck &call, const Error &error) {
  pending_call_ = nullptr;
  call.failed = true;
  call.status = error.status();
  call.reason = error.what();
  agree_on_call(*this, call);
  throw error;  // not reached: a member's failure is a disagreement
}

Attachment *Comm::find_key(Key key) const {
  for (const auto &[k, attachment] : attachments_)
    if (k == key) return attachment.get();
  return nullptr;
}

void Comm::attach_key(Key key, std::unique_ptr<Attachment> attachment) {
  require(find_key(key) == nullptr, MPCOMM_ERR_INTERNAL, "a plane attached its state twice");
  attachments_.emplace_back(key, std::move(attachment));
}

void Comm::detach_key(Key key) {
  for (auto it = attachments_.begin(); it != attachments_.end(); ++it)
    if (it->first == key) {
      attachments_.erase(it);
      return;
    }
}

std::ostream &operator<<(std::ostream &out, GroupName name) {
  const auto &ranks = name.group.global_ranks();
  out << "group of " << ranks.size() << " [";
  for (size_t i = 0; i < ranks.size() && i < 8; ++i) out << (i ? " " : "") << ranks[i];
  return out << (ranks.size() > 8 ? " ...]" : "]");
}

}  // namespace mpcomm
