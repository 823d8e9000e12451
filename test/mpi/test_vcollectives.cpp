// The variable-size collectives on groups (mpcomm_all_gatherv, mpcomm_reduce_scatterv,
// mpcomm_all_to_all, mpcomm_all_to_allv): every dtype (and op), along every dim, with unequal
// and zero sizes, compared with values computed here; the same through the large-count paths
// (the MPI count limit lowered); members that disagree on sizes, counts or dtype all failing
// alike, naming the member and the value, with the group still usable; every argument error;
// reductions refusing bool and the 8-bit floats. On one node the calls take the shared-memory
// exchange, and once more MPI's collectives. Runs at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/reduce_op.hpp"
#include "dataplane_test_util.hpp"
#include "group_test_util.hpp"
#include "host/exchange_collectives.hpp"
#include "host/mpi_count.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"

namespace {

using namespace dptest;
using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::concat;
using mpcomm::datatype_name;
using mpcomm::op_name;

struct WorldGroup : GroupHolder {
  WorldGroup() { EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS); }
};

// Member r's extent: unequal, with a zero at member 1 (from 2 ranks on).
std::vector<size_t> member_sizes(int size) {
  std::vector<size_t> s(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) s[r] = r == 1 ? 0 : static_cast<size_t>(r % 3 + 1);
  return s;
}

const int kDims3[] = {0, 1, 2, -1};

void check_all_gatherv(mpcomm_group_t g, mpcomm_datatype_t dtype, int dim) {
  const int size = world_size(), rank = world_rank();
  const std::vector<size_t> sizes = member_sizes(size);
  const std::vector<int64_t> base = {2, 3, 4};
  const int d = dim < 0 ? dim + 3 : dim;
  std::vector<int64_t> in_shape = base, out_shape = base;
  in_shape[d] = static_cast<int64_t>(sizes[rank]);
  int64_t total = 0;
  for (size_t s : sizes) total += static_cast<int64_t>(s);
  out_shape[d] = total;
  Tensor in(dtype, in_shape), out(dtype, out_shape);
  // Member r's element at `at` (its own coordinates): shaped_value(r, at).
  for_each_index(in.shape,
                 [&](const auto &at) { in.buf.put(in.index(at), shaped_value(rank, at)); });
  ASSERT_EQ(mpcomm_all_gatherv(g, &in.dl, &out.dl, sizes.data(), dim, nullptr), MPCOMM_SUCCESS)
      << last_error();
  for_each_index(out.shape, [&](const auto &at) {
    int r = 0;
    int64_t x = at[d];
    while (x >= static_cast<int64_t>(sizes[r])) x -= static_cast<int64_t>(sizes[r++]);
    std::vector<int64_t> src = at;
    src[d] = x;
    ASSERT_EQ(out.buf.get(out.index(at)), shaped_value(r, src))
        << datatype_name(dtype) << " dim " << dim << " from member " << r;
  });
  EXPECT_TRUE(out.buf.guard_intact());
}

TEST(AllGatherV, EveryDtypeAlongEveryDim) {
  WorldGroup world;
  for (mpcomm_datatype_t dtype : kAllDtypes)
    for (int dim : kDims3) check_all_gatherv(world.g, dtype, dim);
}

TEST(AllGatherV, BeyondOneMpiCall) {
  WorldGroup world;
  const mpcomm::host::CountLimitForTesting small(5);
  // MPI's path: small calls would take the shared-memory exchange.
  const mpcomm::host::ExchangeLimitForTesting mpi{mpcomm::host::ExchangeLimitForTesting::Off{}};
  for (mpcomm_datatype_t dtype : {MPCOMM_INT16, MPCOMM_FLOAT8_E4M3FN, MPCOMM_FLOAT64})
    for (int dim : kDims3) check_all_gatherv(world.g, dtype, dim);
}

