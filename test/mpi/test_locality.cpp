// Node locality: which ranks share a node, and how many nodes a group spans. The expected
// answers come from the host names (each "node" of a simulated cluster has its own), so the
// same test holds on one node and under test/mpi/two-nodes.sh.
#include <dirent.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "mpcomm.h"

namespace {

std::vector<std::string> host_names(MPI_Comm comm) {
  char mine[256] = {0};
  gethostname(mine, sizeof(mine) - 1);
  int size = 0;
  MPI_Comm_size(comm, &size);
  std::vector<char> all(256 * static_cast<size_t>(size));
  MPI_Allgather(mine, 256, MPI_CHAR, all.data(), 256, MPI_CHAR, comm);
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r) out.emplace_back(&all[256 * static_cast<size_t>(r)]);
  return out;
}

std::set<std::string> dev_shm_entries() {
  std::set<std::string> names;
  if (DIR *dir = opendir("/dev/shm")) {
    // Open MPI's own transport files (vader_segment.*) come and go with the jobs that run
    // beside this one.
    while (dirent *e = readdir(dir))
      if (std::string(e->d_name).rfind("vader_segment.", 0) != 0) names.insert(e->d_name);
    closedir(dir);
  }
  return names;
}

class Locality : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world_), MPCOMM_SUCCESS);
  }
  void TearDown() override { mpcomm_group_free(&world_); }
  mpcomm_group_t world_ = nullptr;
};

}  // namespace

TEST_F(Locality, EverySourceAgreesWithHostNames) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  auto hosts = host_names(MPI_COMM_WORLD);
  for (int source = 0; source < size; ++source) {
    std::vector<int> flags(static_cast<size_t>(size), -1);
    ASSERT_EQ(mpcomm_in_the_same_node_as(world_, source, flags.data()), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    for (int r = 0; r < size; ++r)
      EXPECT_EQ(flags[r], hosts[r] == hosts[source] ? 1 : 0)
          << "rank " << r << " source " << source;
  }
}

TEST_F(Locality, NodeCountIsTheNumberOfHosts) {
  auto hosts = host_names(MPI_COMM_WORLD);
  int count = 0;
  ASSERT_EQ(mpcomm_node_count(world_, &count), MPCOMM_SUCCESS) << mpcomm_last_error();
  EXPECT_EQ(count, static_cast<int>(std::set<std::string>(hosts.begin(), hosts.end()).size()));
  // two-nodes.sh says how many nodes it simulated, so the test cannot pass on one by accident.
  if (const char *expect = std::getenv("MPCOMM_TEST_EXPECT_NODES")) {
    EXPECT_EQ(count, std::atoi(expect));
  }
}

TEST_F(Locality, SubgroupAnswersInGroupRanks) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  // The last and the first rank, in that order; the others stay out.
  int members[2] = {size - 1, 0};
  auto hosts = host_names(MPI_COMM_WORLD);
  if (rank != members[0] && rank != members[1]) return;
  mpcomm_group_t pair = nullptr;
  ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, members, 2, &pair), MPCOMM_SUCCESS)
      << mpcomm_last_error();
  int flags[2] = {-1, -1};
  ASSERT_EQ(mpcomm_in_the_same_node_as(pair, 1, flags), MPCOMM_SUCCESS) << mpcomm_last_error();
  EXPECT_EQ(flags[0], hosts[size - 1] == hosts[0] ? 1 : 0);
  EXPECT_EQ(flags[1], 1);
  mpcomm_group_free(&pair);
}

TEST_F(Locality, LeavesNothingInDevShm) {
  auto before = dev_shm_entries();
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<int> flags(static_cast<size_t>(size));
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(mpcomm_in_the_same_node_as(world_, i % size, flags.data()), MPCOMM_SUCCESS);
  MPI_Barrier(MPI_COMM_WORLD);
  // Only what this test left counts: tests running alongside may add and remove their own.
  std::vector<std::string> left;
  for (const auto &entry : dev_shm_entries())
    if (before.count(entry) == 0) left.push_back(entry);
  EXPECT_TRUE(left.empty()) << "left in /dev/shm: " << left.front();
}

TEST_F(Locality, BadArgumentsAreNamed) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<int> flags(static_cast<size_t>(size));
  EXPECT_EQ(mpcomm_in_the_same_node_as(world_, size, flags.data()), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("source_rank " + std::to_string(size)),
            std::string::npos)
      << mpcomm_last_error();
  EXPECT_EQ(mpcomm_in_the_same_node_as(world_, -1, flags.data()), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_in_the_same_node_as(world_, 0, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("flags"), std::string::npos);
  EXPECT_EQ(mpcomm_in_the_same_node_as(nullptr, 0, flags.data()), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_node_count(world_, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_node_count(nullptr, flags.data()), MPCOMM_ERR_INVALID_ARGUMENT);
}
