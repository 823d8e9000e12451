// Tensor dicts without MPI: the dict API (every kind set and read back, overwrites that keep
// their place, insertion order, every error), and the streaming metadata codec: a round trip,
// the encoder's bound at the extremes, fields in any order and any MessagePack width, one decoder
// reused for different messages, then malformed metadata (random bytes, every truncation, wrong
// types, lying sizes, deep nesting) refused with MPCOMM_ERR_MALFORMED.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "api/entry.hpp"
#include "core/error.hpp"
#include "mpcomm.h"
#include "mpcomm.hpp"
#include "tensordict/metadata.hpp"
#include "tensordict/tensor_dict.hpp"

namespace {

using mpcomm::tensordict::Bytes;
using mpcomm::tensordict::decode_metadata;
using mpcomm::tensordict::encode_metadata;
using mpcomm::tensordict::MetaItem;
using mpcomm::tensordict::TensorMeta;
using Msg = mpcomm::Value;

std::string last_error() { return mpcomm_last_error(); }

// A dict freed at scope exit.
struct DictHolder {
  mpcomm_tensor_dict_t d = nullptr;
  DictHolder() { EXPECT_EQ(mpcomm_tensor_dict_create(&d), MPCOMM_SUCCESS); }
  ~DictHolder() { mpcomm_tensor_dict_free(&d); }
  DictHolder(const DictHolder &) = delete;
  DictHolder &operator=(const DictHolder &) = delete;
};

DLTensor host_tensor(void *data, int64_t *shape, int ndim, DLDataType dtype) {
  DLTensor t{};
  t.data = data;
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = ndim;
  t.dtype = dtype;
  t.shape = shape;
  return t;
}

const DLDataType kFloat32{kDLFloat, 32, 1};

TEST(TensorDictApi, EveryKindSetAndReadBack) {
  DictHolder h;
  float data[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  DLTensor t = host_tensor(data, shape, 2, kFloat32);
  const unsigned char raw[4] = {0, 1, 0xff, 7};
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(h.d, "t", &t), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, "i", INT64_MIN), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_double(h.d, "d", -2.5), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_bool(h.d, "b", 1), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_string(h.d, "s", "hello"), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_bytes(h.d, "y", raw, sizeof raw), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_bytes(h.d, "empty", nullptr, 0), MPCOMM_SUCCESS);

  // The shape was copied: the caller's array may change.
  shape[0] = 99;
  const DLTensor *got = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_get_tensor(h.d, "t", &got), MPCOMM_SUCCESS);
  EXPECT_EQ(got->data, data);  // borrowed
  EXPECT_EQ(got->ndim, 2);
  EXPECT_EQ(got->shape[0], 2);
  EXPECT_EQ(got->shape[1], 3);
  EXPECT_EQ(got->dtype.code, kDLFloat);
  EXPECT_EQ(got->dtype.bits, 32);
  EXPECT_EQ(got->device.device_type, kDLCPU);

  int64_t i = 0;
  double dv = 0;
  int b = 0;
  const char *s = nullptr;
  const void *p = nullptr;
  size_t len = 0;
  EXPECT_EQ(mpcomm_tensor_dict_get_int(h.d, "i", &i), MPCOMM_SUCCESS);
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_EQ(mpcomm_tensor_dict_get_double(h.d, "d", &dv), MPCOMM_SUCCESS);
  EXPECT_EQ(dv, -2.5);
  EXPECT_EQ(mpcomm_tensor_dict_get_bool(h.d, "b", &b), MPCOMM_SUCCESS);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(mpcomm_tensor_dict_get_string(h.d, "s", &s), MPCOMM_SUCCESS);
  EXPECT_STREQ(s, "hello");
  EXPECT_EQ(mpcomm_tensor_dict_get_bytes(h.d, "y", &p, &len), MPCOMM_SUCCESS);
  ASSERT_EQ(len, sizeof raw);
  EXPECT_EQ(std::memcmp(p, raw, len), 0);
  EXPECT_EQ(mpcomm_tensor_dict_get_bytes(h.d, "empty", &p, &len), MPCOMM_SUCCESS);
  EXPECT_EQ(len, 0u);

  const struct {
    const char *key;
    mpcomm_value_kind_t kind;
  } kinds[] = {{"t", MPCOMM_VALUE_TENSOR}, {"i", MPCOMM_VALUE_INT},    {"d", MPCOMM_VALUE_DOUBLE},
               {"b", MPCOMM_VALUE_BOOL},   {"s", MPCOMM_VALUE_STRING}, {"y", MPCOMM_VALUE_BYTES}};
  for (const auto &k : kinds) {
    mpcomm_value_kind_t kind = MPCOMM_VALUE_BYTES;
    EXPECT_EQ(mpcomm_tensor_dict_get_kind(h.d, k.key, &kind), MPCOMM_SUCCESS);
    EXPECT_EQ(kind, k.kind) << k.key;
  }
}

