// Which processes share a node: the MPI form of vLLM's in_the_same_node_as. A source writes a
// random magic word into an MPI shared-memory window of its node and every process reads its own
// node's window; MPI_Win_allocate_shared leaves no name in /dev/shm. The answer is cross-checked
// with hwloc's identity of the machine.
#pragma once

#include <mpi.h>

#include <vector>

namespace mpcomm::locality {

// For every rank of comm, 1 if it shares memory with rank `source` of comm, else 0. Each
// rank's answer is for its own node. Collective over comm; every wait for the other ranks is
// bounded by timeout_s (Error(TIMEOUT): comm cannot be used collectively any more).
std::vector<int> same_node_as(MPI_Comm comm, int source, double timeout_s);

// The number of nodes is comm/node_count.hpp's node_count: a fact of the communicator.

}  // namespace mpcomm::locality
