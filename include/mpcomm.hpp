// mpcomm C++ API: header-only RAII and exceptions over the C API of <mpcomm.h>.
#ifndef MPCOMM_HPP
#define MPCOMM_HPP

// Under an older standard only the #error at the end, not a page of errors about std::variant.
#if defined(__cplusplus) && __cplusplus >= 201703L

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mpcomm.h"

namespace mpcomm {

// Thrown by the C++ API when a C call fails: the status plus mpcomm_last_error()'s text.
class Exception : public std::runtime_error {
 public:
  Exception(mpcomm_status_t status, const std::string &what)
      : std::runtime_error(what), status_(status) {}
  mpcomm_status_t status() const noexcept { return status_; }

 private:
  mpcomm_status_t status_;
};

// Throws Exception unless status is MPCOMM_SUCCESS.
inline void check(mpcomm_status_t status) {
  if (status != MPCOMM_SUCCESS)
    throw Exception(status, std::string(mpcomm_status_string(status)) + ": " + mpcomm_last_error());
}

// ------------------------------------------------------------------ structured objects
//
// mpcomm::Value holds what vLLM puts in its pickled dicts (nil, bools, integers, floats,
// strings, bytes, arrays, maps); encode() writes MessagePack and decode() reads it back,
// refusing anything malformed with MPCOMM_ERR_MALFORMED.
//
// Why a codec of its own, in this header: the C++ API is a thin header-only layer over the C
// ABI, and this keeps it free of extra compile- and link-time dependencies. msgpack-c's
// unpacker is not used because it allocates the element count an array or map declares before
// those elements exist (5 bytes can claim 4 billion elements); refusing that up front means
// walking the bytes anyway, which is all a decoder does. decode() checks every length against
// the bytes actually there before it reserves or copies anything, and nests at most
// kMaxDepth levels, so its memory is proportional to its input and its stack is bounded.

class Value {
 public:
  enum class Type { Nil, Bool, Int, UInt, Float, String, Bytes, Array, Map };
  using Array = std::vector<Value>;
  using Map = std::vector<std::pair<Value, Value>>;  // in insertion order; keys of any type
  using Bytes = std::vector<unsigned char>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<long long>(i)) {}
  Value(long i) : v_(static_cast<long long>(i)) {}
  Value(long long i) : v_(i) {}
  Value(unsigned u) : Value(static_cast<unsigned long long>(u)) {}
  Value(unsigned long u) : Value(static_cast<unsigned long long>(u)) {}
  // Unsigned values that fit in int64 are Int, so 5u == 5; larger ones are UInt.
  Value(unsigned long long u) {
    if (u <= static_cast<unsigned long long>(INT64_MAX))
      v_ = static_cast<long long>(u);
    else
      v_ = u;
  }
  Value(double d) : v_(d) {}
  Value(const char *s) : v_(std::string(s ? s : "")) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Map m) : v_(std::move(m)) {}
  static Value bytes(const void *data, size_t len) {
    const auto *p = static_cast<const unsigned char *>(data);
    return Value(Bytes(p, p + len));
  }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_nil() const { return type() == Type::Nil; }

  // Typed access; the wrong type throws Exception(MPCOMM_ERR_INVALID_ARGUMENT).
  bool as_bool() const { return get<bool>(Type::Bool); }
  int64_t as_int() const {
    if (type() == Type::UInt) throw wrong("int (the value is above INT64_MAX)");
    return get<long long>(Type::Int);
  }
  uint64_t as_uint() const {
    if (type() == Type::UInt) return std::get<unsigned long long>(v_);
    const long long i = get<long long>(Type::Int);
    if (i < 0) throw wrong("uint (the value is negative)");
    return static_cast<uint64_t>(i);
  }
  double as_double() const {
    if (type() == Type::Int) return static_cast<double>(std::get<long long>(v_));
    if (type() == Type::UInt) return static_cast<double>(std::get<unsigned long long>(v_));
    return get<double>(Type::Float);
  }
  const std::string &as_string() const { return get<std::string>(Type::String); }
  const Bytes &as_bytes() const { return get<Bytes>(Type::Bytes); }
  const Array &as_array() const { return get<Array>(Type::Array); }
  Array &as_array() { return get<Array>(Type::Array); }
  const Map &as_map() const { return get<Map>(Type::Map); }
  Map &as_map() { return get<Map>(Type::Map); }

  // The value under a string key of a map, or nullptr.
  const Value *find(const std::string &key) const {
    for (const auto &kv : as_map())
      if (kv.first.type() == Type::String && kv.first.as_string() == key) return &kv.second;
    return nullptr;
  }
  // The value under a string key; throws Exception(MPCOMM_ERR_INVALID_ARGUMENT) if absent.
  const Value &at(const std::string &key) const {
    const Value *v = find(key);
    if (!v) throw Exception(MPCOMM_ERR_INVALID_ARGUMENT, "mpcomm::Value: no key '" + key + "'");
    return *v;
  }

  friend bool operator==(const Value &a, const Value &b) { return a.v_ == b.v_; }
  friend bool operator!=(const Value &a, const Value &b) { return !(a == b); }

  static const char *type_name(Type t) {
    static const char *const names[] = {"nil",    "bool",  "int",   "uint", "float",
                                        "string", "bytes", "array", "map"};
    return names[static_cast<int>(t)];
  }

 private:
  Exception wrong(const std::string &wanted) const {
    return Exception(MPCOMM_ERR_INVALID_ARGUMENT,
                     std::string("mpcomm::Value: wanted ") + wanted + ", got " + type_name(type()));
  }
  template <class T>
  const T &get(Type t) const {
    if (type() != t) throw wrong(type_name(t));
    return std::get<T>(v_);
  }
  template <class T>
  T &get(Type t) {
    if (type() != t) throw wrong(type_name(t));
    return std::get<T>(v_);
  }

  // Alternatives in the order of Type.
  std::variant<std::monostate, bool, long long, unsigned long long, double, std::string, Bytes,
               Array, Map>
      v_;
};

