// The data plane's C entry points on groups: every operation x dtype (x op) in and out of place,
// with integer-valued inputs so that every result is exact, under each MPCOMM_HOST_ALLREDUCE
// choice; broadcast from every source; a send/recv ring with the default peers; the shaped
// operations along 0, 1 and negative dims; groups of one; the groups of two coexisting parallel
// states and of the default state; and every argument error. Runs at 1, 2 and 4 ranks, and on
// two simulated nodes (two-nodes.sh, MPCOMM_TEST_EXPECT_NODES=2).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/reduce_op.hpp"
#include "dataplane_test_util.hpp"
#include "group/group.hpp"
#include "group_test_util.hpp"
#include "host/host_allreduce.hpp"
#include "mpcomm.h"

namespace {

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::ScopedEnv;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::datatype_name;
using mpcomm::element_size;
using mpcomm::is_integer;
using mpcomm::op_name;
namespace half = mpcomm::half;
using namespace dptest;

struct WorldGroup : GroupHolder {
  WorldGroup() { EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS); }
};

// The number of nodes the test runs on: 1, or what two-nodes.sh says.
int expected_nodes() {
  const char *v = std::getenv("MPCOMM_TEST_EXPECT_NODES");
  return v ? std::atoi(v) : 1;
}

// Checks one all_reduce of every op on group g of size `size`, in and out of place.
void check_all_reduce(mpcomm_group_t g, int size, int rank, mpcomm_datatype_t dtype, mpcomm_op_t op,
                      size_t count) {
  Typed send(dtype, count), recv(dtype, count);
  for (size_t i = 0; i < count; ++i) send.put(i, input_value(op, dtype, rank, i));
  Typed inplace = send;
  const std::string what = mpcomm::concat(datatype_name(dtype), " ", op_name(op), " count ", count);
  ASSERT_EQ(mpcomm_all_reduce(g, send.data(), recv.data(), count, dtype, op, nullptr),
            MPCOMM_SUCCESS)
      << what << ": " << last_error();
  ASSERT_EQ(mpcomm_all_reduce(g, inplace.data(), inplace.data(), count, dtype, op, nullptr),
            MPCOMM_SUCCESS)
      << what << ": " << last_error();
  for (size_t i = 0; i < count; ++i) {
    const double expected = reduce_reference(op, dtype, size, i);
    ASSERT_EQ(recv.get(i), expected) << what << " i " << i;
    ASSERT_EQ(inplace.get(i), expected) << "in place " << what << " i " << i;
    ASSERT_EQ(send.get(i), input_value(op, dtype, rank, i)) << what << ": send changed";
  }
  EXPECT_TRUE(recv.guard_intact() && inplace.guard_intact()) << what << ": wrote past the end";
}

class AllReduceChoice : public ::testing::TestWithParam<const char *> {};

TEST_P(AllReduceChoice, EveryDtypeAndOpInAndOutOfPlace) {
  ScopedEnv env("MPCOMM_HOST_ALLREDUCE", GetParam());
  WorldGroup world;
  for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}, size_t{5003}})
    for (mpcomm_datatype_t dtype : kReducibleDtypes)
      for (mpcomm_op_t op : kAllOps)
        check_all_reduce(world.g, world_size(), world_rank(), dtype, op, count);
}

// Larger than one piece of the shared-memory window (256 KiB): the pieces join up.
TEST_P(AllReduceChoice, SpansWindowPieces) {
  ScopedEnv env("MPCOMM_HOST_ALLREDUCE", GetParam());
  WorldGroup world;
  for (mpcomm_datatype_t dtype : {MPCOMM_FLOAT32, MPCOMM_BFLOAT16})
    check_all_reduce(world.g, world_size(), world_rank(), dtype, MPCOMM_SUM, 1200007);
}

INSTANTIATE_TEST_SUITE_P(HostAllreduce, AllReduceChoice, ::testing::Values("mpi", "shm", "auto"));

