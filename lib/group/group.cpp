// The group object and the C functions that read it or free it.
#include "group/group.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/abandoned.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "dataplane/host_allreduce.hpp"
#include "group/message_queue.hpp"
#include "group/node_rank.hpp"

mpcomm_group_s::mpcomm_group_s(MPI_Comm comm) : comm_(comm) {
  using mpcomm::mpi_check;
  int size = 0, rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm_, &size));
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm_, &rank));

  // Global ranks: the members' ranks in MPI_COMM_WORLD. A group joined across worlds has
  // members this process's world does not hold; then the group's own ranks stand in.
  MPI_Group group = MPI_GROUP_NULL, world = MPI_GROUP_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(comm_, &group));
  MPCOMM_MPI_CHECK(MPI_Comm_group(MPI_COMM_WORLD, &world));
  std::vector<int> members(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) members[static_cast<size_t>(i)] = i;
  global_ranks_.assign(static_cast<size_t>(size), MPI_UNDEFINED);
  int rc = MPI_Group_translate_ranks(group, size, members.data(), world, global_ranks_.data());
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  mpi_check(rc, "MPI_Group_translate_ranks");
  for (int g : global_ranks_)
    if (g == MPI_UNDEFINED) ranks_are_global_ = false;
  if (!ranks_are_global_) global_ranks_ = members;

  const auto at = [&](int i) { return global_ranks_[static_cast<size_t>(i)]; };
  info_.struct_size = sizeof(info_);
  info_.rank_in_group = rank;
  info_.size = size;
  info_.global_rank = at(rank);
  info_.first_rank = at(0);
  info_.last_rank = at(size - 1);
  info_.next_rank = at((rank + 1) % size);
  info_.prev_rank = at((rank - 1 + size) % size);
  info_.is_first_rank = rank == 0;
  info_.is_last_rank = rank == size - 1;
  for (int i = 0; i < size; ++i)
    if (i != rank) peers_.push_back(i);
  timeout_ = mpcomm::default_object_timeout();
}

mpcomm_group_s::~mpcomm_group_s() {
  magic_ = 0;
  device_context_.reset();  // NCCL and CUDA IPC first, while the communicator still exists
  int finalized = 0;
  MPI_Finalized(&finalized);
  // Freeing the broadcaster's window is collective over the node: it waits for the other
  // members to free theirs for the group's timeout at most, then leaves it to MPI_Finalize.
  if (message_queue_) {
    if (finalized) {
      static auto *after_finalize = new std::vector<std::unique_ptr<mpcomm::MessageQueue>>();
      after_finalize->push_back(std::move(message_queue_));
    } else {
      message_queue_->ring().close(timeout_);
      message_queue_.reset();
    }
  }
  // The same for the shared-memory allreduce's window (after MPI_Finalize it only forgets it).
  if (host_allreduce_) host_allreduce_->close(timeout_);
  host_allreduce_.reset();
  if (!finalized && !requests_.abandon()) scratch_leaked_ = true;
  // MPI_Comm_free only marks the communicator for release once its pending operations end,
  // so freeing a broken group does not wait for a peer that never came.
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  if (scratch_leaked_) {
    mpcomm::log::info(mpcomm::log::Subsys::Coll, "keeping ", scratch_bytes_,
                      " bytes of a broken group's scratch: MPI may still write into them");
    mpcomm::keep_until_exit(scratch_);
  } else {
    std::free(scratch_);
  }
}

mpcomm_group_info_t mpcomm_group_s::info() const {
  mpcomm_group_info_t out = info_;
  out.local_rank = mpcomm::node_local_rank();
  return out;
}

void mpcomm_group_s::set_timeout(double seconds) {
  mpcomm::require_arg(std::isfinite(seconds), "seconds must be finite, got ", seconds);
  timeout_ = seconds > 0 ? seconds : mpcomm::default_object_timeout();
}

std::string mpcomm_group_s::describe_rank(int group_rank) const {
  if (group_rank < 0 || group_rank >= size()) return mpcomm::concat("group rank ", group_rank);
  if (!ranks_are_global_) return mpcomm::concat("group rank ", group_rank);
  return mpcomm::concat("group rank ", group_rank, " (global rank ",
                        global_ranks_[static_cast<size_t>(group_rank)], ")");
}

std::string mpcomm_group_s::describe_ranks(const std::vector<int> &group_ranks) const {
  if (group_ranks.size() == 1) return describe_rank(group_ranks[0]);
  std::string list, global;
  for (int r : group_ranks) {
    list += mpcomm::concat(list.empty() ? "" : ", ", r);
    if (r >= 0 && r < size())
      global += mpcomm::concat(global.empty() ? "" : ", ", global_ranks_[static_cast<size_t>(r)]);
  }
  if (!ranks_are_global_) return mpcomm::concat("group ranks ", list);
  return mpcomm::concat("group ranks ", list, " (global ranks ", global, ")");
}

void mpcomm_group_s::mark_broken(const std::string &cause) {
  if (broken_cause_.empty()) broken_cause_ = cause;
}

void mpcomm_group_s::require_usable() const {
  mpcomm::require(!broken(), MPCOMM_ERR_BROKEN,
                  "the group is broken since an earlier failure: ", broken_cause_);
}