void check_reduce_scatterv(mpcomm_group_t g, mpcomm_datatype_t dtype, mpcomm_op_t op, int dim) {
  const int size = world_size(), rank = world_rank();
  const std::vector<size_t> sizes = member_sizes(size);
  const std::vector<int64_t> base = {2, 3, 4};
  const int d = dim < 0 ? dim + 3 : dim;
  int64_t total = 0, before = 0;
  for (int r = 0; r < size; ++r) {
    if (r < rank) before += static_cast<int64_t>(sizes[r]);
    total += static_cast<int64_t>(sizes[r]);
  }
  std::vector<int64_t> in_shape = base, out_shape = base;
  in_shape[d] = total;
  out_shape[d] = static_cast<int64_t>(sizes[rank]);
  Tensor in(dtype, in_shape), out(dtype, out_shape);
  for (size_t i = 0; i < in.buf.count(); ++i) in.buf.put(i, input_value(op, dtype, rank, i));
  ASSERT_EQ(mpcomm_reduce_scatterv(g, &in.dl, &out.dl, sizes.data(), dim, op, nullptr),
            MPCOMM_SUCCESS)
      << last_error();
  for_each_index(out.shape, [&](const auto &at) {
    std::vector<int64_t> src = at;
    src[d] += before;
    ASSERT_EQ(out.buf.get(out.index(at)), reduce_reference(op, dtype, size, in.index(src)))
        << datatype_name(dtype) << " " << op_name(op) << " dim " << dim;
  });
  EXPECT_TRUE(out.buf.guard_intact());
}

TEST(ReduceScatterV, EveryDtypeAndOpAlongEveryDim) {
  WorldGroup world;
  for (mpcomm_datatype_t dtype : kReducibleDtypes)
    for (mpcomm_op_t op : kAllOps)
      for (int dim : kDims3) check_reduce_scatterv(world.g, dtype, op, dim);
}

TEST(ReduceScatterV, BeyondOneMpiCall) {
  WorldGroup world;
  const mpcomm::host::CountLimitForTesting small(5);
  // MPI's path: small calls would take the shared-memory exchange.
  const mpcomm::host::ExchangeLimitForTesting mpi{mpcomm::host::ExchangeLimitForTesting::Off{}};
  for (mpcomm_op_t op : kAllOps)
    for (int dim : kDims3) check_reduce_scatterv(world.g, MPCOMM_UINT32, op, dim);
}

// Element i of the block member `from` sends to member `to`.
double a2a_value(int from, int to, size_t i) {
  return static_cast<double>((static_cast<size_t>(from) * 31 + static_cast<size_t>(to) * 7 + i) %
                             90);
}

void check_all_to_all(mpcomm_group_t g, mpcomm_datatype_t dtype, size_t count) {
  const int size = world_size(), rank = world_rank();
  const size_t n = static_cast<size_t>(size);
  Typed send(dtype, count * n), recv(dtype, count * n);
  for (int to = 0; to < size; ++to)
    for (size_t i = 0; i < count; ++i) send.put(to * count + i, a2a_value(rank, to, i));
  ASSERT_EQ(mpcomm_all_to_all(g, send.data(), recv.data(), count, dtype, nullptr), MPCOMM_SUCCESS)
      << last_error();
  for (int from = 0; from < size; ++from)
    for (size_t i = 0; i < count; ++i)
      ASSERT_EQ(recv.get(from * count + i), a2a_value(from, rank, i))
          << datatype_name(dtype) << " count " << count << " from " << from;
  EXPECT_TRUE(recv.guard_intact());
}

TEST(AllToAll, EveryDtypeAndCount) {
  WorldGroup world;
  for (mpcomm_datatype_t dtype : kAllDtypes)
    for (size_t count : {size_t{0}, size_t{1}, size_t{1000}})
      check_all_to_all(world.g, dtype, count);
}

TEST(AllToAll, BeyondOneMpiCall) {
  WorldGroup world;
  const mpcomm::host::CountLimitForTesting small(4);
  // MPI's path: small calls would take the shared-memory exchange.
  const mpcomm::host::ExchangeLimitForTesting mpi{mpcomm::host::ExchangeLimitForTesting::Off{}};
  for (size_t count : {size_t{5}, size_t{9}}) check_all_to_all(world.g, MPCOMM_BOOL, count);
}

