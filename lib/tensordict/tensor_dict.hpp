// The dictionary behind mpcomm_tensor_dict_t: string keys in insertion order (as a Python dict)
// mapping to a tensor, an int64, a double, a bool, a string or bytes. A tensor set by the caller
// is borrowed (descriptor and shape copied, data not). A tensor the library received owns its
// memory, host or device, and frees it with the entry, or lives in the dict's receive block:
// the one buffer a dict that arrived as one message landed in, which the dict owns and the next
// such receive lands in again.
#pragma once

#include <dlpack/dlpack.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mpcomm.h"

namespace mpcomm::tensordict {

// Frees memory the library allocated for a received tensor: host (aligned) or CUDA.
struct BufferDeleter {
  bool device = false;
  void operator()(void *p) const noexcept;
};
using OwnedBuffer = std::unique_ptr<void, BufferDeleter>;

// Host memory of bytes, 64-byte aligned; nullptr for 0 bytes; Error(NO_MEMORY) on failure.
OwnedBuffer allocate_host(size_t bytes);

struct TensorValue {
  DLTensor tensor{};           // shape points into `shape`; strides NULL (compact row-major)
  std::vector<int64_t> shape;  // owned copy of the extents
  OwnedBuffer owned;           // the data, when the library allocated it for this tensor
  mpcomm_datatype_t dtype = MPCOMM_UINT8;  // tensor.dtype, checked
  size_t nbytes = 0;                       // of the data at tensor.data + tensor.byte_offset
  bool received = false;                   // made by the library for a received dict
  bool in_block = false;                   // the data lies in the dict's receive block

  TensorValue() = default;
  TensorValue(TensorValue &&other) noexcept;
  TensorValue &operator=(TensorValue &&other) noexcept;
  TensorValue(const TensorValue &) = delete;
  TensorValue &operator=(const TensorValue &) = delete;
};

using Bytes = std::vector<unsigned char>;
// Alternatives in the order of mpcomm_value_kind_t, so that index() is the kind.
using DictValue = std::variant<TensorValue, int64_t, double, bool, std::string, Bytes>;

struct Entry {
  std::string key;
  DictValue value;
  mpcomm_value_kind_t kind() const { return static_cast<mpcomm_value_kind_t>(value.index()); }
};

// "a tensor", "an int" ... for messages.
const char *kind_phrase(mpcomm_value_kind_t kind);

// A compact row-major tensor of a data-plane dtype in host or CUDA memory, copied as a borrowed
// descriptor; INVALID_ARGUMENT naming `name` otherwise (tensor.hpp's rules, plus the device).
TensorValue borrow_tensor(const DLTensor *tensor, const char *name);

}  // namespace mpcomm::tensordict

struct mpcomm_tensor_dict_s {
 public:
  using Entry = mpcomm::tensordict::Entry;

  // A dict registers itself as a live handle (core/live_handles.hpp) for its lifetime.
  mpcomm_tensor_dict_s();
  ~mpcomm_tensor_dict_s();
  mpcomm_tensor_dict_s(const mpcomm_tensor_dict_s &) = delete;
  mpcomm_tensor_dict_s &operator=(const mpcomm_tensor_dict_s &) = delete;

  // The entry of key, or nullptr.
  Entry *find(const std::string &key);
  const Entry *find(const std::string &key) const;
  // Sets key to value: in place when the key exists, else appended.
  void set(const std::string &key, mpcomm::tensordict::DictValue value);
  // The entry of key; INVALID_ARGUMENT "no key 'k'" when absent, "key 'k' holds an int, not a
  // tensor" when it holds another kind than `kind`.
  const Entry &get(const char *key, mpcomm_value_kind_t kind) const;

  // The buffer one-message receives land in (capacity 0: none yet). Tensors with in_block
  // point into it.
  struct ReceiveBlock {
    mpcomm::tensordict::OwnedBuffer data;
    size_t capacity = 0;
  };
  ReceiveBlock &block() { return block_; }

  size_t size() const { return entries_.size(); }
  const Entry &at(size_t i) const { return *entries_[i]; }
  Entry &at(size_t i) { return *entries_[i]; }
  void clear();
  // Removes the entries for which drop(entry) is true, keeping the others in order.
  template <class Drop>
  void erase_if(Drop &&drop);
  // Exchanges entries with other (a received dict replaces a caller's dict in one step); the
  // receive blocks stay where they are.
  void swap(mpcomm_tensor_dict_s &other) noexcept;

 private:
  // Entries live behind pointers so that descriptors handed out stay put as the dict grows.
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::string, size_t> index_;
  ReceiveBlock block_;
};

template <class Drop>
void mpcomm_tensor_dict_s::erase_if(Drop &&drop) {
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (drop(static_cast<const Entry &>(*entries_[i]))) {
      index_.erase(entries_[i]->key);
      continue;
    }
    if (kept != i) {
      entries_[kept] = std::move(entries_[i]);
      index_[entries_[kept]->key] = kept;
    }
    ++kept;
  }
  entries_.resize(kept);
}
