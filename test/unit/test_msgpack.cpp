// mpcomm::Value and its MessagePack codec (mpcomm.hpp): round trips of every type at every
// format boundary, interoperation with msgpack-c, and malformed input (truncations, random
// bytes, lying lengths, deep nesting, extension types) refused with MPCOMM_ERR_MALFORMED.
#include <gtest/gtest.h>
#include <msgpack.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mpcomm.hpp"

using mpcomm::Value;

namespace {

Value sample() {
  Value::Map m;
  m.emplace_back("int", -5);
  m.emplace_back("big", 1ULL << 63);
  m.emplace_back("float", 3.25);
  m.emplace_back("flag", true);
  m.emplace_back("none", nullptr);
  m.emplace_back("text", std::string(40, 'z'));
  m.emplace_back("blob", Value::bytes("\0\1\2", 3));
  m.emplace_back("list", Value::Array{1, "two", Value::Array{3.5, false}});
  m.emplace_back(7, "integer key");
  return Value(m);
}

mpcomm_status_t decode_status(const std::vector<char> &bytes) {
  try {
    mpcomm::decode(bytes.data(), bytes.size());
    return MPCOMM_SUCCESS;
  } catch (const mpcomm::Exception &e) {
    return e.status();
  }
}

std::vector<char> bytes_of(std::initializer_list<int> list) {
  std::vector<char> v;
  for (int b : list) v.push_back(static_cast<char>(b));
  return v;
}

}  // namespace

TEST(Msgpack, EveryTypeRoundTrips) {
  const Value v = sample();
  const auto bytes = mpcomm::encode(v);
  EXPECT_EQ(mpcomm::decode(bytes.data(), bytes.size()), v);
  EXPECT_EQ(v.at("int").as_int(), -5);
  EXPECT_EQ(v.at("big").as_uint(), 1ULL << 63);
  EXPECT_EQ(v.at("float").as_double(), 3.25);
  EXPECT_TRUE(v.at("flag").as_bool());
  EXPECT_TRUE(v.at("none").is_nil());
  EXPECT_EQ(v.at("list").as_array()[1].as_string(), "two");
  EXPECT_EQ(v.find("absent"), nullptr);
}

TEST(Msgpack, IntegersAndLengthsAtEveryFormatBoundary) {
  const long long ints[] = {
      0,         1,  127, 128, 255,  256,  65535,  65536,  4294967295, 4294967296,
      INT64_MAX, -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN,  (long long)INT32_MIN - 1,
      INT64_MIN};
  for (long long i : ints) {
    const auto bytes = mpcomm::encode(Value(i));
    EXPECT_EQ(mpcomm::decode(bytes.data(), bytes.size()), Value(i)) << i;
  }
  EXPECT_EQ(mpcomm::encode(Value(127)).size(), 1u);
  EXPECT_EQ(mpcomm::encode(Value(-32)).size(), 1u);
  EXPECT_EQ(mpcomm::encode(Value(UINT64_MAX)).size(), 9u);
  for (size_t n : {0, 15, 16, 31, 32, 255, 256, 65535, 65536}) {
    const Value s(std::string(n, 'a')), b(Value::Bytes(n, 1)), a(Value::Array(n, Value(1)));
    Value::Map pairs;
    for (size_t i = 0; i < n; ++i) pairs.emplace_back(static_cast<long long>(i), nullptr);
    const Value m(pairs);
    for (const Value &v : {s, b, a, m}) {
      const auto bytes = mpcomm::encode(v);
      EXPECT_EQ(mpcomm::decode(bytes.data(), bytes.size()), v) << n;
    }
  }
}

TEST(Msgpack, ReadsWhatMsgpackCWritesAndTheOtherWayRound) {
  msgpack_sbuffer sbuf;
  msgpack_sbuffer_init(&sbuf);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  msgpack_pack_str(&pk, 1);
  msgpack_pack_str_body(&pk, "a", 1);
  msgpack_pack_float(&pk, 1.5f);
  msgpack_pack_str(&pk, 1);
  msgpack_pack_str_body(&pk, "b", 1);
  msgpack_pack_int64(&pk, -70000);
  msgpack_pack_str(&pk, 1);
  msgpack_pack_str_body(&pk, "c", 1);
  msgpack_pack_bin(&pk, 2);
  msgpack_pack_bin_body(&pk, "xy", 2);
  const Value got = mpcomm::decode(sbuf.data, sbuf.size);
  msgpack_sbuffer_destroy(&sbuf);
  EXPECT_EQ(got.at("a").as_double(), 1.5);
  EXPECT_EQ(got.at("b").as_int(), -70000);
  EXPECT_EQ(got.at("c").as_bytes(), Value::Bytes({'x', 'y'}));

  const auto ours = mpcomm::encode(sample());
  msgpack_unpacked result;
  msgpack_unpacked_init(&result);
  size_t offset = 0;
  ASSERT_EQ(msgpack_unpack_next(&result, ours.data(), ours.size(), &offset),
            MSGPACK_UNPACK_SUCCESS);
  EXPECT_EQ(offset, ours.size());
  ASSERT_EQ(result.data.type, MSGPACK_OBJECT_MAP);
  EXPECT_EQ(result.data.via.map.size, 9u);
  EXPECT_EQ(result.data.via.map.ptr[0].val.via.i64, -5);
  msgpack_unpacked_destroy(&result);
}

