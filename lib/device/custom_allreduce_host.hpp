// The host side of the custom allreduce for one group (vLLM's CustomAllreduce): each member's
// signal area plus two-shot scratch, and its staging buffer, shared with every other member over
// CUDA IPC; each call copies the input into the caller's staging buffer and launches the kernels
// of kernels/ on the caller's stream. The staging buffers' addresses are fixed when the object is
// made, so the same two operations captured in a CUDA graph replay correctly (every replay copies
// the input anew); no user buffer is ever registered for IPC.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "comm/comm.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "device/ipc_buffer.hpp"
#include "kernels/cuda_handles.h"
#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

class CustomAllreduce {
 public:
  // Collective over g, on the current device; the group must be eligible (check_eligibility) and
  // every member must pass the same max_size and algorithm setting (agreed before).
  CustomAllreduce(Comm &g, size_t max_size, AlgoSetting algo);
  // Without close(), frees what it can as after a failed construction (see IpcSharedBuffer).
  ~CustomAllreduce() = default;
  CustomAllreduce(const CustomAllreduce &) = delete;
  CustomAllreduce &operator=(const CustomAllreduce &) = delete;

  // out = the sum over members of in (count elements of dtype); in == out is allowed, and out
  // may have any alignment (a misaligned out is written through an aligned buffer of this
  // object, then copied). Needs count * element size < max_size (should_custom_ar). Every
  // member makes the same call in the same order on one stream each. Once it has thrown, the
  // members' kernels are out of step: the caller must break the group.
  void all_reduce(const void *in, void *out, size_t count, kernels::DType dtype,
                  cudaStream_t stream);

  // Teardown, on the group's device, collective over g unless the group is broken: waits for
  // the device, unmaps the peers' buffers, meets every member (a barrier bounded by the group's
  // timeout: no peer maps this member's buffers any more), then frees. On a broken group, or
  // when the barrier fails, nothing is freed or unmapped: a kernel may still spin on a peer that
  // is gone and a peer may still map the buffers, so the memory is left to the process's end.
  void close(Comm &g) noexcept;

  size_t max_size() const { return max_size_; }
  AlgoSetting algo() const { return algo_; }

 private:
  static size_t scratch_offset();
  int rank_, size_;
  size_t max_size_;
  AlgoSetting algo_;
  IpcSharedBuffer meta_;               // Signal, then two-shot scratch of max_size bytes
  IpcSharedBuffer staging_;            // the eager input buffer
  kernels::DeviceMemory aligned_out_;  // the result of a call whose out is misaligned
  kernels::PeerBuffers peers_;
};

}  // namespace mpcomm::device