// The one MessagePack codec of mpcomm: the C++ API's encode()/decode() of Values and the
// library's tensor-dict metadata (lib/tensordict/metadata.cpp) are both written with these
// primitives and read with HeadReader.
namespace msgpack_detail {

// Out is any byte sink with push_back(char): a std::vector<char>, or a bounded buffer.
template <class Out>
inline void put(Out &out, unsigned char tag) {
  out.push_back(static_cast<char>(tag));
}
// A type byte then v in `bytes` big-endian bytes, as MessagePack wants.
template <class Out>
inline void put_be(Out &out, unsigned char tag, uint64_t v, int bytes) {
  put(out, tag);
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// The header of a string, byte string or container of n items, in the smallest format (a
// format byte of 0 means the format does not exist for this kind).
template <class Out>
inline void put_length(Out &out, uint64_t n, unsigned char fix, uint64_t fix_max, unsigned char f8,
                       unsigned char f16, unsigned char f32) {
  if (fix && n <= fix_max) {
    put(out, static_cast<unsigned char>(fix | n));
  } else if (f8 && n <= 0xff) {
    put_be(out, f8, n, 1);
  } else if (n <= 0xffff) {
    put_be(out, f16, n, 2);
  } else if (n <= 0xffffffffULL) {
    put_be(out, f32, n, 4);
  } else {
    throw Exception(MPCOMM_ERR_INVALID_ARGUMENT,
                    "MessagePack: " + std::to_string(n) + " items or bytes exceed 2^32-1");
  }
}
// An integer in the smallest form.
template <class Out>
inline void put_int(Out &out, int64_t i) {
  if (i >= 0) {
    const uint64_t u = static_cast<uint64_t>(i);
    if (u <= 0x7f)
      put(out, static_cast<unsigned char>(u));
    else if (u <= 0xff)
      put_be(out, 0xcc, u, 1);
    else if (u <= 0xffff)
      put_be(out, 0xcd, u, 2);
    else if (u <= 0xffffffffULL)
      put_be(out, 0xce, u, 4);
    else
      put_be(out, 0xcf, u, 8);
  } else if (i >= -32) {
    put(out, static_cast<unsigned char>(i & 0xff));
  } else if (i >= INT8_MIN) {
    put_be(out, 0xd0, static_cast<uint64_t>(i), 1);
  } else if (i >= INT16_MIN) {
    put_be(out, 0xd1, static_cast<uint64_t>(i), 2);
  } else if (i >= INT32_MIN) {
    put_be(out, 0xd2, static_cast<uint64_t>(i), 4);
  } else {
    put_be(out, 0xd3, static_cast<uint64_t>(i), 8);
  }
}
template <class Out>
inline void put_double(Out &out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  put_be(out, 0xcb, bits, 8);
}

inline void encode_into(std::vector<char> &out, const Value &v) {
  using T = Value::Type;
  switch (v.type()) {
    case T::Nil: put(out, 0xc0); break;
    case T::Bool: put(out, v.as_bool() ? 0xc3 : 0xc2); break;
    case T::Int: put_int(out, v.as_int()); break;
    case T::UInt: put_be(out, 0xcf, v.as_uint(), 8); break;
    case T::Float: put_double(out, v.as_double()); break;
    case T::String: {
      const std::string &s = v.as_string();
      put_length(out, s.size(), 0xa0, 31, 0xd9, 0xda, 0xdb);
      out.insert(out.end(), s.begin(), s.end());
      break;
    }
    case T::Bytes: {
      const Value::Bytes &b = v.as_bytes();
      put_length(out, b.size(), 0, 0, 0xc4, 0xc5, 0xc6);
      out.insert(out.end(), b.begin(), b.end());
      break;
    }
    case T::Array:
      put_length(out, v.as_array().size(), 0x90, 15, 0, 0xdc, 0xdd);
      for (const Value &item : v.as_array()) encode_into(out, item);
      break;
    case T::Map:
      put_length(out, v.as_map().size(), 0x80, 15, 0, 0xde, 0xdf);
      for (const auto &kv : v.as_map()) {
        encode_into(out, kv.first);
        encode_into(out, kv.second);
      }
      break;
  }
}

// The start of one MessagePack value: its kind and what its header says. A str or bin has been
// consumed (data, n); a container's items follow (n); numbers are in i (Int), u (UInt: the
// unsigned formats), d (Float) or b (Bool).
struct Head {
  Value::Type type = Value::Type::Nil;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;
  const unsigned char *data = nullptr;
  uint64_t n = 0;

  std::string_view text() const {
    return {reinterpret_cast<const char *>(data), static_cast<size_t>(n)};
  }
  bool is(std::string_view s) const { return type == Value::Type::String && text() == s; }
};

// A bounds-checked streaming reader over untrusted bytes: one Head at a time, no allocation.
// Failures are Exception(MPCOMM_ERR_MALFORMED) "<context>: <why> at byte <offset>".
class HeadReader {
 public:
  static constexpr int kMaxDepth = 64;
  HeadReader(const unsigned char *data, size_t len, const char *context)
      : p_(data), begin_(data), end_(data + len), context_(context) {}

  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }

  // The fixed forms inline (keys, small numbers, small containers), the others in next_wide().
  Head next() {
    Head h;
    if (p_ == end_) fail("a value is missing");
    const unsigned char tag = *p_++;
    if (tag <= 0x7f) return integer(h, tag);
    if ((tag & 0xe0) == 0xa0) return chars(h, Value::Type::String, tag & 0x1f);
    if ((tag & 0xf0) == 0x80) return container(h, Value::Type::Map, tag & 0x0f);
    if ((tag & 0xf0) == 0x90) return container(h, Value::Type::Array, tag & 0x0f);
    return next_wide(tag);
  }

  // Skips the items of a container whose head was read.
  void skip_items(const Head &h, int depth) {
    if (h.type != Value::Type::Array && h.type != Value::Type::Map) return;
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    const uint64_t values = h.type == Value::Type::Map ? 2 * h.n : h.n;
    for (uint64_t k = 0; k < values; ++k) skip_items(next(), depth + 1);
  }

  [[noreturn]] void fail(const std::string &why) const {
    throw Exception(MPCOMM_ERR_MALFORMED,
                    std::string(context_) + ": " + why + " at byte " + std::to_string(p_ - begin_));
  }

 private:
  Head next_wide(unsigned char tag) {
    using T = Value::Type;
    Head h;
    if (tag >= 0xe0) return integer(h, static_cast<int8_t>(tag));
    switch (tag) {
      case 0xc0: return h;
      case 0xc2:
      case 0xc3:
        h.type = T::Bool;
        h.b = tag == 0xc3;
        return h;
      case 0xc4: return chars(h, T::Bytes, uint(1));
      case 0xc5: return chars(h, T::Bytes, uint(2));
      case 0xc6: return chars(h, T::Bytes, uint(4));
      case 0xca: {
        const uint32_t bits = static_cast<uint32_t>(uint(4));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        h.type = T::Float;
        h.d = f;
        return h;
      }
      case 0xcb: {
        const uint64_t bits = uint(8);
        std::memcpy(&h.d, &bits, sizeof h.d);
        h.type = T::Float;
        return h;
      }
      case 0xcc: return unsigned_integer(h, uint(1));
      case 0xcd: return unsigned_integer(h, uint(2));
      case 0xce: return unsigned_integer(h, uint(4));
      case 0xcf: return unsigned_integer(h, uint(8));
      case 0xd0: return integer(h, static_cast<int8_t>(uint(1)));
      case 0xd1: return integer(h, static_cast<int16_t>(uint(2)));
      case 0xd2: return integer(h, static_cast<int32_t>(uint(4)));
      case 0xd3: return integer(h, static_cast<int64_t>(uint(8)));
      case 0xd9: return chars(h, T::String, uint(1));
      case 0xda: return chars(h, T::String, uint(2));
      case 0xdb: return chars(h, T::String, uint(4));
      case 0xdc: return container(h, T::Array, uint(2));
      case 0xdd: return container(h, T::Array, uint(4));
      case 0xde: return container(h, T::Map, uint(2));
      case 0xdf: return container(h, T::Map, uint(4));
      default: break;
    }
    --p_;  // report the offset of the type byte
    if (tag == 0xc1) fail("byte 0xc1 is never used by MessagePack");
    const char *digits = "0123456789abcdef";
    fail(std::string("extension types are not supported (type byte 0x") + digits[tag >> 4] +
         digits[tag & 15] + ")");
  }
  uint64_t uint(int bytes) {
    if (left() < static_cast<size_t>(bytes)) fail("a number is cut short");
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = (v << 8) | *p_++;
    return v;
  }
  static Head integer(Head &h, int64_t v) {
    h.type = Value::Type::Int;
    h.i = v;
    return h;
  }
  static Head unsigned_integer(Head &h, uint64_t v) {
    h.type = Value::Type::UInt;
    h.u = v;
    return h;
  }
  Head chars(Head &h, Value::Type type, uint64_t n) {
    if (n > left())
      fail(std::string(type == Value::Type::String ? "a string" : "a byte string") + " of " +
           std::to_string(n) + " bytes but only " + std::to_string(left()) + " remain");
    h.type = type;
    h.data = p_;
    h.n = n;
    p_ += n;
    return h;
  }
  // Every item takes at least one byte: a count beyond the bytes left is a lie, refused before
  // anything is reserved.
  Head container(Head &h, Value::Type type, uint64_t n) {
    if ((type == Value::Type::Map ? 2 * n : n) > left())
      fail(std::string(type == Value::Type::Map ? "a map of " : "an array of ") +
           std::to_string(n) + " items in " + std::to_string(left()) + " bytes");
    h.type = type;
    h.n = n;
    return h;
  }

  const unsigned char *p_;
  const unsigned char *begin_;
  const unsigned char *end_;
  const char *context_;
};

// Values from a HeadReader.
class Reader {
 public:
  static constexpr int kMaxDepth = HeadReader::kMaxDepth;
  Reader(const unsigned char *data, size_t len) : heads_(data, len, "mpcomm::decode") {}

