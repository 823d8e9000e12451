// The host data plane on MPI_COMM_WORLD: every operation, dtype and op, in and out of place,
// with integer-valued inputs whose results are exact in every dtype, against references
// computed here element by element. Runs at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "expect_error.hpp"
#include "host/host_collectives.hpp"
#include "host/mpi_count.hpp"
#include "host/tensor_collectives.hpp"

namespace {

using namespace mpcomm;
using namespace mpcomm::host;
namespace half = mpcomm::half;

const mpcomm_datatype_t kAllDtypes[] = {MPCOMM_INT8,    MPCOMM_UINT8,   MPCOMM_INT32,
                                        MPCOMM_INT64,   MPCOMM_FLOAT16, MPCOMM_BFLOAT16,
                                        MPCOMM_FLOAT32, MPCOMM_FLOAT64};
const mpcomm_op_t kAllOps[] = {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG};

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}
int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// Element i of a buffer of dtype, as a double (every test value is exact in every dtype).
double get(const std::vector<unsigned char> &buf, mpcomm_datatype_t dtype, size_t i) {
  const unsigned char *p = buf.data() + i * element_size(dtype);
  switch (dtype) {
    case MPCOMM_INT8: {
      int8_t v;
      std::memcpy(&v, p, 1);
      return v;
    }
    case MPCOMM_UINT8: return *p;
    case MPCOMM_INT32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case MPCOMM_INT64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
    case MPCOMM_FLOAT16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return half::float16_to_float(v);
    }
    case MPCOMM_BFLOAT16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return half::bfloat16_to_float(v);
    }
    case MPCOMM_FLOAT32: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case MPCOMM_FLOAT64: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    default: break;
  }
  ADD_FAILURE() << "bad dtype";
  return 0;
}

void put(std::vector<unsigned char> &buf, mpcomm_datatype_t dtype, size_t i, double x) {
  unsigned char *p = buf.data() + i * element_size(dtype);
  switch (dtype) {
    case MPCOMM_INT8: {
      int8_t v = static_cast<int8_t>(x);
      std::memcpy(p, &v, 1);
      return;
    }
    case MPCOMM_UINT8: {
      *p = static_cast<uint8_t>(x);
      return;
    }
    case MPCOMM_INT32: {
      int32_t v = static_cast<int32_t>(x);
      std::memcpy(p, &v, 4);
      return;
    }
    case MPCOMM_INT64: {
      int64_t v = static_cast<int64_t>(x);
      std::memcpy(p, &v, 8);
      return;
    }
    case MPCOMM_FLOAT16: {
      uint16_t v = half::float_to_float16(static_cast<float>(x));
      std::memcpy(p, &v, 2);
      return;
    }
    case MPCOMM_BFLOAT16: {
      uint16_t v = half::float_to_bfloat16(static_cast<float>(x));
      std::memcpy(p, &v, 2);
      return;
    }
    case MPCOMM_FLOAT32: {
      float v = static_cast<float>(x);
      std::memcpy(p, &v, 4);
      return;
    }
    case MPCOMM_FLOAT64: {
      std::memcpy(p, &x, 8);
      return;
    }
    default: break;
  }
  ADD_FAILURE() << "bad dtype";
}

std::vector<unsigned char> buffer(size_t count, mpcomm_datatype_t dtype) {
  return std::vector<unsigned char>(count * element_size(dtype) + 1, 0xEE);
}

bool is_signed(mpcomm_datatype_t dtype) { return dtype != MPCOMM_UINT8; }

// Rank r's element i for an op: small integers whose reduction over 4 ranks stays exact in
// every dtype (int8 sums below 127, products below 16).
double input_value(mpcomm_op_t op, mpcomm_datatype_t dtype, int rank, size_t i) {
  switch (op) {
    case MPCOMM_PROD: {
      const double v = 1 + static_cast<double>((i + rank) % 2);
      return is_signed(dtype) && (i + rank) % 3 == 0 ? -v : v;
    }
    case MPCOMM_MAX:
    case MPCOMM_MIN:
      return static_cast<double>((i * 7 + rank * 3) % 11) - (is_signed(dtype) ? 5 : 0);
    default:  // SUM, AVG: sums that do not divide evenly, negative for signed types
      return static_cast<double>((i + 3 * rank) % 6) - (is_signed(dtype) && i % 2 ? 5 : 0);
  }
}

