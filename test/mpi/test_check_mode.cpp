// Checking mode (MPCOMM_CHECK=1): members whose collective calls differ (counts, ops, dtypes,
// roots, dims, the operation itself, one member failing its own argument checks) all return
// MPCOMM_ERR_INVALID_ARGUMENT naming the members and the values, the group stays usable, and the
// next correct call delivers the right data (a broadcast_object whose members named different
// roots no longer leaves a stale object behind). Also: members that differ on MPCOMM_CHECK
// itself, and, without checking mode, a member that fails its own checks in a bounded
// operation leaves the others with MPCOMM_ERR_TIMEOUT, not a hang. Runs at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.h"

namespace {

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::ScopedEnv;
using grouptest::world_rank;
using grouptest::world_size;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// A group over the world in checking mode (the variable is read at its first collective).
class CheckMode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h_.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(h_.g, 20), MPCOMM_SUCCESS) << last_error();
  }
  mpcomm_group_t g() { return h_.g; }

  // Every member got INVALID_ARGUMENT with a message that has each of `parts`.
  void expect_mismatch(mpcomm_status_t status, const std::vector<std::string> &parts) {
    const std::string m = last_error();
    EXPECT_EQ(status, MPCOMM_ERR_INVALID_ARGUMENT) << m;
    for (const auto &p : parts) EXPECT_TRUE(contains(m, p)) << "no \"" << p << "\" in: " << m;
    EXPECT_TRUE(contains(m, "still usable")) << m;
  }

  // The group still works: a correct all_reduce sums right.
  void expect_usable() {
    int64_t v = world_rank() + 1, sum = 0;
    ASSERT_EQ(mpcomm_all_reduce(g(), &v, &sum, 1, MPCOMM_INT64, MPCOMM_SUM, nullptr),
              MPCOMM_SUCCESS)
        << last_error();
    const int64_t n = world_size();
    EXPECT_EQ(sum, n * (n + 1) / 2);
  }

  ScopedEnv check_{"MPCOMM_CHECK", "1"};
  GroupHolder h_;
};

