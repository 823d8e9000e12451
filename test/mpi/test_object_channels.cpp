// The object plane's shared-memory channels (group/object_channels.hpp) between the members of a
// group on one node, and MPI to the others: objects below, at and above a slot and above the
// eager size; broadcast from every root; send/recv interleaved with collectives; many sends
// before their receives (full channels go over MPI); sends before the channels exist, then
// after; truncation and retry; a member that never comes; nothing left in /dev/shm. Also run on
// two simulated nodes (two-nodes.sh), where half the members are remote.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "group/group.hpp"
#include "group/object_channels.hpp"
#include "group/protocol.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"
#include "shm_test_util.hpp"

using namespace grouptest;
using mpcomm::ObjectChannels;

namespace {

constexpr size_t kSlot = ObjectChannels::kPayloadBytes;
const size_t kSizes[] = {0, 1, 512, kSlot, kSlot + 1, mpcomm::protocol::kInlineBytes, 8192, 100000};

class ObjectChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rank = world_rank();
    size = world_size();
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(world.g, 30), MPCOMM_SUCCESS);
  }
  // The group's channels, made by its first collective object call.
  ObjectChannels *channels() { return world.g->object_channels(); }
  GroupHolder world;
  int rank = 0, size = 1;
  shmtest::Node node;
};

// Member r contributes an object of sizes[(r + shift) % n] bytes.
void check_all_gather(mpcomm_group_t g, int rank, int size, size_t shift, unsigned id) {
  const size_t n = std::size(kSizes);
  const auto len_of = [&](int r) { return kSizes[(static_cast<size_t>(r) + shift) % n]; };
  const auto mine = object_bytes(len_of(rank), id + static_cast<unsigned>(rank));
  size_t total = 0;
  for (int r = 0; r < size; ++r) total += len_of(r);
  std::vector<char> out(total + 5, 'x');
  std::vector<size_t> lens(static_cast<size_t>(size));
  ASSERT_EQ(
      mpcomm_all_gather_object(g, mine.data(), mine.size(), out.data(), out.size(), lens.data()),
      MPCOMM_SUCCESS)
      << last_error();
  size_t offset = 0;
  for (int r = 0; r < size; ++r) {
    ASSERT_EQ(lens[static_cast<size_t>(r)], len_of(r));
    const auto want = object_bytes(len_of(r), id + static_cast<unsigned>(r));
    EXPECT_TRUE(std::equal(want.begin(), want.end(), out.begin() + static_cast<long>(offset)))
        << "object of member " << r;
    offset += len_of(r);
  }
}

void recv_expect(mpcomm_group_t g, int src, size_t len, unsigned id) {
  std::vector<char> got(len + 3, 'x');
  size_t got_len = 0;
  ASSERT_EQ(mpcomm_recv_object(g, got.data(), got.size(), &got_len, src), MPCOMM_SUCCESS)
      << last_error();
  ASSERT_EQ(got_len, len) << "object " << id;
  got.resize(len);
  EXPECT_TRUE(got == object_bytes(len, id)) << "object " << id << " of " << len << " bytes";
}

void send(mpcomm_group_t g, int dst, size_t len, unsigned id) {
  const auto bytes = object_bytes(len, id);
  ASSERT_EQ(mpcomm_send_object(g, bytes.data(), len, dst), MPCOMM_SUCCESS) << last_error();
}

TEST_F(ObjectChannelsTest, ChannelsLinkExactlyTheMembersOnTheNode) {
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  if (node.size == 1) {
    EXPECT_EQ(channels(), nullptr);
    return;
  }
  ASSERT_NE(channels(), nullptr);
  std::vector<int> node_of(static_cast<size_t>(size));
  int mine = 0;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  mine = static_cast<int>(std::hash<std::string>{}(host)&0x7fffffff);
  MPI_Allgather(&mine, 1, MPI_INT, node_of.data(), 1, MPI_INT, MPI_COMM_WORLD);
  for (int r = 0; r < size; ++r)
    EXPECT_EQ(channels()->local(r), node_of[static_cast<size_t>(r)] == mine) << "rank " << r;
}

TEST_F(ObjectChannelsTest, BroadcastFromEveryRootAtEverySize) {
  unsigned id = 1;
  for (size_t len : kSizes)
    for (int src = 0; src < size; ++src) check_broadcast(world.g, rank, src, len, id++);
}

TEST_F(ObjectChannelsTest, AllGatherAtEverySize) {
  for (size_t shift = 0; shift < std::size(kSizes); ++shift)
    check_all_gather(world.g, rank, size, shift, static_cast<unsigned>(100 * shift));
}