// The group makes its shared-memory allreduce at the first host all_reduce that may take it
// (MPCOMM_HOST_ALLREDUCE=shm or auto, a supported dtype), never under mpi or for integers.
TEST(AllReduceDispatch, SharedMemoryOnlyWhenChosen) {
  const int size = world_size();
  std::vector<float> v(64, 1.0f);
  {
    ScopedEnv env("MPCOMM_HOST_ALLREDUCE", "mpi");
    WorldGroup world;
    ASSERT_EQ(mpcomm_all_reduce(world.g, v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM,
                                nullptr),
              MPCOMM_SUCCESS);
    EXPECT_FALSE(mpcomm::host::host_state(*world.g).allreduce);
  }
  {
    ScopedEnv env("MPCOMM_HOST_ALLREDUCE", "shm");
    WorldGroup world;
    std::vector<int32_t> ints(64, 1);
    ASSERT_EQ(mpcomm_all_reduce(world.g, ints.data(), ints.data(), ints.size(), MPCOMM_INT32,
                                MPCOMM_SUM, nullptr),
              MPCOMM_SUCCESS);
    EXPECT_FALSE(mpcomm::host::host_state(*world.g).allreduce)
        << "integers never take shared memory";
    ASSERT_EQ(mpcomm_all_reduce(world.g, v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM,
                                nullptr),
              MPCOMM_SUCCESS);
    EXPECT_EQ(static_cast<bool>(mpcomm::host::host_state(*world.g).allreduce), size > 1)
        << "a group of one returns";
    if (size > 1) {
      using mpcomm::host::HostAllreduceChoice;
      const auto &shm = *mpcomm::host::host_state(*world.g).allreduce;
      EXPECT_EQ(shm.nodes(), expected_nodes());
      EXPECT_EQ(shm.largest_node(), size / expected_nodes());
      EXPECT_TRUE(shm.use_shm(HostAllreduceChoice::kShm, 4, MPCOMM_FLOAT32));
      EXPECT_FALSE(shm.use_shm(HostAllreduceChoice::kMpi, size_t{1} << 24, MPCOMM_FLOAT32));
      EXPECT_FALSE(shm.use_shm(HostAllreduceChoice::kShm, 4, MPCOMM_FLOAT64));
      // auto: on one node only, and small calls only where every rank has a core.
      EXPECT_EQ(shm.use_shm(HostAllreduceChoice::kAuto, 64, MPCOMM_FLOAT32),
                expected_nodes() == 1 && !shm.oversubscribed())
          << "small calls go to MPI when ranks share cores";
      EXPECT_EQ(shm.use_shm(HostAllreduceChoice::kAuto, 1024, MPCOMM_FLOAT32),
                expected_nodes() == 1);
      EXPECT_EQ(shm.use_shm(HostAllreduceChoice::kAuto, size_t{1} << 24, MPCOMM_BFLOAT16),
                expected_nodes() == 1);
    }
  }
  for (float x : v) EXPECT_EQ(x, static_cast<float>(size * size));
}

