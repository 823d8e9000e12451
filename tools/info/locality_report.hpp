// mpcomm-info's locality section: where each rank runs (node, cores, NUMA node, GPU) and, per
// node, the GPUs and their links in the manner of `nvidia-smi topo -m`.
#pragma once

#include <string>

namespace mpcomm::info {

// This rank's placement; local_rank picks its GPU (local rank modulo the node's GPUs).
std::string rank_locality_text(int rank, int local_rank);
std::string rank_locality_json(int local_rank);

// The machine and its GPU link matrix; printed once per node.
std::string node_topology_text();
std::string node_topology_json();

}  // namespace mpcomm::info