TEST(TensorDictApi, InsertionOrderAndOverwriteInPlace) {
  DictHolder h;
  ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, "zeta", 1), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, "alpha", 2), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, "", 3), MPCOMM_SUCCESS);  // empty keys are keys
  ASSERT_EQ(mpcomm_tensor_dict_set_string(h.d, "zeta", "now a string"), MPCOMM_SUCCESS);
  size_t n = 0;
  ASSERT_EQ(mpcomm_tensor_dict_size(h.d, &n), MPCOMM_SUCCESS);
  ASSERT_EQ(n, 3u);
  const char *expected[] = {"zeta", "alpha", ""};
  for (size_t i = 0; i < n; ++i) {
    const char *key = nullptr;
    ASSERT_EQ(mpcomm_tensor_dict_key_at(h.d, i, &key), MPCOMM_SUCCESS);
    EXPECT_STREQ(key, expected[i]);
  }
  const char *s = nullptr;
  EXPECT_EQ(mpcomm_tensor_dict_get_string(h.d, "zeta", &s), MPCOMM_SUCCESS);
  EXPECT_STREQ(s, "now a string");
  // Many keys: descriptors handed out stay valid as the dict grows.
  float x = 1;
  int64_t one = 1;
  DLTensor t = host_tensor(&x, &one, 1, kFloat32);
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(h.d, "t", &t), MPCOMM_SUCCESS);
  const DLTensor *got = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_get_tensor(h.d, "t", &got), MPCOMM_SUCCESS);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, std::to_string(i).c_str(), i), MPCOMM_SUCCESS);
  EXPECT_EQ(got->shape[0], 1);
  EXPECT_EQ(got->data, &x);
}

void expect_status(mpcomm_status_t got, mpcomm_status_t want, const char *piece) {
  EXPECT_EQ(got, want) << last_error();
  EXPECT_NE(last_error().find(piece), std::string::npos) << last_error();
}

