#include "info/locality_report.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "device/gpu_choice.hpp"
#include "device/nvml.hpp"
#include "locality/topology.hpp"

namespace mpcomm::info {

namespace {

using locality::GpuPlacement;
using locality::Topology;

std::string host_name() {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

std::string join(const std::vector<int> &values) {
  std::string out;
  for (int v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out.empty() ? "-" : out;
}

std::string json_escape(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_ints(const std::vector<int> &values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

const GpuPlacement *gpu_of(int local_rank) {
  const auto &gpus = Topology::instance().gpus();
  const int index = mpcomm::device::gpu_for_local_rank(local_rank, static_cast<int>(gpus.size()));
  return index < 0 ? nullptr : &gpus[static_cast<size_t>(index)];
}

}  // namespace

std::string rank_locality_text(int rank, int local_rank) {
  const auto placement = Topology::instance().placement();
  std::string line = "rank " + std::to_string(rank) + ": node " + host_name() + ", local rank " +
                     std::to_string(local_rank) + ", cores " + join(placement.cores) + " (PUs " +
                     placement.bound_cpus + "), NUMA " + join(placement.numa_nodes);
  if (const GpuPlacement *gpu = gpu_of(local_rank)) {
    line += ", GPU " + (gpu->cuda_index >= 0 ? std::to_string(gpu->cuda_index) : "?") + " " +
            gpu->pci_bus_id + " (near NUMA " + join(gpu->near_numa_nodes) + ", PUs " +
            (gpu->near_cpus.empty() ? "?" : gpu->near_cpus) + ")";
  } else {
    line += ", GPU none";
  }
  return line;
}

std::string rank_locality_json(int local_rank) {
  const auto placement = Topology::instance().placement();
  std::string out = "{\"node\": " + json_escape(host_name()) +
                    ", \"local_rank\": " + std::to_string(local_rank) +
                    ", \"cores\": " + json_ints(placement.cores) +
                    ", \"cpus\": " + json_escape(placement.bound_cpus) +
                    ", \"numa\": " + json_ints(placement.numa_nodes) + ", \"gpu\": ";
  if (const GpuPlacement *gpu = gpu_of(local_rank))
    out += "{\"cuda_index\": " + std::to_string(gpu->cuda_index) +
           ", \"pci_bus_id\": " + json_escape(gpu->pci_bus_id) +
           ", \"near_numa\": " + json_ints(gpu->near_numa_nodes) +
           ", \"near_cpus\": " + json_escape(gpu->near_cpus) + "}";
  else
    out += "null";
  return out + "}";
}

std::string node_topology_text() {
  const Topology &topo = Topology::instance();
  const auto &gpus = topo.gpus();
  std::string text = "# node " + host_name() + ": " + topo.summary() + ", " +
                     std::to_string(gpus.size()) + (gpus.size() == 1 ? " GPU\n" : " GPUs\n");
  if (gpus.empty()) return text;
  const auto &nvml = device::Nvml::instance();
  // The link matrix, then each GPU's affinity, as nvidia-smi topo -m prints them.
  text += "#        ";
  for (size_t j = 0; j < gpus.size(); ++j) {
    char head[32];
    std::snprintf(head, sizeof head, "GPU%-4zu", j);
    text += head;
  }
  text += "CPU affinity    NUMA affinity\n";
  for (size_t i = 0; i < gpus.size(); ++i) {
    char head[32];
    std::snprintf(head, sizeof head, "#   GPU%-2zu ", i);
    text += head;
    for (size_t j = 0; j < gpus.size(); ++j) {
      char cell[16];
      std::snprintf(cell, sizeof cell, "%-7s",
                    device::gpu_link_label(nvml.link(gpus[i].pci_bus_id, gpus[j].pci_bus_id)));
      text += cell;
    }
    char tail[96];
    std::snprintf(tail, sizeof tail, "%-16s%s\n",
                  gpus[i].near_cpus.empty() ? "?" : gpus[i].near_cpus.c_str(),
                  join(gpus[i].near_numa_nodes).c_str());
    text += tail;
  }
  text +=
      "#   (X = self, NV = NVLink, PIX = PCIe switch, PHB = host bridge, NODE = same NUMA "
      "node, SYS = across NUMA nodes, ? = unknown";
  text += nvml.available() ? ")\n" : "; NVML: " + nvml.unavailable_reason() + ")\n";
  return text;
}

std::string node_topology_json() {
  const Topology &topo = Topology::instance();
  const auto &gpus = topo.gpus();
  const auto &nvml = device::Nvml::instance();
  std::string out = "{\"node\": " + json_escape(host_name()) +
                    ", \"machine\": " + json_escape(topo.summary()) + ", \"gpus\": [";
  for (size_t i = 0; i < gpus.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"pci_bus_id\": " + json_escape(gpus[i].pci_bus_id) +
           ", \"name\": " + json_escape(gpus[i].name) + ", \"links\": [";
    for (size_t j = 0; j < gpus.size(); ++j)
      out += std::string(j ? ", " : "") +
             json_escape(device::gpu_link_label(nvml.link(gpus[i].pci_bus_id, gpus[j].pci_bus_id)));
    out += "]}";
  }
  return out + "], \"nvml\": " + (nvml.available() ? "true" : "false") + "}";
}

}  // namespace mpcomm::info
