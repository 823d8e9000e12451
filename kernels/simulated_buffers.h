// Device buffers of a simulated world: every rank's input, output, signal area and scratch on
// the current device, ready for launch_simulated_allreduce(). Used by the one-GPU tests and the
// timing; the real path gets its buffers from the host side (CUDA IPC) instead.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "cuda_handles.h"
#include "custom_allreduce.h"

namespace mpcomm::kernels {

class SimulatedBuffers {
 public:
  // Allocates, for each of world_size ranks, an input and an output of `bytes`, a scratch of
  // `bytes` (enough for two-shot at any world size) and a Signal, which is zeroed here once and
  // never again, as the kernels require. Inputs and outputs are left uninitialised.
  cudaError_t allocate(int world_size, std::size_t bytes);

  const SimulatedWorld &world() const { return world_; }
  int world_size() const { return world_size_; }
  std::size_t bytes() const { return bytes_; }
  void *input(int rank) const { return inputs_[rank].get(); }
  void *output(int rank) const { return outputs_[rank].get(); }

 private:
  int world_size_ = 0;
  std::size_t bytes_ = 0;
  DeviceMemory inputs_[kMaxRanks], outputs_[kMaxRanks], scratch_[kMaxRanks], signals_[kMaxRanks];
  SimulatedWorld world_;
};

}  // namespace mpcomm::kernels