  Value read(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    const Head h = heads_.next();
    using T = Value::Type;
    switch (h.type) {
      case T::Nil: return Value();
      case T::Bool: return Value(h.b);
      case T::Int: return Value(static_cast<long long>(h.i));
      case T::UInt: return Value(static_cast<unsigned long long>(h.u));
      case T::Float: return Value(h.d);
      case T::String: return Value(std::string(h.text()));
      case T::Bytes: return Value::bytes(h.data, static_cast<size_t>(h.n));
      case T::Array: {
        Value::Array items;
        items.reserve(static_cast<size_t>(h.n));
        for (uint64_t i = 0; i < h.n; ++i) items.push_back(read(depth + 1));
        return Value(std::move(items));
      }
      case T::Map: {
        Value::Map pairs;
        pairs.reserve(static_cast<size_t>(h.n));
        for (uint64_t i = 0; i < h.n; ++i) {
          Value key = read(depth + 1);
          Value value = read(depth + 1);
          pairs.emplace_back(std::move(key), std::move(value));
        }
        return Value(std::move(pairs));
      }
    }
    fail("an unknown kind of value");
  }

  bool at_end() const { return heads_.at_end(); }
  [[noreturn]] void fail(const std::string &why) const { heads_.fail(why); }

 private:
  HeadReader heads_;
};

}  // namespace msgpack_detail

// MessagePack bytes of v.
inline std::vector<char> encode(const Value &v) {
  std::vector<char> out;
  msgpack_detail::encode_into(out, v);
  return out;
}

// The one value in [data, data+len); throws Exception(MPCOMM_ERR_MALFORMED) on anything else:
// truncated or trailing bytes, lengths beyond the input, unused or extension type bytes,
// nesting deeper than 64 levels. Memory: at most about sizeof(Value) per input byte.
inline Value decode(const void *data, size_t len) {
  if (data == nullptr && len > 0)
    throw Exception(MPCOMM_ERR_INVALID_ARGUMENT, "mpcomm::decode: data is NULL");
  static const unsigned char nothing = 0;
  msgpack_detail::Reader reader(data ? static_cast<const unsigned char *>(data) : &nothing, len);
  Value v = reader.read(0);
  if (!reader.at_end()) reader.fail("trailing bytes after the value");
  return v;
}

// ------------------------------------------------------------------- statuses and version

// mpcomm_status_string: a static one-line description of a status.
inline const char *status_string(mpcomm_status_t status) { return mpcomm_status_string(status); }
// mpcomm_last_error: the detail of this thread's latest failure ("" if none).
inline std::string last_error() { return mpcomm_last_error(); }

struct Version {
  int major = 0, minor = 0, patch = 0;
};
// The library's version at run time (MPCOMM_VERSION_CODE is the header's).
inline Version version() {
  Version v;
  mpcomm_version(&v.major, &v.minor, &v.patch);
  return v;
}

// ------------------------------------------------------------------------- element types

// One element of a 16-bit float, as its bits: the data plane moves and reduces them (reductions
// accumulate in float32); the C++ API only needs a distinct type to know the datatype by.
struct float16 {
  uint16_t bits;
};
struct bfloat16 {
  uint16_t bits;
};
// One element of an 8-bit float (moved, never reduced), as its bits.
struct float8_e4m3fn {
  uint8_t bits;
};
struct float8_e5m2 {
  uint8_t bits;
};

// datatype_traits<T>: the mpcomm_datatype_t and the DLPack type of a C++ element type, known at
// compile time; a type the data plane does not take has no traits and does not compile. A new
// datatype is one line here.
template <class T>
struct datatype_traits;
#define MPCOMM_HPP_DATATYPE(T, DTYPE, DL_CODE, DL_BITS)               \
  template <>                                                         \
  struct datatype_traits<T> {                                         \
    static constexpr mpcomm_datatype_t value = DTYPE;                 \
    static constexpr uint8_t dl_code = static_cast<uint8_t>(DL_CODE); \
    static constexpr uint8_t dl_bits = DL_BITS;                       \
  };
MPCOMM_HPP_DATATYPE(int8_t, MPCOMM_INT8, kDLInt, 8)
MPCOMM_HPP_DATATYPE(uint8_t, MPCOMM_UINT8, kDLUInt, 8)
MPCOMM_HPP_DATATYPE(int32_t, MPCOMM_INT32, kDLInt, 32)
MPCOMM_HPP_DATATYPE(int64_t, MPCOMM_INT64, kDLInt, 64)
MPCOMM_HPP_DATATYPE(float16, MPCOMM_FLOAT16, kDLFloat, 16)
MPCOMM_HPP_DATATYPE(bfloat16, MPCOMM_BFLOAT16, kDLBfloat, 16)
MPCOMM_HPP_DATATYPE(float, MPCOMM_FLOAT32, kDLFloat, 32)
MPCOMM_HPP_DATATYPE(double, MPCOMM_FLOAT64, kDLFloat, 64)
// DLPack codes newer than some installed dlpack.h: kDLBool 6, kDLFloat8_e4m3fn 10, _e5m2 12.
MPCOMM_HPP_DATATYPE(bool, MPCOMM_BOOL, 6, 8)
MPCOMM_HPP_DATATYPE(int16_t, MPCOMM_INT16, kDLInt, 16)
MPCOMM_HPP_DATATYPE(uint16_t, MPCOMM_UINT16, kDLUInt, 16)
MPCOMM_HPP_DATATYPE(uint32_t, MPCOMM_UINT32, kDLUInt, 32)
MPCOMM_HPP_DATATYPE(uint64_t, MPCOMM_UINT64, kDLUInt, 64)
MPCOMM_HPP_DATATYPE(float8_e4m3fn, MPCOMM_FLOAT8_E4M3FN, 10, 8)
MPCOMM_HPP_DATATYPE(float8_e5m2, MPCOMM_FLOAT8_E5M2, 12, 8)
#undef MPCOMM_HPP_DATATYPE

// The datatype of T (const ignored).
template <class T>
constexpr mpcomm_datatype_t datatype_of = datatype_traits<std::remove_cv_t<T>>::value;

// The DLPack type of T, one lane.
template <class T>
constexpr DLDataType dl_datatype() {
  using Traits = datatype_traits<std::remove_cv_t<T>>;
  return DLDataType{Traits::dl_code, Traits::dl_bits, 1};
}

// ----------------------------------------------------------------------- buffers and tensors

// A view of `size` contiguous elements at `data` (C++17 has no std::span): made from a pointer
// and a count, or from any contiguous range with data() and size() (std::vector, std::array,
// another Span). It does not own the elements.
template <class T>
class Span {
 public:
  using element_type = T;
  constexpr Span() = default;
  constexpr Span(T *data, size_t size) : data_(data), size_(size) {}
  template <class R, class = std::enable_if_t<
                         std::is_convertible_v<decltype(std::declval<R &>().data()), T *> &&
                         std::is_convertible_v<decltype(std::declval<R &>().size()), size_t>>>
  constexpr Span(R &&range) : data_(range.data()), size_(range.size()) {}

  constexpr T *data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T *begin() const { return data_; }
  constexpr T *end() const { return data_ + size_; }
  constexpr T &operator[](size_t i) const { return data_[i]; }

 private:
  T *data_ = nullptr;
  size_t size_ = 0;
};

namespace detail {

// A contiguous range of a data-plane element type: something with data() and size().
template <class R, class = void>
struct is_buffer : std::false_type {};
template <class R>
struct is_buffer<
    R, std::void_t<decltype(std::declval<R &>().data()), decltype(std::declval<R &>().size())>>
    : std::is_pointer<decltype(std::declval<R &>().data())> {};
template <class R>
constexpr bool is_buffer_v = is_buffer<std::remove_reference_t<R>>::value;

template <class R>
using element_t = std::remove_pointer_t<decltype(std::declval<R &>().data())>;

[[noreturn]] inline void refuse(const std::string &what) {
  throw Exception(MPCOMM_ERR_INVALID_ARGUMENT, what);
}

inline void same_count(size_t a, size_t b, const char *call) {
  if (a != b)
    refuse(std::string(call) + ": send has " + std::to_string(a) + " elements, recv has " +
           std::to_string(b));
}

}  // namespace detail

