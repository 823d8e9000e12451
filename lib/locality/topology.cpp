#include "locality/topology.hpp"

#include <hwloc.h>
#include <strings.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "config.h"
#include "core/error.hpp"
#include "core/log.hpp"
#ifdef MPCOMM_HAVE_CUDA
#include "kernels/device_probe.h"
#endif

namespace mpcomm::locality {

namespace {

constexpr unsigned kNvidiaVendorId = 0x10de;
constexpr unsigned kPciClassDisplay = 0x03;  // VGA (0x0300) and 3D (0x0302) controllers

struct BitmapFree {
  void operator()(hwloc_bitmap_t b) const { hwloc_bitmap_free(b); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapFree>;

Bitmap new_bitmap() {
  Bitmap b(hwloc_bitmap_alloc());
  if (!b) throw std::bad_alloc();
  return b;
}

std::string list_string(hwloc_const_bitmap_t set) {
  char *text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, set) < 0 || text == nullptr) throw std::bad_alloc();
  std::string out(text);
  std::free(text);
  return out;
}

std::vector<int> os_indexes(hwloc_const_bitmap_t set) {
  std::vector<int> out;
  for (int i = hwloc_bitmap_first(set); i != -1; i = hwloc_bitmap_next(set, i)) out.push_back(i);
  return out;
}

std::string bus_id(const hwloc_obj_t pci) {
  char text[32];
  std::snprintf(text, sizeof(text), "%04x:%02x:%02x.%01x", pci->attr->pcidev.domain,
                pci->attr->pcidev.bus, pci->attr->pcidev.dev, pci->attr->pcidev.func);
  return text;
}

// Fills the cores and NUMA nodes nearest to a PCI device (its first non-I/O ancestor).
void fill_nearness(hwloc_topology_t topo, hwloc_obj_t pci, GpuPlacement *gpu) {
  hwloc_obj_t near = hwloc_get_non_io_ancestor_obj(topo, pci);
  if (near == nullptr) return;
  if (near->cpuset) gpu->near_cpus = list_string(near->cpuset);
  if (near->nodeset) gpu->near_numa_nodes = os_indexes(near->nodeset);
}

}  // namespace

struct Topology::Handle {
  hwloc_topology_t topo = nullptr;
};

Topology::Topology() : handle_(new Handle) {
  std::unique_ptr<Handle> guard(handle_);
  require(hwloc_topology_init(&handle_->topo) == 0, MPCOMM_ERR_SYSTEM,
          "hwloc_topology_init failed");
  // PCI devices are needed to place GPUs; bridges and the rest are not.
  hwloc_topology_set_io_types_filter(handle_->topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  if (hwloc_topology_load(handle_->topo) != 0) {
    hwloc_topology_destroy(handle_->topo);
    throw Error(MPCOMM_ERR_SYSTEM, "hwloc_topology_load failed");
  }
  hwloc_topology_t topo = handle_->topo;

  int packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
  cores_ = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  numa_nodes_ = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  summary_ = concat(packages, packages == 1 ? " package, " : " packages, ", cores_,
                    cores_ == 1 ? " core, " : " cores, ", pus, pus == 1 ? " PU, " : " PUs, ",
                    numa_nodes_, numa_nodes_ == 1 ? " NUMA node" : " NUMA nodes");

  hwloc_obj_t root = hwloc_get_root_obj(topo);
  const char *host = hwloc_obj_get_info_by_name(root, "HostName");
  const char *uuid = hwloc_obj_get_info_by_name(root, "DMIProductUUID");
  identity_ = concat(host ? host : "unknown-host", uuid ? concat(" uuid=", uuid) : "");

  // GPUs: in CUDA's order when CUDA sees them (the rank-to-GPU map uses CUDA indexes),
  // else every NVIDIA display controller hwloc finds on the PCI bus.
#ifdef MPCOMM_HAVE_CUDA
  std::string cuda_error;
  for (const auto &dev : kernels::list_devices(&cuda_error)) {
    GpuPlacement gpu;
    gpu.cuda_index = dev.index;
    gpu.pci_bus_id = dev.pci_bus_id;
    for (auto &c : gpu.pci_bus_id) c = static_cast<char>(std::tolower(c));
    gpu.name = dev.name;
    if (hwloc_obj_t pci = hwloc_get_pcidev_by_busidstring(topo, gpu.pci_bus_id.c_str()))
      fill_nearness(topo, pci, &gpu);
    gpus_.push_back(gpu);
  }
  if (gpus_.empty() && !cuda_error.empty())
    log::info(log::Subsys::Init, "CUDA lists no GPU: ", cuda_error);
#endif
  if (gpus_.empty()) {
    for (hwloc_obj_t pci = hwloc_get_next_pcidev(topo, nullptr); pci != nullptr;
         pci = hwloc_get_next_pcidev(topo, pci)) {
      if (pci->attr->pcidev.vendor_id != kNvidiaVendorId ||
          (pci->attr->pcidev.class_id >> 8) != kPciClassDisplay)
        continue;
      GpuPlacement gpu;
      gpu.pci_bus_id = bus_id(pci);
      gpu.name = pci->name ? pci->name : "NVIDIA GPU";
      fill_nearness(topo, pci, &gpu);
      gpus_.push_back(gpu);
    }
  }
  guard.release();
}

Topology::~Topology() {
  hwloc_topology_destroy(handle_->topo);
  delete handle_;
}

const Topology &Topology::instance() {
  // Built once; a failure is reported to every caller rather than cached as a half object.
  static const Topology *topology = new Topology();
  return *topology;
}

ProcessPlacement Topology::placement() const {
  hwloc_topology_t topo = handle_->topo;
  Bitmap cpus = new_bitmap();
  if (hwloc_get_cpubind(topo, cpus.get(), HWLOC_CPUBIND_PROCESS) != 0)
    hwloc_bitmap_copy(cpus.get(), hwloc_topology_get_allowed_cpuset(topo));
  ProcessPlacement p;
  p.bound_cpus = list_string(cpus.get());
  for (hwloc_obj_t core = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, nullptr);
       core != nullptr; core = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, core))
    if (hwloc_bitmap_intersects(core->cpuset, cpus.get()))
      p.cores.push_back(static_cast<int>(core->logical_index));
  Bitmap nodes = new_bitmap();
  hwloc_cpuset_to_nodeset(topo, cpus.get(), nodes.get());
  p.numa_nodes = os_indexes(nodes.get());
  return p;
}

}  // namespace mpcomm::locality
