// Where this process and the GPUs sit in the machine, from hwloc: loaded once per process.
#pragma once

#include <string>
#include <vector>

namespace mpcomm::locality {

// One NVIDIA GPU as a PCI device, with the cores and NUMA nodes nearest to it.
struct GpuPlacement {
  int cuda_index = -1;     // index in the CUDA runtime's order, -1 when CUDA is not built in
  std::string pci_bus_id;  // "0000:3b:00.0"
  std::string name;        // from CUDA when built in, else hwloc's PCI name
  std::string near_cpus;   // list form, "0-15,32-47"; empty when unknown
  std::vector<int> near_numa_nodes;  // OS indexes
};

// The binding of the calling process.
struct ProcessPlacement {
  std::string bound_cpus;       // list form of the PUs the process may run on
  std::vector<int> cores;       // logical indexes of the cores those PUs belong to
  std::vector<int> numa_nodes;  // OS indexes of the NUMA nodes whose cores it may run on
};

class Topology {
 public:
  // The process-wide topology, loaded on first use (thread-safe). Throws Error on failure.
  static const Topology &instance();

  // Summary of the machine: "1 package, 2 cores, 2 PUs, 1 NUMA node".
  const std::string &summary() const { return summary_; }
  // What identifies this machine to hwloc: host name, and the DMI product UUID when readable.
  const std::string &machine_identity() const { return identity_; }
  const std::vector<GpuPlacement> &gpus() const { return gpus_; }
  int numa_node_count() const { return numa_nodes_; }
  int core_count() const { return cores_; }

  // Where the calling thread's process is bound now (read at each call: bindings change).
  ProcessPlacement placement() const;

  ~Topology();
  Topology(const Topology &) = delete;
  Topology &operator=(const Topology &) = delete;

 private:
  Topology();
  struct Handle;
  Handle *handle_;
  std::string summary_, identity_;
  std::vector<GpuPlacement> gpus_;
  int numa_nodes_ = 0, cores_ = 0;
};

}  // namespace mpcomm::locality