// A DLTensor with its own shape (and strides): data is borrowed, the shape is held, so a Tensor
// stays valid when copied or moved. Converts to the DLTensor the C calls take.
class Tensor {
 public:
  Tensor() = default;
  // A compact row-major tensor of T (CPU memory unless device says otherwise).
  template <class T>
  Tensor(T *data, std::vector<int64_t> shape, DLDevice device = DLDevice{kDLCPU, 0})
      : Tensor(const_cast<std::remove_cv_t<T> *>(data), dl_datatype<T>(), std::move(shape),
               device) {}
  Tensor(void *data, DLDataType dtype, std::vector<int64_t> shape,
         DLDevice device = DLDevice{kDLCPU, 0})
      : shape_(std::move(shape)) {
    t_.data = data;
    t_.device = device;
    t_.dtype = dtype;
    t_.byte_offset = 0;
    t_.strides = nullptr;
    point();
  }
  // A copy of a descriptor (its shape and strides copied too).
  explicit Tensor(const DLTensor &t) : t_(t), shape_(t.shape, t.shape + t.ndim) {
    if (t.strides) strides_.assign(t.strides, t.strides + t.ndim);
    point();
  }
  Tensor(const Tensor &o) : t_(o.t_), shape_(o.shape_), strides_(o.strides_) { point(); }
  Tensor(Tensor &&o) noexcept
      : t_(o.t_), shape_(std::move(o.shape_)), strides_(std::move(o.strides_)) {
    point();
  }
  Tensor &operator=(Tensor o) noexcept {
    t_ = o.t_;
    shape_ = std::move(o.shape_);
    strides_ = std::move(o.strides_);
    point();
    return *this;
  }

  DLTensor &dl() { return t_; }
  const DLTensor &dl() const { return t_; }
  operator DLTensor &() { return t_; }
  operator const DLTensor &() const { return t_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape_) n *= d;
    return n;
  }

 private:
  void point() {
    t_.ndim = static_cast<int32_t>(shape_.size());
    t_.shape = shape_.empty() ? nullptr : shape_.data();
    t_.strides = strides_.empty() ? nullptr : strides_.data();
  }
  DLTensor t_{};
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
};

// ------------------------------------------------------------------- parallel configuration

// The layout of every group of one kind (mpcomm_layout_group_ranks): ngroups x group_size ranks,
// row-major.
struct GroupLayout {
  int ngroups = 0;
  int group_size = 0;
  std::vector<int> ranks;
  // The ranks of group i.
  std::vector<int> group(int i) const {
    const auto first = ranks.begin() + static_cast<std::ptrdiff_t>(i) * group_size;
    return std::vector<int>(first, first + group_size);
  }
};

// vLLM's ParallelConfig: a value (not a handle), every default set at construction
// (mpcomm_parallel_config_init); fields through -> or get(); converts to the C struct.
class ParallelConfig {
 public:
  ParallelConfig() { check(mpcomm_parallel_config_init(&c_)); }
  explicit ParallelConfig(const mpcomm_parallel_config_t &c) : c_(c) {}

  mpcomm_parallel_config_t &get() { return c_; }
  const mpcomm_parallel_config_t &get() const { return c_; }
  mpcomm_parallel_config_t *operator->() { return &c_; }
  const mpcomm_parallel_config_t *operator->() const { return &c_; }
  operator const mpcomm_parallel_config_t &() const { return c_; }

  // Throws Exception(MPCOMM_ERR_INVALID_ARGUMENT) with vLLM's message.
  void validate() const { check(mpcomm_parallel_config_validate(&c_)); }
  // vLLM's compute_hash(): 64 hex digits.
  std::string hash() const {
    char hex[65] = {0};
    check(mpcomm_parallel_config_hash(&c_, hex));
    return std::string(hex);
  }
  int world_size() const {
    int n = 0;
    check(mpcomm_parallel_config_world_size(&c_, &n));
    return n;
  }
  int world_size_across_dp() const {
    int n = 0;
    check(mpcomm_parallel_config_world_size_across_dp(&c_, &n));
    return n;
  }
  // Every group of one kind in a world of world_size ranks.
  GroupLayout layout(int world_size, mpcomm_group_kind_t kind) const {
    GroupLayout l;
    mpcomm_status_t s =
        mpcomm_layout_group_ranks(&c_, world_size, kind, nullptr, 0, &l.ngroups, &l.group_size);
    if (s != MPCOMM_ERR_TRUNCATED) check(s);
    l.ranks.resize(static_cast<size_t>(l.ngroups) * static_cast<size_t>(l.group_size));
    check(mpcomm_layout_group_ranks(&c_, world_size, kind, l.ranks.data(), l.ranks.size(),
                                    &l.ngroups, &l.group_size));
    return l;
  }

 private:
  mpcomm_parallel_config_t c_{};
};

// The defaults as the C struct (mpcomm_parallel_config_init).
inline mpcomm_parallel_config_t parallel_config() { return ParallelConfig().get(); }

// Layers [first, second) of pipeline stage pp_rank of pp_size (mpcomm_pp_indices).
inline std::pair<int, int> pp_indices(int num_layers, int pp_rank, int pp_size) {
  std::pair<int, int> range{0, 0};
  check(mpcomm_pp_indices(num_layers, pp_rank, pp_size, &range.first, &range.second));
  return range;
}

// ------------------------------------------------------------------------------ tensor dicts