TEST(TensorDictApi, Errors) {
  DictHolder h;
  int64_t i = 0;
  const char *s = nullptr;
  const DLTensor *t = nullptr;
  mpcomm_value_kind_t kind;
  size_t n = 0;
  expect_status(mpcomm_tensor_dict_create(nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                "dict must not be NULL");
  expect_status(mpcomm_tensor_dict_set_int(nullptr, "k", 1), MPCOMM_ERR_INVALID_ARGUMENT,
                "dict must not be NULL");
  expect_status(mpcomm_tensor_dict_set_int(h.d, nullptr, 1), MPCOMM_ERR_INVALID_ARGUMENT,
                "key must not be NULL");
  expect_status(mpcomm_tensor_dict_set_string(h.d, "k", nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                "value must not be NULL");
  expect_status(mpcomm_tensor_dict_set_bytes(h.d, "k", nullptr, 3), MPCOMM_ERR_INVALID_ARGUMENT,
                "data must not be NULL when len is 3");
  expect_status(mpcomm_tensor_dict_get_int(h.d, "missing", &i), MPCOMM_ERR_INVALID_ARGUMENT,
                "no key 'missing'");
  expect_status(mpcomm_tensor_dict_get_kind(h.d, "missing", &kind), MPCOMM_ERR_INVALID_ARGUMENT,
                "no key 'missing'");
  ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, "x", 5), MPCOMM_SUCCESS);
  expect_status(mpcomm_tensor_dict_get_tensor(h.d, "x", &t), MPCOMM_ERR_INVALID_ARGUMENT,
                "key 'x' holds an int, not a tensor");
  expect_status(mpcomm_tensor_dict_get_string(h.d, "x", &s), MPCOMM_ERR_INVALID_ARGUMENT,
                "key 'x' holds an int, not a string");
  expect_status(mpcomm_tensor_dict_get_int(h.d, "x", nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                "value must not be NULL");
  expect_status(mpcomm_tensor_dict_get_int(h.d, nullptr, &i), MPCOMM_ERR_INVALID_ARGUMENT,
                "key must not be NULL");
  expect_status(mpcomm_tensor_dict_size(h.d, nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                "n must not be NULL");
  expect_status(mpcomm_tensor_dict_size(nullptr, &n), MPCOMM_ERR_INVALID_ARGUMENT,
                "dict must not be NULL");
  expect_status(mpcomm_tensor_dict_key_at(h.d, 1, &s), MPCOMM_ERR_INVALID_ARGUMENT,
                "i must be < the dict's size (1), got 1");

  // Tensors the dict cannot hold; the key keeps its old value.
  float data[4] = {};
  int64_t shape[2] = {2, 2};
  int64_t strides[2] = {1, 2};  // column-major
  DLTensor bad = host_tensor(data, shape, 2, kFloat32);
  expect_status(mpcomm_tensor_dict_set_tensor(h.d, "x", nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                "tensor must not be NULL");
  bad.strides = strides;
  expect_status(mpcomm_tensor_dict_set_tensor(h.d, "x", &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                "not contiguous");
  bad.strides = nullptr;
  bad.dtype = DLDataType{kDLComplex, 64, 1};
  expect_status(mpcomm_tensor_dict_set_tensor(h.d, "x", &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                "tensor");
  bad.dtype = kFloat32;
  bad.device = DLDevice{kDLVulkan, 0};
  expect_status(mpcomm_tensor_dict_set_tensor(h.d, "x", &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                "a tensor dict holds host (cpu, cuda_host) or CUDA (cuda, cuda_managed) tensors");
  bad.device = DLDevice{kDLCPU, 0};
  shape[0] = -1;
  expect_status(mpcomm_tensor_dict_set_tensor(h.d, "x", &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                "tensor.shape[0] must be >= 0, got -1");
  EXPECT_EQ(mpcomm_tensor_dict_get_int(h.d, "x", &i), MPCOMM_SUCCESS);
  EXPECT_EQ(i, 5);

  // A CUDA tensor is set like any other (sending it needs a device plane).
  shape[0] = 2;
  bad.device = DLDevice{kDLCUDA, 0};
  EXPECT_EQ(mpcomm_tensor_dict_set_tensor(h.d, "cuda", &bad), MPCOMM_SUCCESS) << last_error();

  // A bool is 0 or 1; a length no buffer can have is an argument error, not a bug report.
  expect_status(mpcomm_tensor_dict_set_bool(h.d, "flag", 5), MPCOMM_ERR_INVALID_ARGUMENT,
                "value must be 0 or 1, got 5");
  EXPECT_EQ(mpcomm_tensor_dict_set_bool(h.d, "flag", 1), MPCOMM_SUCCESS) << last_error();
  const char byte = 'x';
  expect_status(mpcomm_tensor_dict_set_bytes(h.d, "huge", &byte, SIZE_MAX),
                MPCOMM_ERR_INVALID_ARGUMENT, "is larger than any buffer can be");

  // free: NULL and *dict == NULL are no-ops; it clears the handle.
  EXPECT_EQ(mpcomm_tensor_dict_free(nullptr), MPCOMM_SUCCESS);
  mpcomm_tensor_dict_t none = nullptr;
  EXPECT_EQ(mpcomm_tensor_dict_free(&none), MPCOMM_SUCCESS);
  mpcomm_tensor_dict_t d = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_create(&d), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_tensor_dict_free(&d), MPCOMM_SUCCESS);
  EXPECT_EQ(d, nullptr);
}

// ------------------------------------------------------------------ metadata codec

std::vector<MetaItem> sample_items() {
  std::vector<MetaItem> items;
  TensorMeta t;
  t.dtype = MPCOMM_BFLOAT16;
  t.shape = {4, 0, 3};
  items.push_back({"empty", t});
  t.dtype = MPCOMM_FLOAT32;
  t.shape = {8, 2};
  t.on_device = true;
  t.slices = 4;
  items.push_back({"hidden", t});
  TensorMeta scalar;
  scalar.dtype = MPCOMM_INT64;  // ndim 0: one element
  items.push_back({"scalar", scalar});
  items.push_back({"n", int64_t{-7}});
  items.push_back({"big", int64_t{INT64_MAX}});
  items.push_back({"pi", 3.25});
  items.push_back({"flag", true});
  items.push_back({"name", std::string("décode")});
  items.push_back({"raw", Bytes{0, 0xc1, 0xff}});
  return items;
}

TEST(TensorDictMetadata, RoundTrip) {
  const auto items = sample_items();
  const std::vector<char> bytes = encode_metadata(items);
  const auto back = decode_metadata(bytes.data(), bytes.size());
  ASSERT_EQ(back.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(back[i].key, items[i].key);
    ASSERT_EQ(back[i].kind(), items[i].kind()) << items[i].key;
    if (items[i].kind() != MPCOMM_VALUE_TENSOR) {
      EXPECT_TRUE(back[i].value == items[i].value) << items[i].key;
      continue;
    }
    const auto &a = std::get<TensorMeta>(items[i].value);
    const auto &b = std::get<TensorMeta>(back[i].value);
    EXPECT_EQ(b.dtype, a.dtype);
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.on_device, a.on_device);
    EXPECT_EQ(b.slices, a.slices);
  }
  const auto &hidden = std::get<TensorMeta>(back[1].value);
  EXPECT_EQ(hidden.numel, 16u);
  EXPECT_EQ(hidden.nbytes, 64u);
  EXPECT_EQ(std::get<TensorMeta>(back[0].value).numel, 0u);
  EXPECT_EQ(std::get<TensorMeta>(back[2].value).numel, 1u);
}

TEST(TensorDictMetadata, FromADictInOrder) {
  DictHolder h;
  uint8_t data[5] = {};
  int64_t shape[1] = {5};
  DLTensor t = host_tensor(data, shape, 1, DLDataType{kDLUInt, 8, 1});
  ASSERT_EQ(mpcomm_tensor_dict_set_string(h.d, "b", "x"), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(h.d, "a", &t), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_bool(h.d, "c", 0), MPCOMM_SUCCESS);
  const auto bytes = encode_metadata(mpcomm::api::dict_ref(h.d), {1, 5, 1});
  const auto items = decode_metadata(bytes.data(), bytes.size());
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].key, "b");
  EXPECT_EQ(items[1].key, "a");
  EXPECT_EQ(items[2].key, "c");
  const auto &meta = std::get<TensorMeta>(items[1].value);
  EXPECT_EQ(meta.dtype, MPCOMM_UINT8);
  EXPECT_EQ(meta.shape, std::vector<int64_t>{5});
  EXPECT_FALSE(meta.on_device);
  EXPECT_EQ(meta.slices, 5);
  EXPECT_EQ(std::get<bool>(items[2].value), false);
}

// The encoder writes into a buffer of metadata_bound() bytes: extreme values must fit.
TEST(TensorDictMetadata, TheEncoderStaysWithinItsBound) {
  DictHolder h;
  std::vector<int64_t> shape(mpcomm::tensordict::kMaxDims, 1);
  shape[0] = INT64_MAX;
  shape[1] = 0;  // empty: any other extent is fine
  DLTensor t = host_tensor(nullptr, shape.data(), static_cast<int>(shape.size()), kFloat32);
  const std::string long_key(70000, 'k');
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(h.d, long_key.c_str(), &t), MPCOMM_SUCCESS)
      << last_error();
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{-33}, int64_t{-129}, int64_t{-40000},
                    int64_t{INT32_MIN} - 1, INT64_MIN, int64_t{127}, int64_t{128}, int64_t{65536},
                    int64_t{1} << 40, INT64_MAX}) {
    const std::string key = "i" + std::to_string(v);
    ASSERT_EQ(mpcomm_tensor_dict_set_int(h.d, key.c_str(), v), MPCOMM_SUCCESS);
  }
  const std::string long_value(300000, 'v');
  ASSERT_EQ(mpcomm_tensor_dict_set_string(h.d, "s", long_value.c_str()), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_bytes(h.d, "b", long_value.data(), 256), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_double(h.d, "d", -0.0), MPCOMM_SUCCESS);
  const auto &d = mpcomm::api::dict_ref(h.d);
  std::vector<char> exact(mpcomm::tensordict::metadata_bound(d));
  const size_t len = mpcomm::tensordict::encode_metadata_to(exact.data(), exact.size(), d, nullptr);
  EXPECT_LE(len, exact.size());
  // The codec of the C++ API reads it as the same MessagePack.
  const Msg back = mpcomm::decode(exact.data(), len);
  const Msg &items = back.at("items");
  ASSERT_EQ(items.as_map().size(), d.size());
  EXPECT_EQ(items.as_map()[1].second.as_int(), 0);
  EXPECT_EQ(items.find("i-9223372036854775808")->as_int(), INT64_MIN);
  EXPECT_EQ(items.find("i9223372036854775807")->as_int(), INT64_MAX);
  EXPECT_EQ(items.find("s")->as_string(), long_value);
  const auto decoded = decode_metadata(exact.data(), len);
  const auto &meta = std::get<TensorMeta>(decoded[0].value);
  EXPECT_EQ(decoded[0].key, long_key);
  EXPECT_EQ(meta.shape, shape);
  EXPECT_EQ(meta.numel, 0u);
}

