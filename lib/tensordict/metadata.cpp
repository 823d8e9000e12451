// Metadata of a tensor dict to and from MessagePack, streaming: the encoder writes the bytes
// from the dict directly, the decoder checks each value as it reads it and keeps views.
#include "tensordict/metadata.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <utility>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "mpcomm.hpp"

namespace mpcomm::tensordict {

namespace {

using Type = mpcomm::Value::Type;  // MessagePack's kinds, named as the C++ API names them
namespace msgpack = mpcomm::msgpack_detail;

constexpr std::string_view kFormat = "tensor_dict";
constexpr int64_t kVersion = 1;

// ------------------------------------------------------------------ encoding

// The fixed start of every message: a map of 3, "mpcomm": "tensor_dict", "version": 1, "items".
constexpr char kPrologue[] = "\x83\xa6mpcomm\xabtensor_dict\xa7version\x01\xa5items";
// The fixed start of a tensor: a map of 4 and its first key.
constexpr char kTensorPrologue[] =
    "\x84\xa5"
    "dtype";

// Writes MessagePack into a buffer sized by metadata_bound(); a bound too small is a bug here.
class Writer {
 public:
  Writer(char *out, size_t capacity) : p_(out), begin_(out), end_(out + capacity) {}

  size_t length() const { return static_cast<size_t>(p_ - begin_); }

  void raw(const void *data, size_t n) {
    need(n);
    if (n) std::memcpy(p_, data, n);
    p_ += n;
  }
  void byte(unsigned char b) {
    need(1);
    *p_++ = static_cast<char>(b);
  }
  // The sink msgpack_detail writes into.
  void push_back(char c) {
    need(1);
    *p_++ = c;
  }
  void map(uint64_t n) { msgpack::put_length(*this, n, 0x80, 15, 0, 0xde, 0xdf); }
  void array(uint64_t n) { msgpack::put_length(*this, n, 0x90, 15, 0, 0xdc, 0xdd); }
  void str(std::string_view s) {
    if (s.size() <= 31 && static_cast<size_t>(end_ - p_) > s.size()) {  // a fixstr: most keys
      *p_++ = static_cast<char>(0xa0 | s.size());
      std::memcpy(p_, s.data(), s.size());
      p_ += s.size();
      return;
    }
    msgpack::put_length(*this, s.size(), 0xa0, 31, 0xd9, 0xda, 0xdb);
    raw(s.data(), s.size());
  }
  void bin(const void *data, size_t n) {
    msgpack::put_length(*this, n, 0, 0, 0xc4, 0xc5, 0xc6);
    raw(data, n);
  }
  void boolean(bool b) { byte(b ? 0xc3 : 0xc2); }
  void f64(double d) { msgpack::put_double(*this, d); }
  void integer(int64_t i) {
    if (i >= 0 && i <= 0x7f && p_ != end_) {  // a positive fixint: dtypes, most extents
      *p_++ = static_cast<char>(i);
      return;
    }
    msgpack::put_int(*this, i);
  }
  void tensor(mpcomm_datatype_t dtype, const int64_t *shape, size_t ndim, bool on_device,
              int64_t slices) {
    raw(kTensorPrologue, sizeof kTensorPrologue - 1);
    integer(dtype);
    str("shape");
    array(ndim);
    for (size_t d = 0; d < ndim; ++d) integer(shape[d]);
    str("device");
    str(on_device ? "cuda" : "cpu");
    str("slices");
    integer(slices);
  }