double reduce_reference(mpcomm_op_t op, mpcomm_datatype_t dtype, int size, size_t i) {
  double r = input_value(op, dtype, 0, i);
  for (int rank = 1; rank < size; ++rank) {
    const double v = input_value(op, dtype, rank, i);
    switch (op) {
      case MPCOMM_PROD: r *= v; break;
      case MPCOMM_MAX: r = v > r ? v : r; break;
      case MPCOMM_MIN: r = v < r ? v : r; break;
      default: r += v; break;
    }
  }
  if (op == MPCOMM_AVG) {
    if (is_integer(dtype)) return static_cast<double>(static_cast<int64_t>(r) / size);
    return r / size;  // size is a power of two here: exact
  }
  return r;
}

std::string what(mpcomm_datatype_t dtype, mpcomm_op_t op, size_t count) {
  return mpcomm::concat(datatype_name(dtype), " ", op_name(op), " count ", count);
}

using mpcomm::test::expect_error;

void check_all_reduce(size_t count) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    for (mpcomm_op_t op : kAllOps) {
      auto send = buffer(count, dtype), recv = buffer(count, dtype);
      for (size_t i = 0; i < count; ++i) put(send, dtype, i, input_value(op, dtype, rank, i));
      auto inplace = send;
      all_reduce(MPI_COMM_WORLD, send.data(), recv.data(), count, dtype, op);
      all_reduce(MPI_COMM_WORLD, inplace.data(), inplace.data(), count, dtype, op);
      for (size_t i = 0; i < count; ++i) {
        const double expected = reduce_reference(op, dtype, size, i);
        ASSERT_EQ(get(recv, dtype, i), expected) << what(dtype, op, count) << " i " << i;
        ASSERT_EQ(get(inplace, dtype, i), expected)
            << "in place " << what(dtype, op, count) << " i " << i;
        ASSERT_EQ(get(send, dtype, i), input_value(op, dtype, rank, i)) << "send changed";
      }
      EXPECT_EQ(recv.back(), 0xEE) << "wrote past the end";
    }
  }
}

TEST(HostAllReduce, EveryDtypeAndOpInAndOutOfPlace) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}, size_t{4099}})
    check_all_reduce(count);
}

TEST(HostAllReduce, ChunkedBeyondTheCountLimit) {
  const CountLimitForTesting limit(7);
  for (size_t count : {size_t{5}, size_t{28}, size_t{30}}) check_all_reduce(count);
}

TEST(HostAllReduce, AverageOfIntegersTruncatesTowardZero) {
  const int size = world_size(), rank = world_rank();
  // Only rank 0 contributes: -5 and 5 averaged over the ranks.
  std::vector<int32_t> v = {rank == 0 ? -5 : 0, rank == 0 ? 5 : 0};
  all_reduce(MPI_COMM_WORLD, v.data(), v.data(), v.size(), MPCOMM_INT32, MPCOMM_AVG);
  EXPECT_EQ(v[0], -5 / size);
  EXPECT_EQ(v[1], 5 / size);
}

TEST(HostAllReduce, SixteenBitSumsAreRoundedFromFloat32) {
  const int size = world_size(), rank = world_rank();
  if (size != 2) GTEST_SKIP() << "needs exactly 2 ranks";
  // 2048 + 1 = 2049 is not a float16 (spacing 2): one rounding gives 2048 on both ranks.
  uint16_t v = half::float_to_float16(rank == 0 ? 2048.0f : 1.0f);
  all_reduce(MPI_COMM_WORLD, &v, &v, 1, MPCOMM_FLOAT16, MPCOMM_SUM);
  EXPECT_EQ(half::float16_to_float(v), 2048.0f);
  uint16_t b = half::float_to_bfloat16(rank == 0 ? 256.0f : 3.0f);  // 259 -> 260 (spacing 2)
  all_reduce(MPI_COMM_WORLD, &b, &b, 1, MPCOMM_BFLOAT16, MPCOMM_SUM);
  EXPECT_EQ(half::bfloat16_to_float(b), 260.0f);
}