TEST(AllReduceDispatch, BadChoiceIsRefused) {
  ScopedEnv env("MPCOMM_HOST_ALLREDUCE", "fast");
  WorldGroup world;
  float v = 1;
  if (world_size() == 1) GTEST_SKIP() << "a group of one does not read the variable";
  EXPECT_EQ(mpcomm_all_reduce(world.g, &v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("MPCOMM_HOST_ALLREDUCE='fast'"), std::string::npos) << last_error();
  ScopedEnv fixed("MPCOMM_HOST_ALLREDUCE", "auto");
  EXPECT_EQ(mpcomm_all_reduce(world.g, &v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
            MPCOMM_SUCCESS)
      << "an argument error leaves the group usable: " << last_error();
}

// Members that read different values would enter different collectives and hang: the first host
// all_reduce agrees on the value and refuses a mismatch on every member, and a bad value on one
// member fails all of them. Neither is kept: the call after the fix runs.
TEST(AllReduceDispatch, MembersMustAgreeOnTheChoice) {
  if (world_size() == 1) GTEST_SKIP() << "a group of one does not read the variable";
  const bool first = world_rank() == 0;
  WorldGroup world;
  float v = 1;
  {
    ScopedEnv env("MPCOMM_HOST_ALLREDUCE", first ? "shm" : "mpi");
    EXPECT_EQ(mpcomm_all_reduce(world.g, &v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find(first ? "this member has shm, group rank 1"
                                      : "this member has mpi, group rank 0"),
              std::string::npos)
        << last_error();
  }
  {
    ScopedEnv env("MPCOMM_HOST_ALLREDUCE", first ? "fast" : "auto");
    EXPECT_EQ(mpcomm_all_reduce(world.g, &v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find(first ? "MPCOMM_HOST_ALLREDUCE='fast'"
                                      : "MPCOMM_HOST_ALLREDUCE is invalid on group rank 0"),
              std::string::npos)
        << last_error();
  }
  ScopedEnv fixed("MPCOMM_HOST_ALLREDUCE", "mpi");
  ASSERT_EQ(mpcomm_all_reduce(world.g, &v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
            MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(v, static_cast<float>(world_size()));
  EXPECT_FALSE(mpcomm::host::host_state(*world.g).allreduce)
      << "mpi, agreed, makes no shared-memory allreduce";
}

// A member that does not come is a timeout naming it, bounded by the group's timeout, and
// breaks the group; freeing the group afterwards does not hang.
TEST(AllReduce, AMissingMemberIsATimeoutAndBreaksTheGroup) {
  const int size = world_size(), rank = world_rank();
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  if (expected_nodes() > 1) GTEST_SKIP() << "between nodes the MPI part is not bounded";
  ScopedEnv env("MPCOMM_HOST_ALLREDUCE", "shm");
  // Without checking mode: its agreement, not the allreduce, would be what times out.
  ScopedEnv check("MPCOMM_CHECK", "0");
  WorldGroup world;
  std::vector<float> v(4096, 1.0f);
  // The first call makes the windows, collectively.
  ASSERT_EQ(
      mpcomm_all_reduce(world.g, v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
      MPCOMM_SUCCESS)
      << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(world.g, 0.5), MPCOMM_SUCCESS);
  if (rank != size - 1) {
    EXPECT_EQ(mpcomm_all_reduce(world.g, v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM,
                                nullptr),
              MPCOMM_ERR_TIMEOUT);
    EXPECT_NE(last_error().find(mpcomm::concat("mpcomm_all_reduce: the shared-memory allreduce "
                                               "timed out after 0.5 s: group rank ",
                                               size - 1, " (global rank ", size - 1,
                                               ") had not arrived")),
              std::string::npos)
        << last_error();
    EXPECT_EQ(mpcomm_all_reduce(world.g, v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM,
                                nullptr),
              MPCOMM_ERR_BROKEN);
    EXPECT_NE(last_error().find("broken since an earlier failure: the shared-memory allreduce"),
              std::string::npos)
        << last_error();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // Every member frees the group (and its window) together.
  ASSERT_EQ(mpcomm_group_set_timeout(world.g, 30), MPCOMM_SUCCESS);
}

TEST(AllReduce, GroupOfOneCopiesAndReturns) {
  GroupHolder self;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &self.g), MPCOMM_SUCCESS);
  for (const char *choice : {"mpi", "shm"}) {
    ScopedEnv env("MPCOMM_HOST_ALLREDUCE", choice);
    for (mpcomm_datatype_t dtype : kReducibleDtypes)
      for (mpcomm_op_t op : kAllOps) check_all_reduce(self.g, 1, 0, dtype, op, 33);
  }
  EXPECT_EQ(mpcomm_all_reduce(self.g, nullptr, nullptr, 0, MPCOMM_INT8, MPCOMM_MAX, nullptr),
            MPCOMM_SUCCESS);
  EXPECT_FALSE(mpcomm::host::host_state(*self.g).allreduce);
}

TEST(Broadcast, EveryDtypeFromEverySource) {
  WorldGroup world;
  const int size = world_size(), rank = world_rank();
  for (size_t count : {size_t{0}, size_t{1}, size_t{1000}}) {
    for (mpcomm_datatype_t dtype : kAllDtypes) {
      for (int src = 0; src < size; ++src) {
        Typed buf(dtype, count);
        for (size_t i = 0; i < count; ++i)
          buf.put(i, rank == src ? static_cast<double>((i + src) % 50) : 99.0);
        ASSERT_EQ(mpcomm_broadcast(world.g, buf.data(), count, dtype, src, nullptr), MPCOMM_SUCCESS)
            << last_error();
        for (size_t i = 0; i < count; ++i)
          ASSERT_EQ(buf.get(i), static_cast<double>((i + src) % 50))
              << datatype_name(dtype) << " src " << src << " i " << i;
        EXPECT_TRUE(buf.guard_intact());
      }
    }
  }
}

// Each rank sends to the next and receives from the previous, by default and by rank.
TEST(SendRecv, RingWithDefaultPeers) {
  const int size = world_size(), rank = world_rank();
  if (size == 1) GTEST_SKIP() << "a group of one has no peer (see ArgumentErrors)";
  WorldGroup world;
  const int next = (rank + 1) % size, prev = (rank - 1 + size) % size;
  for (bool by_default : {true, false}) {
    const int dst = by_default ? MPCOMM_RANK_DEFAULT : next;
    const int src = by_default ? MPCOMM_RANK_DEFAULT : prev;
    for (mpcomm_datatype_t dtype : kAllDtypes) {
      for (size_t count : {size_t{0}, size_t{3}, size_t{100000}}) {
        Typed out(dtype, count), in(dtype, count);
        for (size_t i = 0; i < count; ++i) out.put(i, static_cast<double>((i * 3 + rank) % 40));
        // Even ranks send first, odd ones receive first: no cycle of blocked senders.
        if (rank % 2 == 0) {
          ASSERT_EQ(mpcomm_send(world.g, out.data(), count, dtype, dst, nullptr), MPCOMM_SUCCESS)
              << last_error();
        }
        ASSERT_EQ(mpcomm_recv(world.g, in.data(), count, dtype, src, nullptr), MPCOMM_SUCCESS)
            << last_error();
        if (rank % 2 == 1) {
          ASSERT_EQ(mpcomm_send(world.g, out.data(), count, dtype, dst, nullptr), MPCOMM_SUCCESS)
              << last_error();
        }
        for (size_t i = 0; i < count; ++i)
          ASSERT_EQ(in.get(i), static_cast<double>((i * 3 + prev) % 40))
              << datatype_name(dtype) << " count " << count << " i " << i;
        EXPECT_TRUE(in.guard_intact());
      }
    }
  }
}

// The data plane's messages do not mix with the control plane's on the same group.
TEST(SendRecv, InterleavesWithObjects) {
  const int size = world_size(), rank = world_rank();
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  WorldGroup world;
  if (rank == 0) {
    int32_t data = 42;
    const char obj[] = "object";
    ASSERT_EQ(mpcomm_send_object(world.g, obj, sizeof obj, 1), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_send(world.g, &data, 1, MPCOMM_INT32, 1, nullptr), MPCOMM_SUCCESS);
  } else if (rank == 1) {
    int32_t data = 0;
    char obj[16] = {};
    size_t len = 0;
    ASSERT_EQ(mpcomm_recv(world.g, &data, 1, MPCOMM_INT32, 0, nullptr), MPCOMM_SUCCESS)
        << last_error();
    ASSERT_EQ(mpcomm_recv_object(world.g, obj, sizeof obj, &len, 0), MPCOMM_SUCCESS);
    EXPECT_EQ(data, 42);
    EXPECT_STREQ(obj, "object");
  }
}

const std::vector<int64_t> kInShape = {2, 3, 4};
const int kDims[] = {0, 1, 2, -1, -2, -3};

TEST(AllGather, AlongEveryDimIncludingNegative) {
  WorldGroup world;
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    for (int dim : kDims) {
      const int d = dim < 0 ? dim + 3 : dim;
      Tensor in(dtype, kInShape);
      for_each_index(in.shape,
                     [&](const auto &at) { in.buf.put(in.index(at), shaped_value(rank, at)); });
      std::vector<int64_t> out_shape = kInShape;
      out_shape[static_cast<size_t>(d)] *= size;
      Tensor out(dtype, out_shape);
      ASSERT_EQ(mpcomm_all_gather(world.g, &in.dl, &out.dl, dim, nullptr), MPCOMM_SUCCESS)
          << last_error();
      // out[.., r * extent + j, ..] = rank r's in[.., j, ..]
      for_each_index(out.shape, [&](const auto &at) {
        std::vector<int64_t> src = at;
        const int64_t extent = kInShape[static_cast<size_t>(d)];
        const int r = static_cast<int>(at[static_cast<size_t>(d)] / extent);
        src[static_cast<size_t>(d)] %= extent;
        ASSERT_EQ(out.buf.get(out.index(at)), shaped_value(r, src))
            << datatype_name(dtype) << " dim " << dim;
      });
      EXPECT_TRUE(out.buf.guard_intact());
    }
  }
}

TEST(Gather, ToEveryDestinationAlongEveryDim) {
  WorldGroup world;
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kAllDtypes) {
    for (int dim : kDims) {
      for (int dst = 0; dst < size; ++dst) {
        const int d = dim < 0 ? dim + 3 : dim;
        Tensor in(dtype, kInShape);
        for_each_index(in.shape,
                       [&](const auto &at) { in.buf.put(in.index(at), shaped_value(rank, at)); });
        std::vector<int64_t> out_shape = kInShape;
        out_shape[static_cast<size_t>(d)] *= size;
        Tensor out(dtype, out_shape);
        // Elsewhere than at dst, out is not looked at: NULL is fine.
        ASSERT_EQ(
            mpcomm_gather(world.g, &in.dl, rank == dst ? &out.dl : nullptr, dst, dim, nullptr),
            MPCOMM_SUCCESS)
            << last_error();
        if (rank != dst) continue;
        for_each_index(out.shape, [&](const auto &at) {
          std::vector<int64_t> src = at;
          const int64_t extent = kInShape[static_cast<size_t>(d)];
          const int r = static_cast<int>(at[static_cast<size_t>(d)] / extent);
          src[static_cast<size_t>(d)] %= extent;
          ASSERT_EQ(out.buf.get(out.index(at)), shaped_value(r, src))
              << datatype_name(dtype) << " dim " << dim << " dst " << dst;
        });
      }
    }
  }
}

TEST(ReduceScatter, EveryDtypeAndOpAlongEveryDim) {
  WorldGroup world;
  const int size = world_size(), rank = world_rank();
  for (mpcomm_datatype_t dtype : kReducibleDtypes) {
    for (mpcomm_op_t op : kAllOps) {
      for (int dim : kDims) {
        const int d = dim < 0 ? dim + 3 : dim;
        std::vector<int64_t> in_shape = kInShape;
        in_shape[static_cast<size_t>(d)] *= size;
        Tensor in(dtype, in_shape);
        // Element `at` of in carries the value of position flat(at) of input_value.
        for_each_index(in.shape, [&](const auto &at) {
          in.buf.put(in.index(at), input_value(op, dtype, rank, in.index(at)));
        });
        Tensor out(dtype, kInShape);
        ASSERT_EQ(mpcomm_reduce_scatter(world.g, &in.dl, &out.dl, dim, op, nullptr), MPCOMM_SUCCESS)
            << last_error();
        // out[.., j, ..] = op over ranks of in[.., rank * extent + j, ..]
        for_each_index(out.shape, [&](const auto &at) {
          std::vector<int64_t> src = at;
          src[static_cast<size_t>(d)] += rank * kInShape[static_cast<size_t>(d)];
          ASSERT_EQ(out.buf.get(out.index(at)), reduce_reference(op, dtype, size, in.index(src)))
              << datatype_name(dtype) << " " << op_name(op) << " dim " << dim;
        });
        EXPECT_TRUE(out.buf.guard_intact());
      }
    }
  }
}

TEST(Shaped, GroupOfOneCopies) {
  GroupHolder self;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &self.g), MPCOMM_SUCCESS);
  Tensor in(MPCOMM_INT32, kInShape), out(MPCOMM_INT32, kInShape), rs(MPCOMM_INT32, kInShape),
      gathered(MPCOMM_INT32, kInShape);
  for_each_index(in.shape, [&](const auto &at) { in.buf.put(in.index(at), shaped_value(5, at)); });
  ASSERT_EQ(mpcomm_all_gather(self.g, &in.dl, &out.dl, -1, nullptr), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_reduce_scatter(self.g, &in.dl, &rs.dl, 1, MPCOMM_AVG, nullptr), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_gather(self.g, &in.dl, &gathered.dl, 0, 0, nullptr), MPCOMM_SUCCESS);
  for (size_t i = 0; i < in.buf.count(); ++i) {
    EXPECT_EQ(out.buf.get(i), in.buf.get(i));
    EXPECT_EQ(rs.buf.get(i), in.buf.get(i));
    EXPECT_EQ(gathered.buf.get(i), in.buf.get(i));
  }
}

// Whether the tests run in checking mode (MPCOMM_CHECK=1), where a collective's members all fail
// when one fails its own checks.
bool checking() {
  const char *check = std::getenv("MPCOMM_CHECK");
  return check != nullptr && std::string(check) == "1";
}

// Every call below fails before any communication, on every rank alike, naming the argument.
class ArgumentErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world_.g), MPCOMM_SUCCESS);
  }
  void expect(mpcomm_status_t got, mpcomm_status_t status, const std::vector<std::string> &pieces) {
    EXPECT_EQ(got, status) << last_error();
    for (const auto &piece : pieces)
      EXPECT_NE(last_error().find(piece), std::string::npos)
          << "\"" << piece << "\" not in: " << last_error();
  }
  mpcomm_group_t g() { return world_.g; }
  GroupHolder world_;
};

