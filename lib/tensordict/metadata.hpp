// The metadata of a tensor dict on the wire: one MessagePack map, so a receiver learns every key,
// small value and tensor description before any tensor data moves.
//
//   {"mpcomm": "tensor_dict", "version": 1,
//    "items": {key: value, ...}}                 keys in the dict's order
//
// where a value is a MessagePack int (int64), float64, bool, str or bin for the small kinds, and
// for a tensor the map {"dtype": <mpcomm_datatype_t>, "shape": [extents], "device": "cpu" |
// "cuda", "slices": n}: slices > 1 says the sender sends its 1/n part for the receivers to
// all-gather. The device is the kind of memory only; the receiver picks its own device, as vLLM.
// Decoding trusts nothing: anything else is Error(MPCOMM_ERR_MALFORMED).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mpcomm.h"
#include "tensordict/tensor_dict.hpp"

namespace mpcomm::tensordict {

constexpr int kMaxDims = 32;

struct TensorMeta {
  mpcomm_datatype_t dtype = MPCOMM_UINT8;
  std::vector<int64_t> shape;
  bool on_device = false;  // "cuda"; else "cpu"
  int64_t slices = 1;
  size_t numel = 0;   // derived on decode
  size_t nbytes = 0;  // derived on decode

  // The fields that travel.
  friend bool operator==(const TensorMeta &a, const TensorMeta &b) {
    return a.dtype == b.dtype && a.shape == b.shape && a.on_device == b.on_device &&
           a.slices == b.slices;
  }
};

using MetaValue = std::variant<TensorMeta, int64_t, double, bool, std::string, Bytes>;

struct MetaItem {
  std::string key;
  MetaValue value;
  mpcomm_value_kind_t kind() const { return static_cast<mpcomm_value_kind_t>(value.index()); }
};

// The metadata of dict; slices[i] is the slice count of entry i when it is a tensor (empty:
// 1 for every tensor).
std::vector<char> encode_metadata(const mpcomm_tensor_dict_s &dict,
                                  const std::vector<int64_t> &slices = {});
std::vector<char> encode_metadata(const std::vector<MetaItem> &items);

// The items of a metadata message, checked: the format and version, keys (unique, strings with
// no NUL), kinds, dtypes, shapes (ndim <= kMaxDims, extents >= 0, element and byte counts within
// size_t, also summed over the tensors), devices, and slice counts that divide the element
// count. Error(MPCOMM_ERR_MALFORMED) naming what is wrong.
std::vector<MetaItem> decode_metadata(const void *data, size_t len);

}  // namespace mpcomm::tensordict