// Any valid MessagePack spelling decodes: fields in another order, ints in wider formats than
// needed, a float32 double; and one decoder, reused, keeps nothing of an earlier message.
TEST(TensorDictMetadata, AnySpellingAndAReusedDecoder) {
  std::vector<char> spelled = {'\x83', '\xa5', 'i',    't',    'e',
                               'm',    's',          // "items" first
                               '\x82', '\xa1', 't',  // {"t": tensor, "x": 1.5f}
                               '\x84',               // the tensor's fields backwards
                               '\xa6', 's',    'l',    'i',    'c',
                               'e',    's',    '\xcd', '\x00', '\x01',  // uint16 1
                               '\xa6', 'd',    'e',    'v',    'i',
                               'c',    'e',    '\xa3', 'c',    'p',
                               'u',    '\xa5', 's',    'h',    'a',
                               'p',    'e',    '\xdc', '\x00', '\x02',
                               '\xd0', '\x03', '\xce', '\x00', '\x00',
                               '\x00', '\x02',  // [int8 3, uint32 2]
                               '\xa5', 'd',    't',    'y',    'p',
                               'e',    '\xd3', 0,      0,      0,
                               0,      0,      0,      0,      MPCOMM_FLOAT64,  // int64
                               '\xa1', 'x',    '\xca', '\x3f', '\xc0',
                               '\x00', '\x00',  // 1.5f
                               '\xa7', 'v',    'e',    'r',    's',
                               'i',    'o',    'n',    '\x01', '\xa6',
                               'm',    'p',    'c',    'o',    'm',
                               'm',    '\xab', 't',    'e',    'n',
                               's',    'o',    'r',    '_',    'd',
                               'i',    'c',    't'};
  mpcomm::tensordict::DecodedMetadata md;
  md.decode(spelled.data(), spelled.size());
  ASSERT_EQ(md.items().size(), 2u);
  const auto &t = std::get<mpcomm::tensordict::TensorMetaView>(md.items()[0].value);
  EXPECT_EQ(t.dtype, MPCOMM_FLOAT64);
  EXPECT_EQ(t.ndim, 2);
  EXPECT_EQ(md.shape(t)[0], 3);
  EXPECT_EQ(md.shape(t)[1], 2);
  EXPECT_EQ(t.nbytes, 48u);
  EXPECT_EQ(std::get<double>(md.items()[1].value), 1.5);
  // The same decoder on another message: only that message's items.
  std::vector<MetaItem> other = {{"n", int64_t{5}}, {"u", TensorMeta{}}};
  std::get<TensorMeta>(other[1].value).shape = {7};
  const std::vector<char> bytes = encode_metadata(other);
  md.decode(bytes.data(), bytes.size());
  ASSERT_EQ(md.items().size(), 2u);
  EXPECT_EQ(md.items()[0].key, "n");
  const auto &u = std::get<mpcomm::tensordict::TensorMetaView>(md.items()[1].value);
  EXPECT_EQ(u.ndim, 1);
  EXPECT_EQ(md.shape(u)[0], 7);
  // A failed decode leaves nothing that a later one could mistake for its own.
  EXPECT_THROW(md.decode("\xc1", 1), mpcomm::Error);
  md.decode(bytes.data(), bytes.size());
  EXPECT_EQ(md.items().size(), 2u);
}