 private:
  void need(size_t n) const {
    if (static_cast<size_t>(end_ - p_) < n) outgrown();
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void outgrown() {
    throw Error(MPCOMM_ERR_INTERNAL, "tensor dict metadata outgrew its computed bound");
  }
  char *p_;
  char *begin_;
  char *end_;
};

// Bytes of the header and payload of a str or bin of n bytes, at most.
constexpr size_t kLengthHeader = 5;
constexpr size_t kNumber = 9;
// A tensor's map without its extents: prologue, dtype, 3 keys, array header, device, slices.
constexpr size_t kTensorFixed =
    sizeof kTensorPrologue + kNumber + 3 * (1 + 6) + kLengthHeader + (1 + 4) + kNumber;

size_t value_bound(const DictValue &v) {
  switch (static_cast<mpcomm_value_kind_t>(v.index())) {
    case MPCOMM_VALUE_TENSOR:
      return kTensorFixed + kNumber * static_cast<size_t>(std::get<TensorValue>(v).tensor.ndim);
    case MPCOMM_VALUE_STRING: return kLengthHeader + std::get<std::string>(v).size();
    case MPCOMM_VALUE_BYTES: return kLengthHeader + std::get<Bytes>(v).size();
    default: return kNumber;
  }
}

// A small value: DictValue and MetaValue share the alternatives 1 to 5.
template <class Variant>
void write_small(Writer &w, const Variant &v) {
  switch (static_cast<mpcomm_value_kind_t>(v.index())) {
    case MPCOMM_VALUE_INT: w.integer(std::get<int64_t>(v)); break;
    case MPCOMM_VALUE_DOUBLE: w.f64(std::get<double>(v)); break;
    case MPCOMM_VALUE_BOOL: w.boolean(std::get<bool>(v)); break;
    case MPCOMM_VALUE_STRING: w.str(std::get<std::string>(v)); break;
    default: {
      const Bytes &b = std::get<Bytes>(v);
      w.bin(b.data(), b.size());
    }
  }
}

// ------------------------------------------------------------------ decoding

// Every failure builds its message here, out of the decoder's way.
template <class... Parts>
[[noreturn, gnu::cold, gnu::noinline]] void malformed(const Parts &...parts) {
  throw Error(MPCOMM_ERR_MALFORMED, concat("tensor dict metadata: ", parts...));
}

bool has_nul(std::string_view s) {
  for (char c : s)
    if (c == '\0') return true;
  return false;
}

using Head = msgpack::Head;

}  // namespace

// The metadata's reader: mpcomm.hpp's streaming MessagePack reader, with an unsigned number that
// fits in int64 read as an int (as mpcomm::Value compares them), and its failures as this
// library's Error.
class MetaReader {
 public:
  MetaReader(const unsigned char *data, size_t len) : heads_(data, len, "tensor dict metadata") {}

  bool at_end() const { return heads_.at_end(); }
  Head next() {
    Head h = heads_.next();
    if (h.type == Type::UInt && h.u <= static_cast<uint64_t>(INT64_MAX)) {
      h.type = Type::Int;
      h.i = static_cast<int64_t>(h.u);
    }
    return h;
  }
  void skip_items(const Head &h, int depth) { heads_.skip_items(h, depth); }
  [[noreturn]] void fail(const std::string &why) const { heads_.fail(why); }