// Member i sends (i + 2j) % 4 elements to member j (zeros included); the send blocks lie in
// order with a gap of one, the receive blocks in reverse order.
size_t pair_count(int from, int to) { return static_cast<size_t>((from + 2 * to) % 4) * 3; }

void check_all_to_allv(mpcomm_group_t g, mpcomm_datatype_t dtype) {
  const int size = world_size(), rank = world_rank();
  const size_t n = static_cast<size_t>(size);
  std::vector<size_t> sc(n), sd(n), rc(n), rd(n);
  size_t sent = 0, received = 0;
  for (int j = 0; j < size; ++j) {
    sc[j] = pair_count(rank, j), sd[j] = sent, sent += sc[j] + 1;
  }
  for (int j = size - 1; j >= 0; --j) {
    rc[j] = pair_count(j, rank), rd[j] = received, received += rc[j];
  }
  Typed send(dtype, sent), recv(dtype, received);
  for (int j = 0; j < size; ++j)
    for (size_t i = 0; i < sc[j]; ++i) send.put(sd[j] + i, a2a_value(rank, j, i));
  ASSERT_EQ(mpcomm_all_to_allv(g, send.data(), sc.data(), sd.data(), recv.data(), rc.data(),
                               rd.data(), dtype, nullptr),
            MPCOMM_SUCCESS)
      << last_error();
  for (int from = 0; from < size; ++from)
    for (size_t i = 0; i < rc[from]; ++i)
      ASSERT_EQ(recv.get(rd[from] + i), a2a_value(from, rank, i))
          << datatype_name(dtype) << " from " << from << " i " << i;
  EXPECT_TRUE(recv.guard_intact());
}

TEST(AllToAllV, EveryDtype) {
  WorldGroup world;
  for (mpcomm_datatype_t dtype : kAllDtypes) check_all_to_allv(world.g, dtype);
}

TEST(AllToAllV, BeyondOneMpiCall) {
  WorldGroup world;
  const mpcomm::host::CountLimitForTesting small(4);
  // MPI's path: small calls would take the shared-memory exchange.
  const mpcomm::host::ExchangeLimitForTesting mpi{mpcomm::host::ExchangeLimitForTesting::Off{}};
  for (mpcomm_datatype_t dtype : {MPCOMM_UINT64, MPCOMM_FLOAT8_E5M2})
    check_all_to_allv(world.g, dtype);
}

// The tests above take the shared-memory exchange on one node (small calls); the same through
// MPI's collectives, every dtype and op.
TEST(VCollectives, EveryDtypeThroughMpi) {
  WorldGroup world;
  // MPI's path: small calls would take the shared-memory exchange.
  const mpcomm::host::ExchangeLimitForTesting mpi{mpcomm::host::ExchangeLimitForTesting::Off{}};
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    check_all_gatherv(world.g, dtype, 1);
    check_all_to_all(world.g, dtype, 7);
    check_all_to_allv(world.g, dtype);
  }
  for (mpcomm_datatype_t dtype : kReducibleDtypes)
    for (mpcomm_op_t op : kAllOps) check_reduce_scatterv(world.g, dtype, op, 1);
}

TEST(VCollectives, GroupOfOneCopies) {
  GroupHolder self;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &self.g), MPCOMM_SUCCESS);
  const size_t sizes[1] = {3};
  Tensor in(MPCOMM_INT16, {2, 3}), out(MPCOMM_INT16, {2, 3}), rs(MPCOMM_INT16, {2, 3});
  for (size_t i = 0; i < 6; ++i) in.buf.put(i, static_cast<double>(i) - 2);
  ASSERT_EQ(mpcomm_all_gatherv(self.g, &in.dl, &out.dl, sizes, 1, nullptr), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_reduce_scatterv(self.g, &in.dl, &rs.dl, sizes, -1, MPCOMM_MAX, nullptr),
            MPCOMM_SUCCESS);
  int32_t a[4] = {1, 2, 3, 4}, b[4] = {};
  ASSERT_EQ(mpcomm_all_to_all(self.g, a, b, 4, MPCOMM_INT32, nullptr), MPCOMM_SUCCESS);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(out.buf.get(i), in.buf.get(i));
    EXPECT_EQ(rs.buf.get(i), in.buf.get(i));
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b[i], a[i]);
  const size_t c[1] = {2}, sdp[1] = {1}, rdp[1] = {2};
  int32_t v[4] = {};
  ASSERT_EQ(mpcomm_all_to_allv(self.g, a, c, sdp, v, c, rdp, MPCOMM_INT32, nullptr),
            MPCOMM_SUCCESS);
  EXPECT_EQ(v[2], 2);
  EXPECT_EQ(v[3], 3);
}

