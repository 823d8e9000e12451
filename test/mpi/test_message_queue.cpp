// Broadcasts through a group's message queue: many messages in flight and wrap-around, objects
// larger than a slot, truncation and retry, a slow reader, a missing writer. Under
// test/mpi/two-nodes.sh half the readers are on another node and get every object over MPI.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mpcomm.h"
#include "scoped_env.hpp"

namespace {

struct Fixture : ::testing::Test {
  void SetUp() override {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group), MPCOMM_SUCCESS);
    // Small slots and few of them, so that tests wrap around and overflow quickly.
    ASSERT_EQ(mpcomm_group_enable_message_queue(group, 1024, 4), MPCOMM_SUCCESS)
        << mpcomm_last_error();
  }
  void TearDown() override { mpcomm_group_free(&group); }
  int rank = 0, size = 1;
  mpcomm_group_t group = nullptr;
};

std::string object(int i) {
  // Lengths cross the 1024-byte slot now and then: those travel over MPI.
  return "object " + std::to_string(i) + ":" +
         std::string(static_cast<size_t>((i * 37) % 1500), 'a' + i % 26);
}

}  // namespace

using MessageQueue = Fixture;

TEST_F(MessageQueue, ManyObjectsInOrder) {
  std::vector<char> buf(4096);
  for (int i = 0; i < 400; ++i) {
    std::string want = object(i);
    size_t len = want.size();
    if (rank == 0) std::copy(want.begin(), want.end(), buf.begin());
    ASSERT_EQ(mpcomm_broadcast_object(group, buf.data(), buf.size(), &len, 0), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    ASSERT_EQ(std::string(buf.data(), len), want) << "object " << i;
  }
}

TEST_F(MessageQueue, EmptyAndLargeObjects) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1024}, size_t{1025}, size_t{3} << 20}) {
    std::vector<char> buf(n + 1, rank == 0 ? 'x' : 0);
    size_t len = n;
    ASSERT_EQ(mpcomm_broadcast_object(group, buf.data(), buf.size(), &len, 0), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    ASSERT_EQ(len, n);
    EXPECT_EQ(std::count(buf.begin(), buf.begin() + static_cast<long>(n), 'x'),
              static_cast<long>(n));
  }
}

TEST_F(MessageQueue, TruncationKeepsTheObjectForTheRetry) {
  for (size_t n : {size_t{100}, size_t{5000}}) {  // in a slot, and over MPI
    std::string want(n, 'q');
    std::vector<char> small(10), big(n);
    size_t len = n;
    if (rank == 0) {
      ASSERT_EQ(mpcomm_broadcast_object(group, want.data(), n, &len, 0), MPCOMM_SUCCESS);
      len = 3;
      ASSERT_EQ(mpcomm_broadcast_object(group, const_cast<char *>("end"), 3, &len, 0),
                MPCOMM_SUCCESS);
      continue;
    }
    EXPECT_EQ(mpcomm_broadcast_object(group, small.data(), small.size(), &len, 0),
              MPCOMM_ERR_TRUNCATED);
    EXPECT_EQ(len, n);
    ASSERT_EQ(mpcomm_broadcast_object(group, big.data(), big.size(), &len, 0), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    EXPECT_EQ(std::string(big.data(), len), want);
    // The next object follows intact.
    ASSERT_EQ(mpcomm_broadcast_object(group, small.data(), small.size(), &len, 0), MPCOMM_SUCCESS);
    EXPECT_EQ(std::string(small.data(), len), "end");
  }
}

TEST_F(MessageQueue, ASlowReaderOnlyDelaysTheWriter) {
  if (size < 2) GTEST_SKIP() << "needs a reader";
  // The writer fills the 4 slots and more while the last rank sleeps; with a long timeout it
  // just waits, and every object arrives.
  std::vector<char> buf(64);
  if (rank == size - 1) usleep(300000);
  for (int i = 0; i < 20; ++i) {
    size_t len = 5;
    if (rank == 0) std::copy_n("hello", 5, buf.begin());
    ASSERT_EQ(mpcomm_broadcast_object(group, buf.data(), buf.size(), &len, 0), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    ASSERT_EQ(std::string(buf.data(), len), "hello");
  }
}

TEST(MessageQueueTimeout, AMissingWriterIsATimeoutNamingIt) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) GTEST_SKIP() << "needs a reader";
  // Without checking mode: its agreement, not the ring, would be what times out.
  mpcomm::test::ScopedEnv check("MPCOMM_CHECK", "0");
  mpcomm_group_t group = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_enable_message_queue(group, 1024, 4), MPCOMM_SUCCESS)
      << mpcomm_last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(group, 0.5), MPCOMM_SUCCESS);
  if (rank != 0) {
    char buf[8];
    size_t len = 0;
    const double start = MPI_Wtime();
    EXPECT_EQ(mpcomm_broadcast_object(group, buf, sizeof buf, &len, 0), MPCOMM_ERR_TIMEOUT);
    // Readers on the writer's node wait on the ring, the others on MPI: both name the writer.
    EXPECT_NE(std::string(mpcomm_last_error()).find("group rank 0 (global rank 0)"),
              std::string::npos)
        << mpcomm_last_error();
    EXPECT_LT(MPI_Wtime() - start, 1.5);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  mpcomm_group_free(&group);
}

TEST_F(MessageQueue, OtherSourcesStillWork) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  char buf[16] = "from last";
  size_t len = 9;
  ASSERT_EQ(mpcomm_broadcast_object(group, buf, sizeof buf, &len, size - 1), MPCOMM_SUCCESS)
      << mpcomm_last_error();
  EXPECT_EQ(std::string(buf, len), "from last");
}

TEST(MessageQueueArgs, BadArguments) {
  EXPECT_EQ(mpcomm_group_enable_message_queue(nullptr, 0, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  mpcomm_group_t g = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_group_enable_message_queue(g, 0, -1), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("-1"), std::string::npos);
  mpcomm_group_free(&g);
}
