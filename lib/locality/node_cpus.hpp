// Whether the processes of a node outnumber the CPUs they may run on: the node's processes are
// the members of a shared-memory communicator, their CPUs the union of their affinity masks
// (hwloc), so the answer holds for every launcher and binding: mpirun with or without
// --bind-to, srun with or without a CPU set, taskset, a cgroup's cpuset.
#pragma once

#include <mpi.h>

#include <vector>

namespace mpcomm::locality {

struct NodeCpus {
  int processes = 0;  // members of the node communicator
  int cpus = 0;       // PUs in the union of their affinity masks
  bool oversubscribed() const { return processes > cpus; }
};

// The processes of node (a communicator of one node, e.g. from MPI_COMM_TYPE_SHARED) and the
// CPUs they may run on together. Collective over node; throws Error when MPI fails.
NodeCpus node_cpus(MPI_Comm node);

// node_cpus(node).oversubscribed(): the probe the group layer hands the host allreduce.
inline bool node_oversubscribed(MPI_Comm node) { return node_cpus(node).oversubscribed(); }

// The PUs (OS indexes) this process may run on, from hwloc; the machine's allowed PUs when the
// binding cannot be read.
std::vector<unsigned> process_cpus();

}  // namespace mpcomm::locality
