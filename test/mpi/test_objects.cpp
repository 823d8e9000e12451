// Objects are bytes: send/recv, broadcast and all-gather with empty, 1-byte, 4 KiB and 8 MiB
// objects from non-zero sources; chunked large objects; two groups that share ranks used in
// turn; truncation that leaves the group in step; and bad arguments.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "group/protocol.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"

using namespace grouptest;

namespace {

const size_t kSizes[] = {0, 1, 4096, size_t{8} << 20};

// A world group whose calls give up after 20 s, so a failing rank cannot hang the others.
class Objects : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(world.g, 20), MPCOMM_SUCCESS);
    rank = world_rank();
    size = world_size();
  }
  void TearDown() override { mpcomm::protocol::set_chunk_bytes_for_testing(0); }
  GroupHolder world;
  int rank = 0, size = 1;
};

// Odd ranks send to the even rank below them (a non-zero source), which answers back.
void exchange_pairs(mpcomm_group_t g, int rank, int size, size_t len, unsigned id) {
  if (rank % 2 == 1 || rank + 1 < size) {
    const int partner = rank ^ 1;
    const auto want = object_bytes(len, id + static_cast<unsigned>(partner));
    const auto mine = object_bytes(len, id + static_cast<unsigned>(rank));
    std::vector<char> got(len + 1, 'x');
    size_t got_len = 12345;
    if (rank % 2 == 1) {
      ASSERT_EQ(mpcomm_send_object(g, mine.data(), len, partner), MPCOMM_SUCCESS) << last_error();
      ASSERT_EQ(mpcomm_recv_object(g, got.data(), got.size(), &got_len, partner), MPCOMM_SUCCESS)
          << last_error();
    } else {
      ASSERT_EQ(mpcomm_recv_object(g, got.data(), got.size(), &got_len, partner), MPCOMM_SUCCESS)
          << last_error();
      ASSERT_EQ(mpcomm_send_object(g, mine.data(), len, partner), MPCOMM_SUCCESS) << last_error();
    }
    ASSERT_EQ(got_len, len);
    got.resize(len);
    EXPECT_TRUE(got == want) << "object of " << len << " bytes differs";
  }
}

// Rank r contributes an object of lengths[r] bytes; checks the packed result.
void check_all_gather(mpcomm_group_t g, int rank, const std::vector<size_t> &lengths, unsigned id) {
  const size_t n = lengths.size();
  const auto mine =
      object_bytes(lengths[static_cast<size_t>(rank)], id + static_cast<unsigned>(rank));
  const size_t total = std::accumulate(lengths.begin(), lengths.end(), size_t{0});
  std::vector<char> out(total + 3, 'x');
  std::vector<size_t> lens(n, 77);
  ASSERT_EQ(
      mpcomm_all_gather_object(g, mine.data(), mine.size(), out.data(), out.size(), lens.data()),
      MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(lens, lengths);
  size_t offset = 0;
  for (size_t r = 0; r < n; ++r) {
    const auto want = object_bytes(lengths[r], id + static_cast<unsigned>(r));
    EXPECT_TRUE(std::equal(want.begin(), want.end(), out.begin() + static_cast<long>(offset)))
        << "object of rank " << r << " (" << lengths[r] << " bytes)";
    offset += lengths[r];
  }
  EXPECT_EQ(out[total], 'x');  // nothing written past the objects
}

}  // namespace

TEST_F(Objects, SendRecvEverySize) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  for (size_t len : kSizes) exchange_pairs(world.g, rank, size, len, 1);
}

TEST_F(Objects, MessagesBetweenAPairArriveInOrder) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  const size_t lens[] = {5, 0, 9000, 1, 4096, 70000, 3};
  if (rank == 1) {
    for (unsigned i = 0; i < 7; ++i) {
      const auto obj = object_bytes(lens[i], i);
      ASSERT_EQ(mpcomm_send_object(world.g, obj.data(), obj.size(), 0), MPCOMM_SUCCESS);
    }
  } else if (rank == 0) {
    for (unsigned i = 0; i < 7; ++i) {
      std::vector<char> got(70000);
      size_t len = 0;
      ASSERT_EQ(mpcomm_recv_object(world.g, got.data(), got.size(), &len, 1), MPCOMM_SUCCESS)
          << last_error();
      ASSERT_EQ(len, lens[i]);
      got.resize(len);
      EXPECT_TRUE(got == object_bytes(lens[i], i)) << "message " << i;
    }
  }
}

TEST_F(Objects, BroadcastEverySizeFromEverySource) {
  for (size_t len : kSizes)
    for (int src = size - 1; src >= 0; --src)
      check_broadcast(world.g, rank, src, len, static_cast<unsigned>(len + src));
}

TEST_F(Objects, AllGatherEverySize) {
  for (size_t len : kSizes) {
    std::vector<size_t> lengths(static_cast<size_t>(size), len);
    check_all_gather(world.g, rank, lengths, 3);
  }
}