TEST_F(ArgumentErrors, FlatOperations) {
  const int size = world_size(), rank = world_rank();
  float a[4] = {}, b[4] = {};
  const auto bad_dtype = static_cast<mpcomm_datatype_t>(99);
  const auto bad_op = static_cast<mpcomm_op_t>(11);
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  expect(mpcomm_all_reduce(nullptr, a, b, 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), arg,
         {"mpcomm_all_reduce: group must not be NULL"});
  expect(mpcomm_all_reduce(g(), a, b, 4, bad_dtype, MPCOMM_SUM, nullptr), arg, {"dtype (99)"});
  expect(mpcomm_all_reduce(g(), a, b, 4, MPCOMM_FLOAT32, bad_op, nullptr), arg, {"op (11)"});
  expect(mpcomm_all_reduce(g(), nullptr, b, 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), arg,
         {"send must not be NULL when count (4) > 0"});
  expect(mpcomm_all_reduce(g(), a, nullptr, 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), arg,
         {"recv must not be NULL when count (4) > 0"});
  expect(mpcomm_all_reduce(g(), a, a + 1, 3, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), arg,
         {"send and recv must be the same buffer (in place) or not overlap"});
  expect(mpcomm_all_reduce(g(), a, b, SIZE_MAX / 2, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), arg,
         {"count (", "overflows size_t"});

  expect(mpcomm_broadcast(nullptr, a, 4, MPCOMM_FLOAT32, 0, nullptr), arg,
         {"mpcomm_broadcast: group must not be NULL"});
  expect(mpcomm_broadcast(g(), nullptr, 4, MPCOMM_FLOAT32, 0, nullptr), arg,
         {"buf must not be NULL when count (4) > 0"});
  expect(mpcomm_broadcast(g(), a, 4, bad_dtype, 0, nullptr), arg, {"dtype (99)"});
  expect(mpcomm_broadcast(g(), a, 4, MPCOMM_FLOAT32, size, nullptr), arg,
         {mpcomm::concat("src (", size, ") must be a rank in the group [0, ", size, ")")});
  expect(mpcomm_broadcast(g(), a, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, nullptr), arg,
         {"src (-1)"});

  expect(mpcomm_send(nullptr, a, 4, MPCOMM_FLOAT32, 0, nullptr), arg,
         {"mpcomm_send: group must not be NULL"});
  expect(mpcomm_send(g(), nullptr, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, nullptr), arg,
         {"buf must not be NULL"});
  expect(mpcomm_send(g(), a, 4, bad_dtype, MPCOMM_RANK_DEFAULT, nullptr), arg, {"dtype (99)"});
  expect(mpcomm_send(g(), a, 4, MPCOMM_FLOAT32, size, nullptr), arg,
         {mpcomm::concat("dst (", size, ") must be a rank in the group"), "MPCOMM_RANK_DEFAULT"});
  expect(mpcomm_send(g(), a, 4, MPCOMM_FLOAT32, -2, nullptr), arg, {"dst (-2)"});
  expect(mpcomm_send(g(), a, 4, MPCOMM_FLOAT32, rank, nullptr), arg,
         {mpcomm::concat("dst (", rank, ") must be another member than the caller")});
  expect(mpcomm_recv(nullptr, a, 4, MPCOMM_FLOAT32, 0, nullptr), arg,
         {"mpcomm_recv: group must not be NULL"});
  expect(mpcomm_recv(g(), nullptr, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, nullptr), arg,
         {"buf must not be NULL"});
  expect(mpcomm_recv(g(), a, 4, MPCOMM_FLOAT32, rank, nullptr), arg,
         {mpcomm::concat("src (", rank, ") must be another member than the caller")});
  expect(mpcomm_recv(g(), a, 4, MPCOMM_FLOAT32, size + 3, nullptr), arg,
         {mpcomm::concat("src (", size + 3, ")")});
  if (size == 1) {
    expect(mpcomm_send(g(), a, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, nullptr), arg,
           {"dst (0, from MPCOMM_RANK_DEFAULT)", "a group of one has no peer"});
    expect(mpcomm_recv(g(), a, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, nullptr), arg,
           {"src (0, from MPCOMM_RANK_DEFAULT)", "a group of one has no peer"});
  }
  // None of these broke the group.
  EXPECT_EQ(mpcomm_all_reduce(g(), a, b, 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), MPCOMM_SUCCESS)
      << last_error();
}

