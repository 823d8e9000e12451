// The C++ API over groups: RAII, bytes of any length, and structured values exchanged the way
// vLLM exchanges pickled dicts; bytes that do not decode throw MPCOMM_ERR_MALFORMED.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.hpp"

using grouptest::object_bytes;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::Value;

namespace {

Value metadata(int rank) {
  return Value(Value::Map{{"rank", rank},
                          {"name", "worker-" + std::to_string(rank)},
                          {"ready", true},
                          {"mem", 1.5 * rank},
                          {"shape", Value::Array{4, 8, rank}},
                          {"handle", Value::bytes(object_bytes(64, 1).data(), 64)}});
}

}  // namespace

TEST(CppApi, GroupIsRaiiAndMovable) {
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  EXPECT_EQ(g.rank(), world_rank());
  EXPECT_EQ(g.size(), world_size());
  mpcomm::Group moved = std::move(g);
  EXPECT_FALSE(g);
  EXPECT_TRUE(moved);
  EXPECT_EQ(moved.ranks().size(), static_cast<size_t>(world_size()));
  moved.set_timeout(20);
  EXPECT_EQ(moved.timeout(), 20);
  moved.barrier();
  mpcomm::Group borrowed = mpcomm::Group::borrow(moved.get());
  borrowed.reset();  // does not free
  moved.barrier(5);
  try {
    mpcomm::Group::from_ranks(MPI_COMM_WORLD, {world_rank(), world_rank()});
    FAIL() << "no exception";
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("appears twice"), std::string::npos) << e.what();
  }
}

TEST(CppApi, ValuesTravelLikePickledDicts) {
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(20);
  const int r = g.rank(), n = g.size();
  // Broadcast from the last rank; all-gather everyone's metadata.
  const Value got = g.broadcast_value(r == n - 1 ? metadata(r) : Value(), n - 1);
  EXPECT_EQ(got, metadata(n - 1));
  const std::vector<Value> all = g.all_gather_values(metadata(r));
  ASSERT_EQ(all.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], metadata(i));
  if (n >= 2 && r < 2) {
    if (r == 1) g.send_value(metadata(1), 0);
    if (r == 0) {
      EXPECT_EQ(g.recv_value(1).at("name").as_string(), "worker-1");
    }
  }
}

TEST(CppApi, ObjectsOfAnyLengthAreReceivedWhole) {
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(20);
  const int r = g.rank(), n = g.size();
  // Larger than the first guess of the receive helpers, so they retry with the kept object.
  const auto big = object_bytes(100000, 3);
  EXPECT_EQ(g.broadcast_object(r == 0 ? big : std::vector<char>{}, 0), big);
  const auto all = g.all_gather_object(big.data(), static_cast<size_t>(r) * 5000);
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(all[static_cast<size_t>(i)], std::vector<char>(big.begin(), big.begin() + i * 5000));
  if (n >= 2 && r < 2) {
    if (r == 0) g.send_object(big.data(), big.size(), 1);
    if (r == 1) {
      EXPECT_EQ(g.recv_object(0), big);
    }
  }
}

TEST(CppApi, BytesThatDoNotDecodeAreMalformed) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(20);
  const int r = g.rank();
  const char junk[] = {static_cast<char>(0xdd), static_cast<char>(0xff), static_cast<char>(0xff),
                       static_cast<char>(0xff), static_cast<char>(0xff)};
  if (r == 1) g.send_object(junk, sizeof junk, 0);
  if (r == 0) {
    try {
      g.recv_value(1);
      FAIL() << "no exception";
    } catch (const mpcomm::Exception &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_MALFORMED);
    }
  }
  g.barrier(20);  // the group is still usable: the bytes arrived, only decoding failed
}

namespace {

// The variable-size collectives as Group methods: results, and an Exception for a vector that
// does not hold one entry per member.
TEST(CppApi, VariableSizeCollectives) {
  const int size = world_size(), rank = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  std::vector<size_t> sizes(static_cast<size_t>(size));
  size_t total = 0;
  for (int r = 0; r < size; ++r) total += sizes[r] = static_cast<size_t>(r + 1);
  std::vector<int32_t> mine(sizes[rank], rank), all(total, -1), back(sizes[rank], 0);
  int64_t in_shape[1] = {static_cast<int64_t>(sizes[rank])};
  int64_t out_shape[1] = {static_cast<int64_t>(total)};
  DLTensor in{mine.data(), {kDLCPU, 0}, 1, {kDLInt, 32, 1}, in_shape, nullptr, 0};
  DLTensor out{all.data(), {kDLCPU, 0}, 1, {kDLInt, 32, 1}, out_shape, nullptr, 0};
  DLTensor rs{back.data(), {kDLCPU, 0}, 1, {kDLInt, 32, 1}, in_shape, nullptr, 0};
  g.all_gatherv(in, out, sizes);
  size_t at = 0;
  for (int r = 0; r < size; ++r)
    for (size_t i = 0; i < sizes[r]; ++i) EXPECT_EQ(all[at++], r);
  g.reduce_scatterv(out, rs, sizes, 0, MPCOMM_SUM);
  for (int32_t v : back) EXPECT_EQ(v, rank * size);

  std::vector<int64_t> to(static_cast<size_t>(size)), from(static_cast<size_t>(size));
  for (int j = 0; j < size; ++j) to[j] = 10 * rank + j;
  g.all_to_all(to.data(), from.data(), 1, MPCOMM_INT64);
  for (int j = 0; j < size; ++j) EXPECT_EQ(from[j], 10 * j + rank);
  std::vector<size_t> ones(static_cast<size_t>(size), 1), in_order(static_cast<size_t>(size)),
      reversed(static_cast<size_t>(size));
  for (int j = 0; j < size; ++j) {
    in_order[j] = static_cast<size_t>(j);
    reversed[j] = static_cast<size_t>(size - 1 - j);
  }
  g.all_to_allv(to.data(), ones, in_order, from.data(), ones, reversed, MPCOMM_INT64);
  for (int j = 0; j < size; ++j) EXPECT_EQ(from[size - 1 - j], 10 * j + rank);

  try {
    g.all_gatherv(in, out, std::vector<size_t>(static_cast<size_t>(size) + 1, 1));
    ADD_FAILURE() << "no exception";
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("sizes has"), std::string::npos) << e.what();
  }
}

}  // namespace
