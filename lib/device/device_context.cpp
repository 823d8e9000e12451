#include "device/device_context.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "comm/node_count.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "device/bounded_mpi.hpp"
#include "device/cuda_util.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "device/custom_allreduce_choice.hpp"
#include "device/device_state.hpp"
#include "device/gpu_choice.hpp"
#include "device/nvml.hpp"
#include "device/p2p_check.hpp"
#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

void DeviceContextDeleter::operator()(DeviceContext *context) const noexcept { delete context; }

namespace {

constexpr size_t kBusIdBytes = 32;

std::string bus_id_of(int device) {
  char bus[kBusIdBytes] = {0};
  MPCOMM_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof bus, device));
  return bus;
}

// The facts every member reads for itself, then agreed (the weakest answer wins), so that all
// members reach the same verdict.
EligibilityFacts gather_facts(Comm &g, int device) {
  EligibilityFacts f;
  f.library_available = true;
  const CustomAllreduceChoice choice = agreed_custom_allreduce_choice(g);
  f.disabled_by_config = custom_allreduce_off_reason(device_state(g), choice);
  f.world_size = g.size();
  g.run_bounded("counting the group's nodes",
                [&] { f.single_node = node_count(g.comm(), g.timeout()) == 1; });
  const Nvml &nvml = Nvml::instance();
  f.nvml_available = nvml.available();
  f.nvml_unavailable_reason = nvml.unavailable_reason();

  // Every member's GPU by PCI bus id, which names the same GPU in every process whatever
  // CUDA_VISIBLE_DEVICES says (vLLM maps through it for the same reason).
  const size_t n = static_cast<size_t>(g.size());
  char mine[kBusIdBytes] = {0};
  const std::string own_bus = bus_id_of(device);
  std::strncpy(mine, own_bus.c_str(), kBusIdBytes - 1);
  std::vector<char> all(n * kBusIdBytes);
  bounded_all_gather(g, mine, all.data(), kBusIdBytes, "exchanging the members' GPU bus ids");
  std::vector<std::string> buses(n);
  for (size_t r = 0; r < n; ++r) buses[r] = std::string(&all[r * kBusIdBytes]);

  bool nvlink = true;
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b) {
      const GpuLink link = nvml.link(buses[a], buses[b]);
      if (link != GpuLink::Self && link != GpuLink::NvLink) nvlink = false;
    }
  const int64_t agreed_nvlink = bounded_min(g, nvlink ? 1 : 0, "agreeing on NVLink");
  f.fully_nvlink = agreed_nvlink != 0;
  // P2P is checked (in a child process, by rank 0) only where the custom allreduce may run.
  if (f.single_node && kernels::supported_world_size(f.world_size)) {
    const P2pVerdict p2p = check_group_p2p(g, buses);
    f.p2p_ok = p2p.ok;
    f.p2p_problem = p2p.problem;
  } else {
    f.p2p_problem = "not checked: the group spans nodes or has an unsupported size";
  }
  return f;
}

}  // namespace

int choose_device(Comm &g, int device_count) {
  const int requested = device_state(g).requested_device;
  if (requested >= 0) {
    require_arg(requested < device_count, "device ", requested,
                " was set for the group, but this process sees ", device_count, " CUDA devices");
    return requested;
  }
  int local = g.local_rank();
  if (local < 0) {
    // A group made by some of a communicator's processes, with no launcher to say: the rank
    // among the group's members on this node.
    MPI_Comm node = MPI_COMM_NULL;
    MPCOMM_MPI_CHECK(
        MPI_Comm_split_type(g.comm(), MPI_COMM_TYPE_SHARED, g.rank(), MPI_INFO_NULL, &node));
    int rc = MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);
    mpi_check(rc, "MPI_Comm_rank");
  }
  return gpu_for_local_rank(local, device_count);
}

DeviceContext::DeviceContext(Comm &g) : group_(g) {
  g.require_usable();
  const int count = require_devices();
  device_ = choose_device(g, count);
  DeviceGuard guard(device_);

  if (g.size() == 1) {
    facts_.library_available = true;
    facts_.world_size = 1;
    facts_.single_node = true;
    eligibility_ = check_eligibility(facts_);
    return;
  }
  facts_ = gather_facts(g, device_);
  max_size_ = static_cast<size_t>(bounded_min(g, static_cast<int64_t>(custom_allreduce_max_size()),
                                              "agreeing on MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE"));
  const AlgoSetting algo = agreed_custom_allreduce_algo(g);
  eligibility_ = check_eligibility(facts_);
  if (eligibility_.eligible) {
    custom_ = std::make_unique<CustomAllreduce>(g, max_size_, algo);
    if (g.rank() == 0)
      log::info(log::Subsys::Device, GroupName{g},
                ": custom allreduce enabled: device all_reduce takes it (algorithm ",
                algo_setting_name(algo), ") for sums of float32, float16 and bfloat16 below ",
                max_size_, " bytes, NCCL otherwise");
  } else if (g.rank() == 0) {
    log::info(log::Subsys::Device, GroupName{g}, ": device all_reduce takes NCCL (",
              eligibility_.reason, ")");
  }
}

DeviceContext::~DeviceContext() {
  if (!custom_) return;  // NCCL's own destructor is bounded and needs no order
  int saved = -1;
  const bool switched = cudaGetDevice(&saved) == cudaSuccess && saved != device_ &&
                        cudaSetDevice(device_) == cudaSuccess;
  custom_->close(group_);
  custom_.reset();
  if (switched) cudaSetDevice(saved);
  cudaGetLastError();
}

NcclComm &DeviceContext::nccl(Comm &g, cudaStream_t stream) {
  if (nccl_) return *nccl_;
  require(g.size() > 1, MPCOMM_ERR_INTERNAL, "an NCCL communicator for a group of one");
  require(stream == nullptr || !stream_capturing(stream), MPCOMM_ERR_INVALID_USAGE,
          "the group's NCCL communicator is made at its first NCCL operation, which may not be "
          "inside a CUDA graph capture: call mpcomm_group_device_init or "
          "mpcomm_graph_capture_begin before capturing");
  DeviceGuard guard(device_);
  ncclUniqueId id{};
  if (g.rank() == 0) id = NcclComm::new_unique_id();
  bounded_broadcast(g, &id, sizeof id, 0, "broadcasting the NCCL unique id");
  nccl_ = std::make_unique<NcclComm>(id, g.size(), g.rank(), device_, g.timeout());
  return *nccl_;
}

DeviceContext &context(Comm &g, cudaStream_t stream) {
  auto &held = device_state(g).context;
  if (held) return *held;
  require_devices();
  require(stream == nullptr || !stream_capturing(stream), MPCOMM_ERR_INVALID_USAGE,
          "the group's device context is made at its first device operation, which may not be "
          "inside a CUDA graph capture: call mpcomm_group_device_init or "
          "mpcomm_graph_capture_begin before capturing");
  held.reset(new DeviceContext(g));
  return *held;
}

}  // namespace mpcomm::device