TEST_F(CheckMode, CountsDiffer) {
  const size_t count = world_rank() == 0 ? 8 : 16;
  std::vector<float> x(16, 1.0f);
  expect_mismatch(
      mpcomm_all_reduce(g(), x.data(), x.data(), count, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
      {"count: ", "8 at group rank 0 (global rank 0)", "16 at group rank"});
  EXPECT_EQ(x[0], 1.0f);  // no data moved
  expect_usable();
}

TEST_F(CheckMode, CountZeroOnOneMember) {
  // The member with nothing to reduce returns without communicating: it agrees at its end.
  const size_t count = world_rank() == 1 ? 0 : 4;
  std::vector<int32_t> x(4, 1);
  expect_mismatch(
      mpcomm_all_reduce(g(), x.data(), x.data(), count, MPCOMM_INT32, MPCOMM_SUM, nullptr),
      {"count: ", "0 at group rank 1"});
  expect_usable();
}

TEST_F(CheckMode, OpsDiffer) {
  const mpcomm_op_t op = world_rank() == 1 ? MPCOMM_MAX : MPCOMM_SUM;
  std::vector<double> x(4, 2.0);
  expect_mismatch(mpcomm_all_reduce(g(), x.data(), x.data(), 4, MPCOMM_FLOAT64, op, nullptr),
                  {"op: ", "max at group rank 1", "sum at group rank"});
  expect_usable();
}

TEST_F(CheckMode, DtypesDiffer) {
  const mpcomm_datatype_t dtype = world_rank() == 1 ? MPCOMM_FLOAT64 : MPCOMM_FLOAT32;
  std::vector<double> x(4, 2.0);  // big enough for either
  expect_mismatch(mpcomm_all_reduce(g(), x.data(), x.data(), 4, dtype, MPCOMM_SUM, nullptr),
                  {"dtype: ", "float64 at group rank 1", "float32 at group rank"});
  expect_usable();
}

TEST_F(CheckMode, BroadcastRootsDiffer) {
  const int src = world_rank() == 0 ? 0 : 1;
  int32_t v[3] = {world_rank(), world_rank(), world_rank()};
  expect_mismatch(mpcomm_broadcast(g(), v, 3, MPCOMM_INT32, src, nullptr),
                  {"root: ", "0 at group rank 0", "1 at group rank"});
  EXPECT_EQ(v[0], world_rank());
  expect_usable();
}

TEST_F(CheckMode, OneMemberFailsItsOwnChecks) {
  // Group rank 1 passes NULL for 4 elements: without checking mode the others would wait in
  // MPI_Allreduce forever.
  std::vector<float> x(4, 1.0f);
  float *send = world_rank() == 1 ? nullptr : x.data();
  const mpcomm_status_t s =
      mpcomm_all_reduce(g(), send, x.data(), 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr);
  const std::string m = last_error();
  EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << m;
  EXPECT_TRUE(contains(m, "send must not be NULL")) << m;
  EXPECT_TRUE(contains(m, "group rank 1 (global rank 1) failed its own argument checks")) << m;
  expect_usable();
}

// The variable-size and all-to-all collectives: a member whose own checks fail (a sizes
// entry that does not match its tensor) does not leave the others in the calls' own agreement.
TEST_F(CheckMode, AVariableSizeCallFailingItsOwnChecks) {
  const size_t n = static_cast<size_t>(world_size());
  std::vector<size_t> sizes(n, 1);
  if (world_rank() == 1) sizes[1] = 2;  // its tensor has 1 row
  std::vector<float> in(1, 1.0f), out(n + 1, 0.0f);
  int64_t in_shape[1] = {1}, out_shape[1] = {static_cast<int64_t>(world_rank() == 1 ? n + 1 : n)};
  DLTensor tin{in.data(), {kDLCPU, 0}, 1, {kDLFloat, 32, 1}, in_shape, nullptr, 0};
  DLTensor tout{out.data(), {kDLCPU, 0}, 1, {kDLFloat, 32, 1}, out_shape, nullptr, 0};
  const mpcomm_status_t s = mpcomm_all_gatherv(g(), &tin, &tout, sizes.data(), 0, nullptr);
  const std::string m = last_error();
  EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << m;
  EXPECT_TRUE(contains(m, "group rank 1 (global rank 1) failed its own argument checks")) << m;
  expect_usable();
  int32_t a[8] = {}, b[8] = {};
  expect_mismatch(mpcomm_all_to_all(g(), a, b, world_rank() == 1 ? 2 : 1, MPCOMM_INT32, nullptr),
                  {"count: ", "2 at group rank 1"});
  expect_usable();
}

TEST_F(CheckMode, OperationsDiffer) {
  char buf[16] = "x";
  size_t len = 2;
  const mpcomm_status_t s = world_rank() == 0
                                ? mpcomm_barrier(g(), 0)
                                : mpcomm_broadcast_object(g(), buf, sizeof buf, &len, 0);
  expect_mismatch(s, {"operation: ", "mpcomm_barrier at group rank 0",
                      "mpcomm_broadcast_object at group rank"});
  expect_usable();
}

TEST_F(CheckMode, BroadcastObjectRootsDifferThenACorrectBroadcastDeliversTheNewObject) {
  const int r = world_rank();
  char buf[64];
  size_t len = static_cast<size_t>(std::snprintf(buf, sizeof buf, "stale from %d", r)) + 1;
  // Every member names itself the root (at 4 ranks: four roots).
  expect_mismatch(mpcomm_broadcast_object(g(), buf, sizeof buf, &len, r), {"root: "});
  // The next, correct broadcast delivers group rank 0's new object, nothing left over.
  if (r == 0) len = static_cast<size_t>(std::snprintf(buf, sizeof buf, "fresh")) + 1;
  ASSERT_EQ(mpcomm_broadcast_object(g(), buf, sizeof buf, &len, 0), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(len, 6u);
  EXPECT_STREQ(buf, "fresh");
  // And once more from the last member.
  const int last = world_size() - 1;
  if (r == last) len = static_cast<size_t>(std::snprintf(buf, sizeof buf, "again")) + 1;
  ASSERT_EQ(mpcomm_broadcast_object(g(), buf, sizeof buf, &len, last), MPCOMM_SUCCESS)
      << last_error();
  EXPECT_STREQ(buf, "again");
}

TEST_F(CheckMode, TensorDimsAndRootsDiffer) {
  const int n = world_size(), r = world_rank();
  std::vector<float> in(2 * 4, 1.0f), out(static_cast<size_t>(n) * 8, 0.0f);
  int64_t in_shape[2] = {2, 4};
  // Gathered along dim 0 at group rank 0 and along dim 1 elsewhere: both shapes are valid.
  int64_t out_shape[2] = {r == 0 ? 2 * n : 2, r == 0 ? 4 : 4 * n};
  DLTensor tin{}, tout{};
  tin.data = in.data();
  tin.device = {kDLCPU, 0};
  tin.ndim = 2;
  tin.dtype = {kDLFloat, 32, 1};
  tin.shape = in_shape;
  tout = tin;
  tout.data = out.data();
  tout.shape = out_shape;
  expect_mismatch(mpcomm_all_gather(g(), &tin, &tout, r == 0 ? 0 : 1, nullptr),
                  {"dim: ", "0 at group rank 0", "1 at group rank"});
  // gather: members name different destinations.
  int64_t gathered[2] = {2 * n, 4};
  tout.shape = gathered;
  const int dst = r == 0 ? 0 : n - 1;
  expect_mismatch(mpcomm_gather(g(), &tin, &tout, dst, 0, nullptr), {"root: "});
  expect_usable();
}

TEST_F(CheckMode, ReduceScatterOpsDiffer) {
  const int n = world_size();
  std::vector<int32_t> in(static_cast<size_t>(n) * 2, 3), out(2, 0);
  int64_t in_shape[1] = {2 * n}, out_shape[1] = {2};
  DLTensor tin{}, tout{};
  tin.data = in.data();
  tin.device = {kDLCPU, 0};
  tin.ndim = 1;
  tin.dtype = {kDLInt, 32, 1};
  tin.shape = in_shape;
  tout = tin;
  tout.data = out.data();
  tout.shape = out_shape;
  const mpcomm_op_t op = world_rank() == n - 1 ? MPCOMM_MIN : MPCOMM_SUM;
  expect_mismatch(mpcomm_reduce_scatter(g(), &tin, &tout, 0, op, nullptr), {"op: ", "min at"});
  expect_usable();
}

TEST_F(CheckMode, DpHelperWithOneMemberFailingItsChecks) {
  int any = 0;
  const mpcomm_status_t s = mpcomm_dp_has_unfinished(g(), 1, world_rank() == 1 ? nullptr : &any);
  const std::string m = last_error();
  EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << m;
  EXPECT_TRUE(contains(m, "any must not be NULL")) << m;
  EXPECT_TRUE(contains(m, "group rank 1 (global rank 1) failed its own argument checks")) << m;
  ASSERT_EQ(mpcomm_dp_has_unfinished(g(), world_rank() == 0, &any), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(any, 1);
}

TEST_F(CheckMode, TensorDictBroadcastRootsDiffer) {
  mpcomm_tensor_dict_t d = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_create(&d), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_tensor_dict_set_int(d, "step", 7), MPCOMM_SUCCESS) << last_error();
  const int src = world_rank() == 0 ? 0 : 1;
  expect_mismatch(mpcomm_broadcast_tensor_dict(g(), &d, src), {"root: "});
  mpcomm_tensor_dict_free(&d);
  expect_usable();
}

TEST(CheckModeSetting, AMemberWithoutItLeavesTheOthersATimeoutNamingIt) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv check("MPCOMM_CHECK", world_rank() == 0 ? "1" : "0");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h.g, 0.5), MPCOMM_SUCCESS) << last_error();
  // Group rank 0 waits to agree on MPCOMM_CHECK; the others wait in the barrier for rank 0.
  EXPECT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_ERR_TIMEOUT);
  if (world_rank() == 0) {
    EXPECT_TRUE(contains(last_error(), "agreeing on MPCOMM_CHECK")) << last_error();
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(CheckModeSetting, AMalformedValueIsNamed) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv check("MPCOMM_CHECK", "maybe");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(mpcomm_barrier(h.g, 20), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "MPCOMM_CHECK")) << last_error();
}