TEST(HostAllReduce, BadArgumentsAreRefusedBeforeMpi) {
  float a[4] = {}, b[4] = {};
  expect_error(
      [&] { all_reduce(MPI_COMM_WORLD, a, b, 4, static_cast<mpcomm_datatype_t>(99), MPCOMM_SUM); },
      MPCOMM_ERR_INVALID_ARGUMENT, {"dtype (99)"});
  expect_error(
      [&] { all_reduce(MPI_COMM_WORLD, a, b, 4, MPCOMM_FLOAT32, static_cast<mpcomm_op_t>(11)); },
      MPCOMM_ERR_INVALID_ARGUMENT, {"op (11)"});
  expect_error([&] { all_reduce(MPI_COMM_WORLD, nullptr, b, 4, MPCOMM_FLOAT32, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"send must not be NULL when count (4) > 0"});
  expect_error([&] { all_reduce(MPI_COMM_WORLD, a, nullptr, 4, MPCOMM_FLOAT32, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"recv must not be NULL"});
  expect_error([&] { all_reduce(MPI_COMM_WORLD, a, a + 1, 3, MPCOMM_FLOAT32, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"send and recv must not overlap"});
  expect_error([&] { all_reduce(MPI_COMM_NULL, a, b, 4, MPCOMM_FLOAT32, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"comm must not be MPI_COMM_NULL"});
  expect_error([&] { all_reduce(MPI_COMM_WORLD, a, b, SIZE_MAX / 2, MPCOMM_FLOAT32, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"count (", "overflows size_t"});
  // count 0 with NULL buffers is fine
  EXPECT_NO_THROW(all_reduce(MPI_COMM_WORLD, nullptr, nullptr, 0, MPCOMM_INT8, MPCOMM_MAX));
}

void check_broadcast(size_t count) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    for (int root = 0; root < size; ++root) {
      auto buf = buffer(count, dtype);
      for (size_t i = 0; i < count; ++i)
        put(buf, dtype, i, rank == root ? static_cast<double>((i + root) % 50) : 99.0);
      broadcast(MPI_COMM_WORLD, buf.data(), count, dtype, root);
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(get(buf, dtype, i), static_cast<double>((i + root) % 50))
            << datatype_name(dtype) << " root " << root << " count " << count << " i " << i;
      EXPECT_EQ(buf.back(), 0xEE);
    }
  }
}

TEST(HostBroadcast, EveryDtypeFromEveryRoot) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{1000}}) check_broadcast(count);
  const CountLimitForTesting limit(7);
  for (size_t count : {size_t{7}, size_t{28}, size_t{30}}) check_broadcast(count);
}

