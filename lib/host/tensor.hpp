// DLPack tensors as the data plane sees them: validation, element counts, contiguity, device.
#pragma once

#include <dlpack/dlpack.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "mpcomm.h"

namespace mpcomm::host {

// The most dimensions a tensor may have (what a tensor dict's receiver accepts, so a sender
// refuses more before anything travels).
constexpr int kMaxTensorDims = 32;

// A validated tensor: its first byte (data + byte_offset), dtype, shape and sizes.
struct TensorView {
  unsigned char *data = nullptr;  // NULL only when numel == 0 and the tensor's data is NULL
  mpcomm_datatype_t dtype = MPCOMM_UINT8;
  int ndim = 0;
  const int64_t *shape = nullptr;  // ndim entries (NULL when ndim == 0)
  size_t numel = 0;
  size_t nbytes = 0;
};

// Checks every field the data plane relies on and returns the view; INVALID_ARGUMENT naming
// `name` ("in", "out") and the value for: a NULL tensor, ndim < 0 or > kMaxTensorDims, a NULL
// shape with ndim > 0, a byte_offset that wraps the address space,
// a negative extent, lanes != 1, an unsupported dtype, a size that overflows, NULL data with
// elements, and a non-contiguous layout (refused: the data plane moves compact row-major
// tensors only). The device is not checked here (see on_host()).
TensorView validate_tensor(const DLTensor *tensor, const char *name);

// Elements and bytes (with byte_offset not counted) of a tensor whose shape is valid.
size_t numel(const DLTensor &tensor);
size_t nbytes(const DLTensor &tensor);

// Compact row-major: strides NULL, or equal to the row-major strides in every dimension of
// extent > 1 (the stride of an extent-1 dimension never matters; an empty tensor is contiguous).
bool is_contiguous(const DLTensor &tensor);

// Host memory the host data plane can use directly: kDLCPU and kDLCUDAHost (pinned).
// The device type as the integer the caller stored: a caller's DLDeviceType may hold any value,
// and loading one outside the enum's range as the enum is undefined behaviour.
inline int32_t device_type_of(const DLDevice &device) {
  static_assert(sizeof device.device_type == sizeof(int32_t), "DLDeviceType is 32 bits");
  int32_t type = 0;
  std::memcpy(&type, &device.device_type, sizeof type);
  return type;
}
inline bool on_host(const DLTensor &tensor) {
  const int32_t type = device_type_of(tensor.device);
  return type == kDLCPU || type == kDLCUDAHost;
}
// GPU memory, for the device data plane: kDLCUDA and kDLCUDAManaged.
inline bool on_cuda_device(const DLTensor &tensor) {
  const int32_t type = device_type_of(tensor.device);
  return type == kDLCUDA || type == kDLCUDAManaged;
}
// Both in host memory (any kind), or both on the same CUDA device.
inline bool same_device(const DLTensor &a, const DLTensor &b) {
  if (on_host(a) || on_host(b)) return on_host(a) && on_host(b);
  return device_type_of(a.device) == device_type_of(b.device) &&
         a.device.device_id == b.device.device_id;
}
// "cpu", "cuda:1", "cuda_host" ... for messages.
std::string device_string(DLDevice device);
// INVALID_ARGUMENT naming `name` and its device unless on_host(tensor).
void require_on_host(const DLTensor &tensor, const char *name);

// dim in [-ndim, ndim) made non-negative (negative counts from the end, as in vLLM);
// INVALID_ARGUMENT naming dim, the tensor and its ndim otherwise.
int normalize_dim(int dim, int ndim, const char *name);

// "[4, 3, 2]" for messages.
std::string shape_string(const TensorView &view);

}  // namespace mpcomm::host