void expect_malformed(const std::vector<char> &bytes, const std::string &piece = "") {
  try {
    decode_metadata(bytes.data(), bytes.size());
    ADD_FAILURE() << "accepted " << bytes.size() << " bytes that should be malformed";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_MALFORMED) << e.what();
    EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
  }
}

void expect_malformed(const Msg &m, const std::string &piece) {
  expect_malformed(mpcomm::encode(m), piece);
}

Msg top(Msg items, Msg format = Msg("tensor_dict"), Msg version = Msg(1)) {
  return Msg(Msg::Map{{Msg("mpcomm"), std::move(format)},
                      {Msg("version"), std::move(version)},
                      {Msg("items"), std::move(items)}});
}

Msg tensor(Msg dtype, Msg shape, Msg device = Msg("cpu"), Msg slices = Msg(1)) {
  return Msg(Msg::Map{{Msg("dtype"), std::move(dtype)},
                      {Msg("shape"), std::move(shape)},
                      {Msg("device"), std::move(device)},
                      {Msg("slices"), std::move(slices)}});
}

Msg one(const char *key, Msg value) { return Msg(Msg::Map{{Msg(key), std::move(value)}}); }

Msg shape_of(std::vector<long long> extents) {
  Msg::Array a;
  for (long long e : extents) a.emplace_back(e);
  return Msg(std::move(a));
}

