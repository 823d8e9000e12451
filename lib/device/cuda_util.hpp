// CUDA runtime calls as the device data plane makes them: a failed call becomes
// Error(MPCOMM_ERR_CUDA) with CUDA's text, a machine without a usable GPU is
// Error(MPCOMM_ERR_NOT_SUPPORTED), and the current device is restored on scope exit.
#pragma once

#include <cuda_runtime.h>

#include "core/error.hpp"

namespace mpcomm::device {

// Throws Error(MPCOMM_ERR_CUDA, "<call> failed: <CUDA's text> (<error name>)") unless success.
inline void cuda_check(cudaError_t err, const char *call) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // a sticky-free error would otherwise be reported again by the next call
  throw Error(MPCOMM_ERR_CUDA,
              concat(call, " failed: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ")"));
}

// The number of visible CUDA devices; Error(NOT_SUPPORTED) with CUDA's reason when there is no
// driver or no device.
inline int require_devices() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error(MPCOMM_ERR_NOT_SUPPORTED,
                concat("no CUDA device is usable for device operations: ",
                       err == cudaSuccess ? "no device" : cudaGetErrorString(err)));
  }
  return count;
}

// Makes `device` current for the scope and restores the caller's device afterwards.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    cuda_check(cudaGetDevice(&saved_), "cudaGetDevice");
    if (saved_ != device) cuda_check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() { cudaSetDevice(saved_); }
  DeviceGuard(const DeviceGuard &) = delete;
  DeviceGuard &operator=(const DeviceGuard &) = delete;

 private:
  int saved_ = 0;
};

// True when stream is capturing a CUDA graph now.
inline bool stream_capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  cuda_check(cudaStreamIsCapturing(stream, &status), "cudaStreamIsCapturing");
  return status != cudaStreamCaptureStatusNone;
}

}  // namespace mpcomm::device
