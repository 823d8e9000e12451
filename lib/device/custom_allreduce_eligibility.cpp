#include "device/custom_allreduce_eligibility.hpp"

#include <strings.h>

#include "core/env.hpp"
#include "core/error.hpp"
#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

namespace {

Eligibility no(std::string reason, bool worth_logging = true) {
  Eligibility e;
  e.reason = std::move(reason);
  e.worth_logging = worth_logging;
  return e;
}

}  // namespace

Eligibility check_eligibility(const EligibilityFacts &f) {
  if (!f.library_available)
    return no(
        "custom allreduce is disabled because of missing custom allreduce library "
        "(built without CUDA and NCCL, or no GPU)");
  if (!f.disabled_by_config.empty())
    return no(concat("custom allreduce is disabled by configuration: ", f.disabled_by_config));
  if (!f.single_node)
    return no("custom allreduce is disabled because this process group spans across nodes");
  if (f.world_size == 1) return no("a group of one process needs no allreduce", false);
  if (!kernels::supported_world_size(f.world_size))
    return no(concat("custom allreduce is disabled due to an unsupported world size: ",
                     f.world_size, ". Supported world sizes: [2, 4, 6, 8]"));
  if (f.world_size > 2 && !f.fully_nvlink) {
    std::string detail = f.nvml_available
                             ? std::string("NVML reports a pair of the group's GPUs without NVLink")
                             : concat("NVML is not available (", f.nvml_unavailable_reason,
                                      "), so NVLink cannot be confirmed");
    return no(
        concat("custom allreduce is disabled because it's not supported on more than two "
               "PCIe-only GPUs (",
               detail, ")"));
  }
  if (!f.p2p_ok)
    return no(
        concat("custom allreduce is disabled because your platform lacks GPU P2P "
               "capability or P2P test failed",
               f.p2p_problem.empty() ? "" : concat(" (", f.p2p_problem, ")")));
  Eligibility yes;
  yes.eligible = true;
  return yes;
}

bool should_custom_ar(size_t bytes, bool contiguous, size_t max_size, int world_size,
                      bool fully_nvlink, mpcomm_datatype_t dtype, mpcomm_op_t op) {
  if (dtype != MPCOMM_FLOAT32 && dtype != MPCOMM_FLOAT16 && dtype != MPCOMM_BFLOAT16) return false;
  if (op != MPCOMM_SUM) return false;
  if (bytes % kernels::kPackBytes != 0) return false;
  if (!contiguous) return false;
  if (world_size == 2 || fully_nvlink) return bytes < max_size;
  return false;
}

size_t custom_allreduce_max_size() {
  // The range and the multiple of 16 are the table's (core/env.cpp).
  return static_cast<size_t>(env::integer("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE"));
}

const char *device_path_name(DevicePath path) {
  switch (path) {
    case DevicePath::Copy: return "copy";
    case DevicePath::Custom: return "custom";
    case DevicePath::Nccl: return "nccl";
  }
  return "unknown";
}

bool parse_all_reduce_algo(const std::string &text, AllReduceAlgo *algo) {
  if (strcasecmp(text.c_str(), "auto") == 0)
    *algo = AllReduceAlgo::Auto;
  else if (strcasecmp(text.c_str(), "custom") == 0)
    *algo = AllReduceAlgo::Custom;
  else if (strcasecmp(text.c_str(), "nccl") == 0)
    *algo = AllReduceAlgo::Nccl;
  else
    return false;
  return true;
}

DevicePath choose_all_reduce_path(AllReduceAlgo algo, int world_size, bool group_eligible,
                                  bool call_qualifies, const std::string &why_not) {
  const bool custom = group_eligible && call_qualifies;
  if (algo == AllReduceAlgo::Custom)
    require(custom, MPCOMM_ERR_NOT_SUPPORTED, "the custom allreduce was asked for but ",
            world_size == 1 ? std::string("a group of one process needs no allreduce") : why_not);
  if (world_size == 1) return DevicePath::Copy;
  if (algo == AllReduceAlgo::Nccl) return DevicePath::Nccl;
  return custom ? DevicePath::Custom : DevicePath::Nccl;
}

}  // namespace mpcomm::device
