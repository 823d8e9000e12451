// Making groups from communicators (group_create.hpp): every way of making a group that waits
// for other processes is bounded by MPCOMM_TIMEOUT.
#include "group/group_create.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "comm/bounded.hpp"
#include "comm/node_rank.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/fortran_handle.hpp"
#include "core/mpi_call.hpp"
#include "group/group.hpp"
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

}  // namespace

mpcomm_group_t group_from_comm(MPI_Comm comm) {
  int inter = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_test_inter(comm, &inter));
  require_arg(!inter, "comm must be an intracommunicator, got an intercommunicator");
  // A process of comm that never calls leaves the others with a timeout, and comm cannot be
  // used collectively any more.
  const MPI_Comm dup =
      bounded_dup(comm, default_timeout(), "duplicating comm in mpcomm_group_from_comm");
  int local_rank = -1;
  try {
    local_rank = node_local_rank_in(dup);
  } catch (...) {
    MPI_Comm copy = dup;
    MPI_Comm_free(&copy);
    throw;
  }
  return adopt_communicator(dup, local_rank);
}

mpcomm_group_t group_from_ranks(MPI_Comm parent, const int *ranks, int n) {
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

  if (n > 1) meet_members(parent, ranks, n, my_rank, default_timeout());

  MPI_Group parent_group = MPI_GROUP_NULL, members = MPI_GROUP_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(parent, &parent_group));
  int rc = MPI_Group_incl(parent_group, n, ranks, &members);
  MPI_Group_free(&parent_group);
  mpi_check(rc, "MPI_Group_incl");
  MPI_Comm made = MPI_COMM_NULL;
  rc = MPI_Comm_create_group(parent, members, kTagCreate, &made);
  MPI_Group_free(&members);
  mpi_check(rc, "MPI_Comm_create_group");
  // Only the members call, so the parent cannot be split: a group of the whole world learns the
  // process's node-local rank; another takes it as known (exact once a world-spanning group or
  // state was made, else the launcher's).
  int local_rank = node_local_rank();
  try {
    if (spans_world(made)) local_rank = node_local_rank_in(made);
  } catch (...) {
    MPI_Comm_free(&made);
    throw;
  }
  return adopt_communicator(made, local_rank);
}

}  // namespace mpcomm