TEST_F(Objects, AllGatherOfMixedLengths) {
  // Empty, small, large and just-over-eager objects side by side.
  const size_t pick[] = {0, 8192, size_t{3} << 20, 1, 8191};
  std::vector<size_t> lengths;
  for (int r = 0; r < size; ++r) lengths.push_back(pick[(r + 1) % 5]);
  check_all_gather(world.g, rank, lengths, 5);
  lengths.assign(static_cast<size_t>(size), 0);
  lengths.back() = 100000;
  check_all_gather(world.g, rank, lengths, 6);
}

TEST_F(Objects, LargeObjectsTravelInChunks) {
  // A small forced chunk size exercises the chunking that carries objects beyond 2 GiB.
  mpcomm::protocol::set_chunk_bytes_for_testing(1000);
  const size_t odd = 8192 * 3 + 17;
  for (int src = 0; src < size; ++src) check_broadcast(world.g, rank, src, odd, 9);
  check_all_gather(world.g, rank, std::vector<size_t>(static_cast<size_t>(size), odd), 10);
  if (size >= 2) exchange_pairs(world.g, rank, size, odd, 11);
  mpcomm::protocol::set_chunk_bytes_for_testing(64 * 1024);
  check_broadcast(world.g, rank, size - 1, size_t{8} << 20, 12);
  if (size >= 2) exchange_pairs(world.g, rank, size, size_t{8} << 20, 13);
}

TEST_F(Objects, TwoGroupsThatShareRanksInterleave) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  // The pair {1, 0} (group rank 0 is world rank 1) and the world group, used in turn.
  GroupHolder pair;
  const int members[] = {1, 0};
  if (rank < 2) {
    ASSERT_EQ(mpcomm_group_from_ranks(MPI_COMM_WORLD, members, 2, &pair.g), MPCOMM_SUCCESS)
        << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(pair.g, 20), MPCOMM_SUCCESS);
  }
  for (unsigned round = 0; round < 3; ++round) {
    const size_t len = round == 1 ? 20000 : 64;
    if (rank < 2) {
      // In the pair, group rank 0 (world 1) broadcasts, then world 0 sends to world 1.
      check_broadcast(pair.g, 1 - rank, 0, len, round);
    }
    check_broadcast(world.g, rank, size - 1, len, round + 100);
    if (rank < 2) {
      const auto obj = object_bytes(len, round + 200);
      if (rank == 0) {
        ASSERT_EQ(mpcomm_send_object(pair.g, obj.data(), len, 0), MPCOMM_SUCCESS) << last_error();
      } else {
        std::vector<char> got(len);
        size_t got_len = 0;
        ASSERT_EQ(mpcomm_recv_object(pair.g, got.data(), len, &got_len, 1), MPCOMM_SUCCESS)
            << last_error();
        EXPECT_TRUE(got == obj);
      }
    }
    check_all_gather(world.g, rank, std::vector<size_t>(static_cast<size_t>(size), len), round);
    if (rank < 2) check_all_gather(pair.g, 1 - rank, {len, len}, round + 300);
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
}

TEST_F(Objects, TooSmallAReceiveIsTruncatedAndTheObjectIsKeptForTheRetry) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  for (size_t len : {size_t{100}, size_t{50000}}) {
    if (rank == 1) {
      const auto first = object_bytes(len, 1), second = object_bytes(len, 2);
      ASSERT_EQ(mpcomm_send_object(world.g, first.data(), len, 0), MPCOMM_SUCCESS);
      ASSERT_EQ(mpcomm_send_object(world.g, second.data(), len, 0), MPCOMM_SUCCESS);
    } else if (rank == 0) {
      std::vector<char> small(10);
      size_t got_len = 0;
      EXPECT_EQ(mpcomm_recv_object(world.g, small.data(), small.size(), &got_len, 1),
                MPCOMM_ERR_TRUNCATED);
      EXPECT_EQ(got_len, len);
      EXPECT_NE(last_error().find("needs " + std::to_string(len) + " bytes but capacity is 10"),
                std::string::npos)
          << last_error();
      // Still too small: truncated again, still kept.
      EXPECT_EQ(mpcomm_recv_object(world.g, small.data(), small.size(), &got_len, 1),
                MPCOMM_ERR_TRUNCATED);
      std::vector<char> big(got_len);
      ASSERT_EQ(mpcomm_recv_object(world.g, big.data(), big.size(), &got_len, 1), MPCOMM_SUCCESS)
          << last_error();
      EXPECT_TRUE(big == object_bytes(len, 1)) << "the retry returns the kept object";
      ASSERT_EQ(mpcomm_recv_object(world.g, big.data(), big.size(), &got_len, 1), MPCOMM_SUCCESS)
          << last_error();
      EXPECT_TRUE(big == object_bytes(len, 2)) << "the next object is intact";
    }
  }
}