TEST(HostBroadcast, RootOutOfRange) {
  int v = 0;
  const int size = world_size();
  expect_error([&] { broadcast(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, size); },
               MPCOMM_ERR_INVALID_ARGUMENT,
               {mpcomm::concat("root (", size, ") must be in [0, ", size, ")").c_str()});
  expect_error([&] { broadcast(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, -1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"root (-1)"});
  expect_error([&] { broadcast(MPI_COMM_WORLD, nullptr, 1, MPCOMM_INT32, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"buf must not be NULL"});
}

// Ring exchange: each rank sends to the next and receives from the previous.
void check_ring(size_t count) {
  const int size = world_size(), rank = world_rank();
  const int next = (rank + 1) % size, prev = (rank - 1 + size) % size;
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    auto out = buffer(count, dtype), in = buffer(count, dtype);
    for (size_t i = 0; i < count; ++i) put(out, dtype, i, static_cast<double>((i * 3 + rank) % 40));
    if (rank % 2 == 0) {
      send(MPI_COMM_WORLD, out.data(), count, dtype, next, 5);
      recv(MPI_COMM_WORLD, in.data(), count, dtype, prev, 5);
    } else {
      recv(MPI_COMM_WORLD, in.data(), count, dtype, prev, 5);
      send(MPI_COMM_WORLD, out.data(), count, dtype, next, 5);
    }
    for (size_t i = 0; i < count; ++i)
      ASSERT_EQ(get(in, dtype, i), static_cast<double>((i * 3 + prev) % 40))
          << datatype_name(dtype) << " count " << count << " i " << i;
    EXPECT_EQ(in.back(), 0xEE);
  }
}

TEST(HostSendRecv, RingOfEveryDtype) {
  if (world_size() % 2 != 0) GTEST_SKIP() << "the ring pairs ranks: needs an even size";
  for (size_t count : {size_t{0}, size_t{1}, size_t{1000}}) check_ring(count);
  const CountLimitForTesting limit(7);
  for (size_t count : {size_t{7}, size_t{28}, size_t{30}}) check_ring(count);
}

TEST(HostSendRecv, PeerMustBeAnotherRankInRange) {
  const int size = world_size(), rank = world_rank();
  int v = 0;
  expect_error([&] { send(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, rank, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT,
               {mpcomm::concat("dst (", rank, ") must not be the caller's own rank").c_str()});
  expect_error([&] { recv(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, rank, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"src (", "own rank"});
  expect_error([&] { send(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, size, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {mpcomm::concat("dst (", size, ")").c_str()});
  expect_error([&] { recv(MPI_COMM_WORLD, &v, 1, MPCOMM_INT32, -2, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"src (-2) must be in [0, "});
  expect_error([&] { send(MPI_COMM_WORLD, nullptr, 1, MPCOMM_INT32, 0, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"buf must not be NULL"});
}

// A communicator whose MPI errors return, as the library's groups have.
class ReturningComm {
 public:
  ReturningComm() {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  }
  ~ReturningComm() { MPI_Comm_free(&comm_); }
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

TEST(HostSendRecv, MismatchedCountsAreReported) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const int rank = world_rank();
  ReturningComm comm;
  double data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  if (rank == 0) {
    send(comm.get(), data, 3, MPCOMM_FLOAT64, 1, 1);  // shorter than the receiver expects
    send(comm.get(), data, 8, MPCOMM_FLOAT64, 1, 2);  // longer
  } else if (rank == 1) {
    double got[8] = {};
    expect_error([&] { recv(comm.get(), got, 5, MPCOMM_FLOAT64, 0, 1); }, MPCOMM_ERR_INVALID_USAGE,
                 {"rank 0 sent fewer than count (5) elements of float64"});
    expect_error([&] { recv(comm.get(), got, 4, MPCOMM_FLOAT64, 0, 2); }, MPCOMM_ERR_MPI,
                 {"MPI_Recv failed: "});
  }
}

TEST(MpiCheck, FailureCarriesTheCallAndMpiText) {
  expect_error([] { mpcomm::mpi_check(MPI_ERR_COUNT, "MPI_Bcast"); }, MPCOMM_ERR_MPI,
               {"MPI_Bcast failed: "});
  EXPECT_NO_THROW(mpcomm::mpi_check(MPI_SUCCESS, "MPI_Bcast"));
}

void check_flat_gathers(size_t count) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    auto in = buffer(count, dtype);
    for (size_t i = 0; i < count; ++i) put(in, dtype, i, static_cast<double>((i + 7 * rank) % 60));
    auto out = buffer(count * size, dtype);
    all_gather(MPI_COMM_WORLD, in.data(), out.data(), count, dtype);
    for (int r = 0; r < size; ++r)
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(get(out, dtype, r * count + i), static_cast<double>((i + 7 * r) % 60))
            << "all_gather " << datatype_name(dtype) << " count " << count << " r " << r;
    EXPECT_EQ(out.back(), 0xEE);
    for (int root = 0; root < size; ++root) {
      auto gathered = buffer(count * size, dtype);
      gather(MPI_COMM_WORLD, in.data(), rank == root ? gathered.data() : nullptr, count, dtype,
             root);
      if (rank != root) continue;
      for (int r = 0; r < size; ++r)
        for (size_t i = 0; i < count; ++i)
          ASSERT_EQ(get(gathered, dtype, r * count + i), static_cast<double>((i + 7 * r) % 60))
              << "gather " << datatype_name(dtype) << " count " << count << " root " << root;
    }
  }
}

TEST(HostGather, AllGatherAndGatherOfEveryDtype) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{999}}) check_flat_gathers(count);
  const CountLimitForTesting limit(7);
  for (size_t count : {size_t{7}, size_t{28}, size_t{30}}) check_flat_gathers(count);
}

TEST(HostGather, BadArguments) {
  const int size = world_size();
  std::vector<float> in(4), out(4 * size);
  expect_error([&] { all_gather(MPI_COMM_WORLD, out.data() + 1, out.data(), 2, MPCOMM_FLOAT32); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"in and out must not overlap"});
  expect_error([&] { gather(MPI_COMM_WORLD, in.data(), out.data(), 4, MPCOMM_FLOAT32, size); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"root ("});
  if (world_rank() == 0)
    expect_error([&] { gather(MPI_COMM_WORLD, in.data(), nullptr, 4, MPCOMM_FLOAT32, 0); },
                 MPCOMM_ERR_INVALID_ARGUMENT, {"out must not be NULL"});
}

void check_reduce_scatter(size_t count_per_rank) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    for (mpcomm_op_t op : kAllOps) {
      const size_t total = count_per_rank * size;
      auto in = buffer(total, dtype), out = buffer(count_per_rank, dtype);
      for (size_t i = 0; i < total; ++i) put(in, dtype, i, input_value(op, dtype, rank, i));
      reduce_scatter(MPI_COMM_WORLD, in.data(), out.data(), count_per_rank, dtype, op);
      for (size_t i = 0; i < count_per_rank; ++i)
        ASSERT_EQ(get(out, dtype, i), reduce_reference(op, dtype, size, rank * count_per_rank + i))
            << what(dtype, op, count_per_rank) << " i " << i;
      EXPECT_EQ(out.back(), 0xEE);
    }
  }
}

TEST(HostReduceScatter, EveryDtypeAndOp) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{333}}) check_reduce_scatter(count);
  const CountLimitForTesting limit(7);
  for (size_t count : {size_t{7}, size_t{16}}) check_reduce_scatter(count);
}