void expect_status(mpcomm_status_t got, mpcomm_status_t status,
                   const std::vector<std::string> &pieces) {
  EXPECT_EQ(got, status) << last_error();
  for (const auto &piece : pieces)
    EXPECT_NE(last_error().find(piece), std::string::npos)
        << "\"" << piece << "\" not in: " << last_error();
}

// Members that pass arguments that do not fit together all fail alike, naming the first
// member and value that differ; nothing moved, so the group stays usable. This is the calls' own
// agreement, made in every mode: checking mode (test_check_mode), which would catch most of
// these first, is off here.
TEST(Agreement, MembersThatDisagreeAllFailAndTheGroupLives) {
  const int size = world_size(), rank = world_rank();
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  mpcomm::test::ScopedEnv check("MPCOMM_CHECK", "0");
  WorldGroup world;
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  std::vector<size_t> sizes(static_cast<size_t>(size), 2);
  if (rank == size - 1) sizes[0] = 3;  // the last member thinks member 0 has 3 rows
  {
    Tensor in(MPCOMM_FLOAT32, {static_cast<int64_t>(sizes[rank]), 2});
    int64_t total = 0;
    for (size_t s : sizes) total += static_cast<int64_t>(s);
    Tensor out(MPCOMM_FLOAT32, {total, 2});
    expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, sizes.data(), 0, nullptr), arg,
                  {"mpcomm_all_gatherv: the members disagree on sizes[0]",
                   concat("group rank ", size - 1), "passed 3", "group rank 0", "passed 2"});
    Tensor rs(MPCOMM_FLOAT32, {static_cast<int64_t>(sizes[rank]), 2});
    expect_status(
        mpcomm_reduce_scatterv(world.g, &out.dl, &rs.dl, sizes.data(), 0, MPCOMM_SUM, nullptr), arg,
        {"disagree on sizes[0]"});
  }
  {
    // Same sizes, another trailing extent at member 1.
    std::vector<size_t> same(static_cast<size_t>(size), 1);
    const int64_t cols = rank == 1 ? 3 : 2;
    Tensor in(MPCOMM_INT32, {1, cols}), out(MPCOMM_INT32, {size, cols});
    expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, same.data(), 0, nullptr), arg,
                  {"disagree on in.shape[1]", "group rank 1", "passed 3", "passed 2"});
  }
  int32_t a[16] = {}, b[16] = {};
  expect_status(mpcomm_all_to_all(world.g, a, b, rank == 1 ? 3 : 2, MPCOMM_INT32, nullptr), arg,
                {"disagree on count", "group rank 1", "passed 3"});
  expect_status(
      mpcomm_all_to_all(world.g, a, b, 2, rank == 1 ? MPCOMM_UINT32 : MPCOMM_INT32, nullptr), arg,
      {"disagree on dtype"});
  {
    const size_t n = static_cast<size_t>(size);
    std::vector<size_t> sc(n, 1), sd(n), rc(n, 1), rd(n);
    for (size_t j = 0; j < n; ++j) sd[j] = rd[j] = 2 * j;
    if (rank == 0) rc[1] = 2;  // member 0 expects 2 from member 1, which sends 1
    expect_status(mpcomm_all_to_allv(world.g, a, sc.data(), sd.data(), b, rc.data(), rd.data(),
                                     MPCOMM_INT32, nullptr),
                  arg,
                  {"the counts do not pair up", "group rank 1", "send_counts[0] = 1",
                   "expects recv_counts[1] = 2"});
    rc[1] = 1;
    expect_status(mpcomm_all_to_allv(world.g, a, sc.data(), sd.data(), b, rc.data(), rd.data(),
                                     rank == 1 ? MPCOMM_FLOAT32 : MPCOMM_INT32, nullptr),
                  arg, {"disagree on dtype", "float32", "int32"});
  }
  // Nothing moved: the group still works.
  check_all_to_all(world.g, MPCOMM_INT32, 3);
}

