// Instantiations of the custom allreduce kernels and their two launchers.
#include <map>
#include <mutex>
#include <utility>

#include "custom_allreduce.cuh"
#include "custom_allreduce.h"

namespace mpcomm::kernels {

namespace {

using device::KernelArgs;

template <typename T, int N>
const void *kernel_of(Algorithm algo) {
  return algo == Algorithm::OneShot
             ? reinterpret_cast<const void *>(&device::one_shot_allreduce<T, N>)
             : reinterpret_cast<const void *>(&device::two_shot_allreduce<T, N>);
}

template <typename T>
const void *kernel_of(Algorithm algo, int world_size) {
  switch (world_size) {
    case 2: return kernel_of<T, 2>(algo);
    case 4: return kernel_of<T, 4>(algo);
    case 6: return kernel_of<T, 6>(algo);
    case 8: return kernel_of<T, 8>(algo);
  }
  return nullptr;
}

// The kernel for a call, or nullptr for an unsupported combination.
const void *kernel_of(DType dtype, Algorithm algo, int world_size) {
  if (algo != Algorithm::OneShot && algo != Algorithm::TwoShot) return nullptr;
  switch (dtype) {
    case DType::Float32: return kernel_of<float>(algo, world_size);
    case DType::Float16: return kernel_of<__half>(algo, world_size);
    case DType::BFloat16: return kernel_of<__nv_bfloat16>(algo, world_size);
  }
  return nullptr;
}

KernelArgs kernel_args(int world_size, const PeerBuffers &peers, std::size_t packs,
                       int first_rank) {
  KernelArgs args{};
  for (int r = 0; r < world_size; ++r) {
    args.inputs[r] = peers.inputs[r];
    args.signals[r] = peers.signals[r];
    args.scratch[r] = peers.scratch[r];
  }
  args.packs = packs;
  args.first_rank = first_rank;
  return args;
}

cudaError_t launch(const void *kernel, dim3 grid, KernelArgs &args, cudaStream_t stream,
                   bool cooperative) {
  cudaLaunchAttribute attr[1] = {};
  attr[0].id = cudaLaunchAttributeCooperative;
  attr[0].val.cooperative = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = dim3(kThreadsPerBlock, 1, 1);
  config.dynamicSmemBytes = 0;
  config.stream = stream;
  config.attrs = cooperative ? attr : nullptr;
  config.numAttrs = cooperative ? 1 : 0;
  void *params[] = {&args};
  return cudaLaunchKernelExC(&config, kernel, params);
}

cudaError_t invalid(std::string *why, std::string reason) {
  if (why) *why = std::move(reason);
  return cudaErrorInvalidValue;
}

cudaError_t cuda_failed(std::string *why, const char *what, cudaError_t err) {
  if (why) *why = std::string(what) + ": " + cudaGetErrorString(err);
  return err;
}

}  // namespace

cudaError_t resident_blocks(DType dtype, Algorithm algo, int world_size, long *blocks) {
  const void *kernel = kernel_of(dtype, algo, world_size);
  if (kernel == nullptr || blocks == nullptr) return cudaErrorInvalidValue;
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  static std::mutex mutex;
  static std::map<std::pair<int, const void *>, long> cache;
  const auto key = std::make_pair(device, kernel);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) {
      *blocks = it->second;
      return cudaSuccess;
    }
  }
  int per_sm = 0, sms = 0, cooperative = 0;
  err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreadsPerBlock, 0);
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device);
  if (err != cudaSuccess) return err;
  // Without cooperative launch nothing guarantees co-residency: report no room at all.
  const long fit = cooperative ? static_cast<long>(per_sm) * sms : 0;
  std::lock_guard<std::mutex> lock(mutex);
  cache[key] = fit;
  *blocks = fit;
  return cudaSuccess;
}

cudaError_t simulated_grid(DType dtype, Algorithm algo, int world_size, std::size_t count,
                           int *blocks_per_rank_out) {
  if (blocks_per_rank_out == nullptr) return cudaErrorInvalidValue;
  long resident = 0;
  cudaError_t err = resident_blocks(dtype, algo, world_size, &resident);
  if (err != cudaSuccess) return err;
  *blocks_per_rank_out = simulated_blocks_per_rank(pack_count(dtype, count), world_size, resident);
  return cudaSuccess;
}

cudaError_t launch_allreduce(DType dtype, Algorithm algo, int world_size, int rank,
                             const PeerBuffers &peers, void *out, std::size_t count,
                             cudaStream_t stream, std::string *why) {
  std::string problem = check_allreduce_args(dtype, algo, world_size, rank, peers, out, count);
  if (!problem.empty()) return invalid(why, std::move(problem));
  if (count == 0) return cudaSuccess;
  const std::size_t packs = pack_count(dtype, count);
  KernelArgs args = kernel_args(world_size, peers, packs, rank);
  args.outputs[rank] = out;
  cudaError_t err = launch(kernel_of(dtype, algo, world_size), dim3(blocks_per_rank(packs), 1, 1),
                           args, stream, /*cooperative=*/false);
  return err == cudaSuccess ? err : cuda_failed(why, "custom allreduce launch", err);
}

cudaError_t launch_simulated_allreduce(DType dtype, Algorithm algo, int world_size,
                                       const SimulatedWorld &world, std::size_t count,
                                       cudaStream_t stream, std::string *why) {
  if (!supported_world_size(world_size))
    return invalid(why, "world_size must be 2, 4, 6 or 8, got " + std::to_string(world_size));
  for (int r = 0; r < world_size; ++r) {
    std::string problem =
        check_allreduce_args(dtype, algo, world_size, r, world.peers, world.outputs[r], count);
    if (!problem.empty()) return invalid(why, "rank " + std::to_string(r) + ": " + problem);
    for (int q = 0; q < r; ++q)
      if (world.outputs[q] == world.outputs[r])
        return invalid(why, "outputs[" + std::to_string(q) + "] and outputs[" + std::to_string(r) +
                                "] are the same buffer");
  }
  if (count == 0) return cudaSuccess;
  const std::size_t packs = pack_count(dtype, count);
  long resident = 0;
  cudaError_t err = resident_blocks(dtype, algo, world_size, &resident);
  if (err != cudaSuccess) return cuda_failed(why, "occupancy query", err);
  const int blocks = simulated_blocks_per_rank(packs, world_size, resident);
  if (blocks == 0) {
    if (why)
      *why = "the device holds " + std::to_string(resident) + " resident blocks, fewer than " +
             std::to_string(world_size) + " simulated ranks (or no cooperative launch)";
    return cudaErrorCooperativeLaunchTooLarge;
  }
  KernelArgs args = kernel_args(world_size, world.peers, packs, 0);
  for (int r = 0; r < world_size; ++r) args.outputs[r] = world.outputs[r];
  err = launch(kernel_of(dtype, algo, world_size),
               dim3(blocks, static_cast<unsigned>(world_size), 1), args, stream,
               /*cooperative=*/true);
  return err == cudaSuccess ? err : cuda_failed(why, "simulated allreduce launch", err);
}

}  // namespace mpcomm::kernels
