// CUDA runtime calls as the device data plane makes them: a failed call becomes
// Error(MPCOMM_ERR_CUDA) with CUDA's text, a machine without a usable GPU is
// Error(MPCOMM_ERR_NOT_SUPPORTED), and the current device is restored on scope exit.
#pragma once

#include <cuda_runtime.h>

#include "core/error.hpp"

namespace mpcomm::device {

// Throws Error(MPCOMM_ERR_CUDA, "<call> failed: <CUDA's text> (<error name>)") unless success, for
// an error kept apart from its call; MPCOMM_CUDA_CHECK checks a call in place.
inline void cuda_check(cudaError_t err, const char *call) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // a sticky-free error would otherwise be reported again by the next call
  throw Error(MPCOMM_ERR_CUDA,
              concat(call, " failed: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ")"));
}

// Throws Error(MPCOMM_ERR_CUDA, "cudaFoo failed: <CUDA's text> (<error name>)") after an INFO line
// with the call's text and place (failed_call_message).
[[noreturn]] inline void cuda_call_failed(cudaError_t err, const CallSite &site) {
  cudaGetLastError();  // a sticky-free error would otherwise be reported again by the next call
  throw Error(MPCOMM_ERR_CUDA, failed_call_message(site, concat(cudaGetErrorString(err), " (",
                                                                cudaGetErrorName(err), ")")));
}

// MPCOMM_CUDA_CHECK(cudaFoo(...)): runs the call; an error throws Error(MPCOMM_ERR_CUDA) naming
// cudaFoo, with the call's text and place in the INFO log.
#define MPCOMM_CUDA_CHECK(call)                                                          \
  do {                                                                                   \
    const cudaError_t mpcomm_cuda_err_ = (call);                                         \
    if (mpcomm_cuda_err_ != cudaSuccess)                                                 \
      ::mpcomm::device::cuda_call_failed(mpcomm_cuda_err_, {#call, __FILE__, __LINE__}); \
  } while (0)

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
    MPCOMM_CUDA_CHECK(cudaGetDevice(&saved_));
    if (saved_ != device) MPCOMM_CUDA_CHECK(cudaSetDevice(device));
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
  MPCOMM_CUDA_CHECK(cudaStreamIsCapturing(stream, &status));
  return status != cudaStreamCaptureStatusNone;
}

}  // namespace mpcomm::device