TEST(ArgumentErrors, AllGatherVAndReduceScatterV) {
  const int size = world_size(), rank = world_rank();
  WorldGroup world;
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  std::vector<size_t> sizes(static_cast<size_t>(size), 2);
  Tensor in(MPCOMM_FLOAT32, {2, 3}), out(MPCOMM_FLOAT32, {2 * size, 3});
  expect_status(mpcomm_all_gatherv(nullptr, &in.dl, &out.dl, sizes.data(), 0, nullptr), arg,
                {"mpcomm_all_gatherv: group must not be NULL"});
  expect_status(mpcomm_all_gatherv(world.g, nullptr, &out.dl, sizes.data(), 0, nullptr), arg,
                {"in must not be NULL"});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, nullptr, sizes.data(), 0, nullptr), arg,
                {"out must not be NULL"});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, nullptr, 0, nullptr), arg,
                {"sizes must not be NULL"});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, sizes.data(), 2, nullptr), arg,
                {"dim (2) must be in [-2, 2)"});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, sizes.data(), -3, nullptr), arg,
                {"dim (-3)"});
  std::vector<size_t> wrong_own = sizes;
  wrong_own[rank] = 5;
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, wrong_own.data(), 0, nullptr), arg,
                {"in.shape[0] (2) must equal sizes[", "(5)"});
  std::vector<size_t> huge = sizes;
  huge[(rank + 1) % size] = SIZE_MAX / 2;
  if (size > 1)
    expect_status(mpcomm_all_gatherv(world.g, &in.dl, &out.dl, huge.data(), 0, nullptr), arg,
                  {"makes the sum of sizes overflow int64"});
  Tensor short_out(MPCOMM_FLOAT32, {2 * size + 1, 3});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &short_out.dl, sizes.data(), 0, nullptr), arg,
                {"out.shape[0]", "must be sum(sizes)"});
  Tensor other_cols(MPCOMM_FLOAT32, {2 * size, 4});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &other_cols.dl, sizes.data(), 0, nullptr), arg,
                {"out.shape[1] (4) must equal in.shape[1] (3)"});
  Tensor other_type(MPCOMM_INT32, {2 * size, 3});
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &other_type.dl, sizes.data(), 0, nullptr), arg,
                {"out.dtype (int32) must equal in.dtype (float32)"});
  int64_t strides[2] = {1, 2};  // column-major: not contiguous
  DLTensor strided = in.dl;
  strided.strides = strides;
  expect_status(mpcomm_all_gatherv(world.g, &strided, &out.dl, sizes.data(), 0, nullptr), arg,
                {"in is not contiguous"});
  DLTensor overlapping = out.dl;
  overlapping.data = in.dl.data;
  expect_status(mpcomm_all_gatherv(world.g, &in.dl, &overlapping, sizes.data(), 0, nullptr), arg,
                {"in and out must not overlap"});

  expect_status(
      mpcomm_reduce_scatterv(nullptr, &out.dl, &in.dl, sizes.data(), 0, MPCOMM_SUM, nullptr), arg,
      {"mpcomm_reduce_scatterv: group must not be NULL"});
  expect_status(mpcomm_reduce_scatterv(world.g, &out.dl, &in.dl, nullptr, 0, MPCOMM_SUM, nullptr),
                arg, {"sizes must not be NULL"});
  expect_status(mpcomm_reduce_scatterv(world.g, &out.dl, &in.dl, sizes.data(), 0,
                                       static_cast<mpcomm_op_t>(9), nullptr),
                arg, {"op (9)"});
  expect_status(
      mpcomm_reduce_scatterv(world.g, &out.dl, &in.dl, wrong_own.data(), 0, MPCOMM_SUM, nullptr),
      arg, {"in.shape[0]", "must equal sum(sizes)"});
  Tensor too_long(MPCOMM_FLOAT32, {3, 3});
  expect_status(
      mpcomm_reduce_scatterv(world.g, &out.dl, &too_long.dl, sizes.data(), 0, MPCOMM_SUM, nullptr),
      arg, {"out.shape[0] (3) must be sizes[rank] = 2"});
  expect_status(
      mpcomm_reduce_scatterv(world.g, &out.dl, &in.dl, sizes.data(), 5, MPCOMM_SUM, nullptr), arg,
      {"dim (5)"});
  for (mpcomm_datatype_t dtype : kMoveOnlyDtypes) {
    Tensor bin(dtype, {2 * size, 3}), bout(dtype, {2, 3});
    expect_status(
        mpcomm_reduce_scatterv(world.g, &bin.dl, &bout.dl, sizes.data(), 0, MPCOMM_MAX, nullptr),
        arg, {concat("in.dtype ", datatype_name(dtype), " does not reduce")});
  }
  // None of these broke the group.
  check_all_gatherv(world.g, MPCOMM_FLOAT32, 0);
}