// An mpcomm_tensor_dict_t that frees itself. Move-only. Tensors set here are borrowed (their
// data must outlive the sends); received ones are owned by the dict. See mpcomm_tensor_dict(3).
class TensorDict {
 public:
  // An empty dict.
  TensorDict() { check(mpcomm_tensor_dict_create(&d_)); }
  // Takes ownership of dict (may be NULL: a receive then makes one).
  explicit TensorDict(mpcomm_tensor_dict_t dict) : d_(dict) {}
  ~TensorDict() { reset(); }
  TensorDict(TensorDict &&o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  TensorDict &operator=(TensorDict &&o) noexcept {
    if (this != &o) {
      reset();
      d_ = o.d_;
      o.d_ = nullptr;
    }
    return *this;
  }
  TensorDict(const TensorDict &) = delete;
  TensorDict &operator=(const TensorDict &) = delete;

  mpcomm_tensor_dict_t get() const { return d_; }
  explicit operator bool() const { return d_ != nullptr; }
  mpcomm_tensor_dict_t release() {
    mpcomm_tensor_dict_t d = d_;
    d_ = nullptr;
    return d;
  }
  void reset() noexcept {
    if (d_) mpcomm_tensor_dict_free(&d_);
    d_ = nullptr;
  }
  // reset() that reports a failure.
  void free() {
    mpcomm_tensor_dict_t d = d_;
    d_ = nullptr;
    check(mpcomm_tensor_dict_free(&d));
  }

  // Setting a key again replaces its value in place.
  void set_tensor(const std::string &key, const DLTensor &tensor) {
    check(mpcomm_tensor_dict_set_tensor(d_, key.c_str(), &tensor));
  }
  void set_int(const std::string &key, int64_t value) {
    check(mpcomm_tensor_dict_set_int(d_, key.c_str(), value));
  }
  void set_double(const std::string &key, double value) {
    check(mpcomm_tensor_dict_set_double(d_, key.c_str(), value));
  }
  void set_bool(const std::string &key, bool value) {
    check(mpcomm_tensor_dict_set_bool(d_, key.c_str(), value ? 1 : 0));
  }
  void set_string(const std::string &key, const std::string &value) {
    check(mpcomm_tensor_dict_set_string(d_, key.c_str(), value.c_str()));
  }
  void set_bytes(const std::string &key, const void *data, size_t len) {
    check(mpcomm_tensor_dict_set_bytes(d_, key.c_str(), data, len));
  }

  // A missing key or a value of another kind throws Exception(MPCOMM_ERR_INVALID_ARGUMENT).
  mpcomm_value_kind_t kind(const std::string &key) const {
    mpcomm_value_kind_t k = MPCOMM_VALUE_TENSOR;
    check(mpcomm_tensor_dict_get_kind(d_, key.c_str(), &k));
    return k;
  }
  // Borrowed: valid until the key is set again or the dict is freed or received into.
  const DLTensor &get_tensor(const std::string &key) const {
    const DLTensor *t = nullptr;
    check(mpcomm_tensor_dict_get_tensor(d_, key.c_str(), &t));
    return *t;
  }
  int64_t get_int(const std::string &key) const {
    int64_t v = 0;
    check(mpcomm_tensor_dict_get_int(d_, key.c_str(), &v));
    return v;
  }
  double get_double(const std::string &key) const {
    double v = 0;
    check(mpcomm_tensor_dict_get_double(d_, key.c_str(), &v));
    return v;
  }
  bool get_bool(const std::string &key) const {
    int v = 0;
    check(mpcomm_tensor_dict_get_bool(d_, key.c_str(), &v));
    return v != 0;
  }
  std::string get_string(const std::string &key) const {
    const char *v = nullptr;
    check(mpcomm_tensor_dict_get_string(d_, key.c_str(), &v));
    return std::string(v);
  }
  std::vector<unsigned char> get_bytes(const std::string &key) const {
    const void *data = nullptr;
    size_t len = 0;
    check(mpcomm_tensor_dict_get_bytes(d_, key.c_str(), &data, &len));
    const auto *p = static_cast<const unsigned char *>(data);
    return std::vector<unsigned char>(p, p + len);
  }

  size_t size() const {
    size_t n = 0;
    check(mpcomm_tensor_dict_size(d_, &n));
    return n;
  }
  std::string key_at(size_t i) const {
    const char *key = nullptr;
    check(mpcomm_tensor_dict_key_at(d_, i, &key));
    return std::string(key);
  }
  // The keys in insertion order.
  std::vector<std::string> keys() const {
    std::vector<std::string> all;
    const size_t n = size();
    for (size_t i = 0; i < n; ++i) all.push_back(key_at(i));
    return all;
  }

 private:
  friend class Group;
  mpcomm_tensor_dict_t d_ = nullptr;
};

// ------------------------------------------------------------------------------------ groups

// The path of a device all_reduce and why (mpcomm_group_device_allreduce_path).
struct AllReducePath {
  mpcomm_allreduce_path_t path = MPCOMM_ALLREDUCE_PATH_NCCL;
  std::string why;
};

// An mpcomm_group_t that frees itself (or, made by borrow(), one that something else owns).
// Move-only. Every call throws Exception on failure; see mpcomm_group(3), mpcomm_objects(3),
// mpcomm_all_reduce(3), mpcomm_all_gather(3) and mpcomm_gpu(3). Data-plane buffers are typed:
// a pointer and a count, or a range (std::vector, std::array, Span) of a type with
// datatype_traits; or untyped with an explicit mpcomm_datatype_t; tensors are DLTensors (or
// Tensors).
// count elements of T in the node's shared memory (mpcomm_mem_alloc(3)), which all_reduce reads
// in place; made by Group::shared_array<T>(count). Move-only; frees with mpcomm_mem_free when it
// goes out of scope (ignoring a failure: after its group was freed the group freed it). A buffer
// like std::vector (data() and size()), so every typed method takes it.
template <class T>
class SharedArray {
  static_assert(std::is_trivially_copyable_v<T>, "SharedArray holds trivially copyable elements");

 public:
  SharedArray() = default;
  ~SharedArray() { reset(); }
  SharedArray(SharedArray &&other) noexcept
      : group_(other.group_), data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  SharedArray &operator=(SharedArray &&other) noexcept {
    if (this != &other) {
      reset();
      group_ = other.group_;
      data_ = other.data_;
      size_ = other.size_;
      other.data_ = nullptr;
      other.size_ = 0;
    }
    return *this;
  }
  SharedArray(const SharedArray &) = delete;
  SharedArray &operator=(const SharedArray &) = delete;

  T *data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T *begin() const { return data_; }
  T *end() const { return data_ + size_; }
  T &operator[](size_t i) const { return data_[i]; }

  // Frees now, ignoring a failure (the destructor's way).
  void reset() noexcept {
    if (data_ != nullptr) mpcomm_mem_free(group_, data_);
    data_ = nullptr;
    size_ = 0;
  }
  // Frees now and reports a failure (mpcomm_mem_free(3)).
  void free() {
    T *data = data_;
    data_ = nullptr;
    size_ = 0;
    if (data != nullptr) check(mpcomm_mem_free(group_, data));
  }

 private:
  friend class Group;
  SharedArray(mpcomm_group_t group, T *data, size_t size)
      : group_(group), data_(data), size_(size) {}

  mpcomm_group_t group_ = nullptr;
  T *data_ = nullptr;
  size_t size_ = 0;
};

class Group {
 public:
  Group() = default;
  // Takes ownership of group.
  explicit Group(mpcomm_group_t group) : g_(group) {}
  // Uses group without owning it (for example a group of a parallel state).
  static Group borrow(mpcomm_group_t group) {
    Group g(group);
    g.owned_ = false;
    return g;
  }
  static Group from_comm(MPI_Comm comm) {
    mpcomm_group_t g = nullptr;
    check(mpcomm_group_from_comm(comm, &g));
    return Group(g);
  }
  // The same, for a communicator given as a Fortran handle (MPI_Comm_c2f).
  static Group from_comm_f(MPI_Fint comm) {
    mpcomm_group_t g = nullptr;
    check(mpcomm_group_from_comm_f(comm, &g));
    return Group(g);
  }
  // Only the members call it, all with the same list.
  static Group from_ranks(MPI_Comm parent, const std::vector<int> &ranks) {
    mpcomm_group_t g = nullptr;
    check(mpcomm_group_from_ranks(parent, ranks.data(), static_cast<int>(ranks.size()), &g));
    return Group(g);
  }
  // The same, for a parent given as a Fortran handle (MPI_Comm_c2f).
  static Group from_ranks_f(MPI_Fint parent, const std::vector<int> &ranks) {
    mpcomm_group_t g = nullptr;
    check(mpcomm_group_from_ranks_f(parent, ranks.data(), static_cast<int>(ranks.size()), &g));
    return Group(g);
  }
  // The rendezvous of separately launched processes (mpcomm_group_join(3)).
  static Group join(const std::string &host, int port, int rank, int world_size, double timeout_s) {
    mpcomm_group_t g = nullptr;
    check(mpcomm_group_join(host.c_str(), port, rank, world_size, timeout_s, &g));
    return Group(g);
  }
  ~Group() { reset(); }
  Group(Group &&other) noexcept : g_(other.g_), owned_(other.owned_) { other.g_ = nullptr; }
  Group &operator=(Group &&other) noexcept {
    if (this != &other) {
      reset();
      g_ = other.g_;
      owned_ = other.owned_;
      other.g_ = nullptr;
    }
    return *this;
  }
  Group(const Group &) = delete;
  Group &operator=(const Group &) = delete;

  mpcomm_group_t get() const { return g_; }
  explicit operator bool() const { return g_ != nullptr; }
  bool owned() const { return owned_; }
  // Gives up ownership; the caller frees the handle.
  mpcomm_group_t release() {
    mpcomm_group_t g = g_;
    g_ = nullptr;
    return g;
  }
  // Frees an owned group, ignoring a failure (the destructor's way).
  void reset() noexcept {
    if (g_ && owned_) mpcomm_group_free(&g_);
    g_ = nullptr;
  }
  // Frees an owned group and reports a failure: MPCOMM_ERR_TIMEOUT when object sends were still
  // not received after the group's timeout (the group is freed all the same).
  void free() {
    mpcomm_group_t g = g_;
    g_ = nullptr;
    if (g && owned_) check(mpcomm_group_free(&g));
  }

