// The v-collectives' agreement on the members' sizes and counts (group/agreement.hpp): on a
// group of one node it takes shared memory (comm/shm_exchange.hpp), names the member that differs,
// stays in step over many calls that fit and do not in turn (the slots' parity), gives TIMEOUT
// naming a member that never comes instead of hanging, and leaves nothing mapped nor in
// /dev/shm after the group is freed; on a group spanning nodes it takes MPI_Allreduce
// (two-nodes.sh, MPCOMM_TEST_EXPECT_NODES=2). Checking mode is off: its own agreement would
// catch the mismatches first. Runs at 1, 2 and 4 ranks.
#include <dirent.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "comm/shm_exchange.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "dataplane_test_util.hpp"
#include "group/agreement.hpp"
#include "group/group.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"

namespace {

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::ScopedEnv;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::AgreementPath;
using mpcomm::concat;

int expected_nodes() {
  const char *v = std::getenv("MPCOMM_TEST_EXPECT_NODES");
  return v ? std::atoi(v) : 1;
}

// The group of this process's node (MPI_COMM_TYPE_SHARED), its size in `size`.
struct NodeGroup : GroupHolder {
  int size = 0, rank = 0;
  NodeGroup() {
    MPI_Comm node = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &size);
    MPI_Comm_rank(node, &rank);
    EXPECT_EQ(mpcomm_group_from_comm(node, &g), MPCOMM_SUCCESS) << last_error();
    MPI_Comm_free(&node);
  }
};

// Block j of member r's all_to_all send: r * 1000 + j * 10 + i.
mpcomm_status_t all_to_all(mpcomm_group_t g, int size, int rank, size_t count, bool check) {
  std::vector<int32_t> send(count * static_cast<size_t>(size)), recv(send.size(), -1);
  for (int j = 0; j < size; ++j)
    for (size_t i = 0; i < count; ++i)
      send[static_cast<size_t>(j) * count + i] = rank * 1000 + j * 10 + static_cast<int32_t>(i);
  const mpcomm_status_t s =
      mpcomm_all_to_all(g, send.data(), recv.data(), count, MPCOMM_INT32, nullptr);
  if (check && s == MPCOMM_SUCCESS) {
    for (int from = 0; from < size; ++from)
      for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(recv[static_cast<size_t>(from) * count + i],
                  from * 1000 + rank * 10 + static_cast<int32_t>(i));
      }
  }
  return s;
}

// all_gatherv of one float32 column where member r has sizes[r] rows (its own row count is
// its in tensor's); checks the result when it succeeds.
mpcomm_status_t all_gatherv(mpcomm_group_t g, int rank, const std::vector<size_t> &sizes,
                            size_t own_rows) {
  int64_t total = 0;
  for (size_t s : sizes) total += static_cast<int64_t>(s);
  dptest::Tensor in(MPCOMM_FLOAT32, {static_cast<int64_t>(own_rows), 1});
  dptest::Tensor out(MPCOMM_FLOAT32, {total, 1});
  for (size_t i = 0; i < own_rows; ++i) in.buf.put(i, rank * 100.0 + static_cast<double>(i));
  const mpcomm_status_t s = mpcomm_all_gatherv(g, &in.dl, &out.dl, sizes.data(), 0, nullptr);
  if (s == MPCOMM_SUCCESS) {
    size_t at = 0;
    for (size_t r = 0; r < sizes.size(); ++r)
      for (size_t i = 0; i < sizes[r]; ++i)
        EXPECT_EQ(out.buf.get(at++), static_cast<double>(r) * 100.0 + static_cast<double>(i));
  }
  return s;
}