// Without checking mode, a bounded operation whose one member fails its own checks leaves the
// others with a timeout (and a broken group), not a hang.
TEST(CheckModeOff, OneMemberFailingItsChecksLeavesTheOthersATimeout) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv check("MPCOMM_CHECK", "0");
  ScopedEnv bounded("MPCOMM_HOST_BOUNDED", "1");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h.g, 0.5), MPCOMM_SUCCESS) << last_error();
  const bool bad = world_rank() == 1;
  // The control plane: rank 1's barrier refuses its timeout; the others time out.
  mpcomm_status_t s = mpcomm_barrier(h.g, bad ? -std::numeric_limits<double>::infinity() : 0);
  if (bad) {
    EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << last_error();
  } else {
    EXPECT_EQ(s, MPCOMM_ERR_TIMEOUT) << last_error();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // The host data plane, bounded: rank 1's NULL leaves the others a timeout.
  GroupHolder h2;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h2.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h2.g, 0.5), MPCOMM_SUCCESS) << last_error();
  int64_t v[2] = {1, 1};
  // The first call agrees on the group's settings; the second is where rank 1 fails.
  ASSERT_EQ(mpcomm_all_reduce(h2.g, v, v, 2, MPCOMM_INT64, MPCOMM_SUM, nullptr), MPCOMM_SUCCESS)
      << last_error();
  s = mpcomm_all_reduce(h2.g, bad ? nullptr : v, v, 2, MPCOMM_INT64, MPCOMM_SUM, nullptr);
  if (bad) {
    EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << last_error();
  } else {
    EXPECT_EQ(s, MPCOMM_ERR_TIMEOUT) << last_error();
    EXPECT_TRUE(contains(last_error(), "timed out after 0.5 s in MPI_Allreduce")) << last_error();
    EXPECT_EQ(mpcomm_all_reduce(h2.g, v, v, 2, MPCOMM_INT64, MPCOMM_SUM, nullptr),
              MPCOMM_ERR_BROKEN);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