// ---------------------------------------------------------------- shaped operations

// A contiguous host tensor of a dtype.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
  mpcomm_datatype_t dtype;
  DLTensor t{};

  Tensor(std::vector<int64_t> s, mpcomm_datatype_t d) : shape(std::move(s)), dtype(d) {
    bytes = buffer(numel(), dtype);
    t.data = bytes.data();
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int>(shape.size());
    t.dtype = to_dl(dtype);
    t.shape = shape.data();
  }
  size_t numel() const {
    size_t n = 1;
    for (int64_t e : shape) n *= static_cast<size_t>(e);
    return n;
  }
  // Row-major index of a multi-index.
  size_t index(const std::vector<int64_t> &idx) const {
    size_t flat = 0;
    for (size_t k = 0; k < shape.size(); ++k) flat = flat * shape[k] + idx[k];
    return flat;
  }
  // Calls fn(multi-index, flat index) for every element.
  void for_each(const std::function<void(const std::vector<int64_t> &, size_t)> &fn) const {
    std::vector<int64_t> idx(shape.size(), 0);
    for (size_t flat = 0; flat < numel(); ++flat) {
      fn(idx, flat);
      for (int k = static_cast<int>(shape.size()) - 1; k >= 0; --k) {
        if (++idx[k] < shape[k]) break;
        idx[k] = 0;
      }
    }
  }
};

// Rank r's value at flat index i of its input.
double tensor_value(int r, size_t i) { return static_cast<double>((i * 5 + r * 11) % 64); }

const int kDims[] = {0, 1, 2, -1, -2, -3};
const std::vector<int64_t> kShape = {2, 3, 4};

TEST(HostTensor, AllGatherAlongEveryDim) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : {MPCOMM_FLOAT32, MPCOMM_BFLOAT16, MPCOMM_INT64, MPCOMM_UINT8}) {
    for (int dim : kDims) {
      const int d = dim < 0 ? dim + 3 : dim;
      Tensor in(kShape, dtype);
      in.for_each([&](const std::vector<int64_t> &, size_t i) {
        put(in.bytes, dtype, i, tensor_value(rank, i));
      });
      std::vector<int64_t> out_shape = kShape;
      out_shape[d] *= size;
      Tensor out(out_shape, dtype);
      all_gather_tensor(MPI_COMM_WORLD, &in.t, &out.t, dim);
      // Element idx of out comes from rank idx[d] / in.shape[d], at idx[d] % in.shape[d].
      out.for_each([&](const std::vector<int64_t> &idx, size_t flat) {
        std::vector<int64_t> src = idx;
        const int r = static_cast<int>(idx[d] / kShape[d]);
        src[d] = idx[d] % kShape[d];
        ASSERT_EQ(get(out.bytes, dtype, flat), tensor_value(r, in.index(src)))
            << datatype_name(dtype) << " dim " << dim << " flat " << flat;
      });
      EXPECT_EQ(out.bytes.back(), 0xEE);
    }
  }
}