TEST_F(ArgumentErrors, ShapedOperations) {
  const int size = world_size();
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  Tensor in(MPCOMM_FLOAT32, {2, 3, 4});
  std::vector<int64_t> gathered_shape = {2, 3, 4 * size};
  Tensor out(MPCOMM_FLOAT32, gathered_shape);

  expect(mpcomm_all_gather(nullptr, &in.dl, &out.dl, -1, nullptr), arg,
         {"mpcomm_all_gather: group must not be NULL"});
  expect(mpcomm_all_gather(g(), nullptr, &out.dl, -1, nullptr), arg, {"in must not be NULL"});
  expect(mpcomm_all_gather(g(), &in.dl, nullptr, -1, nullptr), arg, {"out must not be NULL"});
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, 3, nullptr), arg,
         {"dim (3) must be in [-3, 3) for in of ndim 3"});
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -4, nullptr), arg, {"dim (-4)"});
  // out's gathered extent wrong: gathering along 1 needs [2, 3 * size, 4].
  Tensor long_out(MPCOMM_FLOAT32, {2, 3 * size + 1, 4});
  expect(mpcomm_all_gather(g(), &in.dl, &long_out.dl, 1, nullptr), arg,
         {mpcomm::concat("out.shape[1] (", 3 * size + 1,
                         ") must be in.shape[dim] * size = ", 3 * size),
          "in has shape [2, 3, 4]"});
  Tensor wrong_other(MPCOMM_FLOAT32, {2, 5, 4 * size});
  expect(mpcomm_all_gather(g(), &in.dl, &wrong_other.dl, -1, nullptr), arg,
         {"out.shape[1] (5) must equal in.shape[1] (3)"});
  Tensor wrong_ndim(MPCOMM_FLOAT32, {6, 4 * size});
  expect(mpcomm_all_gather(g(), &in.dl, &wrong_ndim.dl, -1, nullptr), arg,
         {"out.ndim (2) must equal in.ndim (3)"});
  Tensor wrong_dtype(MPCOMM_INT32, gathered_shape);
  expect(mpcomm_all_gather(g(), &in.dl, &wrong_dtype.dl, -1, nullptr), arg,
         {"out.dtype (int32) must equal in.dtype (float32)"});
  expect(mpcomm_all_gather(g(), &in.dl, &in.dl, -1, nullptr), arg,
         size == 1 ? std::vector<std::string>{"in and out must not overlap"}
                   : std::vector<std::string>{"out.shape[2] (4)"});

  // Not contiguous: a transposed view (strides of [2, 4, 3] for shape [2, 3, 4]) is refused.
  int64_t strides[3] = {12, 1, 3};
  in.dl.strides = strides;
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), arg,
         {"in is not contiguous (strides [12, 1, 3] for shape [2, 3, 4])"});
  int64_t compact[3] = {12, 4, 1};
  in.dl.strides = compact;  // explicit row-major strides are fine
  EXPECT_EQ(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), MPCOMM_SUCCESS) << last_error();
  in.dl.strides = nullptr;

  // Unsupported element types and lanes.
  in.dl.dtype = {kDLFloat, 32, 2};
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), arg,
         {"in.dtype.lanes must be 1, got 2"});
  in.dl.dtype = {kDLComplex, 64, 1};
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), arg, {"in.dtype (code 5, bits 64)"});
  in.dl.dtype = {kDLFloat, 32, 1};

  // reduce_scatter: the extent must divide by the size; op valid.
  Tensor rs_out(MPCOMM_FLOAT32, {2, 3, 4});
  expect(mpcomm_reduce_scatter(nullptr, &out.dl, &rs_out.dl, -1, MPCOMM_SUM, nullptr), arg,
         {"mpcomm_reduce_scatter: group must not be NULL"});
  expect(mpcomm_reduce_scatter(g(), &out.dl, &rs_out.dl, -1, static_cast<mpcomm_op_t>(7), nullptr),
         arg, {"op (7)"});
  if (size > 1) {
    Tensor odd(MPCOMM_FLOAT32, {2, 3, 4 * size + 1});
    expect(mpcomm_reduce_scatter(g(), &odd.dl, &rs_out.dl, 2, MPCOMM_SUM, nullptr), arg,
           {mpcomm::concat("in.shape[2] (", 4 * size + 1, ") must be divisible by the size (", size,
                           ")")});
  }
  Tensor rs_wrong(MPCOMM_FLOAT32, {2, 3, 5});
  expect(mpcomm_reduce_scatter(g(), &out.dl, &rs_wrong.dl, -1, MPCOMM_SUM, nullptr), arg,
         {"out.shape[2] (5) must be in.shape[dim] / size = 4", "out [2, 3, 5]"});

  // gather: dst in range; out checked at dst only.
  expect(mpcomm_gather(nullptr, &in.dl, &out.dl, 0, -1, nullptr), arg,
         {"mpcomm_gather: group must not be NULL"});
  expect(mpcomm_gather(g(), &in.dl, &out.dl, size, -1, nullptr), arg,
         {mpcomm::concat("dst (", size, ") must be a rank in the group [0, ", size, ")")});
  expect(mpcomm_gather(g(), &in.dl, &out.dl, -1, -1, nullptr), arg, {"dst (-1)"});
  expect(mpcomm_gather(g(), &in.dl, &out.dl, 0, 5, nullptr), arg, {"dim (5)"});
  // Only dst reads out, so only dst fails; in checking mode the others fail with it, naming its
  // error, and without it they would wait in MPI_Gather for dst: then only dst calls.
  if (world_rank() == 0 || checking()) {
    expect(mpcomm_gather(g(), &in.dl, nullptr, 0, -1, nullptr), arg, {"out must not be NULL"});
    expect(mpcomm_gather(g(), &in.dl, &wrong_other.dl, 0, -1, nullptr), arg,
           {"out.shape[1] (5) must equal in.shape[1] (3)"});
  }
  // Still usable.
  EXPECT_EQ(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), MPCOMM_SUCCESS) << last_error();
}

