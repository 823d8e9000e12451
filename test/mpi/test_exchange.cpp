// The v-collectives' shared-memory exchange (comm/shm_exchange.hpp, host/exchange_collectives.hpp):
// on one node a call whose every member's contribution fits moves its data in the agreement's
// wait, a call where any does not takes MPI, both with the right result; members that disagree
// all fail and nothing of the peers' data is written; many calls of every op with values that
// change per call, members late now and then, stay in step (no member reads a half of another
// call); the world group on two simulated nodes (two-nodes.sh) never takes the exchange; nothing
// stays in /dev/shm. Checking mode is off: its own agreement would catch the mismatches first.
// Runs at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "dataplane_test_util.hpp"
#include "group/agreement.hpp"
#include "group/group.hpp"
#include "group_test_util.hpp"
#include "host/exchange_collectives.hpp"
#include "mpcomm.h"
#include "shm_test_util.hpp"

namespace {

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::ScopedEnv;
using mpcomm::exchanged_calls;
using mpcomm::host::ExchangeLimitForTesting;

int expected_nodes() {
  const char *v = std::getenv("MPCOMM_TEST_EXPECT_NODES");
  return v ? std::atoi(v) : 1;
}

// A group over comm, its size and rank.
struct Group : GroupHolder {
  int size = 0, rank = 0;
  explicit Group(MPI_Comm comm) {
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &rank);
    EXPECT_EQ(mpcomm_group_from_comm(comm, &g), MPCOMM_SUCCESS) << last_error();
  }
};

// A value of call `call` that member `from` sends (to `to`, at i): small integers, exact in
// every dtype used here.
double value(int call, int from, int to, size_t i) {
  return static_cast<double>((static_cast<size_t>(call) * 13 + static_cast<size_t>(from) * 7 +
                              static_cast<size_t>(to) * 3 + i) %
                             100);
}

// all_to_all of `count` int32 per member; checks the result when it succeeds.
mpcomm_status_t all_to_all(const Group &g, int call, size_t count) {
  const size_t n = static_cast<size_t>(g.size);
  dptest::Typed send(MPCOMM_INT32, count * n), recv(MPCOMM_INT32, count * n);
  for (int to = 0; to < g.size; ++to)
    for (size_t i = 0; i < count; ++i) send.put(to * count + i, value(call, g.rank, to, i));
  const mpcomm_status_t s =
      mpcomm_all_to_all(g.g, send.data(), recv.data(), count, MPCOMM_INT32, nullptr);
  if (s == MPCOMM_SUCCESS) {
    for (int from = 0; from < g.size; ++from)
      for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(recv.get(from * count + i), value(call, from, g.rank, i))
            << "call " << call << " from " << from;
      }
  }
  EXPECT_TRUE(recv.guard_intact());
  return s;
}

// all_gatherv along dim 1 of a [2, sizes[r], 3] float32 tensor; `view` is this member's sizes
// (they differ from the others' to make a mismatch). On failure out must be untouched.
mpcomm_status_t all_gatherv(const Group &g, int call, const std::vector<size_t> &view) {
  const std::vector<size_t> &sizes = view;
  int64_t total = 0;
  for (size_t s : sizes) total += static_cast<int64_t>(s);
  const auto mine = static_cast<int64_t>(sizes[static_cast<size_t>(g.rank)]);
  dptest::Tensor in(MPCOMM_FLOAT32, {2, mine, 3}), out(MPCOMM_FLOAT32, {2, total, 3});
  for (size_t i = 0; i < in.buf.count(); ++i) in.buf.put(i, value(call, g.rank, 0, i));
  const mpcomm_status_t s = mpcomm_all_gatherv(g.g, &in.dl, &out.dl, sizes.data(), 1, nullptr);
  if (s == MPCOMM_SUCCESS) {
    int64_t row = 0;
    for (int r = 0; r < g.size; ++r) {
      const auto rows = static_cast<int64_t>(sizes[static_cast<size_t>(r)]);
      for (int64_t o = 0; o < 2; ++o)
        for (int64_t x = 0; x < rows; ++x)
          for (int64_t c = 0; c < 3; ++c) {
            const auto i = static_cast<size_t>((o * rows + x) * 3 + c);
            EXPECT_EQ(out.buf.get(out.index({o, row + x, c})), value(call, r, 0, i))
                << "call " << call << " member " << r;
          }
      row += rows;
    }
  } else {
    std::vector<unsigned char> untouched(out.buf.count() * 4, 0xEE);
    EXPECT_EQ(std::memcmp(out.buf.data(), untouched.data(), untouched.size()), 0)
        << "a failed call wrote into out";
  }
  return s;
}

