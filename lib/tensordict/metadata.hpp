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
//
// Both directions stream: the encoder writes straight from the dict into the caller's buffer
// and the decoder yields views into the bytes it was given, in vectors it reuses, so a dict
// exchanged every step costs no allocation here (an error message is built only on failure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "host/tensor.hpp"
#include "mpcomm.h"
#include "tensordict/tensor_dict.hpp"

namespace mpcomm::tensordict {

constexpr int kMaxDims = host::kMaxTensorDims;

// ------------------------------------------------------------------ streaming

// An upper bound of the metadata bytes of dict, for the buffer encode_metadata_to writes into.
size_t metadata_bound(const mpcomm_tensor_dict_s &dict);
// Writes the metadata of dict into out (capacity >= metadata_bound(dict)) and returns its length;
// slices[i] is the slice count of entry i when it is a tensor (NULL: 1 for every tensor).
size_t encode_metadata_to(char *out, size_t capacity, const mpcomm_tensor_dict_s &dict,
                          const int64_t *slices);

// A tensor as decoded metadata describes it; its extents live in the DecodedMetadata.
struct TensorMetaView {
  mpcomm_datatype_t dtype = MPCOMM_UINT8;
  bool on_device = false;  // "cuda"; else "cpu"
  int ndim = 0;
  size_t first_extent = 0;  // index into DecodedMetadata's extents
  int64_t slices = 1;
  size_t numel = 0;
  size_t nbytes = 0;
};
struct BytesView {
  const unsigned char *data = nullptr;
  size_t size = 0;
};
// Alternatives in the order of mpcomm_value_kind_t, so that index() is the kind.
using ValueView = std::variant<TensorMetaView, int64_t, double, bool, std::string_view, BytesView>;
struct ItemView {
  std::string_view key;
  ValueView value;
  mpcomm_value_kind_t kind() const { return static_cast<mpcomm_value_kind_t>(value.index()); }
};

class MetaReader;

// Decoded metadata: views into the decoded bytes, valid while those bytes are.
class DecodedMetadata {
 public:
  // Decodes [data, data + len), checking the format and version, keys (unique, strings with no
  // NUL), kinds, dtypes, shapes (ndim <= kMaxDims, extents >= 0, element and byte counts within
  // size_t, also summed over the tensors), devices, and slice counts that divide the element
  // count. Error(MPCOMM_ERR_MALFORMED) naming what is wrong.
  void decode(const void *data, size_t len);

  const std::vector<ItemView> &items() const { return items_; }
  const int64_t *shape(const TensorMetaView &t) const { return extents_.data() + t.first_extent; }
  bool same_shape(const TensorMetaView &t, const std::vector<int64_t> &shape) const;

 private:
  void decode_items(MetaReader &reader, size_t count);
  TensorMetaView decode_tensor(MetaReader &reader, size_t fields, std::string_view key);
  void check_unique_keys();

  std::vector<ItemView> items_;
  std::vector<int64_t> extents_;
  std::vector<std::string_view> sorted_keys_;
};

// ------------------------------------------------------------------ owning form (tests, tools)

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

// The metadata of dict, as encode_metadata_to writes it; slices as there (empty: all 1).
std::vector<char> encode_metadata(const mpcomm_tensor_dict_s &dict,
                                  const std::vector<int64_t> &slices = {});
std::vector<char> encode_metadata(const std::vector<MetaItem> &items);

// The items of a metadata message, checked as DecodedMetadata::decode checks them.
std::vector<MetaItem> decode_metadata(const void *data, size_t len);

}  // namespace mpcomm::tensordict