  mpcomm_group_info_t info() const {
    mpcomm_group_info_t i = MPCOMM_GROUP_INFO_INIT;
    check(mpcomm_group_info(g_, &i));
    return i;
  }
  int rank() const { return info().rank_in_group; }
  int size() const { return info().size; }
  // The group's MPI communicator, borrowed: valid while the group lives; never free it (see
  // mpcomm_group_comm(3) for the MPI of one's own it allows).
  MPI_Comm comm() const {
    MPI_Comm c = MPI_COMM_NULL;
    check(mpcomm_group_comm(g_, &c));
    return c;
  }
  // The same communicator as a Fortran handle (MPI_Comm_c2f).
  MPI_Fint comm_f() const {
    MPI_Fint c = 0;
    check(mpcomm_group_comm_f(g_, &c));
    return c;
  }
  std::vector<int> ranks() const {
    std::vector<int> r(static_cast<size_t>(size()));
    check(mpcomm_group_ranks(g_, r.data(), r.size()));
    return r;
  }
  void set_timeout(double seconds) { check(mpcomm_group_set_timeout(g_, seconds)); }
  double timeout() const {
    double t = 0;
    check(mpcomm_group_get_timeout(g_, &t));
    return t;
  }
  // timeout_s <= 0: the group's timeout.
  void barrier(double timeout_s = 0) const { check(mpcomm_barrier(g_, timeout_s)); }

  // ------------------------------------------------------------------------------- objects

  // Objects as bytes, of any length (a receive that was too small is retried with the kept
  // object, which costs no communication). A send does not wait for its receiver.
  void send_object(const void *buf, size_t len, int dst) const {
    check(mpcomm_send_object(g_, buf, len, dst));
  }
  std::vector<char> recv_object(int src) const {
    return receive_any([&](void *buf, size_t cap, size_t *len) {
      return mpcomm_recv_object(g_, buf, cap, len, src);
    });
  }
  // At src, obj is sent and returned; elsewhere obj is ignored and src's object returned.
  std::vector<char> broadcast_object(std::vector<char> obj, int src) const {
    if (rank() == src) {
      size_t len = obj.size();
      check(mpcomm_broadcast_object(g_, obj.data(), obj.size(), &len, src));
      return obj;
    }
    return receive_any([&](void *buf, size_t cap, size_t *len) {
      return mpcomm_broadcast_object(g_, buf, cap, len, src);
    });
  }
  // Every member's object, in group-rank order.
  std::vector<std::vector<char>> all_gather_object(const void *buf, size_t len) const {
    const size_t n = static_cast<size_t>(size());
    std::vector<size_t> lens(n);
    std::vector<char> out(n * kFirstGuess);
    mpcomm_status_t s = mpcomm_all_gather_object(g_, buf, len, out.data(), out.size(), lens.data());
    if (s == MPCOMM_ERR_TRUNCATED) {
      size_t total = 0;
      for (size_t l : lens) total += l;
      out.resize(total);
      s = mpcomm_all_gather_object(g_, nullptr, 0, out.data(), out.size(), lens.data());
    }
    check(s);
    std::vector<std::vector<char>> objects(n);
    size_t offset = 0;
    for (size_t r = 0; r < n; ++r) {
      objects[r].assign(out.begin() + static_cast<std::ptrdiff_t>(offset),
                        out.begin() + static_cast<std::ptrdiff_t>(offset + lens[r]));
      offset += lens[r];
    }
    return objects;
  }

  // Structured objects, encoded with MessagePack; a received object that does not decode
  // throws Exception(MPCOMM_ERR_MALFORMED).
  void send_value(const Value &v, int dst) const {
    const std::vector<char> bytes = encode(v);
    send_object(bytes.data(), bytes.size(), dst);
  }
  Value recv_value(int src) const {
    const std::vector<char> bytes = recv_object(src);
    return decode(bytes.data(), bytes.size());
  }
  // At src, v is sent and returned; elsewhere v is ignored.
  Value broadcast_value(const Value &v, int src) const {
    if (rank() == src) {
      broadcast_object(encode(v), src);
      return v;
    }
    const std::vector<char> bytes = broadcast_object({}, src);
    return decode(bytes.data(), bytes.size());
  }
  std::vector<Value> all_gather_values(const Value &v) const {
    const std::vector<char> mine = encode(v);
    std::vector<Value> values;
    for (const auto &bytes : all_gather_object(mine.data(), mine.size()))
      values.push_back(decode(bytes.data(), bytes.size()));
    return values;
  }

  // Broadcasts from group rank 0 reach the members on its node through shared memory (0, 0:
  // the default ring). Collective.
  void enable_message_queue(size_t chunk_bytes = 0, int chunks = 0) {
    check(mpcomm_group_enable_message_queue(g_, chunk_bytes, chunks));
  }

  // ------------------------------------------------------------------ locality and DP helpers

  // Per member: whether it shares a node with group rank source_rank. Collective.
  std::vector<bool> in_the_same_node_as(int source_rank = 0) const {
    std::vector<int> flags(static_cast<size_t>(size()));
    check(mpcomm_in_the_same_node_as(g_, source_rank, flags.data()));
    return std::vector<bool>(flags.begin(), flags.end());
  }
  // The number of nodes the members span. Collective.
  int node_count() const {
    int n = 0;
    check(mpcomm_node_count(g_, &n));
    return n;
  }
  // Whether any member has unfinished work (vLLM's DP has_unfinished). Collective.
  bool dp_has_unfinished(bool mine) const {
    int any = 0;
    check(mpcomm_dp_has_unfinished(g_, mine ? 1 : 0, &any));
    return any != 0;
  }
  // The smallest KV cache size over the members; -1 means unlimited. Collective.
  int64_t dp_sync_kv_cache_memory_size(int64_t mine) const {
    int64_t min = 0;
    check(mpcomm_dp_sync_kv_cache_memory_size(g_, mine, &min));
    return min;
  }

  // ---------------------------------------------------------------------------- data plane

  // recv = op over the members of send; the element type gives the datatype.
  template <class T>
  void all_reduce(const T *send, T *recv, size_t count, mpcomm_op_t op = MPCOMM_SUM,
                  void *stream = nullptr) const {
    check(mpcomm_all_reduce(g_, send, recv, count, datatype_of<T>, op, stream));
  }
  template <class Send, class Recv,
            class = std::enable_if_t<detail::is_buffer_v<Send> && detail::is_buffer_v<Recv>>>
  void all_reduce(const Send &send, Recv &&recv, mpcomm_op_t op = MPCOMM_SUM,
                  void *stream = nullptr) const {
    detail::same_count(send.size(), recv.size(), "mpcomm::Group::all_reduce");
    all_reduce(send.data(), recv.data(), send.size(), op, stream);
  }
  template <class Buf, class = std::enable_if_t<detail::is_buffer_v<Buf>>>
  void all_reduce_in_place(Buf &&buf, mpcomm_op_t op = MPCOMM_SUM, void *stream = nullptr) const {
    all_reduce(buf.data(), buf.data(), buf.size(), op, stream);
  }
  // Untyped: count elements of dtype.
  void all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  mpcomm_op_t op, void *stream = nullptr) const {
    check(mpcomm_all_reduce(g_, send, recv, count, dtype, op, stream));
  }

