#include "comm/node_rank.hpp"

#include <atomic>
#include <cstdlib>

#include "core/mpi_call.hpp"

namespace mpcomm {

namespace {

constexpr int kUnknown = -1;
std::atomic<int> exact_rank{kUnknown};

// Launchers export the node-local rank; these are read only until the exact value is known.
int launcher_local_rank() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char *end = nullptr;
    long v = std::strtol(value, &end, 10);
    if (*end == '\0' && v >= 0 && v < (1L << 30)) return static_cast<int>(v);
  }
  return kUnknown;
}

}  // namespace

int node_local_rank() {
  int exact = exact_rank.load();
  if (exact != kUnknown) return exact;
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  if (world_size == 1) return 0;
  return launcher_local_rank();
}

void learn_node_local_rank(MPI_Comm comm_spanning_world) {
  // Only this collective sets the value, so every process of the world agrees on whether it is
  // known and all of them return here together or split together.
  if (exact_rank.load() != kUnknown) return;
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm node = MPI_COMM_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_split_type(comm_spanning_world, MPI_COMM_TYPE_SHARED, world_rank,
                                       MPI_INFO_NULL, &node));
  int node_rank = 0;
  int rc = MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  mpi_check(rc, "MPI_Comm_rank");
  exact_rank.store(node_rank);
}

bool spans_world(MPI_Comm comm) {
  int world_size = 0, size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  if (size != world_size) return false;
  // The same size as the world: it spans the world when its group translates onto it.
  MPI_Group group = MPI_GROUP_NULL, world = MPI_GROUP_NULL;
  int result = MPI_UNEQUAL;
  MPCOMM_MPI_CHECK(MPI_Comm_group(comm, &group));
  MPI_Comm_group(MPI_COMM_WORLD, &world);
  const int rc = MPI_Group_compare(group, world, &result);
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  mpi_check(rc, "MPI_Group_compare");
  return result != MPI_UNEQUAL;
}

int node_local_rank_in(MPI_Comm origin) {
  if (spans_world(origin)) {
    learn_node_local_rank(origin);
    return node_local_rank();
  }
  int rank = 0, local = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(origin, &rank));
  MPI_Comm node = MPI_COMM_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_split_type(origin, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  const int rc = MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  mpi_check(rc, "MPI_Comm_rank");
  return local;
}

}  // namespace mpcomm
