// Owning handles for the CUDA runtime objects the allreduce timing and tests create: each frees
// its object in the destructor and cannot be copied. A failed create leaves the handle empty and
// returns the runtime's error.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace mpcomm::kernels {

template <class Handle, cudaError_t (*Destroy)(Handle)>
class CudaHandle {
 public:
  CudaHandle() = default;
  ~CudaHandle() { reset(); }
  CudaHandle(const CudaHandle &) = delete;
  CudaHandle &operator=(const CudaHandle &) = delete;
  CudaHandle(CudaHandle &&other) noexcept : handle_(std::exchange(other.handle_, Handle{})) {}
  CudaHandle &operator=(CudaHandle &&other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  Handle get() const { return handle_; }
  Handle *out() {  // for the runtime's create call; frees what was held
    reset();
    return &handle_;
  }
  void reset() {
    if (handle_) Destroy(handle_);
    handle_ = Handle{};
  }

 private:
  Handle handle_{};
};

using StreamHandle = CudaHandle<cudaStream_t, cudaStreamDestroy>;
using EventHandle = CudaHandle<cudaEvent_t, cudaEventDestroy>;
using GraphHandle = CudaHandle<cudaGraph_t, cudaGraphDestroy>;
using GraphExecHandle = CudaHandle<cudaGraphExec_t, cudaGraphExecDestroy>;

// One cudaMalloc allocation.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  ~DeviceMemory() { reset(); }
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;
  DeviceMemory(DeviceMemory &&other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceMemory &operator=(DeviceMemory &&other) noexcept {
    if (this != &other) {
      reset();
      ptr_ = std::exchange(other.ptr_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  cudaError_t allocate(std::size_t bytes) {
    reset();
    cudaError_t err = cudaMalloc(&ptr_, bytes == 0 ? 1 : bytes);
    if (err != cudaSuccess) {
      ptr_ = nullptr;
      return err;
    }
    bytes_ = bytes;
    return cudaSuccess;
  }
  void reset() {
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void *get() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }
  // Gives up ownership without freeing (memory a kernel that never ended may still write).
  void *release() {
    bytes_ = 0;
    return std::exchange(ptr_, nullptr);
  }

 private:
  void *ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace mpcomm::kernels
