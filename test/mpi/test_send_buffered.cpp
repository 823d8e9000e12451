// mpcomm_send_object does not wait for its receiver (vLLM's send_obj): "every member sends, then
// every member receives" works at every size up to 64 MiB; sends still pending are reaped by
// later calls, waited for by mpcomm_group_free (bounded by the group's timeout, reported when
// they do not complete), and beyond MPCOMM_SEND_OBJECT_BUFFER bytes a send waits for room.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.h"

using namespace grouptest;

namespace {

// A world group whose calls give up after 120 s (64 MiB objects between 4 oversubscribed ranks
// under a loaded make check), so a failing rank cannot hang the others for long.
class SendBuffered : public ::testing::Test {
 protected:
  void SetUp() override {
    rank = world_rank();
    size = world_size();
    if (size < 2) GTEST_SKIP() << "needs 2 ranks";
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(world.g, 120), MPCOMM_SUCCESS);
  }
  GroupHolder world;
  int rank = 0, size = 1;
};

unsigned object_id(int from, int to, size_t k) {
  return static_cast<unsigned>(from * 1000 + to * 10) + static_cast<unsigned>(k);
}

// Receives one object from src and checks it is `want`.
void expect_object(mpcomm_group_t g, int src, const std::vector<char> &want,
                   std::vector<char> &buf) {
  buf.assign(want.size() + 1, 'x');
  size_t len = 12345;
  ASSERT_EQ(mpcomm_recv_object(g, buf.data(), buf.size(), &len, src), MPCOMM_SUCCESS)
      << last_error();
  ASSERT_EQ(len, want.size());
  buf.resize(len);
  EXPECT_TRUE(buf == want) << "object of " << len << " bytes from " << src << " differs";
}

// Before the sends were buffered, every size from Open MPI's eager limit on (4 KiB on shared
// memory) timed out here: both senders waited for a receive that came after their send.
void every_member_sends_then_receives(mpcomm_group_t g, int rank, int size) {
  std::vector<size_t> sizes = {0, 1, 4095, 8191, 8192, 8193};
  for (size_t len = 4; len <= (size_t{64} << 20); len *= 4) sizes.push_back(len);
  std::vector<char> buf;
  for (size_t len : sizes) {
    SCOPED_TRACE("object of " + std::to_string(len) + " bytes");
    for (int to = 0; to < size; ++to) {
      if (to == rank) continue;
      const auto mine = object_bytes(len, object_id(rank, to, len));
      ASSERT_EQ(mpcomm_send_object(g, mine.data(), len, to), MPCOMM_SUCCESS) << last_error();
    }
    for (int from = 0; from < size; ++from)
      if (from != rank) expect_object(g, from, object_bytes(len, object_id(from, rank, len)), buf);
  }
  EXPECT_EQ(mpcomm_barrier(g, 0), MPCOMM_SUCCESS) << last_error();
}

TEST_F(SendBuffered, EveryMemberSendsThenEveryMemberReceivesAtEverySize) {
  every_member_sends_then_receives(world.g, rank, size);
}

// The same through the object channels between members on one node, which a group's first
// collective object call makes.
TEST_F(SendBuffered, EveryMemberSendsThenEveryMemberReceivesThroughTheChannels) {
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  every_member_sends_then_receives(world.g, rank, size);
}

// Many objects to the next member before any receive: they arrive in the order sent.
void many_sends_before_any_receive(mpcomm_group_t g, int rank, int size) {
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  const size_t lens[] = {3, 4096, 8192, 100000, 512, 0, 1008, 1009};
  constexpr size_t kCount = 64;
  for (size_t k = 0; k < kCount; ++k) {
    const auto mine = object_bytes(lens[k % 8], object_id(rank, next, k));
    ASSERT_EQ(mpcomm_send_object(g, mine.data(), mine.size(), next), MPCOMM_SUCCESS)
        << last_error();
  }
  std::vector<char> buf;
  for (size_t k = 0; k < kCount; ++k)
    expect_object(g, prev, object_bytes(lens[k % 8], object_id(prev, rank, k)), buf);
}

TEST_F(SendBuffered, ManySendsBeforeAnyReceiveArriveInOrder) {
  many_sends_before_any_receive(world.g, rank, size);
}

TEST_F(SendBuffered, ManySendsBeforeAnyReceiveArriveInOrderThroughTheChannels) {
  ASSERT_EQ(mpcomm_barrier(world.g, 0), MPCOMM_SUCCESS) << last_error();
  many_sends_before_any_receive(world.g, rank, size);
}

// mpcomm_group_free waits for a send its receiver takes later.
TEST_F(SendBuffered, GroupFreeWaitsForAPendingSend) {
  const size_t len = size_t{1} << 20;
  mpcomm_group_t g = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(g, 20), MPCOMM_SUCCESS);
  if (rank == 0) {
    const auto mine = object_bytes(len, 7);
    ASSERT_EQ(mpcomm_send_object(g, mine.data(), len, 1), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS) << last_error();
  } else if (rank == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<char> buf;
    expect_object(g, 0, object_bytes(len, 7), buf);
    EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS) << last_error();
  } else {
    EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS) << last_error();
  }
  EXPECT_EQ(g, nullptr);
  MPI_Barrier(MPI_COMM_WORLD);
}

