// The tensor dictionary and its C functions: create, free, set, get, iterate.
#include "tensordict/tensor_dict.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "core/error.hpp"
#include "dataplane/dtype.hpp"
#include "dataplane/tensor.hpp"
#include "device/device_ops.hpp"

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
  const dataplane::TensorView view = dataplane::validate_tensor(tensor, name);
  if (!dataplane::on_host(*tensor) && !dataplane::on_cuda_device(*tensor))
    throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                concat(name, " is on ", dataplane::device_string(tensor->device),
                       "; a tensor dict holds host (cpu, cuda_host) or CUDA (cuda, cuda_managed) "
                       "tensors"));
  TensorValue value;
  value.shape.assign(tensor->shape, tensor->shape + tensor->ndim);
  value.tensor = *tensor;
  value.tensor.dtype = dataplane::to_dl(view.dtype);
  value.tensor.shape = value.shape.empty() ? nullptr : value.shape.data();
  value.tensor.strides = nullptr;  // checked compact: strides no longer matter
  value.dtype = view.dtype;
  value.nbytes = view.nbytes;
  return value;
}

}  // namespace mpcomm::tensordict

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

namespace mpcomm {

mpcomm_tensor_dict_s &dict_ref(mpcomm_tensor_dict_t dict, const char *name) {
  require_arg(dict != nullptr, name, " must not be NULL");
  require_arg(dict->valid(), name, " is not a tensor dict (freed, or never created)");
  return *dict;
}

}  // namespace mpcomm

namespace {

// The common shape of every setter: the dict, a key, and a value made from the arguments.
template <class Make>
mpcomm_status_t set_value(const char *function, mpcomm_tensor_dict_t dict, const char *key,
                          Make &&make) {
  return mpcomm::c_boundary(function, [&] {
    auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(key, "key");
    d.set(key, make());
  });
}

}  // namespace

extern "C" mpcomm_status_t mpcomm_tensor_dict_create(mpcomm_tensor_dict_t *dict) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_create", [&] {
    mpcomm::require_not_null(dict, "dict");
    *dict = new mpcomm_tensor_dict_s();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_free(mpcomm_tensor_dict_t *dict) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_free", [&] {
    if (dict == nullptr || *dict == nullptr) return;
    delete &mpcomm::dict_ref(*dict, "*dict");
    *dict = nullptr;
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor *tensor) {
  return set_value("mpcomm_tensor_dict_set_tensor", dict, key, [&] {
    return mpcomm::tensordict::DictValue(mpcomm::tensordict::borrow_tensor(tensor, "tensor"));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t value) {
  return set_value("mpcomm_tensor_dict_set_int", dict, key,
                   [&] { return mpcomm::tensordict::DictValue(value); });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double value) {
  return set_value("mpcomm_tensor_dict_set_double", dict, key,
                   [&] { return mpcomm::tensordict::DictValue(value); });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int value) {
  return set_value("mpcomm_tensor_dict_set_bool", dict, key, [&] {
    mpcomm::require_arg(value == 0 || value == 1, "value must be 0 or 1, got ", value);
    return mpcomm::tensordict::DictValue(value != 0);
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char *value) {
  return set_value("mpcomm_tensor_dict_set_string", dict, key, [&] {
    mpcomm::require_not_null(value, "value");
    return mpcomm::tensordict::DictValue(std::string(value));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void *data, size_t len) {
  return set_value("mpcomm_tensor_dict_set_bytes", dict, key, [&] {
    mpcomm::require_arg(data != nullptr || len == 0, "data must not be NULL when len is ", len);
    mpcomm::require_arg(len <= mpcomm::tensordict::Bytes().max_size(), "len ", len,
                        " is larger than any buffer can be");
    const auto *p = static_cast<const unsigned char *>(data);
    return mpcomm::tensordict::DictValue(mpcomm::tensordict::Bytes(p, p + len));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_kind(mpcomm_tensor_dict_t dict, const char *key,
                                                       mpcomm_value_kind_t *kind) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_get_kind", [&] {
    const auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(key, "key");
    mpcomm::require_not_null(kind, "kind");
    const auto *e = d.find(key);
    mpcomm::require_arg(e != nullptr, "no key '", key, "'");
    *kind = e->kind();
  });
}

namespace {

// The common shape of every getter: the dict, a key of one kind, and where its value goes.
template <class T, class Store>
mpcomm_status_t get_value(const char *function, mpcomm_tensor_dict_t dict, const char *key,
                          mpcomm_value_kind_t kind, const void *out, const char *out_name,
                          Store &&store) {
  return mpcomm::c_boundary(function, [&] {
    const auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(out, out_name);
    store(std::get<T>(d.get(key, kind).value));
  });
}

}  // namespace

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor **tensor) {
  return get_value<mpcomm::tensordict::TensorValue>(
      "mpcomm_tensor_dict_get_tensor", dict, key, MPCOMM_VALUE_TENSOR, tensor, "tensor",
      [&](const mpcomm::tensordict::TensorValue &t) { *tensor = &t.tensor; });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t *value) {
  return get_value<int64_t>("mpcomm_tensor_dict_get_int", dict, key, MPCOMM_VALUE_INT, value,
                            "value", [&](int64_t v) { *value = v; });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double *value) {
  return get_value<double>("mpcomm_tensor_dict_get_double", dict, key, MPCOMM_VALUE_DOUBLE, value,
                           "value", [&](double v) { *value = v; });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int *value) {
  return get_value<bool>("mpcomm_tensor_dict_get_bool", dict, key, MPCOMM_VALUE_BOOL, value,
                         "value", [&](bool v) { *value = v ? 1 : 0; });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char **value) {
  return get_value<std::string>("mpcomm_tensor_dict_get_string", dict, key, MPCOMM_VALUE_STRING,
                                value, "value", [&](const std::string &v) { *value = v.c_str(); });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void **data, size_t *len) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_get_bytes", [&] {
    const auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(data, "data");
    mpcomm::require_not_null(len, "len");
    const auto &bytes = std::get<mpcomm::tensordict::Bytes>(d.get(key, MPCOMM_VALUE_BYTES).value);
    *data = bytes.data();
    *len = bytes.size();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_size(mpcomm_tensor_dict_t dict, size_t *n) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_size", [&] {
    const auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(n, "n");
    *n = d.size();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_key_at(mpcomm_tensor_dict_t dict, size_t i,
                                                     const char **key) {
  return mpcomm::c_boundary("mpcomm_tensor_dict_key_at", [&] {
    const auto &d = mpcomm::dict_ref(dict);
    mpcomm::require_not_null(key, "key");
    mpcomm::require_arg(i < d.size(), "i must be < the dict's size (", d.size(), "), got ", i);
    *key = d.at(i).key.c_str();
  });
}