TEST(HostTensor, GatherAlongEveryDimOnlyAtDst) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : {MPCOMM_FLOAT16, MPCOMM_INT32}) {
    for (int dim : kDims) {
      const int d = dim < 0 ? dim + 3 : dim;
      const int dst = size - 1;
      Tensor in(kShape, dtype);
      in.for_each([&](const std::vector<int64_t> &, size_t i) {
        put(in.bytes, dtype, i, tensor_value(rank, i));
      });
      std::vector<int64_t> out_shape = kShape;
      out_shape[d] *= size;
      Tensor out(out_shape, dtype);
      gather_tensor(MPI_COMM_WORLD, &in.t, rank == dst ? &out.t : nullptr, dst, dim);
      if (rank != dst) continue;
      out.for_each([&](const std::vector<int64_t> &idx, size_t flat) {
        std::vector<int64_t> src = idx;
        const int r = static_cast<int>(idx[d] / kShape[d]);
        src[d] = idx[d] % kShape[d];
        ASSERT_EQ(get(out.bytes, dtype, flat), tensor_value(r, in.index(src)))
            << datatype_name(dtype) << " dim " << dim << " flat " << flat;
      });
    }
  }
}

TEST(HostTensor, ReduceScatterAlongEveryDim) {
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : {MPCOMM_FLOAT32, MPCOMM_BFLOAT16, MPCOMM_INT8}) {
    for (mpcomm_op_t op : {MPCOMM_SUM, MPCOMM_MAX, MPCOMM_AVG}) {
      for (int dim : kDims) {
        const int d = dim < 0 ? dim + 3 : dim;
        std::vector<int64_t> in_shape = kShape;
        in_shape[d] *= size;  // divisible by size
        Tensor in(in_shape, dtype);
        // Small values: an int8 sum over 4 ranks stays below 127.
        auto value = [&](int r, size_t i) { return static_cast<double>((i * 5 + r * 11) % 30); };
        in.for_each([&](const std::vector<int64_t> &, size_t i) {
          put(in.bytes, dtype, i, value(rank, i));
        });
        Tensor out(kShape, dtype);
        reduce_scatter_tensor(MPI_COMM_WORLD, &in.t, &out.t, dim, op);
        // Element idx of out reduces element idx + rank * kShape[d] along d of every input.
        out.for_each([&](const std::vector<int64_t> &idx, size_t flat) {
          std::vector<int64_t> src = idx;
          src[d] += rank * kShape[d];
          const size_t i = in.index(src);
          double expected = value(0, i);
          for (int r = 1; r < size; ++r) {
            const double v = value(r, i);
            expected = op == MPCOMM_MAX ? (v > expected ? v : expected) : expected + v;
          }
          if (op == MPCOMM_AVG)
            expected = is_integer(dtype)
                           ? static_cast<double>(static_cast<int64_t>(expected) / size)
                           : expected / size;
          ASSERT_EQ(get(out.bytes, dtype, flat), expected)
              << datatype_name(dtype) << " " << op_name(op) << " dim " << dim << " flat " << flat;
        });
      }
    }
  }
}

