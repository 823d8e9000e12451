// The rules that decide how a device all_reduce travels, as functions of the facts they read, so
// they are unit-tested without a GPU: whether a group may use the custom allreduce at all (vLLM's
// CustomAllreduce.__init__ checks, in its order), whether one call qualifies (should_custom_ar),
// its size limit (MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE) and the dispatch of
// GroupCoordinator._all_reduce.
#pragma once

#include <cstddef>
#include <string>

#include "mpcomm.h"

namespace mpcomm::device {

// What the group found out about itself; every rank must hold the same facts (the device code
// agrees on them over MPI before deciding), so every rank reaches the same verdict.
struct EligibilityFacts {
  bool library_available = false;  // built with CUDA and NCCL, and a GPU is present
  std::string disabled_by_config;  // why configuration turned it off; empty: not turned off
  bool single_node = false;        // every member shares one node
  int world_size = 0;
  bool fully_nvlink = false;    // every pair of the members' GPUs is NVLink (or the same GPU)
  bool nvml_available = false;  // NVML could be loaded (without it NVLink is never assumed)
  std::string nvml_unavailable_reason;  // why not, when !nvml_available
  bool p2p_ok = false;                  // every member reaches every other member's GPU (checked)
  std::string p2p_problem;              // the first failed pair, when !p2p_ok
};

struct Eligibility {
  bool eligible = false;
  // Why not, in vLLM's words plus the detail; empty when eligible. A group of one process is
  // not eligible and says so, but vLLM logs nothing for it: see worth_logging.
  std::string reason;
  bool worth_logging = false;
};

// vLLM's order: library missing, configuration (disable_custom_all_reduce), spans nodes, a group
// of one, unsupported world size (2, 4, 6, 8), more than two GPUs without full NVLink, P2P.
Eligibility check_eligibility(const EligibilityFacts &facts);

// True when one all_reduce call may take the custom allreduce of an eligible group: the element
// type is float32, float16 or bfloat16, the operation is a sum, the byte size is a multiple of
// 16, the buffer is contiguous, and, for two GPUs or full NVLink, bytes < max_size (strictly, as
// vLLM). Beyond two GPUs without full NVLink it is never taken.
bool should_custom_ar(size_t bytes, bool contiguous, size_t max_size, int world_size,
                      bool fully_nvlink, mpcomm_datatype_t dtype, mpcomm_op_t op);

// The largest all_reduce (bytes, exclusive) the custom allreduce takes, which is also the size of
// its staging and scratch buffers: MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE, default 8 MiB, a multiple of
// 16 in [16, 2^31]. A malformed value throws Error(INVALID_ARGUMENT) naming the variable.
size_t custom_allreduce_max_size();

// How a device all_reduce travels.
enum class DevicePath {
  Copy,    // a group of one: recv is a copy of send (nothing when in place)
  Custom,  // the custom allreduce kernels over CUDA IPC
  Nccl     // NCCL
};
const char *device_path_name(DevicePath path);  // "copy", "custom", "nccl"

// A caller's wish (mpcomm-perf --algo): Auto is the library's choice.
enum class AllReduceAlgo { Auto, Custom, Nccl };
// Parses "auto", "custom" or "nccl"; false for anything else.
bool parse_all_reduce_algo(const std::string &text, AllReduceAlgo *algo);

// GroupCoordinator._all_reduce: a group of one copies; the custom allreduce when the group is
// eligible and the call qualifies; NCCL otherwise. A forced Custom that does not apply throws
// Error(NOT_SUPPORTED) carrying `why_not` (the group's reason, or that the call does not
// qualify); a forced Nccl on a group of one still copies (NCCL has nothing to do).
DevicePath choose_all_reduce_path(AllReduceAlgo algo, int world_size, bool group_eligible,
                                  bool call_qualifies, const std::string &why_not);

}  // namespace mpcomm::device
