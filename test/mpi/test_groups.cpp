// Groups: made from a communicator or from a subset of ranks (only members call), their
// GroupCoordinator-style info, any number coexisting, and every bad argument refused.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.h"

using namespace grouptest;

TEST(Groups, FromWorldHasTheWorldsRanksAndGroupCoordinatorInfo) {
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(h.g, &info), MPCOMM_SUCCESS) << last_error();
  const int r = world_rank(), n = world_size();
  EXPECT_EQ(info.rank_in_group, r);
  EXPECT_EQ(info.size, n);
  EXPECT_EQ(info.global_rank, r);
  EXPECT_EQ(info.first_rank, 0);
  EXPECT_EQ(info.last_rank, n - 1);
  EXPECT_EQ(info.next_rank, (r + 1) % n);
  EXPECT_EQ(info.prev_rank, (r - 1 + n) % n);
  EXPECT_EQ(info.is_first_rank, r == 0 ? 1 : 0);
  EXPECT_EQ(info.is_last_rank, r == n - 1 ? 1 : 0);
  // One node here: the local rank is the world rank.
  EXPECT_EQ(info.local_rank, r);
  std::vector<int> ranks(static_cast<size_t>(n), -1);
  ASSERT_EQ(mpcomm_group_ranks(h.g, ranks.data(), ranks.size()), MPCOMM_SUCCESS);
  for (int i = 0; i < n; ++i) EXPECT_EQ(ranks[static_cast<size_t>(i)], i);
}

TEST(Groups, FromRanksKeepsTheListedOrder) {
  // The world in reverse order: group rank i is world rank n-1-i.
  const int r = world_rank(), n = world_size();
  std::vector<int> reversed;
  for (int i = n - 1; i >= 0; --i) reversed.push_back(i);
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, reversed.data(), n, &h.g), MPCOMM_SUCCESS)
      << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(h.g, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.rank_in_group, n - 1 - r);
  EXPECT_EQ(info.global_rank, r);
  EXPECT_EQ(info.first_rank, n - 1);
  EXPECT_EQ(info.last_rank, 0);
  EXPECT_EQ(info.next_rank, (r - 1 + n) % n);  // the next group rank is the previous world rank
  EXPECT_EQ(info.prev_rank, (r + 1) % n);
  EXPECT_EQ(info.is_first_rank, r == n - 1 ? 1 : 0);
  EXPECT_EQ(info.is_last_rank, r == 0 ? 1 : 0);
  std::vector<int> ranks(static_cast<size_t>(n));
  ASSERT_EQ(mpcomm_group_ranks(h.g, ranks.data(), ranks.size()), MPCOMM_SUCCESS);
  EXPECT_EQ(ranks, reversed);
}

TEST(Groups, PairThenEveryoneCoexist) {
  // A and B form a group, then A, B, C, D form another: the StatelessProcessGroup case.
  const int r = world_rank(), n = world_size();
  if (n < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder pair, all;
  const int ab[] = {1, 0};
  if (r < 2) {
    ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, ab, 2, &pair.g), MPCOMM_SUCCESS)
        << last_error();
  }
  std::vector<int> everyone;
  for (int i = 0; i < n; ++i) everyone.push_back(i);
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, everyone.data(), n, &all.g), MPCOMM_SUCCESS)
      << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(all.g, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.size, n);
  if (r < 2) {
    ASSERT_EQ(mpcomm_group_info(pair.g, &info), MPCOMM_SUCCESS);
    EXPECT_EQ(info.size, 2);
    EXPECT_EQ(info.rank_in_group, 1 - r);
    EXPECT_EQ(info.first_rank, 1);
  }
}

TEST(Groups, DisjointSubsetsFormAtTheSameTime) {
  const int r = world_rank(), n = world_size();
  if (n < 4) GTEST_SKIP() << "needs 4 ranks";
  const int evens[] = {0, 2}, odds[] = {3, 1};
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, r % 2 ? odds : evens, 2, &h.g), MPCOMM_SUCCESS)
      << last_error();
  std::vector<int> ranks(2);
  ASSERT_EQ(mpcomm_group_ranks(h.g, ranks.data(), 2), MPCOMM_SUCCESS);
  EXPECT_EQ(ranks, r % 2 ? std::vector<int>({3, 1}) : std::vector<int>({0, 2}));
}

TEST(Groups, ManyGroupsAtOnce) {
  std::vector<GroupHolder> groups(20);
  for (auto &h : groups)
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  const int self_only[] = {world_rank()};
  GroupHolder self;
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, self_only, 1, &self.g), MPCOMM_SUCCESS)
      << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(self.g, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.size, 1);
  EXPECT_EQ(info.next_rank, world_rank());
  EXPECT_EQ(info.prev_rank, world_rank());
}

TEST(Groups, BadRanksAreInvalidArguments) {
  const int r = world_rank(), n = world_size();
  mpcomm_group_t g = nullptr;
  const int dup[] = {r, r};
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, dup, 2, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("appears twice"), std::string::npos) << last_error();
  const int out_of_range[] = {r, n};
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, out_of_range, 2, &g),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ranks[1] = " + std::to_string(n)), std::string::npos)
      << last_error();
  const int negative[] = {-1};
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, negative, 1, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  const int me[] = {r};
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, me, 0, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("n must be >= 1, got 0"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, nullptr, 1, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, me, 1, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_NULL, me, 1, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  if (n >= 2) {
    const int other[] = {(r + 1) % n};
    EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, other, 1, &g), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("is not in ranks"), std::string::npos) << last_error();
  }
  EXPECT_EQ(g, nullptr);
}

