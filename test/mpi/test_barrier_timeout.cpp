// The barrier: back to back, on subsets, with its default timeout; and a rank that skips it,
// which the others report as MPCOMM_ERR_TIMEOUT within the timeout plus one second, naming the
// missing rank, after which the group is broken and the program still ends cleanly.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <string>

#include "group_test_util.hpp"
#include "mpcomm.h"

using namespace grouptest;

TEST(Barrier, ManyInARow) {
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(mpcomm_barrier(h.g, 20), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_SUCCESS) << last_error();   // the group's timeout
  ASSERT_EQ(mpcomm_barrier(h.g, -1), MPCOMM_SUCCESS) << last_error();  // likewise
}

TEST(Barrier, ReallyWaitsForEveryone) {
  const int r = world_rank(), n = world_size();
  if (n < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  // The last rank arrives 0.3 s late; nobody may leave before it came.
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  if (r == n - 1) {
    while (MPI_Wtime() < start + 0.3) {
    }
  }
  ASSERT_EQ(mpcomm_barrier(h.g, 20), MPCOMM_SUCCESS) << last_error();
  EXPECT_GE(MPI_Wtime() - start, 0.25);
}

TEST(Barrier, OnASubsetOnlyTheMembersCall) {
  const int r = world_rank(), n = world_size();
  if (n < 3) GTEST_SKIP() << "needs 3 ranks";
  if (r == 1) return;
  std::vector<int> members;
  for (int i = 0; i < n; ++i)
    if (i != 1) members.push_back(i);
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, members.data(),
                                    static_cast<int>(members.size()), &h.g),
            MPCOMM_SUCCESS)
      << last_error();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(mpcomm_barrier(h.g, 20), MPCOMM_SUCCESS) << last_error();
}

TEST(Barrier, BadTimeoutsAreRefused) {
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(mpcomm_barrier(h.g, std::nan("")), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("timeout_s must be a finite number of seconds"), std::string::npos)
      << last_error();
  EXPECT_EQ(mpcomm_barrier(h.g, HUGE_VAL), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_barrier(h.g, 20), MPCOMM_SUCCESS) << last_error();  // still usable
}

TEST(Barrier, ARankThatSkipsItIsNamedAndTheGroupIsBroken) {
  const int r = world_rank(), n = world_size();
  if (n < 2) GTEST_SKIP() << "needs 2 ranks";
  // Without checking mode: its agreement, not the barrier, would be what times out.
  ScopedEnv check("MPCOMM_CHECK", "0");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  const int missing = n - 1;
  if (r == missing) return;  // skips the barrier; frees its group
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mpcomm_barrier(h.g, 2.0), MPCOMM_ERR_TIMEOUT);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string cause = last_error();
  EXPECT_GE(took, 2.0);
  EXPECT_LT(took, 3.0);
  const std::string who = "group rank " + std::to_string(missing) + " (global rank " +
                          std::to_string(missing) + ") had not arrived";
  EXPECT_NE(cause.find("barrier timed out after 2 s: " + who), std::string::npos) << cause;
  // Every later call says the group is broken, with the original cause.
  EXPECT_EQ(mpcomm_barrier(h.g, 2.0), MPCOMM_ERR_BROKEN);
  EXPECT_NE(last_error().find(who), std::string::npos) << last_error();
  size_t len = 0;
  char buf[4];
  EXPECT_EQ(mpcomm_broadcast_object(h.g, buf, sizeof buf, &len, 0), MPCOMM_ERR_BROKEN);
}
