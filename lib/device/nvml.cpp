#include "device/nvml.hpp"

#include <dlfcn.h>

#include <mutex>

namespace mpcomm::device {

namespace {

// The few NVML ABI items used here (stable since NVML 2; nvml.h is not needed to build).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDeviceOpaque *;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kP2pCapsIndexNvlink = 2;
constexpr int kP2pStatusOk = 0;
// nvmlGpuTopologyLevel_t
constexpr int kTopologyInternal = 0, kTopologySingle = 10, kTopologyMultiple = 20,
              kTopologyHostBridge = 30, kTopologyNode = 40, kTopologySystem = 50;

}  // namespace

struct Nvml::Api {
  void *library = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*handle_by_bus_id)(const char *, nvmlDevice_t *) = nullptr;
  nvmlReturn_t (*p2p_status)(nvmlDevice_t, nvmlDevice_t, int, int *) = nullptr;
  nvmlReturn_t (*common_ancestor)(nvmlDevice_t, nvmlDevice_t, int *) = nullptr;
  std::mutex mutex;  // NVML is thread-safe, but keep handle lookups serialised and simple
};

const char *gpu_link_label(GpuLink link) {
  switch (link) {
    case GpuLink::Self: return "X";
    case GpuLink::NvLink: return "NV";
    case GpuLink::SamePciSwitch: return "PIX";
    case GpuLink::HostBridge: return "PHB";
    case GpuLink::SameNumaNode: return "NODE";
    case GpuLink::CrossNuma: return "SYS";
    case GpuLink::Unknown: break;
  }
  return "?";
}

Nvml::Nvml() : api_(new Api) {
  api_->library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (api_->library == nullptr) {
    const char *why = dlerror();
    reason_ = why ? why : "libnvidia-ml.so.1 not found";
    return;
  }
  auto symbol = [&](const char *name) { return dlsym(api_->library, name); };
  api_->init = reinterpret_cast<decltype(api_->init)>(symbol("nvmlInit_v2"));
  api_->shutdown = reinterpret_cast<decltype(api_->shutdown)>(symbol("nvmlShutdown"));
  api_->handle_by_bus_id = reinterpret_cast<decltype(api_->handle_by_bus_id)>(
      symbol("nvmlDeviceGetHandleByPciBusId_v2"));
  api_->p2p_status = reinterpret_cast<decltype(api_->p2p_status)>(symbol("nvmlDeviceGetP2PStatus"));
  api_->common_ancestor = reinterpret_cast<decltype(api_->common_ancestor)>(
      symbol("nvmlDeviceGetTopologyCommonAncestor"));
  if (!api_->init || !api_->shutdown || !api_->handle_by_bus_id || !api_->p2p_status ||
      !api_->common_ancestor) {
    reason_ = "libnvidia-ml.so.1 lacks a needed function (driver too old?)";
    return;
  }
  nvmlReturn_t rc = api_->init();
  if (rc != kNvmlSuccess) {
    reason_ = "nvmlInit_v2 failed with NVML status " + std::to_string(rc);
    return;
  }
  available_ = true;
}

Nvml::~Nvml() {
  if (available_) api_->shutdown();
  if (api_->library) dlclose(api_->library);
  delete api_;
}

const Nvml &Nvml::instance() {
  static const Nvml nvml;
  return nvml;
}

GpuLink Nvml::link(const std::string &bus_a, const std::string &bus_b) const {
  if (bus_a == bus_b) return GpuLink::Self;
  if (!available_) return GpuLink::Unknown;
  std::lock_guard<std::mutex> lock(api_->mutex);
  nvmlDevice_t a = nullptr, b = nullptr;
  if (api_->handle_by_bus_id(bus_a.c_str(), &a) != kNvmlSuccess ||
      api_->handle_by_bus_id(bus_b.c_str(), &b) != kNvmlSuccess)
    return GpuLink::Unknown;
  int status = -1;
  if (api_->p2p_status(a, b, kP2pCapsIndexNvlink, &status) == kNvmlSuccess &&
      status == kP2pStatusOk)
    return GpuLink::NvLink;
  int level = -1;
  if (api_->common_ancestor(a, b, &level) != kNvmlSuccess) return GpuLink::Unknown;
  switch (level) {
    case kTopologyInternal:
    case kTopologySingle:
    case kTopologyMultiple: return GpuLink::SamePciSwitch;
    case kTopologyHostBridge: return GpuLink::HostBridge;
    case kTopologyNode: return GpuLink::SameNumaNode;
    case kTopologySystem: return GpuLink::CrossNuma;
    default: return GpuLink::Unknown;
  }
}

}  // namespace mpcomm::device