TEST(Msgpack, EveryTruncationIsMalformed) {
  const auto bytes = mpcomm::encode(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<long>(n));
    EXPECT_EQ(decode_status(prefix), MPCOMM_ERR_MALFORMED) << "prefix of " << n << " bytes";
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(decode_status(longer), MPCOMM_ERR_MALFORMED);
  try {
    mpcomm::decode(longer.data(), longer.size());
  } catch (const mpcomm::Exception &e) {
    EXPECT_NE(std::string(e.what()).find("trailing bytes after the value at byte " +
                                         std::to_string(bytes.size())),
              std::string::npos)
        << e.what();
  }
}

TEST(Msgpack, LyingLengthsAreRefusedBeforeAnyAllocation) {
  // 4 billion array items, maps, strings and byte strings declared in a handful of bytes.
  EXPECT_EQ(decode_status(bytes_of({0xdd, 0xff, 0xff, 0xff, 0xff})), MPCOMM_ERR_MALFORMED);
  EXPECT_EQ(decode_status(bytes_of({0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0})), MPCOMM_ERR_MALFORMED);
  EXPECT_EQ(decode_status(bytes_of({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'})), MPCOMM_ERR_MALFORMED);
  EXPECT_EQ(decode_status(bytes_of({0xc6, 0xff, 0xff, 0xff, 0xff})), MPCOMM_ERR_MALFORMED);
  // A map of 3 pairs in 5 bytes: caught by the count check.
  EXPECT_EQ(decode_status(bytes_of({0x83, 1, 2, 3, 4})), MPCOMM_ERR_MALFORMED);
  // Nested arrays each claiming the remaining length.
  EXPECT_EQ(decode_status(bytes_of({0xdc, 0x00, 0x05, 0xdc, 0x00, 0x04, 0x90})),
            MPCOMM_ERR_MALFORMED);
  try {
    mpcomm::decode(bytes_of({0xdd, 0xff, 0xff, 0xff, 0xff}).data(), 5);
  } catch (const mpcomm::Exception &e) {
    EXPECT_NE(std::string(e.what()).find("an array of 4294967295 items in 0 bytes"),
              std::string::npos)
        << e.what();
  }
}

TEST(Msgpack, UnusedAndExtensionTypesAndDeepNestingAreMalformed) {
  EXPECT_EQ(decode_status(bytes_of({0xc1})), MPCOMM_ERR_MALFORMED);
  EXPECT_EQ(decode_status(bytes_of({0xd4, 0x01, 0x00})), MPCOMM_ERR_MALFORMED);  // fixext 1
  EXPECT_EQ(decode_status(bytes_of({0xc7, 0x01, 0x01, 0x00})), MPCOMM_ERR_MALFORMED);
  EXPECT_EQ(decode_status({}), MPCOMM_ERR_MALFORMED);  // nothing is not a value
  std::vector<char> deep(1000, static_cast<char>(0x91));
  deep.push_back(static_cast<char>(0xc0));
  EXPECT_EQ(decode_status(deep), MPCOMM_ERR_MALFORMED);
  std::vector<char> ok(64, static_cast<char>(0x91));
  ok.push_back(static_cast<char>(0xc0));
  EXPECT_EQ(decode_status(ok), MPCOMM_SUCCESS);
}

TEST(Msgpack, RandomBytesDecodeOrAreMalformed) {
  std::mt19937 rng(12345);
  const auto valid = mpcomm::encode(sample());
  int decoded = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<char> bytes;
    if (trial % 2 == 0) {
      bytes.resize(rng() % 64);
      for (char &b : bytes) b = static_cast<char>(rng());
    } else {
      bytes = valid;  // a valid encoding with a few bytes flipped
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    const mpcomm_status_t s = decode_status(bytes);
    ASSERT_TRUE(s == MPCOMM_SUCCESS || s == MPCOMM_ERR_MALFORMED) << "status " << s;
    decoded += s == MPCOMM_SUCCESS;
  }
  EXPECT_GT(decoded, 0);  // the trials reached the decoding paths, not only the first check
}

TEST(Msgpack, WrongTypeAccessIsAnInvalidArgument) {
  const Value v("text");
  try {
    v.as_int();
    FAIL() << "no exception";
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("wanted int, got string"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Value(-1).as_uint(), mpcomm::Exception);
  EXPECT_THROW(Value(UINT64_MAX).as_int(), mpcomm::Exception);
  EXPECT_THROW(Value(Value::Map{}).at("x"), mpcomm::Exception);
  EXPECT_EQ(Value(5u), Value(5));
  EXPECT_TRUE(std::isnan(mpcomm::decode(mpcomm::encode(Value(NAN)).data(), 9).as_double()));
}