TEST(HostTensor, ShapeDtypeDeviceAndDimMismatchesNameTheNumbers) {
  const int size = world_size();
  Tensor in({2, 3, 4}, MPCOMM_FLOAT32);
  Tensor out({2, 3 * size + 1, 4}, MPCOMM_FLOAT32);
  expect_error(
      [&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &out.t, 1); }, MPCOMM_ERR_INVALID_ARGUMENT,
      {mpcomm::concat("out.shape[1] (", 3 * size + 1, ") must be in.shape[dim] * size = ", 3 * size)
           .c_str(),
       "in has shape [2, 3, 4]"});
  Tensor wrong_other({2, 3 * size, 5}, MPCOMM_FLOAT32);
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &wrong_other.t, -2); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out.shape[2] (5) must equal in.shape[2] (4)"});
  Tensor wrong_dtype({2, 3 * size, 4}, MPCOMM_FLOAT16);
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &wrong_dtype.t, 1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out.dtype (float16) must equal in.dtype (float32)"});
  Tensor wrong_ndim({2 * size, 12}, MPCOMM_FLOAT32);
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &wrong_ndim.t, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out.ndim (2) must equal in.ndim (3)"});
  Tensor good({2, 3 * size, 4}, MPCOMM_FLOAT32);
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &good.t, 3); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"dim (3) must be in [-3, 3) for in of ndim 3"});
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, nullptr, 1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out must not be NULL"});
  good.t.device = {kDLCUDA, 0};
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &good.t, 1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out is on cuda:0, not in host memory"});
  good.t.device = {kDLCPU, 0};
  std::vector<int64_t> strides = {12, 1, 3};
  in.t.strides = strides.data();
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &in.t, &good.t, 1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"in is not contiguous"});
  in.t.strides = nullptr;
  // out overlapping in
  Tensor big({2, 3 * size, 4}, MPCOMM_FLOAT32);
  DLTensor alias = in.t;
  alias.data = big.t.data;
  expect_error([&] { all_gather_tensor(MPI_COMM_WORLD, &alias, &big.t, 1); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"in and out must not overlap"});

  // reduce_scatter: divisibility and the output extent
  Tensor rs_in({2, 4 * size + 1, 3}, MPCOMM_FLOAT32), rs_out({2, 4, 3}, MPCOMM_FLOAT32);
  if (size > 1) {
    expect_error([&] { reduce_scatter_tensor(MPI_COMM_WORLD, &rs_in.t, &rs_out.t, 1, MPCOMM_SUM); },
                 MPCOMM_ERR_INVALID_ARGUMENT,
                 {mpcomm::concat("in.shape[1] (", 4 * size + 1, ") must be divisible by the size (",
                                 size, ")")
                      .c_str()});
  }
  Tensor rs_in2({2, 4 * size, 3}, MPCOMM_FLOAT32), rs_bad({2, 5, 3}, MPCOMM_FLOAT32);
  expect_error([&] { reduce_scatter_tensor(MPI_COMM_WORLD, &rs_in2.t, &rs_bad.t, -2, MPCOMM_SUM); },
               MPCOMM_ERR_INVALID_ARGUMENT, {"out.shape[1] (5) must be in.shape[dim] / size = 4"});
  expect_error(
      [&] {
        reduce_scatter_tensor(MPI_COMM_WORLD, &rs_in2.t, &rs_out.t, 1, static_cast<mpcomm_op_t>(8));
      },
      MPCOMM_ERR_INVALID_ARGUMENT, {"op (8)"});

  // gather: dst range; out is checked at dst only
  expect_error([&] { gather_tensor(MPI_COMM_WORLD, &in.t, &good.t, size, 0); },
               MPCOMM_ERR_INVALID_ARGUMENT, {mpcomm::concat("dst (", size, ")").c_str()});
  if (world_rank() == 0)
    expect_error([&] { gather_tensor(MPI_COMM_WORLD, &in.t, nullptr, 0, 0); },
                 MPCOMM_ERR_INVALID_ARGUMENT, {"out must not be NULL"});
}

TEST(HostTensor, SingleProcessCommunicatorCopies) {
  // MPI_COMM_SELF has one process at every rank count: out becomes a copy of in.
  Tensor in({2, 3}, MPCOMM_FLOAT64), out({2, 3}, MPCOMM_FLOAT64);
  in.for_each([&](const std::vector<int64_t> &, size_t i) {
    put(in.bytes, MPCOMM_FLOAT64, i, static_cast<double>(i));
  });
  all_gather_tensor(MPI_COMM_SELF, &in.t, &out.t, -1);
  EXPECT_EQ(get(out.bytes, MPCOMM_FLOAT64, 5), 5.0);
  Tensor out2({2, 3}, MPCOMM_FLOAT64);
  reduce_scatter_tensor(MPI_COMM_SELF, &in.t, &out2.t, 0, MPCOMM_AVG);
  EXPECT_EQ(get(out2.bytes, MPCOMM_FLOAT64, 4), 4.0);
  Tensor out3({2, 3}, MPCOMM_FLOAT64);
  gather_tensor(MPI_COMM_SELF, &in.t, &out3.t, 0, 1);
  EXPECT_EQ(get(out3.bytes, MPCOMM_FLOAT64, 3), 3.0);
  double a[3] = {1, 2, 3}, b[3] = {};
  all_reduce(MPI_COMM_SELF, a, b, 3, MPCOMM_FLOAT64, MPCOMM_AVG);
  EXPECT_EQ(b[2], 3.0);
}

TEST(HostTensor, EmptyTensorsMoveNothing) {
  const int size = world_size();
  Tensor in({0, 3}, MPCOMM_FLOAT32), out({0, 3 * size}, MPCOMM_FLOAT32);
  EXPECT_NO_THROW(all_gather_tensor(MPI_COMM_WORLD, &in.t, &out.t, 1));
  Tensor rs_in({2, 0}, MPCOMM_FLOAT32), rs_out({2, 0}, MPCOMM_FLOAT32);
  EXPECT_NO_THROW(reduce_scatter_tensor(MPI_COMM_WORLD, &rs_in.t, &rs_out.t, 1, MPCOMM_SUM));
}

}  // namespace
