#include "simulated_buffers.h"

namespace mpcomm::kernels {

cudaError_t SimulatedBuffers::allocate(int world_size, std::size_t bytes) {
  if (world_size < 1 || world_size > kMaxRanks) return cudaErrorInvalidValue;
  world_ = SimulatedWorld{};
  world_size_ = 0;
  bytes_ = bytes;
  for (int r = 0; r < world_size; ++r) {
    cudaError_t err = inputs_[r].allocate(bytes);
    if (err == cudaSuccess) err = outputs_[r].allocate(bytes);
    if (err == cudaSuccess) err = scratch_[r].allocate(bytes);
    if (err == cudaSuccess) err = signals_[r].allocate(sizeof(Signal));
    if (err == cudaSuccess) err = cudaMemset(signals_[r].get(), 0, sizeof(Signal));
    if (err != cudaSuccess) return err;
    world_.peers.inputs[r] = inputs_[r].get();
    world_.peers.signals[r] = static_cast<Signal *>(signals_[r].get());
    world_.peers.scratch[r] = scratch_[r].get();
    world_.outputs[r] = outputs_[r].get();
  }
  for (int r = world_size; r < kMaxRanks; ++r) {
    inputs_[r].reset();
    outputs_[r].reset();
    scratch_[r].reset();
    signals_[r].reset();
  }
  world_.peers.scratch_bytes = bytes;
  world_size_ = world_size;
  return cudaDeviceSynchronize();  // the zeroed signals are in place before any launch
}

}  // namespace mpcomm::kernels