// A send nobody receives before the group's timeout: mpcomm_group_free frees the handle and
// says so; the send completes in the background when its receiver comes (its copy is freed
// then, at the latest at MPI_Finalize).
TEST_F(SendBuffered, GroupFreeReportsASendNobodyReceived) {
  const size_t len = size_t{1} << 20;
  mpcomm_group_t g = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(g, 0.5), MPCOMM_SUCCESS);
  if (rank == 0) {
    const auto mine = object_bytes(len, 9);
    ASSERT_EQ(mpcomm_send_object(g, mine.data(), len, 1), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_ERR_TIMEOUT);
    EXPECT_EQ(g, nullptr);
    EXPECT_NE(last_error().find("group rank 1"), std::string::npos) << last_error();
    EXPECT_NE(last_error().find("in the background"), std::string::npos) << last_error();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 1) {
    std::vector<char> buf;
    expect_object(g, 0, object_bytes(len, 9), buf);
  }
  if (rank != 0) {
    EXPECT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS) << last_error();
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// Beyond the limit a send waits for room: the receiver's later receives make it.
TEST_F(SendBuffered, BeyondTheLimitASendWaitsForItsReceiver) {
  ScopedEnv limit("MPCOMM_SEND_OBJECT_BUFFER", "1048576");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h.g, 20), MPCOMM_SUCCESS);
  const size_t len = 400000;
  constexpr size_t kCount = 8;
  if (rank == 0) {
    for (size_t k = 0; k < kCount; ++k) {
      const auto mine = object_bytes(len, object_id(0, 1, k));
      ASSERT_EQ(mpcomm_send_object(h.g, mine.data(), len, 1), MPCOMM_SUCCESS) << last_error();
    }
  } else if (rank == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<char> buf;
    for (size_t k = 0; k < kCount; ++k)
      expect_object(h.g, 0, object_bytes(len, object_id(0, 1, k)), buf);
  }
  EXPECT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_SUCCESS) << last_error();
}

// ... and when its receiver does not come, it times out naming the limit (and, as every timeout
// of the control plane, breaks the group); the sends already buffered still arrive.
TEST_F(SendBuffered, BeyondTheLimitASendTimesOutNamingTheLimit) {
  ScopedEnv limit("MPCOMM_SEND_OBJECT_BUFFER", "1048576");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h.g, 0.5), MPCOMM_SUCCESS);
  const size_t len = 400000;
  if (rank == 0) {
    for (size_t k = 0; k < 2; ++k) {
      const auto mine = object_bytes(len, object_id(0, 1, k));
      ASSERT_EQ(mpcomm_send_object(h.g, mine.data(), len, 1), MPCOMM_SUCCESS) << last_error();
    }
    const auto third = object_bytes(len, 3);
    EXPECT_EQ(mpcomm_send_object(h.g, third.data(), len, 1), MPCOMM_ERR_TIMEOUT);
    EXPECT_NE(last_error().find("MPCOMM_SEND_OBJECT_BUFFER"), std::string::npos) << last_error();
    EXPECT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_ERR_BROKEN);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 1) {
    ASSERT_EQ(mpcomm_group_set_timeout(h.g, 20), MPCOMM_SUCCESS);
    std::vector<char> buf;
    for (size_t k = 0; k < 2; ++k)
      expect_object(h.g, 0, object_bytes(len, object_id(0, 1, k)), buf);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// An object larger than the limit is not copied: it waits for its receiver, as with a limit
// of 0 (no buffering).
TEST_F(SendBuffered, AnObjectLargerThanTheLimitWaitsForItsReceiver) {
  ScopedEnv limit("MPCOMM_SEND_OBJECT_BUFFER", "0");
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_set_timeout(h.g, 20), MPCOMM_SUCCESS);
  const size_t len = size_t{4} << 20;
  std::vector<char> buf;
  if (rank == 0) {
    const auto mine = object_bytes(len, 5);
    ASSERT_EQ(mpcomm_send_object(h.g, mine.data(), len, 1), MPCOMM_SUCCESS) << last_error();
    expect_object(h.g, 1, object_bytes(len, 6), buf);
  } else if (rank == 1) {
    expect_object(h.g, 0, object_bytes(len, 5), buf);
    const auto mine = object_bytes(len, 6);
    ASSERT_EQ(mpcomm_send_object(h.g, mine.data(), len, 0), MPCOMM_SUCCESS) << last_error();
  }
  EXPECT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_SUCCESS) << last_error();
}

// A malformed limit is refused before anything is sent; the group stays usable.
TEST_F(SendBuffered, AMalformedLimitIsRefusedNamingTheVariable) {
  GroupHolder h;
  {
    ScopedEnv limit("MPCOMM_SEND_OBJECT_BUFFER", "lots");
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
    const char byte = 1;
    EXPECT_EQ(mpcomm_send_object(h.g, &byte, 1, (rank + 1) % size), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("MPCOMM_SEND_OBJECT_BUFFER"), std::string::npos) << last_error();
    EXPECT_NE(last_error().find("lots"), std::string::npos) << last_error();
  }
  EXPECT_EQ(mpcomm_barrier(h.g, 0), MPCOMM_SUCCESS) << last_error();
}

}  // namespace
