// The host side of the custom allreduce for one group (vLLM's CustomAllreduce): each member's
// signal area plus two-shot scratch, and its staging buffer, shared with every other member over
// CUDA IPC; each call copies the input into the caller's staging buffer and launches the kernels
// of kernels/ on the caller's stream. The staging buffers' addresses are fixed when the object is
// made, so the same two operations captured in a CUDA graph replay correctly (every replay copies
// the input anew); no user buffer is ever registered for IPC.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "device/ipc_buffer.hpp"
#include "group/group.hpp"
#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

class CustomAllreduce {
 public:
  // Collective over g, on the current device; the group must be eligible (check_eligibility) and
  // every member must pass the same max_size.
  CustomAllreduce(mpcomm_group_s &g, size_t max_size);
  CustomAllreduce(const CustomAllreduce &) = delete;
  CustomAllreduce &operator=(const CustomAllreduce &) = delete;

  // out = the sum over members of in (count elements of dtype); in == out is allowed. Needs
  // count * element size < max_size and out 16-byte aligned (should_custom_ar). Every member
  // makes the same call in the same order on one stream each.
  void all_reduce(const void *in, void *out, size_t count, kernels::DType dtype,
                  cudaStream_t stream);

  size_t max_size() const { return max_size_; }

 private:
  static size_t scratch_offset();
  int rank_, size_;
  size_t max_size_;
  IpcSharedBuffer meta_;     // Signal, then two-shot scratch of max_size bytes
  IpcSharedBuffer staging_;  // the eager input buffer
  kernels::PeerBuffers peers_;
};

}  // namespace mpcomm::device