TEST(TensorDictMetadata, RandomBytesAndTruncationsAreMalformed) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<char> bytes(rng() % 64);
    for (char &c : bytes) c = static_cast<char>(rng());
    expect_malformed(bytes);
  }
  expect_malformed(std::vector<char>{});
  const std::vector<char> good = encode_metadata(sample_items());
  for (size_t len = 0; len < good.size(); ++len)
    expect_malformed(std::vector<char>(good.begin(), good.begin() + static_cast<long>(len)));
  std::vector<char> trailing = good;
  trailing.push_back(0);
  expect_malformed(trailing, "trailing bytes");
  // Single flipped bytes either still decode to valid metadata or are refused, never crash.
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<char> flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    try {
      decode_metadata(flipped.data(), flipped.size());
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_MALFORMED) << e.what();
    }
  }
}

TEST(TensorDictMetadata, WrongStructureIsMalformed) {
  const Msg ok_items = one("k", Msg(1));
  expect_malformed(Msg(Msg::Array{}), "is a array, not a map");
  expect_malformed(top(ok_items, Msg("pickle")), "not a tensor dict");
  expect_malformed(top(ok_items, Msg("tensor_dict"), Msg(2)), "not of version 1");
  expect_malformed(top(Msg(Msg::Array{Msg(1)})), "field 'items' is not a map");
  Msg extra = top(ok_items);
  extra.as_map().emplace_back(Msg("more"), Msg(1));
  expect_malformed(extra, "has 4 fields, not 3");
  expect_malformed(top(Msg(Msg::Map{{Msg(7), Msg(1)}})), "a key is not a string");
  expect_malformed(top(Msg(Msg::Map{{Msg(std::string("a\0b", 3)), Msg(1)}})),
                   "a key holds a NUL byte");
  expect_malformed(top(Msg(Msg::Map{{Msg("k"), Msg(1)}, {Msg("k"), Msg(2)}})),
                   "key 'k' appears twice");
  expect_malformed(top(one("k", Msg())), "key 'k' holds a nil");
  expect_malformed(top(one("k", Msg(Msg::Array{}))), "key 'k' holds a array");
  expect_malformed(top(one("k", Msg(18446744073709551615ULL))), "key 'k' holds a uint");
  expect_malformed(top(one("k", Msg(std::string("x\0y", 3)))), "holds a NUL byte");
}