  // A buffer of the node's shared memory that all_reduce reads in place (mpcomm_mem_alloc(3)):
  // collective, each member with its own bytes (0: nullptr). Free it with mem_free (local) on
  // every member once no all_reduce reads it; freeing the group frees what is left.
  void *mem_alloc(size_t bytes) const {
    void *ptr = nullptr;
    check(mpcomm_mem_alloc(g_, bytes, &ptr));
    return ptr;
  }
  void mem_free(void *ptr) const { check(mpcomm_mem_free(g_, ptr)); }
  // The same, typed and owned: count elements of T, freed when the array goes (collective like
  // mem_alloc; count 0 gives an empty array).
  template <class T>
  SharedArray<T> shared_array(size_t count) const {
    if (count > SIZE_MAX / sizeof(T))
      detail::refuse("shared_array: count " + std::to_string(count) + " elements of " +
                     std::to_string(sizeof(T)) + " bytes do not fit in size_t");
    return SharedArray<T>(g_, static_cast<T *>(mem_alloc(count * sizeof(T))), count);
  }

  // buf at group rank src is copied into buf at every other member.
  template <class T>
  void broadcast(T *buf, size_t count, int src, void *stream = nullptr) const {
    check(mpcomm_broadcast(g_, buf, count, datatype_of<T>, src, stream));
  }
  template <class Buf, class = std::enable_if_t<detail::is_buffer_v<Buf>>>
  void broadcast(Buf &&buf, int src, void *stream = nullptr) const {
    broadcast(buf.data(), buf.size(), src, stream);
  }
  void broadcast(void *buf, size_t count, mpcomm_datatype_t dtype, int src,
                 void *stream = nullptr) const {
    check(mpcomm_broadcast(g_, buf, count, dtype, src, stream));
  }

  // Point to point; the receiver gives exactly the count and type that were sent.
  // MPCOMM_RANK_DEFAULT: the next member (send), the previous one (recv).
  template <class T>
  void send(const T *buf, size_t count, int dst = MPCOMM_RANK_DEFAULT,
            void *stream = nullptr) const {
    check(mpcomm_send(g_, buf, count, datatype_of<T>, dst, stream));
  }
  template <class Buf, class = std::enable_if_t<detail::is_buffer_v<Buf>>>
  void send(const Buf &buf, int dst = MPCOMM_RANK_DEFAULT, void *stream = nullptr) const {
    send(buf.data(), buf.size(), dst, stream);
  }
  void send(const void *buf, size_t count, mpcomm_datatype_t dtype, int dst,
            void *stream = nullptr) const {
    check(mpcomm_send(g_, buf, count, dtype, dst, stream));
  }
  template <class T>
  void recv(T *buf, size_t count, int src = MPCOMM_RANK_DEFAULT, void *stream = nullptr) const {
    check(mpcomm_recv(g_, buf, count, datatype_of<T>, src, stream));
  }
  template <class Buf, class = std::enable_if_t<detail::is_buffer_v<Buf>>>
  void recv(Buf &&buf, int src = MPCOMM_RANK_DEFAULT, void *stream = nullptr) const {
    recv(buf.data(), buf.size(), src, stream);
  }
  void recv(void *buf, size_t count, mpcomm_datatype_t dtype, int src,
            void *stream = nullptr) const {
    check(mpcomm_recv(g_, buf, count, dtype, src, stream));
  }

  // Along dim of DLPack tensors (negative counts from the end); see mpcomm_all_gather(3).
  void all_gather(const DLTensor &in, DLTensor &out, int dim = 0, void *stream = nullptr) const {
    check(mpcomm_all_gather(g_, &in, &out, dim, stream));
  }
  void reduce_scatter(const DLTensor &in, DLTensor &out, int dim = 0, mpcomm_op_t op = MPCOMM_SUM,
                      void *stream = nullptr) const {
    check(mpcomm_reduce_scatter(g_, &in, &out, dim, op, stream));
  }
  // out is used at dst only (elsewhere it may be an empty Tensor).
  void gather(const DLTensor &in, DLTensor &out, int dst = 0, int dim = 0,
              void *stream = nullptr) const {
    check(mpcomm_gather(g_, &in, dst == rank() ? &out : nullptr, dst, dim, stream));
  }
  // The same on flat host buffers (1-D tensors): out holds size() x in.size() elements
  // (all_gather, gather at dst), in holds size() x out.size() (reduce_scatter).
  template <class In, class Out,
            class = std::enable_if_t<detail::is_buffer_v<In> && detail::is_buffer_v<Out>>>
  void all_gather(const In &in, Out &&out) const {
    Tensor i = flat(in), o = flat(out);
    all_gather(i, o, 0);
  }
  template <class In, class Out,
            class = std::enable_if_t<detail::is_buffer_v<In> && detail::is_buffer_v<Out>>>
  void reduce_scatter(const In &in, Out &&out, mpcomm_op_t op = MPCOMM_SUM) const {
    Tensor i = flat(in), o = flat(out);
    reduce_scatter(i, o, 0, op);
  }
  template <class In, class Out,
            class = std::enable_if_t<detail::is_buffer_v<In> && detail::is_buffer_v<Out>>>
  void gather(const In &in, Out &&out, int dst = 0) const {
    Tensor i = flat(in), o = flat(out);
    gather(i, o, dst, 0);
  }

  // A size per member along dim (mpcomm_all_gatherv(3)): sizes holds one extent per member,
  // in.shape[dim] == sizes[rank()] (all_gatherv), in.shape[dim] == their sum (reduce_scatterv).
  void all_gatherv(const DLTensor &in, DLTensor &out, Span<const size_t> sizes, int dim = 0,
                   void *stream = nullptr) const {
    per_member(sizes.size(), "sizes", "mpcomm::Group::all_gatherv");
    check(mpcomm_all_gatherv(g_, &in, &out, sizes.data(), dim, stream));
  }
  void reduce_scatterv(const DLTensor &in, DLTensor &out, Span<const size_t> sizes, int dim = 0,
                       mpcomm_op_t op = MPCOMM_SUM, void *stream = nullptr) const {
    per_member(sizes.size(), "sizes", "mpcomm::Group::reduce_scatterv");
    check(mpcomm_reduce_scatterv(g_, &in, &out, sizes.data(), dim, op, stream));
  }
  // The same on flat host buffers: in holds sizes[rank()] elements and out their sum
  // (all_gatherv), or the reverse (reduce_scatterv).
  template <class In, class Out,
            class = std::enable_if_t<detail::is_buffer_v<In> && detail::is_buffer_v<Out>>>
  void all_gatherv(const In &in, Out &&out, Span<const size_t> sizes) const {
    Tensor i = flat(in), o = flat(out);
    all_gatherv(i, o, sizes, 0);
  }
  template <class In, class Out,
            class = std::enable_if_t<detail::is_buffer_v<In> && detail::is_buffer_v<Out>>>
  void reduce_scatterv(const In &in, Out &&out, Span<const size_t> sizes,
                       mpcomm_op_t op = MPCOMM_SUM) const {
    Tensor i = flat(in), o = flat(out);
    reduce_scatterv(i, o, sizes, 0, op);
  }

  // count elements to and from each member, blocks in group-rank order (mpcomm_all_to_all(3)).
  template <class T>
  void all_to_all(const T *send, T *recv, size_t count, void *stream = nullptr) const {
    check(mpcomm_all_to_all(g_, send, recv, count, datatype_of<T>, stream));
  }
  // send and recv hold size() blocks of equal length.
  template <class Send, class Recv,
            class = std::enable_if_t<detail::is_buffer_v<Send> && detail::is_buffer_v<Recv>>>
  void all_to_all(const Send &send, Recv &&recv, void *stream = nullptr) const {
    detail::same_count(send.size(), recv.size(), "mpcomm::Group::all_to_all");
    const size_t n = static_cast<size_t>(size());
    if (send.size() % n != 0)
      detail::refuse("mpcomm::Group::all_to_all: " + std::to_string(send.size()) +
                     " elements are not " + std::to_string(n) + " blocks of equal length");
    all_to_all(send.data(), recv.data(), send.size() / n, stream);
  }
  void all_to_all(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  void *stream = nullptr) const {
    check(mpcomm_all_to_all(g_, send, recv, count, dtype, stream));
  }
  // Counts and displacements in elements, one per member (mpcomm_all_to_allv(3)).
  template <class T>
  void all_to_allv(const T *send, Span<const size_t> send_counts, Span<const size_t> send_displs,
                   T *recv, Span<const size_t> recv_counts, Span<const size_t> recv_displs,
                   void *stream = nullptr) const {
    all_to_allv(send, send_counts, send_displs, recv, recv_counts, recv_displs, datatype_of<T>,
                stream);
  }
  void all_to_allv(const void *send, Span<const size_t> send_counts, Span<const size_t> send_displs,
                   void *recv, Span<const size_t> recv_counts, Span<const size_t> recv_displs,
                   mpcomm_datatype_t dtype, void *stream = nullptr) const {
    const char *call = "mpcomm::Group::all_to_allv";
    per_member(send_counts.size(), "send_counts", call);
    per_member(send_displs.size(), "send_displs", call);
    per_member(recv_counts.size(), "recv_counts", call);
    per_member(recv_displs.size(), "recv_displs", call);
    check(mpcomm_all_to_allv(g_, send, send_counts.data(), send_displs.data(), recv,
                             recv_counts.data(), recv_displs.data(), dtype, stream));
  }