TEST_F(ArgumentErrors, Devices) {
  const int size = world_size();
  const auto arg = MPCOMM_ERR_INVALID_ARGUMENT;
  Tensor in(MPCOMM_FLOAT32, {2, 3});
  std::vector<int64_t> gathered_shape = {2, 3 * size};
  Tensor out(MPCOMM_FLOAT32, gathered_shape);
  // Host and device tensors in one call.
  out.dl.device = {kDLCUDA, 0};
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), arg,
         {"in is on cpu but out is on cuda:0"});
  // The receiver checks out; the others fail with it in checking mode, and without it would wait
  // in the gather.
  if (world_rank() == 0 || checking())
    expect(mpcomm_gather(g(), &in.dl, &out.dl, 0, -1, nullptr), arg,
           {"in is on cpu but out is on cuda:0"});
  Tensor rs(MPCOMM_FLOAT32, {2, 3});
  rs.dl.device = {kDLCUDAManaged, 1};
  expect(mpcomm_reduce_scatter(g(), &out.dl, &rs.dl, -1, MPCOMM_SUM, nullptr), arg,
         {"in is on cuda:0 but out is on cuda_managed:1"});
  // Pinned host memory is host memory.
  out.dl.device = {kDLCUDAHost, 0};
  EXPECT_EQ(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), MPCOMM_SUCCESS) << last_error();
  // A device no plane takes.
  in.dl.device = {kDLVulkan, 0};
  expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), MPCOMM_ERR_NOT_SUPPORTED,
         {"in is on device type 7:0", "cpu, cuda_host, cuda and cuda_managed"});
  // Without a GPU plane, CUDA tensors are NOT_SUPPORTED (the device plane says why).
  if (mpcomm_group_set_device(g(), -1) == MPCOMM_ERR_NOT_SUPPORTED) {
    in.dl.device = out.dl.device = {kDLCUDA, 0};
    expect(mpcomm_all_gather(g(), &in.dl, &out.dl, -1, nullptr), MPCOMM_ERR_NOT_SUPPORTED,
           {"mpcomm_all_gather: "});
    EXPECT_EQ(mpcomm_barrier(g(), 30), MPCOMM_SUCCESS) << "not broken: " << last_error();
  }
}

