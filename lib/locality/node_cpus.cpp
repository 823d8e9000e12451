// The node's processes against the CPUs of their affinity masks: see node_cpus.hpp.
#include "locality/node_cpus.hpp"

#include <hwloc.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::locality {
namespace {

// A topology of the machine without I/O devices (quick to load), loaded once per process.
hwloc_topology_t cpu_topology() {
  static const hwloc_topology_t topology = [] {
    hwloc_topology_t t = nullptr;
    require(hwloc_topology_init(&t) == 0, MPCOMM_ERR_SYSTEM, "hwloc_topology_init failed");
    if (hwloc_topology_load(t) != 0) {
      hwloc_topology_destroy(t);
      throw Error(MPCOMM_ERR_SYSTEM, "hwloc_topology_load failed");
    }
    return t;
  }();
  return topology;
}

constexpr unsigned kWordBits = sizeof(unsigned long) * CHAR_BIT;

}  // namespace

std::vector<unsigned> process_cpus() {
  hwloc_topology_t topology = cpu_topology();
  std::unique_ptr<hwloc_bitmap_s, void (*)(hwloc_bitmap_t)> set(hwloc_bitmap_alloc(),
                                                                hwloc_bitmap_free);
  require(set != nullptr, MPCOMM_ERR_SYSTEM, "hwloc_bitmap_alloc failed");
  if (hwloc_get_cpubind(topology, set.get(), HWLOC_CPUBIND_PROCESS) != 0 ||
      hwloc_bitmap_iszero(set.get()))
    hwloc_bitmap_copy(set.get(), hwloc_topology_get_allowed_cpuset(topology));
  std::vector<unsigned> cpus;
  for (int i = hwloc_bitmap_first(set.get()); i >= 0; i = hwloc_bitmap_next(set.get(), i))
    cpus.push_back(static_cast<unsigned>(i));
  return cpus;
}

NodeCpus node_cpus(MPI_Comm node) {
  NodeCpus result;
  mpi_check(MPI_Comm_size(node, &result.processes), "MPI_Comm_size");
  const std::vector<unsigned> mine = process_cpus();
  // The union of the masks as bit words, as long as the longest mask of the node.
  int words = mine.empty() ? 0 : static_cast<int>(mine.back() / kWordBits + 1);
  int longest = 0;
  mpi_check(MPI_Allreduce(&words, &longest, 1, MPI_INT, MPI_MAX, node), "MPI_Allreduce");
  std::vector<unsigned long> bits(static_cast<size_t>(longest), 0), all(bits.size(), 0);
  for (unsigned cpu : mine) bits[cpu / kWordBits] |= 1UL << (cpu % kWordBits);
  if (longest > 0)
    mpi_check(MPI_Allreduce(bits.data(), all.data(), longest, MPI_UNSIGNED_LONG, MPI_BOR, node),
              "MPI_Allreduce");
  for (unsigned long word : all) result.cpus += __builtin_popcountl(word);
  return result;
}

}  // namespace mpcomm::locality
