#include "host/tensor.hpp"

#include <limits>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "host/buffer.hpp"

namespace mpcomm::host {

size_t numel(const DLTensor &tensor) {
  size_t n = 1;
  for (int i = 0; i < tensor.ndim; ++i) n *= static_cast<size_t>(tensor.shape[i]);
  return n;
}

size_t nbytes(const DLTensor &tensor) {
  return numel(tensor) * ((tensor.dtype.bits * tensor.dtype.lanes + 7u) / 8u);
}

bool is_contiguous(const DLTensor &tensor) {
  if (tensor.strides == nullptr) return true;
  for (int i = 0; i < tensor.ndim; ++i)
    if (tensor.shape[i] == 0) return true;  // no element to lay out
  int64_t expected = 1;
  for (int i = tensor.ndim - 1; i >= 0; --i) {
    const int64_t extent = tensor.shape[i];
    if (extent != 1 && tensor.strides[i] != expected) return false;
    expected *= extent;
  }
  return true;
}

std::string device_string(DLDevice device) {
  switch (device_type_of(device)) {
    case kDLCPU: return "cpu";
    case kDLCUDAHost: return "cuda_host";
    case kDLCUDA: return concat("cuda:", device.device_id);
    case kDLCUDAManaged: return concat("cuda_managed:", device.device_id);
    default: break;
  }
  return concat("device type ", device_type_of(device), ":", device.device_id);
}

void require_on_host(const DLTensor &tensor, const char *name) {
  if (!on_host(tensor))  // the device string is made only on failure: it may allocate
    throw Error(MPCOMM_ERR_INVALID_ARGUMENT, concat(name, " is on ", device_string(tensor.device),
                                                    ", not in host memory (cpu or cuda_host)"));
}

namespace {

// True when data + byte_offset + bytes does not fit in the address space (the first byte would
// lie before data, or the last past the end).
bool offset_wraps(const DLTensor &t, size_t bytes) {
  uintptr_t first = 0, end = 0;
  return __builtin_add_overflow(reinterpret_cast<uintptr_t>(t.data), t.byte_offset, &first) ||
         __builtin_add_overflow(first, bytes, &end);
}

// Throws the error that says what is wrong with a tensor that failed validate_tensor's checks:
// the first rule it breaks, with the numbers. Kept apart so that the checks build no message.
[[noreturn]] void explain_invalid(const DLTensor *tensor, const char *name) {
  require_arg(tensor != nullptr, name, " must not be NULL");
  const DLTensor &t = *tensor;
  require_arg(t.ndim >= 0, name, ".ndim must be >= 0, got ", t.ndim);
  require_arg(t.ndim <= kMaxTensorDims, name, ".ndim must be <= ", kMaxTensorDims, ", got ",
              t.ndim);
  require_arg(t.ndim == 0 || t.shape != nullptr, name, ".shape must not be NULL when ndim (",
              t.ndim, ") > 0");
  TensorView view;
  view.dtype = from_dl(t.dtype, name);
  view.ndim = t.ndim;
  view.shape = t.ndim > 0 ? t.shape : nullptr;
  size_t n = 1;
  bool overflow = false, empty = false;
  for (int i = 0; i < t.ndim; ++i) {
    require_arg(t.shape[i] >= 0, name, ".shape[", i, "] must be >= 0, got ", t.shape[i]);
    const auto extent = static_cast<size_t>(t.shape[i]);
    if (extent == 0) empty = true;
    if (extent != 0 && n > std::numeric_limits<size_t>::max() / extent) overflow = true;
    n *= extent;
  }
  require_arg(empty || !overflow, name, " has more elements than a size_t counts");
  checked_bytes(n, element_size(view.dtype), name);
  require_arg(t.data != nullptr || n == 0, name, ".data must not be NULL: it has ", n, " elements");
  require_arg(!offset_wraps(t, n * element_size(view.dtype)), name, ".byte_offset (", t.byte_offset,
              ") puts the tensor's ", n * element_size(view.dtype),
              " bytes past the end of the address space");
  std::string strides = "[";
  for (int i = 0; i < t.ndim && t.strides != nullptr; ++i)
    strides += concat(i ? ", " : "", t.strides[i]);
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat(name, " is not contiguous (strides ", strides, "] for shape ",
                     shape_string(view), "): the data plane moves compact row-major tensors"));
}

}  // namespace

TensorView validate_tensor(const DLTensor *tensor, const char *name) {
  // Every rule is checked without a message first; explain_invalid() says which one broke.
  if (tensor == nullptr || tensor->ndim < 0 || tensor->ndim > kMaxTensorDims ||
      (tensor->ndim > 0 && tensor->shape == nullptr))
    explain_invalid(tensor, name);
  const DLTensor &t = *tensor;
  const mpcomm_datatype_t dtype = from_dl(t.dtype, name);
  size_t n = 1;
  bool overflow = false, empty = false, negative = false;
  for (int i = 0; i < t.ndim; ++i) {
    const int64_t extent = t.shape[i];
    negative |= extent < 0;
    empty |= extent == 0;
    overflow |= __builtin_mul_overflow(n, static_cast<size_t>(extent), &n);
  }
  if (empty) n = 0;
  const size_t es = kElementSize[dtype];
  size_t bytes = 0;
  if (negative || (overflow && !empty) || __builtin_mul_overflow(n, es, &bytes) ||
      (t.data == nullptr && n > 0) || offset_wraps(t, bytes) || !is_contiguous(t))
    explain_invalid(tensor, name);
  TensorView view;
  view.dtype = dtype;
  view.ndim = t.ndim;
  view.shape = t.ndim > 0 ? t.shape : nullptr;
  view.numel = n;
  view.nbytes = bytes;
  view.data = t.data == nullptr ? nullptr : static_cast<unsigned char *>(t.data) + t.byte_offset;
  return view;
}

int normalize_dim(int dim, int ndim, const char *name) {
  require_arg(dim >= -ndim && dim < ndim, "dim (", dim, ") must be in [", -ndim, ", ", ndim,
              ") for ", name, " of ndim ", ndim);
  return dim < 0 ? dim + ndim : dim;
}

std::string shape_string(const TensorView &view) {
  std::string s = "[";
  for (int i = 0; i < view.ndim; ++i) s += concat(i ? ", " : "", view.shape[i]);
  return s + "]";
}

}  // namespace mpcomm::host