TEST_F(ObjectChannelsTest, SendRecvAtEverySizeInterleavedWithCollectives) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  unsigned id = 1000;
  for (size_t len : kSizes) {
    // Each sends two objects to the next, a broadcast and a barrier pass them, then each takes
    // the two from the previous: p2p and collective channels do not overtake one another.
    send(world.g, next, len, id + static_cast<unsigned>(rank));
    send(world.g, next, kSizes[1], id + 50 + static_cast<unsigned>(rank));
    check_broadcast(world.g, rank, size - 1, len, id + 99);
    ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
    recv_expect(world.g, prev, len, id + static_cast<unsigned>(prev));
    recv_expect(world.g, prev, kSizes[1], id + 50 + static_cast<unsigned>(prev));
    id += 100;
  }
}

TEST_F(ObjectChannelsTest, ManySendsBeforeTheirReceivesOverflowToMpiInOrder) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  // Five times a channel's slots, with objects too large for a slot among them.
  const int count = 5 * static_cast<int>(ObjectChannels::kSlots);
  const auto len_of = [](int i) { return i % 7 == 3 ? kSlot + 100 : static_cast<size_t>(i * 13); };
  if (rank == 1)
    for (int i = 0; i < count; ++i) send(world.g, 0, len_of(i), static_cast<unsigned>(i));
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  if (rank == 0)
    for (int i = 0; i < count; ++i) recv_expect(world.g, 1, len_of(i), static_cast<unsigned>(i));
  // The channel is back in use once the receiver has caught up.
  for (int round = 0; round < 3; ++round) {
    if (rank == 1) send(world.g, 0, 100, 7000u + static_cast<unsigned>(round));
    if (rank == 0) recv_expect(world.g, 1, 100, 7000u + static_cast<unsigned>(round));
  }
}

TEST_F(ObjectChannelsTest, ARootThatRunsAheadOverflowsToMpiInOrder) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  // The others start late: the root's broadcasts fill their channels and go on over MPI.
  if (rank != 0) usleep(200 * 1000);
  for (unsigned i = 0; i < 4 * ObjectChannels::kSlots; ++i)
    check_broadcast(world.g, rank, 0, i % 5 == 4 ? kSlot + 1 : i, 8000 + i);
  check_all_gather(world.g, rank, size, 2, 9000);
}

TEST_F(ObjectChannelsTest, SendsBeforeTheChannelsExistAreReceivedFirst) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 30), MPCOMM_SUCCESS);
  // Before the first collective: over MPI. Rank 0 takes two of the five before it.
  if (rank == 1)
    for (unsigned i = 0; i < 5; ++i) send(g.g, 0, 10 * i, i);
  if (rank == 0)
    for (unsigned i = 0; i < 2; ++i) recv_expect(g.g, 1, 10 * i, i);
  EXPECT_EQ(g.g->object_channels(), nullptr);
  check_all_gather(g.g, rank, size, 0, 50);  // makes the channels
  if (rank == 1)
    for (unsigned i = 5; i < 10; ++i) send(g.g, 0, 10 * i, i);
  if (rank == 0)
    for (unsigned i = 2; i < 10; ++i) recv_expect(g.g, 1, 10 * i, i);
  // And the other way round, both directions at once.
  if (rank < 2) {
    const int peer = 1 - rank;
    for (unsigned i = 0; i < 3; ++i) send(g.g, peer, 200, 300 + i);
    for (unsigned i = 0; i < 3; ++i) recv_expect(g.g, peer, 200, 300 + i);
  }
}

TEST_F(ObjectChannelsTest, TruncationKeepsTheObjectForTheRetry) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  if (rank == 1) {
    send(world.g, 0, 300, 1);
    send(world.g, 0, 20, 2);
  }
  if (rank == 0) {
    char small[10];
    size_t len = 0;
    EXPECT_EQ(mpcomm_recv_object(world.g, small, sizeof small, &len, 1), MPCOMM_ERR_TRUNCATED);
    EXPECT_EQ(len, 300u);
    recv_expect(world.g, 1, 300, 1);
    recv_expect(world.g, 1, 20, 2);
  }
  // A broadcast too large for one member's buffer: it retries alone; the others go on.
  const int src = size - 1, small_rank = 0;
  const auto object = object_bytes(400, 5);
  std::vector<char> buf = rank == src ? object : std::vector<char>(rank == small_rank ? 8 : 400);
  size_t len = rank == src ? 400 : 0;
  const mpcomm_status_t st = mpcomm_broadcast_object(world.g, buf.data(), buf.size(), &len, src);
  if (rank == small_rank && rank != src) {
    EXPECT_EQ(st, MPCOMM_ERR_TRUNCATED);
    EXPECT_EQ(len, 400u);
    buf.assign(400, 'x');
    ASSERT_EQ(mpcomm_broadcast_object(world.g, buf.data(), buf.size(), &len, src), MPCOMM_SUCCESS)
        << last_error();
  } else {
    EXPECT_EQ(st, MPCOMM_SUCCESS) << last_error();
  }
  EXPECT_EQ(len, 400u);
  EXPECT_TRUE(buf == object);
  check_broadcast(world.g, rank, src, 30, 6);  // still in step
}