  // ------------------------------------------------------------------------- tensor dicts

  // At src, dict is sent; elsewhere it receives src's dict (its contents replaced).
  void broadcast_tensor_dict(TensorDict &dict, int src = 0) const {
    check(mpcomm_broadcast_tensor_dict(g_, &dict.d_, src));
  }
  void send_tensor_dict(const TensorDict &dict, int dst = MPCOMM_RANK_DEFAULT,
                        const Group *all_gather_group = nullptr) const {
    check(mpcomm_send_tensor_dict(g_, dict.d_, dst,
                                  all_gather_group ? all_gather_group->g_ : nullptr));
  }
  TensorDict recv_tensor_dict(int src = MPCOMM_RANK_DEFAULT,
                              const Group *all_gather_group = nullptr) const {
    TensorDict dict(nullptr);
    recv_tensor_dict(dict, src, all_gather_group);
    return dict;
  }
  // Into an existing dict (its contents replaced).
  void recv_tensor_dict(TensorDict &dict, int src = MPCOMM_RANK_DEFAULT,
                        const Group *all_gather_group = nullptr) const {
    check(mpcomm_recv_tensor_dict(g_, &dict.d_, src,
                                  all_gather_group ? all_gather_group->g_ : nullptr));
  }

  // -------------------------------------------------------------------------------- GPU

  // Before the group's device context is made; see mpcomm_gpu(3).
  void set_device(int device) { check(mpcomm_group_set_device(g_, device)); }
  void device_init() { check(mpcomm_group_device_init(g_)); }
  void set_custom_allreduce(bool enabled) {
    check(mpcomm_group_set_custom_allreduce(g_, enabled ? 1 : 0));
  }
  // How a device all_reduce of count elements of dtype with op travels, and why.
  AllReducePath device_allreduce_path(size_t count, mpcomm_datatype_t dtype,
                                      mpcomm_op_t op = MPCOMM_SUM) const {
    AllReducePath p;
    char why[512] = {0};
    check(mpcomm_group_device_allreduce_path(g_, count, dtype, op, &p.path, why, sizeof why));
    p.why = why;
    return p;
  }
  template <class T>
  AllReducePath device_allreduce_path(size_t count, mpcomm_op_t op = MPCOMM_SUM) const {
    return device_allreduce_path(count, datatype_of<T>, op);
  }

 private:
  static constexpr size_t kFirstGuess = 4096;
  template <class Receive>
  static std::vector<char> receive_any(Receive &&receive) {
    std::vector<char> buf(kFirstGuess);
    size_t len = 0;
    mpcomm_status_t s = receive(buf.data(), buf.size(), &len);
    if (s == MPCOMM_ERR_TRUNCATED) {
      buf.resize(len);
      s = receive(buf.data(), buf.size(), &len);
    }
    check(s);
    buf.resize(len);
    return buf;
  }
  template <class Buf>
  static Tensor flat(Buf &&buf) {
    return Tensor(buf.data(), {static_cast<int64_t>(buf.size())});
  }
  // An array the C call reads one entry of per member.
  void per_member(size_t entries, const char *name, const char *call) const {
    const int n = size();
    if (entries != static_cast<size_t>(n))
      detail::refuse(std::string(call) + ": " + name + " has " + std::to_string(entries) +
                     " entries; the group has " + std::to_string(n) + " members");
  }

  mpcomm_group_t g_ = nullptr;
  bool owned_ = true;
};

// ----------------------------------------------------------------------------- parallel state

// An mpcomm_state_t that destroys itself (or, made by borrow(), one that something else owns);
// its groups are borrowed from it. Move-only. See mpcomm_state_create(3).
class State {
 public:
  State() = default;
  // Takes ownership of state.
  explicit State(mpcomm_state_t state) : s_(state) {}
  static State borrow(mpcomm_state_t state) {
    State s(state);
    s.owned_ = false;
    return s;
  }
  // Collective over comm; every rank passes the same configuration.
  static State create(MPI_Comm comm, const mpcomm_parallel_config_t &cfg) {
    mpcomm_state_t s = nullptr;
    check(mpcomm_state_create(comm, &cfg, &s));
    return State(s);
  }
  // The same, for a communicator given as a Fortran handle (MPI_Comm_c2f).
  static State create_f(MPI_Fint comm, const mpcomm_parallel_config_t &cfg) {
    mpcomm_state_t s = nullptr;
    check(mpcomm_state_create_f(comm, &cfg, &s));
    return State(s);
  }
  // The process-wide default state, borrowed; Exception(MPCOMM_ERR_INVALID_USAGE) when none is
  // set.
  static State default_state() {
    mpcomm_state_t s = nullptr;
    check(mpcomm_default_state_get(&s));
    return borrow(s);
  }
  // No default state from now on.
  static void clear_default() { check(mpcomm_default_state_set(nullptr)); }

  ~State() { reset(); }
  State(State &&other) noexcept : s_(other.s_), owned_(other.owned_) { other.s_ = nullptr; }
  State &operator=(State &&other) noexcept {
    if (this != &other) {
      reset();
      s_ = other.s_;
      owned_ = other.owned_;
      other.s_ = nullptr;
    }
    return *this;
  }
  State(const State &) = delete;
  State &operator=(const State &) = delete;

  mpcomm_state_t get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }
  bool owned() const { return owned_; }
  // Gives up ownership; the caller destroys the handle.
  mpcomm_state_t release() {
    mpcomm_state_t s = s_;
    s_ = nullptr;
    return s;
  }
  // Destroys an owned state, ignoring a failure. Collective over the state's communicator.
  void reset() noexcept {
    if (s_ && owned_) mpcomm_state_destroy(&s_);
    s_ = nullptr;
  }
  // reset() that reports a failure.
  void destroy() {
    mpcomm_state_t s = s_;
    s_ = nullptr;
    if (s && owned_) check(mpcomm_state_destroy(&s));
  }
  // The state's group of a kind, borrowed: valid until the state is destroyed.
  Group group(mpcomm_group_kind_t kind) const {
    mpcomm_group_t g = nullptr;
    check(mpcomm_state_group(s_, kind, &g));
    return Group::borrow(g);
  }
  // Makes this state the process-wide default (vLLM's module-level groups).
  void set_default() const { check(mpcomm_default_state_set(s_)); }

  // Brackets a CUDA graph capture on stream (a cudaStream_t): see mpcomm_gpu(3).
  void graph_capture_begin(void *stream) { check(mpcomm_graph_capture_begin(s_, stream)); }
  void graph_capture_end() { check(mpcomm_graph_capture_end(s_)); }

 private:
  mpcomm_state_t s_ = nullptr;
  bool owned_ = true;
};

}  // namespace mpcomm

#else
#error "mpcomm.hpp needs C++17 or later (e.g. -std=c++17); C programs include mpcomm.h"
#endif  // C++17
#endif  // MPCOMM_HPP
