// mpcomm_group_join inside one mpirun job: the ranks of MPI_COMM_WORLD meet at 127.0.0.1 on a
// free port. Also: strangers that connect and send garbage or nothing, a busy port, a missing
// rank, a rank 0 that never comes, a wrong world size, a rank that comes twice, bad arguments.
// (Separate mpirun jobs: test/mpi/join-jobs.sh.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::test::ScopedEnv;

namespace {

const char *kHost = "127.0.0.1";

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A socket bound to 127.0.0.1 on a port the kernel chose; listening if asked.
struct BoundSocket {
  int fd = -1;
  int port = 0;
  explicit BoundSocket(bool listening) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) return;
    if (listening) listen(fd, 4);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~BoundSocket() { close(fd); }
};

// A port that was free a moment ago, the same on every rank.
int shared_free_port() {
  int port = 0;
  if (world_rank() == 0) port = BoundSocket(false).port;
  MPI_Bcast(&port, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return port;
}

struct Outcome {
  mpcomm_status_t status = MPCOMM_SUCCESS;
  std::string error;
  double seconds = 0;
};

Outcome timed_join(int port, int rank, int size, double timeout, GroupHolder &group) {
  Outcome o;
  double t0 = now_s();
  o.status = mpcomm_group_join(kHost, port, rank, size, timeout, &group.g);
  o.seconds = now_s() - t0;
  if (o.status != MPCOMM_SUCCESS) o.error = last_error();
  return o;
}

// Every member sends its world rank; returns them in group order.
std::vector<int> gather_world_ranks(mpcomm_group_t g, int size) {
  int mine = world_rank();
  std::vector<int> out(static_cast<size_t>(size), -1);
  std::vector<size_t> lens(static_cast<size_t>(size), 0);
  EXPECT_EQ(mpcomm_all_gather_object(g, &mine, sizeof mine, out.data(), out.size() * sizeof(int),
                                     lens.data()),
            MPCOMM_SUCCESS)
      << last_error();
  return out;
}

// Connects to 127.0.0.1:port, retrying until someone listens (at most seconds).
int connect_when_listening(int port, double seconds) {
  double end = now_s() + seconds;
  while (now_s() < end) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) return fd;
    close(fd);
    usleep(2000);
  }
  return -1;
}

// Waits until the peer closes fd; true if it did within seconds (bytes it sends are skipped).
bool closed_by_peer(int fd, double seconds) {
  double end = now_s() + seconds;
  char buf[64];
  while (now_s() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

}  // namespace

TEST(Join, RanksOfOneJobFormAGroup) {
  GroupHolder group;
  Outcome o = timed_join(shared_free_port(), world_rank(), world_size(), 30, group);
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group.g, &info), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(info.rank_in_group, world_rank());
  EXPECT_EQ(info.size, world_size());
  auto ranks = gather_world_ranks(group.g, world_size());
  for (int i = 0; i < world_size(); ++i) EXPECT_EQ(ranks[static_cast<size_t>(i)], i);
  EXPECT_EQ(mpcomm_barrier(group.g, 30), MPCOMM_SUCCESS) << last_error();
}

TEST(Join, GroupRanksAreTheRanksAskedFor) {
  // World rank w asks to be rank size-1-w: rank 0 of the group is the last world rank.
  const int size = world_size(), asked = size - 1 - world_rank();
  GroupHolder group;
  Outcome o = timed_join(shared_free_port(), asked, size, 30, group);
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group.g, &info), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(info.rank_in_group, asked);
  auto ranks = gather_world_ranks(group.g, size);
  for (int i = 0; i < size; ++i) EXPECT_EQ(ranks[static_cast<size_t>(i)], size - 1 - i);
}

TEST(Join, BackToBackJoinsReuseThePort) {
  const int port = shared_free_port();
  for (int round = 0; round < 3; ++round) {
    GroupHolder group;
    Outcome o = timed_join(port, world_rank(), world_size(), 30, group);
    ASSERT_EQ(o.status, MPCOMM_SUCCESS) << "round " << round << ": " << o.error;
    EXPECT_EQ(mpcomm_barrier(group.g, 30), MPCOMM_SUCCESS) << last_error();
  }
}

TEST(Join, WorldOfOneOpensNoSocket) {
  // Every rank alone, all on one port: nothing listens, so nothing collides.
  BoundSocket busy(true);
  GroupHolder group;
  Outcome o = timed_join(busy.port, 0, 1, 5, group);
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group.g, &info), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(info.size, 1);
  EXPECT_EQ(mpcomm_barrier(group.g, 5), MPCOMM_SUCCESS) << last_error();
}

