// node_cpus_probe: prints, from the first rank of each node, what locality::node_cpus finds on
// that node ("node_cpus: processes=P cpus=C oversubscribed=0|1") and what the host allreduce of
// MPI_COMM_WORLD decided; test/mpi/node-cpus.sh and test/slurm/slurm-cluster.sh compare them
// with what the launcher was told. Exits 1 when the two disagree or a call fails.
#include <mpi.h>

#include <cstdio>
#include <exception>

#include "host/host_allreduce.hpp"
#include "locality/node_cpus.hpp"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    MPI_Comm node = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int node_rank = 0;
    MPI_Comm_rank(node, &node_rank);
    const mpcomm::locality::NodeCpus facts = mpcomm::locality::node_cpus(node);
    mpcomm::host::HostAllreduce host(MPI_COMM_WORLD, mpcomm::locality::node_oversubscribed);
    if (node_rank == 0) {
      std::printf("node_cpus: processes=%d cpus=%d oversubscribed=%d host_allreduce=%d\n",
                  facts.processes, facts.cpus, facts.oversubscribed() ? 1 : 0,
                  host.oversubscribed() ? 1 : 0);
      std::fflush(stdout);
    }
    if (facts.cpus < 1 || host.oversubscribed() != facts.oversubscribed()) status = 1;
    host.close();
    MPI_Comm_free(&node);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "node_cpus_probe: %s\n", e.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