TEST(TensorDictMetadata, BadTensorsAreMalformed) {
  expect_malformed(top(one("t", tensor(Msg(-1), shape_of({1})))), "tensor 't' has no valid dtype");
  expect_malformed(top(one("t", tensor(Msg(MPCOMM_NUM_DATATYPES), shape_of({1})))),
                   "no valid dtype");
  expect_malformed(top(one("t", tensor(Msg("float32"), shape_of({1})))), "no valid dtype");
  expect_malformed(top(one("t", tensor(Msg(0), Msg(3)))), "shape that is not an array");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({2, -1})))), "not an int >= 0");
  expect_malformed(top(one("t", tensor(Msg(0), Msg(Msg::Array{Msg(1.5)})))), "not an int >= 0");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of(std::vector<long long>(33, 1))))),
                   "33 dimensions, more than 32");
  // Lying sizes: element and byte counts beyond size_t, alone and summed.
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({1LL << 40, 1LL << 40})))),
                   "more elements than a size_t counts");
  expect_malformed(top(one("t", tensor(Msg(MPCOMM_FLOAT64), shape_of({1LL << 62})))),
                   "more bytes than a size_t counts");
  const Msg huge = tensor(Msg(MPCOMM_UINT8), shape_of({INT64_MAX}));
  expect_malformed(top(Msg(Msg::Map{{Msg("a"), huge}, {Msg("b"), huge}, {Msg("c"), huge}})),
                   "add up beyond size_t");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({1}), Msg("tpu")))),
                   "neither \"cpu\" nor \"cuda\"");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({6}), Msg("cpu"), Msg(0)))), "slice count");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({6}), Msg("cpu"), Msg(4)))),
                   "of 6 elements cannot travel in 4 slices");
  expect_malformed(top(one("t", tensor(Msg(0), shape_of({0}), Msg("cpu"), Msg(2)))),
                   "of 0 elements cannot travel in 2 slices");
  Msg missing = tensor(Msg(0), shape_of({1}));
  missing.as_map().pop_back();
  expect_malformed(top(one("t", missing)), "tensor 't' has 3 fields, not 4");
  // Many keys (the duplicate check sorts them) and a duplicate among them.
  Msg::Map many;
  for (int k = 0; k < 40; ++k) many.emplace_back(Msg("k" + std::to_string(k)), Msg(k));
  many.emplace_back(Msg("k17"), Msg(1));
  expect_malformed(top(Msg(many)), "key 'k17' appears twice");
  // An unknown field nested deeper than the decoder follows.
  Msg deep = Msg(Msg::Array{});
  for (int k = 0; k < 70; ++k) deep = Msg(Msg::Array{deep});
  Msg nested = tensor(Msg(0), shape_of({1}));
  nested.as_map()[3] = {Msg("other"), deep};
  expect_malformed(top(one("t", nested)), "nesting deeper than 64 levels");
  Msg renamed = tensor(Msg(0), shape_of({1}));
  renamed.as_map()[3].first = Msg("slice");
  expect_malformed(top(one("t", renamed)), "tensor 't' has no field 'slices'");
  // An empty extent makes any other extent harmless.
  const auto fine = mpcomm::encode(
      top(Msg(Msg::Map{{Msg("t"), tensor(Msg(0), shape_of({0, INT64_MAX}))},
                       {Msg("u"), tensor(Msg(0), shape_of({1LL << 40, 1LL << 40, 0}))}})));
  const auto items = decode_metadata(fine.data(), fine.size());
  EXPECT_EQ(std::get<TensorMeta>(items[0].value).numel, 0u);
  EXPECT_EQ(std::get<TensorMeta>(items[1].value).numel, 0u);
}

}  // namespace
