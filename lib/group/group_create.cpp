// mpcomm_group_from_comm and mpcomm_group_from_ranks: every way of making a group that waits for
// other processes is bounded by MPCOMM_TIMEOUT.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "comm/bounded.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/fortran_handle.hpp"
#include "core/mpi_call.hpp"
#include "group/group.hpp"
#include "group/message_queue.hpp"
#include "group/node_rank.hpp"
#include "group/requests.hpp"

namespace mpcomm {
namespace {

// Tags on the parent communicator of mpcomm_group_from_ranks (documented in mpcomm_group(3)).
constexpr int kTagHello = 32767;   // member -> leader: "I am here, with this list"
constexpr int kTagAnswer = 32766;  // leader -> member: the lists agree or not
constexpr int kTagCreate = 32765;  // MPI_Comm_create_group's own traffic

// FNV-1a over the list, so members can compare lists without sending them.
uint64_t list_hash(const int *ranks, int n) {
  uint64_t h = 1469598103934665603ULL;
  const auto *bytes = reinterpret_cast<const unsigned char *>(ranks);
  for (size_t i = 0; i < static_cast<size_t>(n) * sizeof(int); ++i) {
    h ^= bytes[i];
    h *= 1099511628211ULL;
  }
  return h ^ static_cast<uint64_t>(n);
}

std::string describe_parent_ranks(const std::vector<int> &parent_ranks) {
  std::string list;
  for (int r : parent_ranks) list += concat(list.empty() ? "" : ", ", r);
  return concat(parent_ranks.size() == 1 ? "parent rank " : "parent ranks ", list);
}

// Before MPI_Comm_create_group (which cannot time out), the members meet at the first one with
// a timeout and check that they all passed the same list.
void meet_members(MPI_Comm parent, const int *ranks, int n, int my_parent_rank, double timeout) {
  const uint64_t mine = list_hash(ranks, n);
  const Deadline deadline(timeout);
  const int leader = ranks[0];
  Requests requests;
  if (my_parent_rank == leader) {
    std::vector<uint64_t> hashes(static_cast<size_t>(n));
    requests.reserve(static_cast<size_t>(n));
    for (int i = 1; i < n; ++i)
      requests.recv(&hashes[static_cast<size_t>(i)], sizeof(uint64_t), ranks[i], kTagHello, parent);
    if (!requests.wait(deadline)) {
      auto missing = requests.pending_peers();
      requests.abandon();
      throw Error(MPCOMM_ERR_TIMEOUT, concat("timed out after ", timeout, " s forming the group: ",
                                             describe_parent_ranks(missing), " had not arrived"));
    }
    std::vector<int> disagreeing;
    for (int i = 1; i < n; ++i)
      if (hashes[static_cast<size_t>(i)] != mine) disagreeing.push_back(ranks[i]);
    const uint8_t answer = disagreeing.empty() ? 1 : 0;
    for (int i = 1; i < n; ++i) requests.send(&answer, 1, ranks[i], kTagAnswer, parent);
    if (!requests.wait(deadline)) {
      auto missing = requests.pending_peers();
      requests.abandon();
      throw Error(MPCOMM_ERR_TIMEOUT, concat("timed out after ", timeout, " s forming the group: ",
                                             describe_parent_ranks(missing), " did not answer"));
    }
    require_arg(disagreeing.empty(), "the members must pass the same ranks list, but ",
                describe_parent_ranks(disagreeing), " passed a different one");
  } else {
    uint8_t answer = 0;
    requests.send(&mine, sizeof mine, leader, kTagHello, parent);
    requests.recv(&answer, 1, leader, kTagAnswer, parent);
    if (!requests.wait(deadline)) {
      requests.abandon();
      throw Error(MPCOMM_ERR_TIMEOUT,
                  concat("timed out after ", timeout, " s forming the group: ranks[0] (",
                         describe_parent_ranks({leader}),
                         ") had not arrived, or was waiting for another member"));
    }
    require_arg(answer == 1, "the members must pass the same ranks list, but ranks[0] (",
                describe_parent_ranks({leader}), ") passed a different one");
  }
}

// True when comm holds every process of MPI_COMM_WORLD.
bool spans_world(const mpcomm_group_s &g) {
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  return g.ranks_are_global() && g.size() == world_size;
}

// mpcomm_group_from_comm and mpcomm_group_from_comm_f, once *group is cleared and comm checked.
void group_from_comm(MPI_Comm comm, mpcomm_group_t *group) {
  int inter = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_test_inter(comm, &inter));
  require_arg(!inter, "comm must be an intracommunicator, got an intercommunicator");
  const double timeout = default_object_timeout();