TEST(Join, StrangersAreRefusedAndTheJoinGoesOn) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  const int port = shared_free_port();
  std::atomic<int> garbage_closed{-1}, silent_closed{-1};
  std::vector<std::thread> strangers;
  if (world_rank() == 0) {
    // Both connect as soon as rank 0 listens, before the real ranks (they start later).
    strangers.emplace_back([&] {
      int fd = connect_when_listening(port, 10);
      if (fd < 0) return;
      const char junk[] = "GET / HTTP/1.0\r\n\r\n";
      send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL);
      garbage_closed = closed_by_peer(fd, 20) ? 1 : 0;
      close(fd);
    });
    strangers.emplace_back([&] {
      int fd = connect_when_listening(port, 10);
      if (fd < 0) return;
      silent_closed = closed_by_peer(fd, 20) ? 1 : 0;  // never says a word
      close(fd);
    });
  } else {
    usleep(300 * 1000);
  }
  GroupHolder group;
  Outcome o = timed_join(port, world_rank(), world_size(), 30, group);
  for (auto &t : strangers) t.join();
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  // The silent stranger did not hold the join up for its 10 s grace to introduce itself.
  EXPECT_LT(o.seconds, 8.0);
  EXPECT_EQ(mpcomm_barrier(group.g, 30), MPCOMM_SUCCESS) << last_error();
  if (world_rank() == 0) {
    EXPECT_EQ(garbage_closed.load(), 1) << "the garbage sender was not disconnected";
    EXPECT_EQ(silent_closed.load(), 1) << "the silent stranger was not disconnected";
  }
}

TEST(Join, BusyPortIsAClearErrorAfterRetrying) {
  // Each rank on its own: something else listens on the port rank 0 should bind.
  BoundSocket busy(true);
  ASSERT_GT(busy.port, 0);
  GroupHolder group;
  Outcome o = timed_join(busy.port, 0, 2, 1.0, group);
  EXPECT_EQ(o.status, MPCOMM_ERR_SYSTEM) << o.error;
  EXPECT_NE(o.error.find("127.0.0.1:" + std::to_string(busy.port) + " is in use"),
            std::string::npos)
      << o.error;
  EXPECT_GE(o.seconds, 0.9);  // it retried for the bound (min(timeout, 5 s))
  EXPECT_LT(o.seconds, 3.0);
  EXPECT_EQ(group.g, nullptr);
}

TEST(Join, MissingRankIsATimeoutEverywhere) {
  // The world size counts one rank more than there are processes.
  const double timeout = 1.5;
  GroupHolder group;
  Outcome o = timed_join(shared_free_port(), world_rank(), world_size() + 1, timeout, group);
  EXPECT_EQ(o.status, MPCOMM_ERR_TIMEOUT) << o.error;
  EXPECT_LT(o.seconds, timeout + 1.0);
  EXPECT_EQ(group.g, nullptr);
  const std::string missing = std::to_string(world_size());
  if (world_rank() == 0) {
    EXPECT_NE(o.error.find("rank(s) " + missing + " of " + std::to_string(world_size() + 1) +
                           " did not arrive"),
              std::string::npos)
        << o.error;
  } else {
    EXPECT_NE(o.error.find("the lowest: rank " + missing), std::string::npos) << o.error;
  }
}

TEST(Join, AbsentRankZeroIsATimeout) {
  // Every process comes as rank 1 of 2 to its own port, where nobody listens.
  const int port = BoundSocket(false).port;
  GroupHolder group;
  Outcome o = timed_join(port, 1, 2, 1.0, group);
  EXPECT_EQ(o.status, MPCOMM_ERR_TIMEOUT) << o.error;
  EXPECT_NE(o.error.find("rank 0 did not admit rank 1"), std::string::npos) << o.error;
  EXPECT_GE(o.seconds, 0.9);
  EXPECT_LT(o.seconds, 2.0);
}

TEST(Join, WrongWorldSizeIsRefused) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  // World rank 1 believes in one rank more; the others agree among themselves.
  const int size = world_size(), mine = world_rank() == 1 ? size + 1 : size;
  GroupHolder group;
  Outcome o = timed_join(shared_free_port(), world_rank(), mine, 1.5, group);
  if (world_rank() == 1) {
    EXPECT_EQ(o.status, MPCOMM_ERR_INVALID_ARGUMENT) << o.error;
    EXPECT_NE(o.error.find("world_size " + std::to_string(size + 1) + " differs from rank 0's (" +
                           std::to_string(size) + ")"),
              std::string::npos)
        << o.error;
    EXPECT_LT(o.seconds, 1.0);  // refused at once, not at the timeout
  } else {
    EXPECT_EQ(o.status, MPCOMM_ERR_TIMEOUT) << o.error;
    if (world_rank() == 0) {
      EXPECT_NE(o.error.find("rank(s) 1 of"), std::string::npos) << o.error;
    }
  }
}