// Two parallel states side by side (TP = size and PP = size), and the default state: their
// groups each carry their own all_reduce.
TEST(States, AllReduceOnTheGroupsOfCoexistingStates) {
  const int size = world_size(), rank = world_rank();
  mpcomm_parallel_config_t tp_cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  mpcomm_parallel_config_t pp_cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  tp_cfg.tensor_parallel_size = size;
  pp_cfg.pipeline_parallel_size = size;
  mpcomm_state_t a = nullptr, b = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &tp_cfg, &a), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &pp_cfg, &b), MPCOMM_SUCCESS) << last_error();
  ScopedEnv env("MPCOMM_HOST_ALLREDUCE", "shm");
  struct Case {
    mpcomm_state_t state;
    mpcomm_group_kind_t kind;
    int expected_size;
  };
  for (const Case &c : {Case{a, MPCOMM_GROUP_TP, size}, Case{a, MPCOMM_GROUP_PP, 1},
                        Case{b, MPCOMM_GROUP_TP, 1}, Case{b, MPCOMM_GROUP_PP, size}}) {
    mpcomm_group_t group = nullptr;
    ASSERT_EQ(mpcomm_state_group(c.state, c.kind, &group), MPCOMM_SUCCESS) << last_error();
    mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
    ASSERT_EQ(mpcomm_group_info(group, &info), MPCOMM_SUCCESS);
    ASSERT_EQ(info.size, c.expected_size);
    for (mpcomm_datatype_t dtype : {MPCOMM_FLOAT32, MPCOMM_FLOAT16, MPCOMM_INT64})
      check_all_reduce(group, info.size, info.rank_in_group, dtype, MPCOMM_SUM, 4099);
  }
  // The default state's TP group.
  ASSERT_EQ(mpcomm_default_state_set(a), MPCOMM_SUCCESS) << last_error();
  mpcomm_state_t current = nullptr;
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_default_state_get(&current), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_state_group(current, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  check_all_reduce(tp, size, rank, MPCOMM_BFLOAT16, MPCOMM_AVG, 1000);
  EXPECT_EQ(mpcomm_default_state_set(nullptr), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_state_destroy(&b), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_state_destroy(&a), MPCOMM_SUCCESS);
}

}  // namespace