TEST(ArgumentErrors, AllToAllAndAllToAllV) {
  const int size = world_size();
  const size_t n = static_cast<size_t>(size);
  WorldGroup world;
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  std::vector<int32_t> a(8 * n), b(8 * n);
  expect_status(mpcomm_all_to_all(nullptr, a.data(), b.data(), 2, MPCOMM_INT32, nullptr), arg,
                {"mpcomm_all_to_all: group must not be NULL"});
  expect_status(mpcomm_all_to_all(world.g, nullptr, b.data(), 2, MPCOMM_INT32, nullptr), arg,
                {"send must not be NULL when count (2) > 0"});
  expect_status(mpcomm_all_to_all(world.g, a.data(), nullptr, 2, MPCOMM_INT32, nullptr), arg,
                {"recv must not be NULL when count (2) > 0"});
  expect_status(mpcomm_all_to_all(world.g, a.data(), b.data(), 2,
                                  static_cast<mpcomm_datatype_t>(99), nullptr),
                arg, {"dtype (99)"});
  expect_status(mpcomm_all_to_all(world.g, a.data(), b.data(), SIZE_MAX / 2, MPCOMM_INT32, nullptr),
                arg, {"overflows size_t"});
  expect_status(mpcomm_all_to_all(world.g, a.data(), a.data() + 1, 2, MPCOMM_INT32, nullptr), arg,
                {"send and recv must not overlap"});

  std::vector<size_t> c(n, 2), d(n);
  for (size_t j = 0; j < n; ++j) d[j] = 2 * j;
  const auto a2av = [&](const void *s, const size_t *sc, const size_t *sd, void *r,
                        const size_t *rc, const size_t *rd, mpcomm_datatype_t t) {
    return mpcomm_all_to_allv(world.g, s, sc, sd, r, rc, rd, t, nullptr);
  };
  expect_status(mpcomm_all_to_allv(nullptr, a.data(), c.data(), d.data(), b.data(), c.data(),
                                   d.data(), MPCOMM_INT32, nullptr),
                arg, {"mpcomm_all_to_allv: group must not be NULL"});
  expect_status(a2av(a.data(), nullptr, d.data(), b.data(), c.data(), d.data(), MPCOMM_INT32), arg,
                {"send_counts must not be NULL"});
  expect_status(a2av(a.data(), c.data(), nullptr, b.data(), c.data(), d.data(), MPCOMM_INT32), arg,
                {"send_displs must not be NULL"});
  expect_status(a2av(a.data(), c.data(), d.data(), b.data(), nullptr, d.data(), MPCOMM_INT32), arg,
                {"recv_counts must not be NULL"});
  expect_status(a2av(a.data(), c.data(), d.data(), b.data(), c.data(), nullptr, MPCOMM_INT32), arg,
                {"recv_displs must not be NULL"});
  expect_status(a2av(nullptr, c.data(), d.data(), b.data(), c.data(), d.data(), MPCOMM_INT32), arg,
                {"send must not be NULL: send_counts has elements"});
  expect_status(a2av(a.data(), c.data(), d.data(), nullptr, c.data(), d.data(), MPCOMM_INT32), arg,
                {"recv must not be NULL: recv_counts has elements"});
  expect_status(a2av(a.data(), c.data(), d.data(), b.data(), c.data(), d.data(),
                     static_cast<mpcomm_datatype_t>(-1)),
                arg, {"dtype (-1)"});
  std::vector<size_t> far = d;
  far[0] = SIZE_MAX - 1;
  expect_status(a2av(a.data(), c.data(), far.data(), b.data(), c.data(), d.data(), MPCOMM_INT32),
                arg, {"send_displs[0] (", ") + send_counts[0] (2) elements overflow"});
  far[0] = (SIZE_MAX >> 2) - 1000;  // the bytes fit a size_t, the address does not
  expect_status(a2av(a.data(), c.data(), d.data(), b.data(), c.data(), far.data(), MPCOMM_INT32),
                arg, {"recv_displs and recv_counts put recv's blocks past the end of the address"});
  if (size > 1) {
    std::vector<size_t> clash = d;
    clash[1] = 1;  // block 1 starts inside block 0
    expect_status(
        a2av(a.data(), c.data(), d.data(), b.data(), c.data(), clash.data(), MPCOMM_INT32), arg,
        {"recv's blocks overlap: recv_displs[0] (0) + recv_counts[0] (2) > "
         "recv_displs[1] (1)"});
  }
  expect_status(a2av(a.data(), c.data(), d.data(), a.data() + 1, c.data(), d.data(), MPCOMM_INT32),
                arg, {"send and recv must not overlap"});
  if (size == 1) {
    const size_t one[1] = {1};
    expect_status(a2av(a.data(), c.data(), d.data(), b.data(), one, d.data(), MPCOMM_INT32), arg,
                  {"send_counts[0] (2) must equal recv_counts[0] (1) in a group of one"});
  }
  // None of these broke the group.
  check_all_to_allv(world.g, MPCOMM_INT32);
}

