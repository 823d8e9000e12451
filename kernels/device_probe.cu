#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "device_probe.h"

namespace mpcomm::kernels {

namespace {

__global__ void fill_pattern(unsigned *words, std::size_t count, unsigned seed) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count;
       i += std::size_t(gridDim.x) * blockDim.x)
    words[i] = seed ^ static_cast<unsigned>(i * 2654435761u);
}

bool failed(cudaError_t err, const char *what, std::string *error) {
  if (err == cudaSuccess) return false;
  if (error) *error = std::string(what) + ": " + cudaGetErrorString(err);
  return true;
}

// Restores the caller's current device on scope exit.
class DeviceGuard {
 public:
  DeviceGuard() { ok_ = cudaGetDevice(&saved_) == cudaSuccess; }
  ~DeviceGuard() {
    if (ok_) cudaSetDevice(saved_);
  }
  DeviceGuard(const DeviceGuard &) = delete;
  DeviceGuard &operator=(const DeviceGuard &) = delete;

 private:
  int saved_ = 0;
  bool ok_ = false;
};

// Owns one device allocation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  cudaError_t allocate(std::size_t bytes) { return cudaMalloc(&ptr_, bytes); }
  void *get() const { return ptr_; }

 private:
  void *ptr_ = nullptr;
};

}  // namespace

std::vector<DeviceFacts> list_devices(std::string *error) {
  std::vector<DeviceFacts> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver) {
    if (error) *error = cudaGetErrorString(err);
    return out;
  }
  if (failed(err, "cudaGetDeviceCount", error)) return out;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp prop{};
    if (failed(cudaGetDeviceProperties(&prop, d), "cudaGetDeviceProperties", error)) return {};
    char bus_id[32] = {0};
    if (failed(cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), d), "cudaDeviceGetPCIBusId", error))
      return {};
    DeviceFacts facts;
    facts.index = d;
    facts.name = prop.name;
    facts.pci_bus_id = bus_id;
    facts.compute_major = prop.major;
    facts.compute_minor = prop.minor;
    facts.total_memory = prop.totalGlobalMem;
    facts.multiprocessors = prop.multiProcessorCount;
    out.push_back(facts);
  }
  return out;
}

namespace {

// Copies the words back and checks the pattern of seed.
bool check_pattern(const unsigned *words, std::size_t count, unsigned seed, std::string *error) {
  std::vector<unsigned> host(count);
  if (failed(cudaMemcpy(host.data(), words, count * sizeof(unsigned), cudaMemcpyDeviceToHost),
             "cudaMemcpy", error))
    return false;
  for (std::size_t i = 0; i < count; ++i) {
    unsigned expected = seed ^ static_cast<unsigned>(i * 2654435761u);
    if (host[i] != expected) {
      if (error)
        *error = "word " + std::to_string(i) + " reads " + std::to_string(host[i]) + ", expected " +
                 std::to_string(expected);
      return false;
    }
  }
  return true;
}

}  // namespace

bool probe_device(int device, unsigned seed, std::size_t count, std::string *error) {
  DeviceGuard guard;
  if (failed(cudaSetDevice(device), "cudaSetDevice", error)) return false;
  DeviceBuffer buffer;
  if (failed(buffer.allocate(count * sizeof(unsigned)), "cudaMalloc", error)) return false;
  auto *words = static_cast<unsigned *>(buffer.get());
  fill_pattern<<<64, 256>>>(words, count, seed);
  if (failed(cudaGetLastError(), "kernel launch", error)) return false;
  return check_pattern(words, count, seed, error);
}

bool probe_peer_write(int device, int peer_device, unsigned seed, std::size_t count,
                      std::string *error) {
  DeviceGuard guard;
  DeviceBuffer peer_buffer;
  if (failed(cudaSetDevice(peer_device), "cudaSetDevice(peer)", error)) return false;
  if (failed(peer_buffer.allocate(count * sizeof(unsigned)), "cudaMalloc on the peer", error))
    return false;
  if (failed(cudaMemset(peer_buffer.get(), 0, count * sizeof(unsigned)), "cudaMemset", error) ||
      failed(cudaDeviceSynchronize(), "cudaDeviceSynchronize(peer)", error))
    return false;
  if (failed(cudaSetDevice(device), "cudaSetDevice", error)) return false;
  if (device != peer_device) {
    cudaError_t err = cudaDeviceEnablePeerAccess(peer_device, 0);
    if (err == cudaErrorPeerAccessAlreadyEnabled) {
      cudaGetLastError();  // not an error here; clear it
    } else if (failed(err, "cudaDeviceEnablePeerAccess", error)) {
      return false;
    }
  }
  auto *words = static_cast<unsigned *>(peer_buffer.get());
  fill_pattern<<<64, 256>>>(words, count, seed);
  if (failed(cudaGetLastError(), "kernel launch", error) ||
      failed(cudaDeviceSynchronize(), "cudaDeviceSynchronize", error))
    return false;
  if (failed(cudaSetDevice(peer_device), "cudaSetDevice(peer)", error)) return false;
  return check_pattern(words, count, seed, error);
}

}  // namespace mpcomm::kernels