// all_to_allv where every member sends (i + j) % 3 + 1 elements to member j, but member `odd`
// (-1: none) expects one more from member (odd + 1) % size.
mpcomm_status_t all_to_allv(mpcomm_group_t g, int size, int rank, int odd) {
  const size_t n = static_cast<size_t>(size);
  std::vector<size_t> sc(n), sd(n), rc(n), rd(n);
  size_t sent = 0, received = 0;
  for (int j = 0; j < size; ++j) {
    sc[j] = static_cast<size_t>((rank + j) % 3 + 1), sd[j] = sent, sent += sc[j];
    rc[j] = static_cast<size_t>((j + rank) % 3 + 1) + (rank == odd && j == (odd + 1) % size);
    rd[j] = received, received += rc[j];
  }
  std::vector<int64_t> send(sent, rank), recv(received, -1);
  const mpcomm_status_t s = mpcomm_all_to_allv(g, send.data(), sc.data(), sd.data(), recv.data(),
                                               rc.data(), rd.data(), MPCOMM_INT64, nullptr);
  if (s == MPCOMM_SUCCESS) {
    for (int from = 0; from < size; ++from)
      for (size_t i = 0; i < rc[from]; ++i) {
        EXPECT_EQ(recv[rd[from] + i], from);
      }
  }
  return s;
}

// The lines of /proc/self/maps that map an mpcomm segment, and the names in /dev/shm that
// this process made.
int mapped_segments() {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.find("/dev/shm/mpcomm-") != std::string::npos) ++n;
  return n;
}
std::vector<std::string> own_shm_names() {
  std::vector<std::string> names;
  const std::string prefix = concat("mpcomm-", getpid(), "-");
  if (DIR *dir = opendir("/dev/shm")) {
    while (const dirent *e = readdir(dir))
      if (std::string(e->d_name).rfind(prefix, 0) == 0) names.push_back(e->d_name);
    closedir(dir);
  }
  return names;
}

void expect_error(mpcomm_status_t got, mpcomm_status_t want,
                  const std::vector<std::string> &pieces) {
  EXPECT_EQ(got, want) << last_error();
  for (const auto &piece : pieces)
    EXPECT_NE(last_error().find(piece), std::string::npos)
        << "\"" << piece << "\" not in: " << last_error();
}

TEST(Agreement, SharedMemoryOnOneNodeMpiAcrossNodes) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  const int size = world_size(), rank = world_rank();
  {
    GroupHolder world;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm::agreement_path(*world.g), AgreementPath::kUndecided);
    ASSERT_EQ(all_to_all(world.g, size, rank, 3, true), MPCOMM_SUCCESS) << last_error();
    // A group of one never agrees; a group spanning nodes takes MPI (a bounded MPI_Iallreduce).
    const AgreementPath want = size == 1               ? AgreementPath::kUndecided
                               : expected_nodes() == 1 ? AgreementPath::kSharedMemory
                                                       : AgreementPath::kMpi;
    EXPECT_EQ(mpcomm::agreement_path(*world.g), want);
  }
  NodeGroup node;
  if (node.size < 2) return;
  ASSERT_EQ(all_to_all(node.g, node.size, node.rank, 2, true), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(mpcomm::agreement_path(*node.g), AgreementPath::kSharedMemory);
}

// Each member in turn passes sizes (or a count) that differ from the others': on shared memory,
// every member fails alike naming it, and the group lives on.
TEST(Agreement, NamesTheMemberThatDiffers) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  NodeGroup node;
  const int size = node.size, rank = node.rank;
  if (size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
  for (int odd = 0; odd < size; ++odd) {
    // The first member that differs from member 0, and what each of the two passed.
    const int named = odd == 0 ? 1 : odd;
    const std::string named_value = odd == 0 ? "passed 2" : "passed 3";
    expect_error(all_to_all(node.g, size, rank, rank == odd ? 3 : 2, false),
                 MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_all_to_all: the members disagree on count",
                  concat("group rank ", named, " "), named_value});
    std::vector<size_t> sizes(static_cast<size_t>(size), 2);
    if (rank == odd) sizes[static_cast<size_t>((odd + 1) % size)] = 3;  // odd's view of a peer
    expect_error(all_gatherv(node.g, rank, sizes, 2), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"the members disagree on sizes[", concat("group rank ", named, " ")});
    expect_error(all_to_allv(node.g, size, rank, odd), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"the counts do not pair up", concat("group rank ", odd, " ")});
    EXPECT_EQ(mpcomm::agreement_path(*node.g), AgreementPath::kSharedMemory);
  }
  EXPECT_EQ(all_to_all(node.g, size, rank, 4, true), MPCOMM_SUCCESS) << last_error();
}