TEST_F(ObjectChannelsTest, NothingIsLeftInDevShm) {
  const auto before = shmtest::dev_shm();
  {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS) << last_error();
    check_all_gather(g.g, rank, size, 1, 1);
    check_broadcast(g.g, rank, 0, 100, 2);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto after = shmtest::dev_shm();
  for (const auto &name : after)
    EXPECT_TRUE(before.count(name) || name.find("mpcomm") == std::string::npos) << name;
}

// A slot header is another process's memory: a length beyond the slot, or the tag of another
// operation, is MALFORMED at the receiver and breaks the group, never a read past the slot.
TEST_F(ObjectChannelsTest, ASpoiledSlotHeaderIsMalformed) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  struct Case {
    size_t offset;  // of the word spoiled in the slot header
    uint32_t value;
    const char *says;
  };
  const Case cases[] = {{8, 1u << 20, "announces 1048576 bytes in a slot of 1008"},
                        {12, 3, "carries tag 3 where a message of tag 1 belongs"}};
  for (const Case &c : cases) {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_barrier(g.g, 0), MPCOMM_SUCCESS) << last_error();
    ObjectChannels *ch = g.g->object_channels();
    const bool paired = ch != nullptr && ch->local(1) && rank < 2;
    if (paired && rank == 1) send(g.g, 0, 4, 1);
    if (paired && rank == 0) {
      ObjectChannels::Arrival a{ObjectChannels::Arrival::kNotYet, nullptr, 0};
      for (int i = 0; i < 20000000 && a.state == ObjectChannels::Arrival::kNotYet; ++i)
        a = ch->poll(1, ObjectChannels::kPointToPoint, mpcomm::protocol::kTagSend);
      ASSERT_EQ(a.state, ObjectChannels::Arrival::kHere);
      char *header = const_cast<char *>(a.data) - ObjectChannels::kSlotHeaderBytes;
      std::memcpy(header + c.offset, &c.value, sizeof c.value);
      char buf[8];
      size_t len = 0;
      EXPECT_EQ(mpcomm_recv_object(g.g, buf, sizeof buf, &len, 1), MPCOMM_ERR_MALFORMED);
      EXPECT_NE(last_error().find(c.says), std::string::npos) << last_error();
      EXPECT_EQ(mpcomm_recv_object(g.g, buf, sizeof buf, &len, 1), MPCOMM_ERR_BROKEN);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

// The last two tests: a member that never comes leaves messages to it unreceived, which must not
// meet a later test's communicator.
TEST_F(ObjectChannelsTest, AMemberThatNeverComesIsNamed) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv check("MPCOMM_CHECK", "0");  // its agreement would be what times out
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 1), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_barrier(g.g, 0), MPCOMM_SUCCESS) << last_error();
  const int missing = size - 1;
  const std::string who = "group rank " + std::to_string(missing) + " (global rank " +
                          std::to_string(missing) + ") had not arrived";
  if (rank == missing) return;  // never broadcasts
  char buf[16] = {};
  size_t len = 0;
  EXPECT_EQ(mpcomm_broadcast_object(g.g, buf, sizeof buf, &len, missing), MPCOMM_ERR_TIMEOUT);
  EXPECT_NE(last_error().find("broadcast_object timed out after 1 s: " + who), std::string::npos)
      << last_error();
  EXPECT_EQ(mpcomm_recv_object(g.g, buf, sizeof buf, &len, missing), MPCOMM_ERR_BROKEN);
}

TEST_F(ObjectChannelsTest, AMemberMissingFromTheFirstCollectiveIsNamed) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv check("MPCOMM_CHECK", "0");
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 1), MPCOMM_SUCCESS);
  const int missing = size - 1;
  if (rank == missing) return;
  char buf[4] = {1, 2, 3, 4};
  size_t lens[4];
  char out[64];
  EXPECT_EQ(mpcomm_all_gather_object(g.g, buf, sizeof buf, out, sizeof out, lens),
            MPCOMM_ERR_TIMEOUT);
  EXPECT_NE(last_error().find("all_gather_object timed out after 1 s: group rank " +
                              std::to_string(missing)),
            std::string::npos)
      << last_error();
}

}  // namespace