TEST(Groups, NullArgumentsAreRefused) {
  mpcomm_group_t g = nullptr;
  EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_NULL, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("MPI_COMM_NULL"), std::string::npos) << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  EXPECT_EQ(mpcomm_group_info(nullptr, &info), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("group must not be NULL"), std::string::npos) << last_error();
  int ranks[4];
  EXPECT_EQ(mpcomm_group_ranks(nullptr, ranks, 4), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_group_free(nullptr), MPCOMM_SUCCESS);  // a no-op, as free(NULL)
  EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS);       // *group == NULL: nothing to do

  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_group_info(h.g, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("info must not be NULL"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_group_ranks(h.g, nullptr, 4), MPCOMM_ERR_INVALID_ARGUMENT);
  std::vector<int> few(static_cast<size_t>(world_size()));
  EXPECT_EQ(mpcomm_group_ranks(h.g, few.data(), few.size() - 1), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("capacity must be at least the group size"), std::string::npos)
      << last_error();
  double t = 0;
  EXPECT_EQ(mpcomm_group_get_timeout(h.g, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_group_get_timeout(nullptr, &t), MPCOMM_ERR_INVALID_ARGUMENT);
}

TEST(Groups, TimeoutDefaultsToTheEnvironmentAndCanBeSet) {
  GroupHolder a, b;
  {
    ScopedEnv env("MPCOMM_TIMEOUT", "42.5");
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &a.g), MPCOMM_SUCCESS) << last_error();
  }
  double t = 0;
  ASSERT_EQ(mpcomm_group_get_timeout(a.g, &t), MPCOMM_SUCCESS);
  EXPECT_EQ(t, 42.5);
  ASSERT_EQ(mpcomm_group_set_timeout(a.g, 2.5), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_get_timeout(a.g, &t), MPCOMM_SUCCESS);
  EXPECT_EQ(t, 2.5);
  EXPECT_EQ(mpcomm_group_set_timeout(a.g, 1.0 / 0.0), MPCOMM_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(mpcomm_group_set_timeout(a.g, 0), MPCOMM_SUCCESS);  // back to MPCOMM_TIMEOUT
  ASSERT_EQ(mpcomm_group_get_timeout(a.g, &t), MPCOMM_SUCCESS);
  EXPECT_EQ(t, 300);
  {
    ScopedEnv env("MPCOMM_TIMEOUT", "soon");
    EXPECT_EQ(
        mpcomm_group_from_ranks(MPI_COMM_WORLD, std::vector<int>{world_rank()}.data(), 1, &b.g),
        MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("MPCOMM_TIMEOUT='soon'"), std::string::npos) << last_error();
    EXPECT_EQ(b.g, nullptr);
  }
}

TEST(Groups, AMissingMemberIsATimeoutNotAHang) {
  const int r = world_rank(), n = world_size();
  if (n < 2) GTEST_SKIP() << "needs 2 ranks";
  // Every rank but the last lists the whole world; the last one never comes.
  if (r == n - 1) return;
  ScopedEnv env("MPCOMM_TIMEOUT", "1");
  std::vector<int> everyone;
  for (int i = 0; i < n; ++i) everyone.push_back(i);
  GroupHolder h;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, everyone.data(), n, &h.g), MPCOMM_ERR_TIMEOUT);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(took, 2.5);
  if (r == 0) {
    EXPECT_NE(last_error().find("parent rank " + std::to_string(n - 1) + " had not arrived"),
              std::string::npos)
        << last_error();
  } else {
    EXPECT_NE(last_error().find("timed out after 1 s"), std::string::npos) << last_error();
  }
  EXPECT_EQ(h.g, nullptr);
}

// A process that comes after the others gave up on mpcomm_group_from_comm: they get a timeout
// (their MPI_Comm_idup stays pending, parked, never freed: MPI forbids freeing it and Open MPI
// aborts), it gets its group once they progress, and every process finalizes normally.
TEST(Groups, ALateProcessTimesOutFromCommAndStillGetsItsGroup) {
  const int r = world_rank(), n = world_size();
  if (n < 2) GTEST_SKIP() << "needs 2 ranks";
  {
    // A group over the world first learns the node-local rank, so that the late process's
    // group makes no other collective over the world.
    GroupHolder first;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &first.g), MPCOMM_SUCCESS) << last_error();
  }
  GroupHolder h;
  if (r == 0) {
    ScopedEnv env("MPCOMM_TIMEOUT", "0.5");
    EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_ERR_TIMEOUT);
    EXPECT_NE(last_error().find("timed out after 0.5 s duplicating comm"), std::string::npos)
        << last_error();
    EXPECT_EQ(h.g, nullptr);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  }
  // Rank 0 waits here, which progresses its parked duplication so that the others complete.
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(Groups, MembersMustPassTheSameList) {
  const int r = world_rank(), n = world_size();
  if (n < 3) GTEST_SKIP() << "needs 3 ranks";
  if (r > 2) return;
  const int one_way[] = {0, 1, 2}, other_way[] = {0, 2, 1};
  GroupHolder h;
  EXPECT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, r == 2 ? other_way : one_way, 3, &h.g),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("same ranks list"), std::string::npos) << last_error();
}