// Calls that fit and calls that do not, in an irregular order, with a member now and then late:
// every call's result is the one its arguments call for, so no member reads a slot of another
// call.
TEST(Agreement, StaysInStepOverManyCalls) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  NodeGroup node;
  const int size = node.size, rank = node.rank;
  if (size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
  for (int i = 0; i < 600; ++i) {
    const bool fits = i < 100 ? i % 2 == 0 : (i * 7) % 5 >= 2;
    const int odd = fits ? -1 : i % size;
    if (i % 17 == rank) usleep(200);  // this member comes late to this call
    std::vector<size_t> sizes(static_cast<size_t>(size));
    for (int r = 0; r < size; ++r) sizes[static_cast<size_t>(r)] = static_cast<size_t>(r + i % 3);
    mpcomm_status_t s = MPCOMM_SUCCESS;
    switch (i % 3) {
      case 0: s = all_to_all(node.g, size, rank, rank == odd ? 5 : 4, true); break;
      case 1:
        if (rank == odd) sizes[static_cast<size_t>((odd + 1) % size)] += 1;  // odd's view of a peer
        s = all_gatherv(node.g, rank, sizes, static_cast<size_t>(rank + i % 3));
        break;
      default: s = all_to_allv(node.g, size, rank, odd); break;
    }
    ASSERT_EQ(s, fits ? MPCOMM_SUCCESS : MPCOMM_ERR_INVALID_ARGUMENT)
        << "call " << i << ": " << last_error();
  }
  EXPECT_EQ(mpcomm::agreement_path(*node.g), AgreementPath::kSharedMemory);
}

// A member that never comes: the others get TIMEOUT within the group's timeout, naming it, and
// BROKEN after; nothing of the group's segments stays mapped or named after the free.
TEST(Agreement, MissingMemberTimesOutAndNothingStays) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  const int mapped_before = mapped_segments();
  {
    NodeGroup node;
    const int size = node.size, rank = node.rank;
    if (size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
    const double timeout = 0.5;
    ASSERT_EQ(mpcomm_group_set_timeout(node.g, timeout), MPCOMM_SUCCESS);
    ASSERT_EQ(all_to_all(node.g, size, rank, 1, true), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm::agreement_path(*node.g), AgreementPath::kSharedMemory);
    ASSERT_EQ(mpcomm::exchanged_calls(*node.g), 1u) << "the data went through shared memory";
    // Every member maps each member's segment, and no name is left in /dev/shm.
    EXPECT_EQ(mapped_segments(), mapped_before + size);
    EXPECT_TRUE(own_shm_names().empty());
    const int missing = size - 1;
    if (rank != missing) {
      const auto start = std::chrono::steady_clock::now();
      expect_error(all_to_all(node.g, size, rank, 1, false), MPCOMM_ERR_TIMEOUT,
                   {"mpcomm_all_to_all: the members' agreement on the call's sizes timed out",
                    concat("group rank ", missing, " "), "had not arrived"});
      const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
      EXPECT_GE(waited.count(), timeout * 0.9);
      EXPECT_LT(waited.count(), timeout + 5);
      expect_error(all_to_all(node.g, size, rank, 1, false), MPCOMM_ERR_BROKEN,
                   {"had not arrived"});
    }
  }
  EXPECT_EQ(mapped_segments(), mapped_before);
  EXPECT_TRUE(own_shm_names().empty());
  MPI_Barrier(MPI_COMM_WORLD);
}

// A member that fails its own checks (NULL send) before a call on the world group, which spans
// the nodes under two-nodes.sh (the MPI path, MPI_Iallreduce against the deadline) and is one
// node otherwise (shared memory): the others time out in the agreement instead of hanging, and
// the group is broken.
TEST(Agreement, AMemberFailingItsOwnChecksLeavesTheOthersATimeoutOnEitherPath) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  const int size = world_size(), rank = world_rank();
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  {
    GroupHolder world;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(world.g, 0.5), MPCOMM_SUCCESS);
    ASSERT_EQ(all_to_all(world.g, size, rank, 2, true), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(mpcomm::agreement_path(*world.g),
              expected_nodes() == 1 ? AgreementPath::kSharedMemory : AgreementPath::kMpi);
    const int bad = size - 1;
    std::vector<int32_t> recv(2 * static_cast<size_t>(size));
    if (rank == bad) {
      expect_error(mpcomm_all_to_all(world.g, nullptr, recv.data(), 2, MPCOMM_INT32, nullptr),
                   MPCOMM_ERR_INVALID_ARGUMENT, {"send must not be NULL"});
    } else {
      const auto start = std::chrono::steady_clock::now();
      expect_error(all_to_all(world.g, size, rank, 2, false), MPCOMM_ERR_TIMEOUT,
                   {"agreement on the call's sizes"});
      const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
      EXPECT_LT(waited.count(), 0.5 + 5);
      expect_error(all_to_all(world.g, size, rank, 2, false), MPCOMM_ERR_BROKEN, {});
    }
  }
  EXPECT_TRUE(own_shm_names().empty());
  MPI_Barrier(MPI_COMM_WORLD);
}