  // A process of comm that never calls leaves the others with a timeout, and comm cannot be
  // used collectively any more.
  const MPI_Comm dup = bounded_dup(comm, timeout, "duplicating comm in mpcomm_group_from_comm");
  std::unique_ptr<mpcomm_group_s> made(adopt_communicator(dup));
  if (spans_world(*made)) learn_node_local_rank(made->comm());
  *group = made.release();
}

}  // namespace
}  // namespace mpcomm

extern "C" mpcomm_status_t mpcomm_group_from_comm(MPI_Comm comm, mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_from_comm", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_mpi_running();
    mpcomm::require_arg(comm != MPI_COMM_NULL, "comm must not be MPI_COMM_NULL");
    mpcomm::group_from_comm(comm, group);
  });
}

extern "C" mpcomm_status_t mpcomm_group_from_comm_f(MPI_Fint comm, mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_from_comm_f", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::group_from_comm(mpcomm::comm_from_fortran(comm, "comm"), group);
  });
}

namespace mpcomm {
namespace {

// mpcomm_group_from_ranks and mpcomm_group_from_ranks_f, once *group is cleared and parent
// checked.
void group_from_ranks(MPI_Comm parent, const int *ranks, int n, mpcomm_group_t *group) {
  require_not_null(ranks, "ranks");
  require_arg(n >= 1, "n must be >= 1, got ", n);
  int inter = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_test_inter(parent, &inter));
  require_arg(!inter, "parent must be an intracommunicator, got an intercommunicator");
  int parent_size = 0, my_rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_size(parent, &parent_size));
  MPCOMM_MPI_CHECK(MPI_Comm_rank(parent, &my_rank));
  std::vector<bool> seen(static_cast<size_t>(parent_size), false);
  for (int i = 0; i < n; ++i) {
    require_arg(ranks[i] >= 0 && ranks[i] < parent_size, "ranks[", i, "] = ", ranks[i],
                " is out of range for a parent of size ", parent_size);
    require_arg(!seen[static_cast<size_t>(ranks[i])], "ranks[", i, "] = ", ranks[i],
                " appears twice");
    seen[static_cast<size_t>(ranks[i])] = true;
  }
  require_arg(seen[static_cast<size_t>(my_rank)], "the calling process (parent rank ", my_rank,
              ") is not in ranks: only the members call mpcomm_group_from_ranks");

  if (n > 1) meet_members(parent, ranks, n, my_rank, default_object_timeout());

  MPI_Group parent_group = MPI_GROUP_NULL, members = MPI_GROUP_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(parent, &parent_group));
  int rc = MPI_Group_incl(parent_group, n, ranks, &members);
  MPI_Group_free(&parent_group);
  mpi_check(rc, "MPI_Group_incl");
  MPI_Comm made = MPI_COMM_NULL;
  rc = MPI_Comm_create_group(parent, members, kTagCreate, &made);
  MPI_Group_free(&members);
  mpi_check(rc, "MPI_Comm_create_group");
  std::unique_ptr<mpcomm_group_s> g(adopt_communicator(made));
  if (spans_world(*g)) learn_node_local_rank(g->comm());
  *group = g.release();
}

}  // namespace
}  // namespace mpcomm

extern "C" mpcomm_status_t mpcomm_group_from_ranks(MPI_Comm parent, const int *ranks, int n,
                                                   mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_from_ranks", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_mpi_running();
    mpcomm::require_arg(parent != MPI_COMM_NULL, "parent must not be MPI_COMM_NULL");
    mpcomm::group_from_ranks(parent, ranks, n, group);
  });
}

extern "C" mpcomm_status_t mpcomm_group_from_ranks_f(MPI_Fint parent, const int *ranks, int n,
                                                     mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_from_ranks_f", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::group_from_ranks(mpcomm::comm_from_fortran(parent, "parent"), ranks, n, group);
  });
}

extern "C" mpcomm_status_t mpcomm_group_enable_message_queue(mpcomm_group_t group,
                                                             size_t chunk_bytes, int chunks) {
  return mpcomm::c_boundary("mpcomm_group_enable_message_queue", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_arg(chunks >= 0, "chunks must be >= 0 (0: the default), got ", chunks);
    mpcomm::require_arg(chunk_bytes <= (size_t{1} << 30), "chunk_bytes must be at most 1 GiB, got ",
                        chunk_bytes);
    g.enable_message_queue(chunk_bytes ? chunk_bytes : mpcomm::MessageQueue::kDefaultChunkBytes,
                           chunks ? chunks : mpcomm::MessageQueue::kDefaultChunks);
  });
}