// Bool and the 8-bit floats move (above, and in test_dataplane_api) but never reduce.
TEST(Datatypes, ReductionsRefuseTypesThatOnlyMove) {
  const int size = world_size();
  WorldGroup world;
  for (mpcomm_datatype_t dtype : kMoveOnlyDtypes) {
    uint8_t a[8] = {}, b[8] = {};
    expect_status(mpcomm_all_reduce(world.g, a, b, 8, dtype, MPCOMM_MAX, nullptr),
                  MPCOMM_ERR_INVALID_ARGUMENT,
                  {concat("mpcomm_all_reduce: dtype ", datatype_name(dtype), " does not reduce")});
    Tensor in(dtype, {size, 2}), out(dtype, {1, 2});
    expect_status(mpcomm_reduce_scatter(world.g, &in.dl, &out.dl, 0, MPCOMM_SUM, nullptr),
                  MPCOMM_ERR_INVALID_ARGUMENT,
                  {concat("in.dtype ", datatype_name(dtype), " does not reduce")});
  }
  // DLPack's codes for them (DLPack 1.1: kDLBool 6, kDLFloat8_e4m3fn 10, kDLFloat8_e5m2 12).
  EXPECT_EQ(mpcomm::to_dl(MPCOMM_BOOL).code, 6);
  EXPECT_EQ(mpcomm::to_dl(MPCOMM_FLOAT8_E4M3FN).code, 10);
  EXPECT_EQ(mpcomm::to_dl(MPCOMM_FLOAT8_E5M2).code, 12);
}

}  // namespace