char *mpcomm_group_s::scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_;
  mpcomm::require(!scratch_leaked_, MPCOMM_ERR_INTERNAL, "scratch of a broken group reused");
  void *grown = std::realloc(scratch_, bytes);
  if (grown == nullptr) throw std::bad_alloc();
  scratch_ = static_cast<char *>(grown);
  scratch_bytes_ = bytes;
  return scratch_;
}

namespace mpcomm {

double default_object_timeout() { return env::seconds("MPCOMM_TIMEOUT"); }

mpcomm_group_t adopt_communicator(MPI_Comm comm) {
  require(comm != MPI_COMM_NULL, MPCOMM_ERR_INTERNAL, "adopt_communicator(MPI_COMM_NULL)");
  try {
    MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
    int inter = 0;
    MPCOMM_MPI_CHECK(MPI_Comm_test_inter(comm, &inter));
    require_arg(!inter, "comm must be an intracommunicator, got an intercommunicator");
    return new mpcomm_group_s(comm);
  } catch (...) {
    MPI_Comm_free(&comm);
    throw;
  }
}

mpcomm_group_s &group_ref(mpcomm_group_t group, const char *name) {
  require_not_null(group, name);
  require_arg(group->valid(), name, " is not a live group (freed, or not a group handle)");
  return *group;
}

}  // namespace mpcomm

extern "C" mpcomm_status_t mpcomm_group_free(mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_free", [&] {
    if (group == nullptr || *group == nullptr) return;  // as free(NULL)
    auto &g = mpcomm::group_ref(*group, "*group");
    mpcomm::require(g.owner().empty(), MPCOMM_ERR_INVALID_USAGE, "the group belongs to ", g.owner(),
                    "; destroy that instead");
    delete &g;
    *group = nullptr;
  });
}

namespace {

// The size of the first published mpcomm_group_info_t (through is_last_rank): every later
// version is at least this large and starts with it.
constexpr size_t kGroupInfoV1Size = offsetof(mpcomm_group_info_t, is_last_rank) + sizeof(int);

}  // namespace

extern "C" mpcomm_status_t mpcomm_group_info(mpcomm_group_t group, mpcomm_group_info_t *info) {
  return mpcomm::c_boundary("mpcomm_group_info", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(info, "info");
    const size_t size = info->struct_size;
    mpcomm::require_arg(size >= kGroupInfoV1Size, "info->struct_size (", size,
                        ") is smaller than the first version of mpcomm_group_info_t (",
                        kGroupInfoV1Size, "): set it to sizeof(mpcomm_group_info_t)");
    // A caller built with a newer header gets the fields this library knows; the rest of its
    // struct is left as it was.
    mpcomm_group_info_t out = g.info();
    out.struct_size = size;
    std::memcpy(info, &out, std::min(size, sizeof(out)));
  });
}

extern "C" mpcomm_status_t mpcomm_group_comm(mpcomm_group_t group, MPI_Comm *comm) {
  return mpcomm::c_boundary("mpcomm_group_comm", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(comm, "comm");
    *comm = g.comm();
  });
}

extern "C" mpcomm_status_t mpcomm_group_comm_f(mpcomm_group_t group, MPI_Fint *comm) {
  return mpcomm::c_boundary("mpcomm_group_comm_f", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(comm, "comm");
    mpcomm::require_mpi_running();
    *comm = MPI_Comm_c2f(g.comm());
  });
}

extern "C" mpcomm_status_t mpcomm_group_ranks(mpcomm_group_t group, int *ranks, size_t capacity) {
  return mpcomm::c_boundary("mpcomm_group_ranks", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(ranks, "ranks");
    mpcomm::require_arg(capacity >= static_cast<size_t>(g.size()),
                        "capacity must be at least the group size ", g.size(), ", got ", capacity);
    std::copy(g.global_ranks().begin(), g.global_ranks().end(), ranks);
  });
}

extern "C" mpcomm_status_t mpcomm_group_set_timeout(mpcomm_group_t group, double seconds) {
  return mpcomm::c_boundary("mpcomm_group_set_timeout",
                            [&] { mpcomm::group_ref(group).set_timeout(seconds); });
}

extern "C" mpcomm_status_t mpcomm_group_get_timeout(mpcomm_group_t group, double *seconds) {
  return mpcomm::c_boundary("mpcomm_group_get_timeout", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(seconds, "seconds");
    *seconds = g.timeout();
  });
}

void mpcomm_group_s::enable_message_queue(size_t chunk_bytes, int chunks) {
  require_usable();
  message_queue_.reset();
  message_queue_ = std::make_unique<mpcomm::MessageQueue>(*this, chunk_bytes, chunks);
  if (rank() == 0)
    mpcomm::log::info(mpcomm::log::Subsys::Shm, mpcomm::GroupName{*this},
                      ": object broadcasts from group rank 0 take a shared-memory message queue (",
                      chunks, " chunks of ", chunk_bytes, " bytes)");
}

std::ostream &mpcomm::operator<<(std::ostream &out, GroupName name) {
  const auto &ranks = name.group.global_ranks();
  out << "group of " << ranks.size() << " [";
  for (size_t i = 0; i < ranks.size() && i < 8; ++i) out << (i ? " " : "") << ranks[i];
  return out << (ranks.size() > 8 ? " ...]" : "]");
}
