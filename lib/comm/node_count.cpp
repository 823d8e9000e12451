#include "comm/node_count.hpp"

#include <vector>

#include "comm/bounded.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

int node_count(MPI_Comm comm, double timeout_s) {
  // Every process has come once this returns, so the blocking split cannot hang.
  bounded_barrier(comm, timeout_s, "counting nodes");
  int rank = 0, size = 0, node_rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  MPI_Comm node = MPI_COMM_NULL;
  MPCOMM_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  const int rc = MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  mpi_check(rc, "MPI_Comm_rank");
  const int leader = node_rank == 0 ? 1 : 0;
  std::vector<int> leaders(static_cast<size_t>(size));
  bounded_all_gather(comm, &leader, leaders.data(), sizeof leader, timeout_s, "counting nodes");
  int count = 0;
  for (int l : leaders) count += l;
  return count;
}

}  // namespace mpcomm