// A member missing at the group's first agreement, which makes the segments: TIMEOUT too.
TEST(Agreement, MissingMemberAtTheFirstCallTimesOut) {
  ScopedEnv check("MPCOMM_CHECK", "0");
  {
    NodeGroup node;
    const int size = node.size, rank = node.rank;
    if (size < 2) GTEST_SKIP() << "needs 2 ranks on a node";
    ASSERT_EQ(mpcomm_group_set_timeout(node.g, 0.5), MPCOMM_SUCCESS);
    if (rank != size - 1)
      expect_error(all_to_all(node.g, size, rank, 1, false), MPCOMM_ERR_TIMEOUT,
                   {"setting up the v-collectives' agreement"});
  }
  EXPECT_TRUE(own_shm_names().empty());
  MPI_Barrier(MPI_COMM_WORLD);
}

// Member r's part of call k.
uint64_t part(int r, uint64_t k) { return (k * 0x9e3779b97f4a7c15ull) ^ (uint64_t{1} << (r % 64)); }

// One member runs on to call k + 1 (publishes it, with its data) while the others still hold
// call k between publishing and reading it: they must read call k's parts and data, not the
// runner's newer ones. With one slot and half per member instead of two they would read the
// runner's call k + 1.
TEST(ShmExchange, ACallStaysReadableWhileAPeerRunsAhead) {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &comm);
  int size = 0, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  if (size < 2) {
    MPI_Comm_free(&comm);
    GTEST_SKIP() << "needs 2 ranks on a node";
  }
  constexpr size_t kWords = 512;
  mpcomm::ShmExchange x(comm, 30, kWords * sizeof(uint64_t));
  const auto all = [&](uint64_t k) {
    uint64_t v = 0;
    for (int r = 0; r < size; ++r) v ^= part(r, k);
    return v;
  };
  // Member r's data of call k: word w is part(r, k) + w.
  const auto publish = [&](uint64_t k) {
    auto *data = reinterpret_cast<uint64_t *>(x.next_half());
    for (size_t w = 0; w < kWords; ++w) data[w] = part(rank, k) + w;
    x.publish(part(rank, k), true);
  };
  const auto collect = [&](uint64_t k, const char *when) {
    EXPECT_EQ(x.collect(mpcomm::Deadline(30)), all(k)) << "call " << k << when;
    ASSERT_TRUE(x.all_data());
    for (int r = 0; r < size; ++r) {
      const auto *data = reinterpret_cast<const uint64_t *>(x.half(r));
      for (size_t w = 0; w < kWords; w += 97)
        ASSERT_EQ(data[w], part(r, k) + w) << "call " << k << when << ", member " << r;
    }
  };
  uint64_t k = 0;
  for (int round = 0; round < 4 * size; ++round) {
    const int runner = round % size;
    ++k;
    publish(k);
    int ahead = 0;
    if (rank == runner) {
      collect(k, "");
      publish(k + 1);
      ahead = 1;
    }
    // The others read call k only once the runner has published call k + 1.
    MPI_Bcast(&ahead, 1, MPI_INT, runner, comm);
    ASSERT_EQ(ahead, 1);
    if (rank != runner) {
      collect(k, " behind the runner");
      publish(k + 1);
    }
    ++k;
    collect(k, "");
  }
  // A call without one member's data carries the values but no data.
  ++k;
  x.publish(part(rank, k), rank != 0);
  EXPECT_EQ(x.collect(mpcomm::Deadline(30)), all(k));
  EXPECT_FALSE(x.all_data());
  MPI_Comm_free(&comm);
}

}  // namespace
