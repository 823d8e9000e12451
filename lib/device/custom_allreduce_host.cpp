#include "device/custom_allreduce_host.hpp"

#include <mpi.h>

#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"
#include "device/bounded_mpi.hpp"
#include "device/cuda_util.hpp"
#include "kernels/custom_allreduce.h"

namespace mpcomm::device {

size_t CustomAllreduce::scratch_offset() {
  constexpr size_t kAlign = 256;
  return (sizeof(kernels::Signal) + kAlign - 1) / kAlign * kAlign;
}

CustomAllreduce::CustomAllreduce(Comm &g, size_t max_size, AlgoSetting algo)
    : rank_(g.rank()),
      size_(g.size()),
      max_size_(max_size),
      algo_(algo),
      meta_(g, scratch_offset() + max_size, sizeof(kernels::Signal),
            "sharing the custom allreduce's signal and scratch buffers"),
      staging_(g, max_size, 0, "sharing the custom allreduce's staging buffers") {
  // Made now, not at the first misaligned call, so that such a call can be graph-captured.
  cuda_check(aligned_out_.allocate(max_size), "cudaMalloc of the custom allreduce's result buffer");
  for (int r = 0; r < size_; ++r) {
    peers_.inputs[r] = staging_.at(r);
    peers_.signals[r] = static_cast<kernels::Signal *>(meta_.at(r));
    peers_.scratch[r] = static_cast<char *>(meta_.at(r)) + scratch_offset();
  }
  peers_.scratch_bytes = max_size;
}

void CustomAllreduce::all_reduce(const void *in, void *out, size_t count, kernels::DType dtype,
                                 cudaStream_t stream) {
  const size_t bytes = count * kernels::dtype_size(dtype);
  require(bytes < max_size_, MPCOMM_ERR_INTERNAL, "custom allreduce of ", bytes,
          " bytes, not below its max_size ", max_size_);
  if (count == 0) return;
  cuda_check(cudaMemcpyAsync(staging_.at(rank_), in, bytes, cudaMemcpyDeviceToDevice, stream),
             "cudaMemcpyAsync into the custom allreduce's staging buffer");
  // Whether out is aligned is this member's own fact: it changes where the kernel writes, never
  // which kernel runs, so the members' kernels always pair up.
  const bool aligned = reinterpret_cast<uintptr_t>(out) % kernels::kPackBytes == 0;
  void *target = aligned ? out : aligned_out_.get();
  const kernels::Algorithm algo = choose_custom_allreduce_algorithm(algo_, bytes, size_);
  std::string why;
  cudaError_t err =
      kernels::launch_allreduce(dtype, algo, size_, rank_, peers_, target, count, stream, &why);
  if (err == cudaErrorInvalidValue && !why.empty())
    throw Error(MPCOMM_ERR_INTERNAL, concat("custom allreduce refused its arguments: ", why));
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(
        MPCOMM_ERR_CUDA,
        why.empty() ? concat("custom allreduce launch failed: ", cudaGetErrorString(err)) : why);
  }
  if (!aligned)
    cuda_check(cudaMemcpyAsync(out, target, bytes, cudaMemcpyDeviceToDevice, stream),
               "cudaMemcpyAsync of the custom allreduce's result to a misaligned recv");
}

void CustomAllreduce::close(Comm &g) noexcept {
  auto abandon = [&](const std::string &why) {
    meta_.abandon();
    staging_.abandon();
    aligned_out_.release();
    log::info(log::Subsys::Device, "custom allreduce buffers of a group of ", size_,
              " left allocated until exit: ", why);
  };
  if (g.broken()) return abandon(concat("the group is broken (", g.broken_cause(), ")"));
  // The kernels of every call this member made must be done before the mappings go: they read
  // the peers' buffers. The group is not broken, so every member made the same calls and they
  // complete.
  const cudaError_t synced = cudaDeviceSynchronize();
  if (synced != cudaSuccess) {
    cudaGetLastError();
    return abandon(concat("cudaDeviceSynchronize failed: ", cudaGetErrorString(synced)));
  }
  meta_.close_peers();
  staging_.close_peers();
  try {
    bounded_barrier(g, "waiting for every member to unmap the custom allreduce's buffers");
  } catch (const std::exception &e) {
    return abandon(e.what());
  }
  meta_.free_own();
  staging_.free_own();
}

}  // namespace mpcomm::device