TEST_F(Objects, TruncatedBroadcastAndAllGatherKeepTheGroupInStep) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  for (size_t len : {size_t{100}, size_t{50000}}) {
    // Rank 1 receives with too small a buffer, then retries alone; the others get the object.
    std::vector<char> buf = rank == 0 ? object_bytes(len, 4) : std::vector<char>(len);
    size_t got_len = rank == 0 ? len : 0;
    const size_t capacity = rank == 1 ? len - 1 : buf.size();
    EXPECT_EQ(mpcomm_broadcast_object(world.g, buf.data(), capacity, &got_len, 0),
              rank == 1 ? MPCOMM_ERR_TRUNCATED : MPCOMM_SUCCESS)
        << last_error();
    EXPECT_EQ(got_len, len);
    if (rank == 1) {
      ASSERT_EQ(mpcomm_broadcast_object(world.g, buf.data(), got_len, &got_len, 0), MPCOMM_SUCCESS)
          << last_error();
    }
    EXPECT_TRUE(buf == object_bytes(len, 4));
    check_broadcast(world.g, rank, 1, len, 5);  // the next broadcast is intact

    // All-gather where rank 0's output is one byte short; rank 0 retries alone.
    std::vector<size_t> lengths(static_cast<size_t>(size), len);
    const auto mine = object_bytes(len, 6 + static_cast<unsigned>(rank));
    std::vector<char> out(len * static_cast<size_t>(size));
    std::vector<size_t> lens(static_cast<size_t>(size));
    const size_t cap = rank == 0 ? out.size() - 1 : out.size();
    EXPECT_EQ(mpcomm_all_gather_object(world.g, mine.data(), len, out.data(), cap, lens.data()),
              rank == 0 ? MPCOMM_ERR_TRUNCATED : MPCOMM_SUCCESS)
        << last_error();
    EXPECT_EQ(lens, lengths);
    if (rank == 0) {
      std::fill(lens.begin(), lens.end(), 0);
      ASSERT_EQ(mpcomm_all_gather_object(world.g, nullptr, 0, out.data(), out.size(), lens.data()),
                MPCOMM_SUCCESS)
          << last_error();
      EXPECT_EQ(lens, lengths);
    }
    for (int r = 0; r < size; ++r) {
      const auto want = object_bytes(len, 6 + static_cast<unsigned>(r));
      EXPECT_TRUE(std::equal(want.begin(), want.end(), out.begin() + static_cast<long>(len) * r))
          << "object of rank " << r;
    }
    check_all_gather(world.g, rank, lengths, 7);
  }
}

TEST_F(Objects, BadArgumentsAreRefused) {
  char buf[16] = {0};
  size_t len = 0;
  const int me = rank;
  EXPECT_EQ(mpcomm_send_object(world.g, buf, 1, me), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("dst must not be the caller's own rank"), std::string::npos)
      << last_error();
  EXPECT_EQ(mpcomm_recv_object(world.g, buf, 16, &len, me), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_send_object(world.g, buf, 1, size), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("dst must be a rank in the group [0, " + std::to_string(size) +
                              "), got " + std::to_string(size)),
            std::string::npos)
      << last_error();
  EXPECT_EQ(mpcomm_recv_object(world.g, buf, 16, &len, -1), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_send_object(world.g, nullptr, 1, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_recv_object(world.g, buf, 16, nullptr, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_recv_object(world.g, nullptr, 16, &len, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_send_object(nullptr, buf, 1, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_broadcast_object(world.g, buf, 16, nullptr, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_broadcast_object(world.g, buf, 16, &len, size), MPCOMM_ERR_INVALID_ARGUMENT);
  len = 17;
  EXPECT_EQ(mpcomm_broadcast_object(world.g, buf, 16, &len, me), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("*len (17) must be <= capacity (16)"), std::string::npos)
      << last_error();
  EXPECT_EQ(mpcomm_all_gather_object(world.g, buf, 1, buf, 16, nullptr),
            MPCOMM_ERR_INVALID_ARGUMENT);
  size_t lens[8];
  EXPECT_EQ(mpcomm_all_gather_object(world.g, nullptr, 1, buf, 16, lens),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_all_gather_object(world.g, buf, 1, nullptr, 16, lens),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_barrier(nullptr, 1), MPCOMM_ERR_INVALID_ARGUMENT);
  // None of these communicated: the group still works.
  check_broadcast(world.g, rank, 0, 10, 1);
}

TEST_F(Objects, AReceiveFromAnAbsentPeerTimesOutAndBreaksTheGroup) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 0.5), MPCOMM_SUCCESS);
  if (rank != 0) return;  // rank 1 never sends
  char buf[8];
  size_t len = 0;
  EXPECT_EQ(mpcomm_recv_object(g.g, buf, sizeof buf, &len, 1), MPCOMM_ERR_TIMEOUT);
  const std::string cause = last_error();
  EXPECT_NE(cause.find("recv_object timed out after 0.5 s: group rank 1 (global rank 1) had not "
                       "arrived"),
            std::string::npos)
      << cause;
  EXPECT_EQ(mpcomm_send_object(g.g, buf, 1, 1), MPCOMM_ERR_BROKEN);
  EXPECT_NE(last_error().find("broken since an earlier failure: recv_object timed out"),
            std::string::npos)
      << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  EXPECT_EQ(mpcomm_group_info(g.g, &info), MPCOMM_SUCCESS);  // local queries still work
}
