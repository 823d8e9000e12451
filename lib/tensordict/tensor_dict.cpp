// The tensor dictionary: its entries in insertion order, received tensors' buffers.
#include "tensordict/tensor_dict.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/live_handles.hpp"
#include "device/device_ops.hpp"
#include "host/tensor.hpp"

namespace mpcomm::tensordict {

void BufferDeleter::operator()(void *p) const noexcept {
  if (device)
    mpcomm::device::release(p);
  else
    std::free(p);
}

OwnedBuffer allocate_host(size_t bytes) {
  if (bytes == 0) return OwnedBuffer(nullptr, BufferDeleter{false});
  constexpr size_t kAlign = 64;
  // aligned_alloc wants a multiple of the alignment.
  require(bytes <= SIZE_MAX - kAlign, MPCOMM_ERR_NO_MEMORY, "cannot allocate ", bytes, " bytes");
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void *p = std::aligned_alloc(kAlign, rounded);
  require(p != nullptr, MPCOMM_ERR_NO_MEMORY, "cannot allocate ", bytes,
          " bytes for a received tensor");
  return OwnedBuffer(p, BufferDeleter{false});
}

TensorValue::TensorValue(TensorValue &&other) noexcept { *this = std::move(other); }

TensorValue &TensorValue::operator=(TensorValue &&other) noexcept {
  tensor = other.tensor;
  shape = std::move(other.shape);
  owned = std::move(other.owned);
  dtype = other.dtype;
  nbytes = other.nbytes;
  received = other.received;
  in_block = other.in_block;
  tensor.shape = shape.empty() ? nullptr : shape.data();
  other.tensor = DLTensor{};
  other.nbytes = 0;
  other.in_block = false;
  return *this;
}

const char *kind_phrase(mpcomm_value_kind_t kind) {
  switch (kind) {
    case MPCOMM_VALUE_TENSOR: return "a tensor";
    case MPCOMM_VALUE_INT: return "an int";
    case MPCOMM_VALUE_DOUBLE: return "a double";
    case MPCOMM_VALUE_BOOL: return "a bool";
    case MPCOMM_VALUE_STRING: return "a string";
    case MPCOMM_VALUE_BYTES: return "bytes";
  }
  return "an unknown kind";
}

TensorValue borrow_tensor(const DLTensor *tensor, const char *name) {
  const host::TensorView view = host::validate_tensor(tensor, name);
  if (!host::on_host(*tensor) && !host::on_cuda_device(*tensor))
    throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                concat(name, " is on ", host::device_string(tensor->device),
                       "; a tensor dict holds host (cpu, cuda_host) or CUDA (cuda, cuda_managed) "
                       "tensors"));
  TensorValue value;
  value.shape.assign(tensor->shape, tensor->shape + tensor->ndim);
  value.tensor = *tensor;
  value.tensor.dtype = to_dl(view.dtype);
  value.tensor.shape = value.shape.empty() ? nullptr : value.shape.data();
  value.tensor.strides = nullptr;  // checked compact: strides no longer matter
  value.dtype = view.dtype;
  value.nbytes = view.nbytes;
  return value;
}

}  // namespace mpcomm::tensordict

mpcomm_tensor_dict_s::mpcomm_tensor_dict_s() {
  mpcomm::live_handles::add(mpcomm::live_handles::Kind::kTensorDict, this);
}

mpcomm_tensor_dict_s::~mpcomm_tensor_dict_s() {
  mpcomm::live_handles::remove(mpcomm::live_handles::Kind::kTensorDict, this);
}

mpcomm_tensor_dict_s::Entry *mpcomm_tensor_dict_s::find(const std::string &key) {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : entries_[it->second].get();
}

const mpcomm_tensor_dict_s::Entry *mpcomm_tensor_dict_s::find(const std::string &key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : entries_[it->second].get();
}

void mpcomm_tensor_dict_s::set(const std::string &key, mpcomm::tensordict::DictValue value) {
  if (Entry *e = find(key)) {
    e->value = std::move(value);
    return;
  }
  auto entry = std::make_unique<Entry>();
  entry->key = key;
  entry->value = std::move(value);
  entries_.reserve(entries_.size() + 1);  // nothing below may throw once the index has the key
  index_.emplace(key, entries_.size());
  entries_.push_back(std::move(entry));
}

const mpcomm_tensor_dict_s::Entry &mpcomm_tensor_dict_s::get(const char *key,
                                                             mpcomm_value_kind_t kind) const {
  mpcomm::require_not_null(key, "key");
  const Entry *e = find(key);
  mpcomm::require_arg(e != nullptr, "no key '", key, "'");
  mpcomm::require_arg(e->kind() == kind, "key '", key, "' holds ",
                      mpcomm::tensordict::kind_phrase(e->kind()), ", not ",
                      mpcomm::tensordict::kind_phrase(kind));
  return *e;
}

void mpcomm_tensor_dict_s::clear() {
  entries_.clear();
  index_.clear();
}

void mpcomm_tensor_dict_s::swap(mpcomm_tensor_dict_s &other) noexcept {
  entries_.swap(other.entries_);
  index_.swap(other.index_);
}
