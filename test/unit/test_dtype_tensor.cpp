// Element types, operators and DLPack tensor checks of the data plane, without MPI.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/reduce_op.hpp"
#include "expect_error.hpp"
#include "host/buffer.hpp"
#include "host/tensor.hpp"

namespace {

using namespace mpcomm;
using namespace mpcomm::host;

using mpcomm::test::expect_error;

// A tensor over its own storage, with shape and strides kept alive.
struct TestTensor {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  std::vector<unsigned char> storage;
  DLTensor t{};

  TestTensor(std::vector<int64_t> s, DLDataType dtype = {kDLFloat, 32, 1}) : shape(std::move(s)) {
    size_t n = 1;
    for (int64_t e : shape) n *= static_cast<size_t>(e);
    storage.resize(n * dtype.bits / 8 + 16);
    t.data = storage.data();
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int>(shape.size());
    t.dtype = dtype;
    t.shape = shape.data();
  }
  void set_strides(std::vector<int64_t> s) {
    strides = std::move(s);
    t.strides = strides.data();
  }
};

TEST(Datatype, SizesNamesAndDlpackAgree) {
  const struct {
    mpcomm_datatype_t dtype;
    size_t size;
    const char *name;
    uint8_t code, bits;
  } expected[] = {
      {MPCOMM_INT8, 1, "int8", kDLInt, 8},
      {MPCOMM_UINT8, 1, "uint8", kDLUInt, 8},
      {MPCOMM_INT32, 4, "int32", kDLInt, 32},
      {MPCOMM_INT64, 8, "int64", kDLInt, 64},
      {MPCOMM_FLOAT16, 2, "float16", kDLFloat, 16},
      {MPCOMM_BFLOAT16, 2, "bfloat16", kDLBfloat, 16},
      {MPCOMM_FLOAT32, 4, "float32", kDLFloat, 32},
      {MPCOMM_FLOAT64, 8, "float64", kDLFloat, 64},
      // DLPack 1.1's codes (the installed dlpack.h, 0.6, has no name for them).
      {MPCOMM_BOOL, 1, "bool", 6, 8},
      {MPCOMM_INT16, 2, "int16", kDLInt, 16},
      {MPCOMM_UINT16, 2, "uint16", kDLUInt, 16},
      {MPCOMM_UINT32, 4, "uint32", kDLUInt, 32},
      {MPCOMM_UINT64, 8, "uint64", kDLUInt, 64},
      {MPCOMM_FLOAT8_E4M3FN, 1, "float8_e4m3fn", 10, 8},
      {MPCOMM_FLOAT8_E5M2, 1, "float8_e5m2", 12, 8},
  };
  ASSERT_EQ(sizeof expected / sizeof expected[0], static_cast<size_t>(MPCOMM_NUM_DATATYPES));
  for (const auto &e : expected) {
    EXPECT_EQ(element_size(e.dtype), e.size) << e.name;
    EXPECT_STREQ(datatype_name(e.dtype), e.name);
    const DLDataType dl = to_dl(e.dtype);
    EXPECT_EQ(dl.code, e.code) << e.name;
    EXPECT_EQ(dl.bits, e.bits) << e.name;
    EXPECT_EQ(dl.lanes, 1) << e.name;
    EXPECT_EQ(from_dl(dl, "in"), e.dtype) << e.name;
  }
  EXPECT_TRUE(is_integer(MPCOMM_UINT8));
  EXPECT_TRUE(is_integer(MPCOMM_UINT64));
  EXPECT_TRUE(is_integer(MPCOMM_INT16));
  EXPECT_FALSE(is_integer(MPCOMM_FLOAT16));
  EXPECT_FALSE(is_integer(MPCOMM_BOOL));
  for (mpcomm_datatype_t t : {MPCOMM_BOOL, MPCOMM_FLOAT8_E4M3FN, MPCOMM_FLOAT8_E5M2}) {
    EXPECT_FALSE(is_reducible(t));
    expect_error([t] { require_reducible(t, "in.dtype"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.dtype ", datatype_name(t), " does not reduce"});
  }
  EXPECT_TRUE(is_reducible(MPCOMM_UINT16));
  EXPECT_TRUE(is_16bit_float(MPCOMM_BFLOAT16));
  EXPECT_FALSE(is_16bit_float(MPCOMM_INT32));
  EXPECT_STREQ(datatype_name(static_cast<mpcomm_datatype_t>(42)), "unknown");
}

TEST(Datatype, RejectsUnknownValuesNamingThem) {
  expect_error([] { validate_datatype(static_cast<mpcomm_datatype_t>(15), "dtype"); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"dtype (15)", "mpcomm_datatype_t"});
  expect_error([] { validate_datatype(static_cast<mpcomm_datatype_t>(-1)); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"datatype (-1)"});
  expect_error([] { element_size(static_cast<mpcomm_datatype_t>(99)); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"(99)"});
  expect_error(
      [] {
        from_dl({kDLFloat, 32, 4}, "out");
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"out.dtype.lanes must be 1, got 4"});
  expect_error(
      [] {
        from_dl({kDLComplex, 64, 1}, "in");
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"in.dtype (code 5, bits 64) is not supported"});
  expect_error(
      [] {
        from_dl({kDLUInt, 24, 1}, "in");
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"in.dtype (code 1, bits 24)"});
  expect_error(
      [] {
        from_dl({6, 1, 1}, "in");  // a bool of one bit: DLPack's bool is 8 bits
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"in.dtype (code 6, bits 1)"});
  expect_error(
      [] {
        from_dl({11, 8, 1}, "in");  // kDLFloat8_e4m3fnuz: not one of ours
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"in.dtype (code 11, bits 8)"});
  expect_error(
      [] {
        from_dl({kDLBfloat, 32, 1}, "in");
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"code 4, bits 32"});
}

TEST(ReduceOp, NamesAndValidation) {
  EXPECT_STREQ(op_name(MPCOMM_SUM), "sum");
  EXPECT_STREQ(op_name(MPCOMM_PROD), "prod");
  EXPECT_STREQ(op_name(MPCOMM_MAX), "max");
  EXPECT_STREQ(op_name(MPCOMM_MIN), "min");
  EXPECT_STREQ(op_name(MPCOMM_AVG), "avg");
  EXPECT_STREQ(op_name(static_cast<mpcomm_op_t>(7)), "unknown");
  for (int op = 0; op < MPCOMM_NUM_OPS; ++op) validate_op(static_cast<mpcomm_op_t>(op));
  expect_error([] { validate_op(static_cast<mpcomm_op_t>(5)); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"op (5)", "mpcomm_op_t"});
  expect_error([] { validate_op(static_cast<mpcomm_op_t>(-3), "reduce"); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"reduce (-3)"});
}

TEST(ReduceOp, AverageDivisionTruncatesIntegersTowardZero) {
  std::vector<int8_t> i8 = {7, -7, 127, -128};
  divide_in_place(i8.data(), i8.size(), MPCOMM_INT8, 2);
  EXPECT_EQ(i8, (std::vector<int8_t>{3, -3, 63, -64}));
  std::vector<int8_t> big_divisor = {100, -100};  // a divisor that int8 cannot hold
  divide_in_place(big_divisor.data(), big_divisor.size(), MPCOMM_INT8, 200);
  EXPECT_EQ(big_divisor, (std::vector<int8_t>{0, 0}));
  std::vector<uint64_t> u64 = {UINT64_MAX, 9};  // beyond INT64_MAX: divides unsigned
  divide_in_place(u64.data(), u64.size(), MPCOMM_UINT64, 2);
  EXPECT_EQ(u64, (std::vector<uint64_t>{UINT64_MAX / 2, 4}));
  std::vector<int16_t> i16 = {-7, 32767};
  divide_in_place(i16.data(), i16.size(), MPCOMM_INT16, 2);
  EXPECT_EQ(i16, (std::vector<int16_t>{-3, 16383}));
  std::vector<uint8_t> u8 = {255, 5};
  divide_in_place(u8.data(), u8.size(), MPCOMM_UINT8, 4);
  EXPECT_EQ(u8, (std::vector<uint8_t>{63, 1}));
  std::vector<int32_t> i32 = {-9, 9};
  divide_in_place(i32.data(), i32.size(), MPCOMM_INT32, 4);
  EXPECT_EQ(i32, (std::vector<int32_t>{-2, 2}));
  std::vector<int64_t> i64 = {INT64_MIN, 10};
  divide_in_place(i64.data(), i64.size(), MPCOMM_INT64, 3);
  EXPECT_EQ(i64, (std::vector<int64_t>{INT64_MIN / 3, 3}));
  std::vector<float> f32 = {6.0f, 1.0f};
  divide_in_place(f32.data(), f32.size(), MPCOMM_FLOAT32, 4);
  EXPECT_EQ(f32, (std::vector<float>{1.5f, 0.25f}));
  std::vector<double> f64 = {1.0};
  divide_in_place(f64.data(), f64.size(), MPCOMM_FLOAT64, 3);
  EXPECT_EQ(f64[0], 1.0 / 3.0);
  using namespace mpcomm::half;
  std::vector<uint16_t> f16 = {float_to_float16(6.0f), float_to_float16(1.0f)};
  divide_in_place(f16.data(), f16.size(), MPCOMM_FLOAT16, 3);
  EXPECT_EQ(f16[0], float_to_float16(2.0f));
  EXPECT_EQ(f16[1], float_to_float16(1.0f / 3.0f));
  std::vector<uint16_t> bf16 = {float_to_bfloat16(-6.0f)};
  divide_in_place(bf16.data(), bf16.size(), MPCOMM_BFLOAT16, 4);
  EXPECT_EQ(bf16[0], float_to_bfloat16(-1.5f));
}

// A caller's device_type is read as the integer it stored: values outside DLDeviceType are
// neither host nor device memory, and messages name them (UBSan: no load of an invalid enum).
TEST(Tensor, DeviceTypesOutsideTheEnumAreReadAsIntegers) {
  DLTensor t{};
  const int32_t foreign = 99;
  std::memcpy(&t.device.device_type, &foreign, sizeof foreign);
  EXPECT_EQ(device_type_of(t.device), 99);
  EXPECT_FALSE(on_host(t));
  EXPECT_FALSE(on_cuda_device(t));
  EXPECT_EQ(device_string(t.device), "device type 99:0");
  expect_error([&] { require_on_host(t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"in is on device type 99:0"});
}

TEST(Buffer, CheckedBytesAndOverlap) {
  EXPECT_EQ(checked_bytes(10, 4, "count"), 40u);
  EXPECT_EQ(checked_bytes(0, 8, "count"), 0u);
  expect_error([] { checked_bytes(SIZE_MAX / 2, 4, "count"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"count (", "overflows"});
  char buf[16];
  EXPECT_TRUE(bytes_overlap(buf, 8, buf + 7, 8));
  EXPECT_FALSE(bytes_overlap(buf, 8, buf + 8, 8));
  EXPECT_FALSE(bytes_overlap(buf + 8, 8, buf, 8));
  EXPECT_FALSE(bytes_overlap(buf, 0, buf, 8));
  EXPECT_TRUE(bytes_overlap(buf + 2, 1, buf, 16));
}

TEST(Tensor, ValidViewHasSizesAndOffset) {
  TestTensor a({2, 3, 4});
  a.t.byte_offset = 8;
  const TensorView v = validate_tensor(&a.t, "in");
  EXPECT_EQ(v.numel, 24u);
  EXPECT_EQ(v.nbytes, 96u);
  EXPECT_EQ(v.dtype, MPCOMM_FLOAT32);
  EXPECT_EQ(v.ndim, 3);
  EXPECT_EQ(v.data, a.storage.data() + 8);
  EXPECT_EQ(numel(a.t), 24u);
  EXPECT_EQ(nbytes(a.t), 96u);
  EXPECT_EQ(shape_string(v), "[2, 3, 4]");

  TestTensor scalar({}, {kDLInt, 64, 1});
  const TensorView s = validate_tensor(&scalar.t, "in");
  EXPECT_EQ(s.numel, 1u);
  EXPECT_EQ(s.nbytes, 8u);
  EXPECT_EQ(shape_string(s), "[]");

  TestTensor empty({3, 0}, {kDLBfloat, 16, 1});
  empty.t.data = nullptr;  // no elements: data may be NULL
  const TensorView e = validate_tensor(&empty.t, "out");
  EXPECT_EQ(e.numel, 0u);
  EXPECT_EQ(e.data, nullptr);
  EXPECT_EQ(e.dtype, MPCOMM_BFLOAT16);
}

TEST(Tensor, EveryInvalidFieldIsNamedWithItsValue) {
  expect_error([] { validate_tensor(nullptr, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"in must not be NULL"});
  {
    TestTensor a({2});
    a.t.ndim = -1;
    expect_error([&] { validate_tensor(&a.t, "out"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"out.ndim must be >= 0, got -1"});
  }
  {
    TestTensor a({2});
    a.t.shape = nullptr;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.shape must not be NULL when ndim (1) > 0"});
  }
  {
    // More dimensions than a receiver accepts are refused before anything travels.
    TestTensor a({1});
    a.shape.assign(33, 1);
    a.t.shape = a.shape.data();
    a.t.ndim = 33;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.ndim must be <= 32, got 33"});
    a.t.ndim = 32;
    EXPECT_EQ(validate_tensor(&a.t, "in").numel, 1u);
  }
  {
    // A byte_offset that wraps the address space would point before the buffer.
    TestTensor a({4});
    a.t.byte_offset = UINT64_MAX - 2;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.byte_offset (18446744073709551613)", "past the end of the address space"});
  }
  {
    TestTensor a({2, 3});
    a.shape[1] = -3;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.shape[1] must be >= 0, got -3"});
  }
  {
    TestTensor a({2});
    a.t.dtype.lanes = 2;
    expect_error([&] { validate_tensor(&a.t, "out"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"out.dtype.lanes must be 1, got 2"});
  }
  {
    TestTensor a({2});
    a.t.dtype = {kDLFloat, 8, 1};
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.dtype (code 2, bits 8) is not supported"});
  }
  {
    TestTensor a({2, 5});
    a.t.data = nullptr;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in.data must not be NULL: it has 10 elements"});
  }
  {
    TestTensor a({1});
    a.shape = {INT64_MAX, INT64_MAX};
    a.t.shape = a.shape.data();
    a.t.ndim = 2;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in has more elements than a size_t counts"});
  }
  {
    TestTensor a({1});
    a.shape = {int64_t{1} << 32, int64_t{1} << 32};  // wraps to 0 in 64 bits: still too many
    a.t.shape = a.shape.data();
    a.t.ndim = 2;
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in has more elements than a size_t counts"});
    a.shape = {int64_t{1} << 32, int64_t{1} << 32, 0};  // but no elements at all is fine
    a.t.ndim = 3;
    a.t.shape = a.shape.data();
    EXPECT_EQ(validate_tensor(&a.t, "in").numel, 0u);
  }
  {
    TestTensor a({1});
    a.shape = {INT64_MAX};  // elements fit a size_t, bytes do not
    a.t.shape = a.shape.data();
    expect_error([&] { validate_tensor(&a.t, "out"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"out (", "overflows size_t"});
  }
  {
    TestTensor a({2, 3});
    a.set_strides({1, 2});  // column-major
    expect_error([&] { validate_tensor(&a.t, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
                 {"in is not contiguous (strides [1, 2] for shape [2, 3])"});
  }
}

TEST(Tensor, Contiguity) {
  TestTensor a({2, 3, 4});
  EXPECT_TRUE(is_contiguous(a.t));  // strides NULL
  a.set_strides({12, 4, 1});
  EXPECT_TRUE(is_contiguous(a.t));
  a.set_strides({12, 4, 2});
  EXPECT_FALSE(is_contiguous(a.t));
  a.set_strides({24, 4, 1});  // a slice of a larger tensor
  EXPECT_FALSE(is_contiguous(a.t));
  a.set_strides({4, 8, 1});  // a transpose
  EXPECT_FALSE(is_contiguous(a.t));

  TestTensor ones({1, 3, 1});
  ones.set_strides({99, 1, -5});  // strides of extent-1 dimensions do not matter
  EXPECT_TRUE(is_contiguous(ones.t));
  EXPECT_NO_THROW(validate_tensor(&ones.t, "in"));

  TestTensor empty({2, 0, 3});
  empty.set_strides({7, 7, 7});
  EXPECT_TRUE(is_contiguous(empty.t));
}

TEST(Tensor, Devices) {
  TestTensor cpu({2}), pinned({2}), gpu0({2}), gpu1({2}), managed({2});
  pinned.t.device = {kDLCUDAHost, 0};
  gpu0.t.device = {kDLCUDA, 0};
  gpu1.t.device = {kDLCUDA, 1};
  managed.t.device = {kDLCUDAManaged, 0};
  EXPECT_TRUE(on_host(cpu.t));
  EXPECT_TRUE(on_host(pinned.t));
  EXPECT_FALSE(on_host(gpu0.t));
  EXPECT_TRUE(on_cuda_device(gpu1.t));
  EXPECT_TRUE(on_cuda_device(managed.t));
  EXPECT_FALSE(on_cuda_device(cpu.t));
  EXPECT_TRUE(same_device(cpu.t, pinned.t));
  EXPECT_TRUE(same_device(gpu0.t, gpu0.t));
  EXPECT_FALSE(same_device(gpu0.t, gpu1.t));
  EXPECT_FALSE(same_device(cpu.t, gpu0.t));
  EXPECT_FALSE(same_device(gpu0.t, managed.t));
  EXPECT_EQ(device_string(gpu1.t.device), "cuda:1");
  EXPECT_EQ(device_string(pinned.t.device), "cuda_host");
  EXPECT_NO_THROW(require_on_host(pinned.t, "in"));
  expect_error([&] { require_on_host(gpu1.t, "out"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"out is on cuda:1, not in host memory"});
}

TEST(Tensor, DimNormalisation) {
  EXPECT_EQ(normalize_dim(0, 3, "in"), 0);
  EXPECT_EQ(normalize_dim(2, 3, "in"), 2);
  EXPECT_EQ(normalize_dim(-1, 3, "in"), 2);
  EXPECT_EQ(normalize_dim(-3, 3, "in"), 0);
  expect_error([] { normalize_dim(3, 3, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"dim (3) must be in [-3, 3) for in of ndim 3"});
  expect_error([] { normalize_dim(-4, 3, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT, {"dim (-4)"});
  expect_error([] { normalize_dim(0, 0, "in"); }, MPCOMM_ERR_INVALID_ARGUMENT,
               {"dim (0) must be in [0, 0)"});
}

}  // namespace
