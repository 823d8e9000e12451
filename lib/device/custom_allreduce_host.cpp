#include "device/custom_allreduce_host.hpp"

#include <string>

#include "core/error.hpp"
#include "device/cuda_util.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "kernels/custom_allreduce.h"

namespace mpcomm::device {

size_t CustomAllreduce::scratch_offset() {
  constexpr size_t kAlign = 256;
  return (sizeof(kernels::Signal) + kAlign - 1) / kAlign * kAlign;
}

CustomAllreduce::CustomAllreduce(mpcomm_group_s &g, size_t max_size)
    : rank_(g.rank()),
      size_(g.size()),
      max_size_(max_size),
      meta_(g, scratch_offset() + max_size, sizeof(kernels::Signal),
            "sharing the custom allreduce's signal and scratch buffers"),
      staging_(g, max_size, 0, "sharing the custom allreduce's staging buffers") {
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
  const kernels::Algorithm algo = choose_custom_allreduce_algorithm(bytes, size_);
  std::string why;
  cudaError_t err =
      kernels::launch_allreduce(dtype, algo, size_, rank_, peers_, out, count, stream, &why);
  if (err == cudaErrorInvalidValue && !why.empty())
    throw Error(MPCOMM_ERR_INTERNAL, concat("custom allreduce refused its arguments: ", why));
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(
        MPCOMM_ERR_CUDA,
        why.empty() ? concat("custom allreduce launch failed: ", cudaGetErrorString(err)) : why);
  }
}

}  // namespace mpcomm::device