 private:
  msgpack::HeadReader heads_;
};

namespace {

const char *type_name(Type t) { return mpcomm::Value::type_name(t); }

}  // namespace

// ------------------------------------------------------------------ streaming API

size_t metadata_bound(const mpcomm_tensor_dict_s &dict) {
  size_t bound = sizeof kPrologue + kLengthHeader;
  for (size_t i = 0; i < dict.size(); ++i) {
    const Entry &e = dict.at(i);
    bound += kLengthHeader + e.key.size() + value_bound(e.value);
  }
  return bound;
}

size_t encode_metadata_to(char *out, size_t capacity, const mpcomm_tensor_dict_s &dict,
                          const int64_t *slices) {
  try {
    Writer w(out, capacity);
    w.raw(kPrologue, sizeof kPrologue - 1);
    w.map(dict.size());
    for (size_t i = 0; i < dict.size(); ++i) {
      const Entry &e = dict.at(i);
      w.str(e.key);
      if (e.kind() != MPCOMM_VALUE_TENSOR) {
        write_small(w, e.value);
        continue;
      }
      const TensorValue &t = std::get<TensorValue>(e.value);
      w.tensor(t.dtype, t.shape.data(), t.shape.size(), host::on_cuda_device(t.tensor),
               slices ? slices[i] : 1);
    }
    return w.length();
  } catch (const mpcomm::Exception &e) {  // a value beyond MessagePack's 2^32-1
    throw Error(e.status(), concat("tensor dict metadata: ", e.what()));
  }
}

bool DecodedMetadata::same_shape(const TensorMetaView &t, const std::vector<int64_t> &shape) const {
  return shape.size() == static_cast<size_t>(t.ndim) &&
         std::equal(shape.begin(), shape.end(), extents_.begin() + t.first_extent);
}

void DecodedMetadata::decode(const void *data, size_t len) {
  // The reader's failures are the C++ API's Exception: this library's Error with its status.
  try {
    items_.clear();
    extents_.clear();
    if (data == nullptr && len > 0) malformed("no bytes");
    static const unsigned char nothing = 0;
    MetaReader r(data ? static_cast<const unsigned char *>(data) : &nothing, len);
    const Head top = r.next();
    if (top.type != Type::Map) malformed("the message is a ", type_name(top.type), ", not a map");
    if (top.n != 3) malformed("the message has ", top.n, " fields, not 3");
    bool format = false, version = false, items = false;
    bool format_ok = false, version_ok = false;
    for (int k = 0; k < 3; ++k) {
      const Head key = r.next();
      r.skip_items(key, 1);
      const Head value = r.next();
      if (key.is("mpcomm") && !format) {
        format = true;
        format_ok = value.is(kFormat);
      } else if (key.is("version") && !version) {
        version = true;
        version_ok = value.type == Type::Int && value.i == kVersion;
      } else if (key.is("items") && !items) {
        items = true;
        if (value.type != Type::Map) malformed("field 'items' is not a map");
        decode_items(r, static_cast<size_t>(value.n));
        continue;
      }
      r.skip_items(value, 1);
    }
    if (!r.at_end()) r.fail("trailing bytes after the value");
    const bool seen[3] = {format, version, items};
    static const char *const kFields[3] = {"mpcomm", "version", "items"};
    for (int k = 0; k < 3; ++k)
      if (!seen[k]) malformed("the message has no field '", kFields[k], "'");
    if (!format_ok)
      malformed("the message is not a tensor dict (field 'mpcomm' is not \"tensor_dict\")");
    if (!version_ok) malformed("the message is not of version ", kVersion);
    check_unique_keys();
  } catch (const mpcomm::Exception &e) {
    throw Error(e.status(), e.what());
  }
}

void DecodedMetadata::decode_items(MetaReader &r, size_t count) {
  items_.reserve(count);  // the reader checked count against the bytes left
  size_t total_bytes = 0;
  for (size_t k = 0; k < count; ++k) {
    const Head key = r.next();
    if (key.type != Type::String) malformed("a key is not a string");
    const std::string_view name = key.text();
    if (has_nul(name)) malformed("a key holds a NUL byte");
    const Head v = r.next();
    ItemView item;
    item.key = name;
    switch (v.type) {
      case Type::Int: item.value.emplace<int64_t>(v.i); break;
      case Type::Float: item.value.emplace<double>(v.d); break;
      case Type::Bool: item.value.emplace<bool>(v.b); break;
      case Type::String:
        if (has_nul(v.text())) malformed("the string of key '", name, "' holds a NUL byte");
        item.value.emplace<std::string_view>(v.text());
        break;
      case Type::Bytes:
        item.value.emplace<BytesView>(BytesView{v.data, static_cast<size_t>(v.n)});
        break;
      case Type::Map: {
        const TensorMetaView t = decode_tensor(r, static_cast<size_t>(v.n), name);
        if (total_bytes > std::numeric_limits<size_t>::max() - t.nbytes)
          malformed("the tensors' bytes add up beyond size_t");
        total_bytes += t.nbytes;
        item.value.emplace<TensorMetaView>(t);
        break;
      }
      default:
        malformed("key '", name, "' holds a ", type_name(v.type),
                  ", which no tensor dict value encodes to");
    }
    items_.push_back(item);
  }
}

TensorMetaView DecodedMetadata::decode_tensor(MetaReader &r, size_t fields, std::string_view key) {
  if (fields != 4) malformed("tensor '", key, "' has ", fields, " fields, not 4");
  TensorMetaView t;
  t.first_extent = extents_.size();
  bool seen[4] = {false, false, false, false};
  size_t numel = 1;
  bool overflow = false, empty = false;
  for (int k = 0; k < 4; ++k) {
    const Head name = r.next();
    r.skip_items(name, 2);
    const Head v = r.next();
    if (name.is("dtype") && !seen[0]) {
      seen[0] = true;
      if (v.type != Type::Int || v.i < 0 || v.i >= MPCOMM_NUM_DATATYPES)
        malformed("tensor '", key, "' has no valid dtype");
      t.dtype = static_cast<mpcomm_datatype_t>(v.i);
    } else if (name.is("shape") && !seen[1]) {
      seen[1] = true;
      if (v.type != Type::Array) malformed("tensor '", key, "' has a shape that is not an array");
      if (v.n > static_cast<uint64_t>(kMaxDims))
        malformed("tensor '", key, "' has ", v.n, " dimensions, more than ", kMaxDims);
      t.ndim = static_cast<int>(v.n);
      for (int d = 0; d < t.ndim; ++d) {
        const Head extent = r.next();
        if (extent.type != Type::Int || extent.i < 0)
          malformed("tensor '", key, "' has an extent that is not an int >= 0");
        const auto e = static_cast<uint64_t>(extent.i);
        if (e == 0) empty = true;
        if (e != 0 && numel > std::numeric_limits<size_t>::max() / e) overflow = true;
        numel *= static_cast<size_t>(e);
        extents_.push_back(extent.i);
      }
    } else if (name.is("device") && !seen[2]) {
      seen[2] = true;
      if (!v.is("cpu") && !v.is("cuda"))
        malformed("tensor '", key, "' has a device that is neither \"cpu\" nor \"cuda\"");
      t.on_device = v.is("cuda");
    } else if (name.is("slices") && !seen[3]) {
      seen[3] = true;
      if (v.type != Type::Int || v.i < 1 || v.i > INT_MAX)
        malformed("tensor '", key, "' has a slice count that is not an int in [1, INT_MAX]");
      t.slices = v.i;
    } else {
      r.skip_items(v, 2);
    }
  }
  static const char *const kFields[4] = {"dtype", "shape", "device", "slices"};
  for (int k = 0; k < 4; ++k)
    if (!seen[k]) malformed("tensor '", key, "' has no field '", kFields[k], "'");
  // An extent of 0 empties the tensor whatever the others say.
  if (!empty && overflow) malformed("tensor '", key, "' has more elements than a size_t counts");
  if (empty) numel = 0;
  const size_t element = kElementSize[t.dtype];
  if (numel > std::numeric_limits<size_t>::max() / element)
    malformed("tensor '", key, "' has more bytes than a size_t counts");
  t.numel = numel;
  t.nbytes = numel * element;
  if (t.slices != 1 && (numel == 0 || numel % static_cast<size_t>(t.slices) != 0))
    malformed("tensor '", key, "' of ", numel, " elements cannot travel in ", t.slices, " slices");
  return t;
}

void DecodedMetadata::check_unique_keys() {
  const size_t n = items_.size();
  constexpr size_t kPairwise = 16;  // below this, comparing every pair is cheapest
  if (n <= kPairwise) {
    for (size_t a = 1; a < n; ++a)
      for (size_t b = 0; b < a; ++b)
        if (items_[a].key == items_[b].key) malformed("key '", items_[a].key, "' appears twice");
    return;
  }
  sorted_keys_.clear();
  for (const ItemView &item : items_) sorted_keys_.push_back(item.key);
  std::sort(sorted_keys_.begin(), sorted_keys_.end());
  const auto twice = std::adjacent_find(sorted_keys_.begin(), sorted_keys_.end());
  if (twice != sorted_keys_.end()) malformed("key '", *twice, "' appears twice");
}

// ------------------------------------------------------------------ owning form

std::vector<char> encode_metadata(const mpcomm_tensor_dict_s &dict,
                                  const std::vector<int64_t> &slices) {
  std::vector<char> out(metadata_bound(dict));
  out.resize(
      encode_metadata_to(out.data(), out.size(), dict, slices.empty() ? nullptr : slices.data()));
  return out;
}

std::vector<char> encode_metadata(const std::vector<MetaItem> &items) {
  size_t bound = sizeof kPrologue + kLengthHeader;
  for (const MetaItem &item : items) {
    bound += kLengthHeader + item.key.size();
    if (const auto *t = std::get_if<TensorMeta>(&item.value))
      bound += kTensorFixed + kNumber * t->shape.size();
    else if (const auto *s = std::get_if<std::string>(&item.value))
      bound += kLengthHeader + s->size();
    else if (const auto *b = std::get_if<Bytes>(&item.value))
      bound += kLengthHeader + b->size();
    else
      bound += kNumber;
  }
  std::vector<char> out(bound);
  Writer w(out.data(), out.size());
  w.raw(kPrologue, sizeof kPrologue - 1);
  w.map(items.size());
  for (const MetaItem &item : items) {
    w.str(item.key);
    if (const auto *t = std::get_if<TensorMeta>(&item.value))
      w.tensor(t->dtype, t->shape.data(), t->shape.size(), t->on_device, t->slices);
    else
      write_small(w, item.value);
  }
  out.resize(w.length());
  return out;
}

std::vector<MetaItem> decode_metadata(const void *data, size_t len) {
  DecodedMetadata md;
  md.decode(data, len);
  std::vector<MetaItem> items;
  items.reserve(md.items().size());
  for (const ItemView &view : md.items()) {
    MetaItem item;
    item.key = std::string(view.key);
    switch (view.kind()) {
      case MPCOMM_VALUE_TENSOR: {
        const auto &v = std::get<TensorMetaView>(view.value);
        TensorMeta t;
        t.dtype = v.dtype;
        t.shape.assign(md.shape(v), md.shape(v) + v.ndim);
        t.on_device = v.on_device;
        t.slices = v.slices;
        t.numel = v.numel;
        t.nbytes = v.nbytes;
        item.value = std::move(t);
        break;
      }
      case MPCOMM_VALUE_INT: item.value = std::get<int64_t>(view.value); break;
      case MPCOMM_VALUE_DOUBLE: item.value = std::get<double>(view.value); break;
      case MPCOMM_VALUE_BOOL: item.value = std::get<bool>(view.value); break;
      case MPCOMM_VALUE_STRING:
        item.value = std::string(std::get<std::string_view>(view.value));
        break;
      case MPCOMM_VALUE_BYTES: {
        const BytesView b = std::get<BytesView>(view.value);
        item.value = Bytes(b.data, b.data + b.size);
        break;
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace mpcomm::tensordict
