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

// ------------------------------------------------------------------- parallel configuration

// A configuration with every default (mpcomm_parallel_config_init); change fields, then pass it
// to State::create.
inline mpcomm_parallel_config_t parallel_config() {
  mpcomm_parallel_config_t cfg{};
  check(mpcomm_parallel_config_init(&cfg));
  return cfg;
}

// ------------------------------------------------------------------------------------ groups

// An mpcomm_group_t that frees itself (or, made by borrow(), one that something else owns).
// Move-only. Every call throws Exception on failure; see mpcomm_group(3) and mpcomm_objects(3).
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
  // Gives up ownership; the caller frees the handle.
  mpcomm_group_t release() {
    mpcomm_group_t g = g_;
    g_ = nullptr;
    return g;
  }
  void reset() {
    if (g_ && owned_) mpcomm_group_free(&g_);
    g_ = nullptr;
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
  // timeout_s <= 0: 30 seconds.
  void barrier(double timeout_s = 0) const { check(mpcomm_barrier(g_, timeout_s)); }

  // Objects as bytes, of any length (a receive that was too small is retried with the kept
  // object, which costs no communication).
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

  // The variable-size collectives (mpcomm_all_gatherv(3), mpcomm_all_to_all(3)): thin wrappers
  // of the C calls; every vector holds one entry per member (checked here).
  void all_gatherv(const DLTensor &in, DLTensor &out, const std::vector<size_t> &sizes, int dim = 0,
                   void *stream = nullptr) const {
    require_per_member(sizes, "sizes");
    check(mpcomm_all_gatherv(g_, &in, &out, sizes.data(), dim, stream));
  }
  void reduce_scatterv(const DLTensor &in, DLTensor &out, const std::vector<size_t> &sizes,
                       int dim = 0, mpcomm_op_t op = MPCOMM_SUM, void *stream = nullptr) const {
    require_per_member(sizes, "sizes");
    check(mpcomm_reduce_scatterv(g_, &in, &out, sizes.data(), dim, op, stream));
  }
  void all_to_all(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  void *stream = nullptr) const {
    check(mpcomm_all_to_all(g_, send, recv, count, dtype, stream));
  }
  void all_to_allv(const void *send, const std::vector<size_t> &send_counts,
                   const std::vector<size_t> &send_displs, void *recv,
                   const std::vector<size_t> &recv_counts, const std::vector<size_t> &recv_displs,
                   mpcomm_datatype_t dtype, void *stream = nullptr) const {
    require_per_member(send_counts, "send_counts");
    require_per_member(send_displs, "send_displs");
    require_per_member(recv_counts, "recv_counts");
    require_per_member(recv_displs, "recv_displs");
    check(mpcomm_all_to_allv(g_, send, send_counts.data(), send_displs.data(), recv,
                             recv_counts.data(), recv_displs.data(), dtype, stream));
  }

 private:
  void require_per_member(const std::vector<size_t> &v, const char *name) const {
    const int n = size();
    if (v.size() != static_cast<size_t>(n))
      throw Exception(MPCOMM_ERR_INVALID_ARGUMENT,
                      std::string(name) + " has " + std::to_string(v.size()) +
                          " entries; the group has " + std::to_string(n) + " members");
  }
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

  mpcomm_group_t g_ = nullptr;
  bool owned_ = true;
};

// ----------------------------------------------------------------------------- parallel state

// An mpcomm_state_t that destroys itself; its groups are borrowed from it. Move-only. See
// mpcomm_state_create(3).
class State {
 public:
  State() = default;
  // Takes ownership of state.
  explicit State(mpcomm_state_t state) : s_(state) {}
  // Collective over comm.
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
  ~State() { reset(); }
  State(State &&other) noexcept : s_(other.s_) { other.s_ = nullptr; }
  State &operator=(State &&other) noexcept {
    if (this != &other) {
      reset();
      s_ = other.s_;
      other.s_ = nullptr;
    }
    return *this;
  }
  State(const State &) = delete;
  State &operator=(const State &) = delete;

  mpcomm_state_t get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }
  // Gives up ownership; the caller destroys the handle.
  mpcomm_state_t release() {
    mpcomm_state_t s = s_;
    s_ = nullptr;
    return s;
  }
  // Collective over the state's communicator.
  void reset() {
    if (s_) mpcomm_state_destroy(&s_);
    s_ = nullptr;
  }
  // The state's group of a kind, borrowed: valid until the state is destroyed.
  Group group(mpcomm_group_kind_t kind) const {
    mpcomm_group_t g = nullptr;
    check(mpcomm_state_group(s_, kind, &g));
    return Group::borrow(g);
  }

 private:
  mpcomm_state_t s_ = nullptr;
};

}  // namespace mpcomm

#else
#error "mpcomm.hpp needs C++17 or later (e.g. -std=c++17); C programs include mpcomm.h"
#endif  // C++17
#endif  // MPCOMM_HPP
