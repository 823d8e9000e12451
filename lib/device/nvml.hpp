// GPU-to-GPU links from NVML, loaded at run time (dlopen) so that mpcomm neither needs NVML to
// build nor to run: without it every link is Unknown and NVLink is never assumed.
#pragma once

#include <string>

namespace mpcomm::device {

// How two GPUs reach each other, in the terms of `nvidia-smi topo -m`.
enum class GpuLink {
  Self,           // the same GPU
  NvLink,         // NVLink peer-to-peer
  SamePciSwitch,  // PIX/PXB: through PCIe switches only
  HostBridge,     // PHB: through a PCIe host bridge
  SameNumaNode,   // NODE: across host bridges within a NUMA node
  CrossNuma,      // SYS: across the inter-socket link
  Unknown         // NVML missing or the GPUs not found
};

// "NV", "PIX", "PHB", "NODE", "SYS", "X" (self) or "?".
const char *gpu_link_label(GpuLink link);

class Nvml {
 public:
  // Loads libnvidia-ml on first use; never throws.
  static const Nvml &instance();
  bool available() const { return available_; }
  // Why NVML is unavailable ("libnvidia-ml.so.1: cannot open shared object file", ...).
  const std::string &unavailable_reason() const { return reason_; }
  // The link between two GPUs given by PCI bus id ("0000:3b:00.0").
  GpuLink link(const std::string &bus_a, const std::string &bus_b) const;

  ~Nvml();
  Nvml(const Nvml &) = delete;
  Nvml &operator=(const Nvml &) = delete;

 private:
  Nvml();
  struct Api;
  Api *api_ = nullptr;
  bool available_ = false;
  std::string reason_;
};

}  // namespace mpcomm::device