// reduce_scatterv (sum) along dim 0 of a [sum(sizes), 5] int64 tensor; `op` may differ between
// members to make a mismatch. On failure out must be untouched.
mpcomm_status_t reduce_scatterv(const Group &g, int call, const std::vector<size_t> &sizes,
                                mpcomm_op_t op) {
  int64_t total = 0, before = 0;
  for (int r = 0; r < g.size; ++r) {
    if (r < g.rank) before += static_cast<int64_t>(sizes[static_cast<size_t>(r)]);
    total += static_cast<int64_t>(sizes[static_cast<size_t>(r)]);
  }
  const auto mine = static_cast<int64_t>(sizes[static_cast<size_t>(g.rank)]);
  dptest::Tensor in(MPCOMM_INT64, {total, 5}), out(MPCOMM_INT64, {mine, 5});
  for (size_t i = 0; i < in.buf.count(); ++i) in.buf.put(i, value(call, g.rank, 0, i));
  const mpcomm_status_t s =
      mpcomm_reduce_scatterv(g.g, &in.dl, &out.dl, sizes.data(), 0, op, nullptr);
  if (s == MPCOMM_SUCCESS) {
    for (size_t i = 0; i < out.buf.count(); ++i) {
      double want = 0;
      for (int r = 0; r < g.size; ++r)
        want += value(call, r, 0, static_cast<size_t>(before) * 5 + i);
      EXPECT_EQ(out.buf.get(i), want) << "call " << call << " element " << i;
    }
  } else {
    std::vector<unsigned char> untouched(out.buf.count() * 8, 0xEE);
    EXPECT_EQ(std::memcmp(out.buf.data(), untouched.data(), untouched.size()), 0)
        << "a failed call wrote into out";
  }
  EXPECT_TRUE(out.buf.guard_intact());
  return s;
}

// all_to_allv of uint16 where member i sends (i + j + call) % 4 * scale elements to member j,
// packed with a gap of one; checks the result.
mpcomm_status_t all_to_allv(const Group &g, int call, size_t scale) {
  const size_t n = static_cast<size_t>(g.size);
  const auto count = [&](int from, int to) {
    return static_cast<size_t>((from + to + call) % 4) * scale;
  };
  std::vector<size_t> sc(n), sd(n), rc(n), rd(n);
  size_t sent = 0, received = 0;
  for (int j = 0; j < g.size; ++j) {
    sc[j] = count(g.rank, j), sd[j] = sent, sent += sc[j] + 1;
    rc[j] = count(j, g.rank), rd[j] = received, received += rc[j];
  }
  dptest::Typed send(MPCOMM_UINT16, sent), recv(MPCOMM_UINT16, received);
  for (int j = 0; j < g.size; ++j)
    for (size_t i = 0; i < sc[j]; ++i) send.put(sd[j] + i, value(call, g.rank, j, i));
  const mpcomm_status_t s = mpcomm_all_to_allv(g.g, send.data(), sc.data(), sd.data(), recv.data(),
                                               rc.data(), rd.data(), MPCOMM_UINT16, nullptr);
  if (s == MPCOMM_SUCCESS) {
    for (int from = 0; from < g.size; ++from)
      for (size_t i = 0; i < rc[from]; ++i) {
        EXPECT_EQ(recv.get(rd[from] + i), value(call, from, g.rank, i))
            << "call " << call << " from " << from;
      }
  }
  EXPECT_TRUE(recv.guard_intact());
  return s;
}

// Calls whose every member's contribution fits take the exchange, others MPI: small and large
// calls by default, and around a lowered limit, including a call where one member's block is
// over the limit and the others' are not. Across simulated nodes nothing takes the exchange.
TEST(Exchange, SmallCallsTakeItTheOthersMpi) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  shmtest::Node node;
  Group world(MPI_COMM_WORLD), g(node.comm);
  if (g.size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
  const bool one_node = expected_nodes() == 1;
  ASSERT_EQ(all_to_all(world, 0, 16), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*world.g), one_node ? 1u : 0u);

  // Default limits: a 4 KiB send buffer goes through the exchange, 8 MiB takes MPI.
  uint64_t before = exchanged_calls(*g.g);
  ASSERT_EQ(all_to_all(g, 1, 1024 / static_cast<size_t>(g.size)), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 1);
  ASSERT_EQ(all_to_all(g, 2, (size_t{1} << 21) / static_cast<size_t>(g.size)), MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 1);
  // At the half's capacity (the blocks to the peers fill it) and one element past it.
  const size_t full = mpcomm::kExchangeCapacity / sizeof(int32_t) / static_cast<size_t>(g.size - 1);
  ASSERT_EQ(all_to_all(g, 3, full), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 2);
  ASSERT_EQ(all_to_all(g, 4, full + 1), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 2);
  ASSERT_EQ(all_to_all(g, 5, 1), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 3);
  // all_to_allv under the same limit: at most 3 x 40000 uint16 to each of 3 peers fit; a member
  // with 3 x 200000 to a peer (over 1 MiB) sends every member to MPI.
  ASSERT_EQ(all_to_allv(g, 6, 2048), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 4);
  ASSERT_EQ(all_to_allv(g, 2, 40000), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 5);
  ASSERT_EQ(all_to_allv(g, 2, 200000), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 5);

  // Around a limit of 240 bytes: all_gatherv blocks of 2 x rows x 3 float32 (24 bytes a row).
  const ExchangeLimitForTesting limit(240);
  const size_t n = static_cast<size_t>(g.size);
  before = exchanged_calls(*g.g);
  ASSERT_EQ(all_gatherv(g, 3, std::vector<size_t>(n, 10)), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 1) << "10 rows: 240 bytes fit";
  ASSERT_EQ(all_gatherv(g, 4, std::vector<size_t>(n, 11)), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 1) << "11 rows: 264 bytes do not";
  std::vector<size_t> one_large(n, 1);
  one_large[n - 1] = 11;
  ASSERT_EQ(all_gatherv(g, 5, one_large), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 1) << "one member's block does not fit";
  ASSERT_EQ(reduce_scatterv(g, 6, std::vector<size_t>(n, 1), MPCOMM_SUM), MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 2) << "(size - 1) x 40 bytes per member fit";
  ASSERT_EQ(all_to_allv(g, 7, 1), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 3) << "a few elements and the table fit";
  ASSERT_EQ(all_to_allv(g, 8, 100), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(exchanged_calls(*g.g), before + 3) << "hundreds of elements do not";
}

