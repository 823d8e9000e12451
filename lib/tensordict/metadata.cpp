// Metadata of a tensor dict to and from MessagePack, with the project's bounds-checked codec
// (mpcomm::Value of the C++ API, header-only).
#include "tensordict/metadata.hpp"

#include <climits>
#include <cstring>
#include <limits>
#include <unordered_set>
#include <utility>

#include "core/error.hpp"
#include "dataplane/dtype.hpp"
#include "mpcomm.hpp"

namespace mpcomm::tensordict {

namespace {

constexpr const char *kFormat = "tensor_dict";
constexpr int64_t kVersion = 1;

using Msg = mpcomm::Value;  // a MessagePack value

Msg tensor_map(const TensorMeta &t) {
  Msg::Array shape;
  for (int64_t extent : t.shape) shape.emplace_back(static_cast<long long>(extent));
  return Msg(Msg::Map{{Msg("dtype"), Msg(static_cast<int>(t.dtype))},
                      {Msg("shape"), Msg(std::move(shape))},
                      {Msg("device"), Msg(t.on_device ? "cuda" : "cpu")},
                      {Msg("slices"), Msg(static_cast<long long>(t.slices))}});
}

// A value of one of the small kinds; DictValue and MetaValue share the alternatives 1 to 5.
template <class Variant>
Msg small_value(const Variant &v) {
  switch (v.index()) {
    case MPCOMM_VALUE_INT: return Msg(static_cast<long long>(std::get<int64_t>(v)));
    case MPCOMM_VALUE_DOUBLE: return Msg(std::get<double>(v));
    case MPCOMM_VALUE_BOOL: return Msg(std::get<bool>(v));
    case MPCOMM_VALUE_STRING: return Msg(std::get<std::string>(v));
    default: return Msg(Msg::Bytes(std::get<Bytes>(v)));
  }
}

std::vector<char> encode_items(Msg::Map items) {
  const Msg top(Msg::Map{{Msg("mpcomm"), Msg(kFormat)},
                         {Msg("version"), Msg(static_cast<long long>(kVersion))},
                         {Msg("items"), Msg(std::move(items))}});
  try {
    return mpcomm::encode(top);
  } catch (const mpcomm::Exception &e) {
    throw Error(e.status(), e.what());
  }
}

[[noreturn]] void malformed(const std::string &why) {
  throw Error(MPCOMM_ERR_MALFORMED, concat("tensor dict metadata: ", why));
}

void expect(bool cond, const std::string &why) {
  if (!cond) malformed(why);
}

bool is_int(const Msg &m) { return m.type() == Msg::Type::Int; }

// The fields of a map with exactly the given string keys; MALFORMED otherwise.
std::vector<const Msg *> fields(const Msg &map, const std::vector<const char *> &names,
                                const std::string &what) {
  expect(map.type() == Msg::Type::Map,
         concat(what, " is a ", Msg::type_name(map.type()), ", not a map"));
  expect(map.as_map().size() == names.size(),
         concat(what, " has ", map.as_map().size(), " fields, not ", names.size()));
  std::vector<const Msg *> out;
  for (const char *name : names) {
    const Msg *field = map.find(name);
    expect(field != nullptr, concat(what, " has no field '", name, "'"));
    out.push_back(field);
  }
  return out;
}

TensorMeta decode_tensor(const Msg &m, const std::string &key) {
  const std::string what = concat("tensor '", key, "'");
  const auto f = fields(m, {"dtype", "shape", "device", "slices"}, what);
  TensorMeta t;
  expect(is_int(*f[0]) && f[0]->as_int() >= 0 && f[0]->as_int() < MPCOMM_NUM_DATATYPES,
         concat(what, " has no valid dtype"));
  t.dtype = static_cast<mpcomm_datatype_t>(f[0]->as_int());
  expect(f[1]->type() == Msg::Type::Array, concat(what, " has a shape that is not an array"));
  const auto &shape = f[1]->as_array();
  expect(shape.size() <= static_cast<size_t>(kMaxDims),
         concat(what, " has ", shape.size(), " dimensions, more than ", kMaxDims));
  size_t numel = 1;
  bool overflow = false, empty = false;
  for (const Msg &extent : shape) {
    expect(is_int(extent) && extent.as_int() >= 0,
           concat(what, " has an extent that is not an int >= 0"));
    const auto e = static_cast<uint64_t>(extent.as_int());
    if (e == 0) empty = true;
    if (e != 0 && numel > std::numeric_limits<size_t>::max() / e) overflow = true;
    numel *= static_cast<size_t>(e);
    t.shape.push_back(extent.as_int());
  }
  // An extent of 0 empties the tensor whatever the others say.
  expect(empty || !overflow, concat(what, " has more elements than a size_t counts"));
  if (empty) numel = 0;
  const size_t element = dataplane::element_size(t.dtype);
  expect(numel <= std::numeric_limits<size_t>::max() / element,
         concat(what, " has more bytes than a size_t counts"));
  t.numel = numel;
  t.nbytes = numel * element;
  expect(f[2]->type() == Msg::Type::String &&
             (f[2]->as_string() == "cpu" || f[2]->as_string() == "cuda"),
         concat(what, " has a device that is neither \"cpu\" nor \"cuda\""));
  t.on_device = f[2]->as_string() == "cuda";
  expect(is_int(*f[3]) && f[3]->as_int() >= 1 && f[3]->as_int() <= INT_MAX,
         concat(what, " has a slice count that is not an int in [1, INT_MAX]"));
  t.slices = f[3]->as_int();
  expect(t.slices == 1 || (numel > 0 && numel % static_cast<size_t>(t.slices) == 0),
         concat(what, " of ", numel, " elements cannot travel in ", t.slices, " slices"));
  return t;
}

MetaValue decode_value(const Msg &m, const std::string &key) {
  switch (m.type()) {
    case Msg::Type::Int: return MetaValue(std::in_place_type<int64_t>, m.as_int());
    case Msg::Type::Float: return MetaValue(std::in_place_type<double>, m.as_double());
    case Msg::Type::Bool: return MetaValue(std::in_place_type<bool>, m.as_bool());
    case Msg::Type::String:
      expect(std::memchr(m.as_string().data(), '\0', m.as_string().size()) == nullptr,
             concat("the string of key '", key, "' holds a NUL byte"));
      return MetaValue(std::in_place_type<std::string>, m.as_string());
    case Msg::Type::Bytes: return MetaValue(std::in_place_type<Bytes>, m.as_bytes());
    case Msg::Type::Map: return MetaValue(std::in_place_type<TensorMeta>, decode_tensor(m, key));
    default: break;
  }
  malformed(concat("key '", key, "' holds a ", Msg::type_name(m.type()),
                   ", which no tensor dict value encodes to"));
}

}  // namespace

std::vector<char> encode_metadata(const std::vector<MetaItem> &items) {
  Msg::Map map;
  for (const MetaItem &item : items)
    map.emplace_back(Msg(item.key), item.kind() == MPCOMM_VALUE_TENSOR
                                        ? tensor_map(std::get<TensorMeta>(item.value))
                                        : small_value(item.value));
  return encode_items(std::move(map));
}

std::vector<char> encode_metadata(const mpcomm_tensor_dict_s &dict,
                                  const std::vector<int64_t> &slices) {
  Msg::Map map;
  for (size_t i = 0; i < dict.size(); ++i) {
    const Entry &e = dict.at(i);
    if (e.kind() != MPCOMM_VALUE_TENSOR) {
      map.emplace_back(Msg(e.key), small_value(e.value));
      continue;
    }
    const DLTensor &t = std::get<TensorValue>(e.value).tensor;
    TensorMeta meta;
    meta.dtype = dataplane::from_dl(t.dtype, "tensor");
    meta.shape.assign(t.shape, t.shape + t.ndim);
    meta.on_device = t.device.device_type == kDLCUDA || t.device.device_type == kDLCUDAManaged;
    meta.slices = slices.empty() ? 1 : slices[i];
    map.emplace_back(Msg(e.key), tensor_map(meta));
  }
  return encode_items(std::move(map));
}

std::vector<MetaItem> decode_metadata(const void *data, size_t len) {
  expect(data != nullptr || len == 0, "no bytes");
  Msg top;
  try {
    top = mpcomm::decode(data, len);
  } catch (const mpcomm::Exception &e) {
    malformed(e.what());
  }
  const auto f = fields(top, {"mpcomm", "version", "items"}, "the message");
  expect(f[0]->type() == Msg::Type::String && f[0]->as_string() == kFormat,
         "the message is not a tensor dict (field 'mpcomm' is not \"tensor_dict\")");
  expect(is_int(*f[1]) && f[1]->as_int() == kVersion,
         concat("the message is not of version ", kVersion));
  expect(f[2]->type() == Msg::Type::Map, "field 'items' is not a map");

  std::vector<MetaItem> items;
  std::unordered_set<std::string> seen;
  size_t total_bytes = 0;
  for (const auto &kv : f[2]->as_map()) {
    expect(kv.first.type() == Msg::Type::String, "a key is not a string");
    const std::string &key = kv.first.as_string();
    expect(std::memchr(key.data(), '\0', key.size()) == nullptr, "a key holds a NUL byte");
    expect(seen.insert(key).second, concat("key '", key, "' appears twice"));
    MetaItem item{key, decode_value(kv.second, key)};
    if (item.kind() == MPCOMM_VALUE_TENSOR) {
      const size_t bytes = std::get<TensorMeta>(item.value).nbytes;
      expect(total_bytes <= std::numeric_limits<size_t>::max() - bytes,
             "the tensors' bytes add up beyond size_t");
      total_bytes += bytes;
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace mpcomm::tensordict