TEST(Join, RankThatComesTwiceIsRefusedOnce) {
  if (world_size() < 3) GTEST_SKIP() << "needs three ranks";
  // World ranks 1 and 2 both ask to be rank 1 of a group of size-1.
  const int size = world_size() - 1;
  const int asked = world_rank() <= 1 ? world_rank() : world_rank() - 1;
  const int port = shared_free_port();
  // The last member comes only after the duplicate was refused: once everyone has arrived,
  // rank 0 stops listening, and a duplicate that came later would find nobody to refuse it.
  constexpr int kRefusedTag = 77;
  int note = 0;
  if (world_rank() == world_size() - 1)
    MPI_Recv(&note, 1, MPI_INT, MPI_ANY_SOURCE, kRefusedTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  GroupHolder group;
  Outcome o = timed_join(port, asked, size, 10, group);
  if (o.status == MPCOMM_ERR_INVALID_ARGUMENT)
    MPI_Send(&note, 1, MPI_INT, world_size() - 1, kRefusedTag, MPI_COMM_WORLD);
  int refused = o.status == MPCOMM_ERR_INVALID_ARGUMENT ? 1 : 0, total = 0;
  MPI_Allreduce(&refused, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(total, 1);
  if (refused) {
    EXPECT_EQ(asked, 1);
    EXPECT_NE(o.error.find("rank 1 already arrived"), std::string::npos) << o.error;
  } else {
    ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
    mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
    ASSERT_EQ(mpcomm_group_info(group.g, &info), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(info.rank_in_group, asked);
    EXPECT_EQ(info.size, size);
  }
}

// A timeout of 0 or less means MPCOMM_TIMEOUT, as for every timeout argument.
TEST(Join, ZeroTimeoutMeansTheDefault) {
  if (world_rank() != 0) return;
  ScopedEnv env("MPCOMM_TIMEOUT", "0.5");
  for (double timeout : {0.0, -3.0}) {
    GroupHolder group;
    const Outcome o = timed_join(BoundSocket(false).port, 1, 2, timeout, group);
    EXPECT_EQ(o.status, MPCOMM_ERR_TIMEOUT) << o.error;
    EXPECT_NE(o.error.find("within 0.5 s"), std::string::npos) << o.error;
    EXPECT_LT(o.seconds, 10.0);
  }
}

TEST(Join, BadArgumentsNameTheValue) {
  GroupHolder group;
  struct Case {
    const char *host;
    int port, rank, size;
    double timeout;
    const char *says;
  } cases[] = {
      {nullptr, 5000, 0, 2, 1, "host must not be NULL"},
      {kHost, 0, 0, 2, 1, "port must be in 1..65535, got 0"},
      {kHost, 65536, 0, 2, 1, "port must be in 1..65535, got 65536"},
      {kHost, 5000, 2, 2, 1, "rank must be in 0..1 (world_size 2), got 2"},
      {kHost, 5000, -1, 2, 1, "got -1"},
      {kHost, 5000, 0, 0, 1, "world_size must be >= 1, got 0"},
      {kHost, 5000, 0, 2, NAN, "timeout_s must be a finite number of seconds, got nan"},
      {kHost, 5000, 0, 2, INFINITY, "got inf"},
      {"", 5000, 0, 2, 1, "got ''"},
      {"0.0.0.0", 5000, 0, 2, 1, "got '0.0.0.0'"},
      {"::", 5000, 0, 2, 1, "got '::'"},
      {"0", 5000, 0, 2, 1, "host '0' is a wildcard address"},
      {"::0", 5000, 0, 2, 1, "host '::0' is a wildcard address"},
      // TEST-NET-1: an address no interface of this machine has.
      {"192.0.2.123", 5000, 0, 2, 1, "is not an address of this machine"},
  };
  for (const auto &c : cases) {
    mpcomm_status_t s = mpcomm_group_join(c.host, c.port, c.rank, c.size, c.timeout, &group.g);
    EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT) << c.says << ": " << last_error();
    EXPECT_NE(last_error().find(c.says), std::string::npos) << last_error();
    EXPECT_NE(last_error().find("mpcomm_group_join: "), std::string::npos) << last_error();
    EXPECT_EQ(group.g, nullptr);
  }
  // A name that does not resolve: INVALID_ARGUMENT, or SYSTEM where no resolver answers.
  mpcomm_status_t s = mpcomm_group_join("no-such-host.invalid", 5000, 0, 2, 1, &group.g);
  EXPECT_TRUE(s == MPCOMM_ERR_INVALID_ARGUMENT || s == MPCOMM_ERR_SYSTEM) << last_error();
  EXPECT_NE(last_error().find("'no-such-host.invalid'"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_group_join(kHost, 5000, 0, 1, 1, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("group must not be NULL"), std::string::npos) << last_error();
}