// A member whose sizes or op differ: every member fails naming it, and none wrote into out
// (nobody read a peer's data); the next call goes through the exchange again.
TEST(Exchange, MembersThatDisagreeReadNothing) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  shmtest::Node node;
  Group g(node.comm);
  if (g.size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
  const size_t n = static_cast<size_t>(g.size);
  for (int odd = 0; odd < g.size; ++odd) {
    const uint64_t before = exchanged_calls(*g.g);
    std::vector<size_t> sizes(n, 2);
    if (g.rank == odd) sizes[(static_cast<size_t>(odd) + 1) % n] = 3;  // odd's view of a peer
    EXPECT_EQ(all_gatherv(g, odd, sizes), MPCOMM_ERR_INVALID_ARGUMENT) << last_error();
    EXPECT_NE(last_error().find("the members disagree on sizes["), std::string::npos)
        << last_error();
    EXPECT_EQ(
        reduce_scatterv(g, odd, std::vector<size_t>(n, 2), g.rank == odd ? MPCOMM_MAX : MPCOMM_SUM),
        MPCOMM_ERR_INVALID_ARGUMENT)
        << last_error();
    EXPECT_NE(last_error().find("the members disagree on op"), std::string::npos) << last_error();
    EXPECT_EQ(exchanged_calls(*g.g), before);
    ASSERT_EQ(all_gatherv(g, odd, std::vector<size_t>(n, 2)), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(exchanged_calls(*g.g), before + 1);
  }
}

// Many calls of every op, values changing per call, sizes on both sides of a lowered limit,
// some calls that disagree, a member late now and then: every result is its own call's.
TEST(Exchange, ManyCallsStayInStep) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  shmtest::Node node;
  Group g(node.comm);
  if (g.size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
  const ExchangeLimitForTesting limit(1024);
  const size_t n = static_cast<size_t>(g.size);
  const uint64_t before = exchanged_calls(*g.g);
  int disagreed = 0;
  for (int call = 0; call < 400; ++call) {
    if ((call * 7 + g.rank * 3) % 23 == 0) usleep(150);  // this member comes late
    const bool large = call % 5 == 4;
    mpcomm_status_t s = MPCOMM_SUCCESS;
    switch (call % 4) {
      case 0: s = all_to_all(g, call, large ? 300 : 1 + call % 9); break;
      case 1: s = all_gatherv(g, call, std::vector<size_t>(n, large ? 50 : call % 4)); break;
      case 2: {
        const bool odd = call % 11 == 2;
        s = reduce_scatterv(g, call, std::vector<size_t>(n, large ? 10 : 1 + call % 3),
                            odd && g.rank == 0 ? MPCOMM_MIN : MPCOMM_SUM);
        if (odd) {
          EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << "call " << call << ": " << last_error();
          ++disagreed;
          continue;
        }
        break;
      }
      default: s = all_to_allv(g, call, large ? 200 : 1 + call % 5); break;
    }
    ASSERT_EQ(s, MPCOMM_SUCCESS) << "call " << call << ": " << last_error();
  }
  EXPECT_GT(disagreed, 0);
  // Most calls are small: they went through the exchange.
  EXPECT_GT(exchanged_calls(*g.g), before + 200);
}

// The group's segments are gone from /dev/shm once made, and none of this process's stays.
TEST(Exchange, NothingStaysInDevShm) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  shmtest::Node node;
  const auto own_names = [] {
    const std::set<std::string> names = shmtest::dev_shm();
    return std::vector<std::string>(names.begin(), names.end());
  };
  {
    Group g(node.comm);
    ASSERT_EQ(all_to_all(g, 0, 8), MPCOMM_SUCCESS) << last_error();
    EXPECT_TRUE(own_names().empty()) << own_names().front() << " stayed after the first call";
    ASSERT_EQ(all_to_all(g, 1, 8), MPCOMM_SUCCESS) << last_error();
  }
  EXPECT_TRUE(own_names().empty()) << own_names().front() << " stayed after the group";
}

}  // namespace
