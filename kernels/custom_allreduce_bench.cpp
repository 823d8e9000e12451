#include "custom_allreduce_bench.h"

#include <cuda_runtime.h>

#include "cuda_handles.h"
#include "custom_allreduce.h"
#include "simulated_buffers.h"

namespace mpcomm::kernels {

namespace {

bool failed(cudaError_t err, const char *what, std::string *error) {
  if (err == cudaSuccess) return false;
  if (error) *error = std::string(what) + ": " + cudaGetErrorString(err);
  return true;
}

// Ends a capture left open by a failed call, so the stream is usable again.
void abandon_capture(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &status) == cudaSuccess &&
      status != cudaStreamCaptureStatusNone) {
    cudaGraph_t graph = nullptr;
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
  }
}

}  // namespace

bool time_simulated_allreduce(DType dtype, Algorithm algo, int world_size, std::size_t bytes,
                              int iters, int warmup, bool graph, SimTiming *timing,
                              std::string *error) {
  const std::size_t size = dtype_size(dtype);
  if (timing == nullptr || size == 0 || iters < 1 || warmup < 0 || bytes == 0 ||
      bytes % kPackBytes != 0) {
    if (error) *error = "invalid timing arguments";
    return false;
  }
  const std::size_t count = bytes / size;
  SimulatedBuffers buffers;
  if (failed(buffers.allocate(world_size, bytes), "allocating the simulated ranks", error))
    return false;
  for (int r = 0; r < world_size; ++r)  // zeros: every dtype sums them without NaN or overflow
    if (failed(cudaMemset(buffers.input(r), 0, bytes), "cudaMemset", error)) return false;
  StreamHandle stream;
  EventHandle begin, end;
  if (failed(cudaStreamCreateWithFlags(stream.out(), cudaStreamNonBlocking), "cudaStreamCreate",
             error) ||
      failed(cudaEventCreate(begin.out()), "cudaEventCreate", error) ||
      failed(cudaEventCreate(end.out()), "cudaEventCreate", error) ||
      failed(cudaDeviceSynchronize(), "cudaDeviceSynchronize", error))
    return false;
  auto call = [&]() {
    return launch_simulated_allreduce(dtype, algo, world_size, buffers.world(), count, stream.get(),
                                      error);
  };
  for (int i = 0; i < warmup; ++i)
    if (call() != cudaSuccess) return false;

  GraphHandle captured;
  GraphExecHandle exec;
  if (graph) {
    if (failed(cudaStreamBeginCapture(stream.get(), cudaStreamCaptureModeThreadLocal),
               "cudaStreamBeginCapture", error))
      return false;
    for (int i = 0; i < iters; ++i)
      if (call() != cudaSuccess) {
        abandon_capture(stream.get());
        return false;
      }
    if (failed(cudaStreamEndCapture(stream.get(), captured.out()), "cudaStreamEndCapture", error) ||
        failed(cudaGraphInstantiate(exec.out(), captured.get(), 0), "cudaGraphInstantiate",
               error) ||
        failed(cudaGraphLaunch(exec.get(), stream.get()), "cudaGraphLaunch (warm-up)", error))
      return false;
  }
  if (failed(cudaEventRecord(begin.get(), stream.get()), "cudaEventRecord", error)) return false;
  if (graph) {
    if (failed(cudaGraphLaunch(exec.get(), stream.get()), "cudaGraphLaunch", error)) return false;
  } else {
    for (int i = 0; i < iters; ++i)
      if (call() != cudaSuccess) return false;
  }
  float ms = 0;
  if (failed(cudaEventRecord(end.get(), stream.get()), "cudaEventRecord", error) ||
      failed(cudaEventSynchronize(end.get()), "cudaEventSynchronize", error) ||
      failed(cudaEventElapsedTime(&ms, begin.get(), end.get()), "cudaEventElapsedTime", error))
    return false;
  timing->us_per_call = 1e3 * ms / iters;
  timing->moved_bytes_per_call =
      static_cast<double>(world_size) * (world_size + 1) * static_cast<double>(bytes);
  timing->gbytes_per_s = timing->moved_bytes_per_call / (timing->us_per_call * 1e3);
  if (failed(simulated_grid(dtype, algo, world_size, count, &timing->blocks_per_rank),
             "occupancy query", error))
    return false;
  return true;
}

bool measure_device_bandwidth(DeviceBandwidth *bandwidth, std::string *error) {
  if (bandwidth == nullptr) return false;
  int device = 0, clock_khz = 0, bus_bits = 0;
  cudaDeviceProp prop{};
  if (failed(cudaGetDevice(&device), "cudaGetDevice", error) ||
      failed(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties", error))
    return false;
  bandwidth->device_name = prop.name;
  // CUDA 13 dropped memoryClockRate from cudaDeviceProp; the attribute remains.
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device) != cudaSuccess) {
    cudaGetLastError();  // not reported: keep 0 and rely on the measured copy
    clock_khz = bus_bits = 0;
  }
  bandwidth->peak_gbytes_per_s = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;

  const std::size_t bytes = std::size_t(256) << 20;
  const int copies = 10;
  DeviceMemory src, dst;
  StreamHandle stream;
  EventHandle begin, end;
  if (failed(src.allocate(bytes), "cudaMalloc", error) ||
      failed(dst.allocate(bytes), "cudaMalloc", error) ||
      failed(cudaMemset(src.get(), 1, bytes), "cudaMemset", error) ||
      failed(cudaStreamCreateWithFlags(stream.out(), cudaStreamNonBlocking), "cudaStreamCreate",
             error) ||
      failed(cudaEventCreate(begin.out()), "cudaEventCreate", error) ||
      failed(cudaEventCreate(end.out()), "cudaEventCreate", error) ||
      failed(cudaDeviceSynchronize(), "cudaDeviceSynchronize", error) ||
      failed(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()),
             "cudaMemcpyAsync", error) ||
      failed(cudaEventRecord(begin.get(), stream.get()), "cudaEventRecord", error))
    return false;
  for (int i = 0; i < copies; ++i)
    if (failed(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()),
               "cudaMemcpyAsync", error))
      return false;
  float ms = 0;
  if (failed(cudaEventRecord(end.get(), stream.get()), "cudaEventRecord", error) ||
      failed(cudaEventSynchronize(end.get()), "cudaEventSynchronize", error) ||
      failed(cudaEventElapsedTime(&ms, begin.get(), end.get()), "cudaEventElapsedTime", error))
    return false;
  bandwidth->copy_gbytes_per_s = 2.0 * bytes * copies / (ms * 1e6);
  return true;
}

}  // namespace mpcomm::kernels
