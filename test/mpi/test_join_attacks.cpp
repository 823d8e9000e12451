// mpcomm_group_join under attack: while the ranks of MPI_COMM_WORLD meet at 127.0.0.1, threads
// of world rank 0 open raw sockets to the rendezvous and send a foreign hello (another launch),
// malformed and refused hellos, hundreds of idle connections, and hellos without or with a
// wrong join token. Each attack must cost only its own connection: the real ranks still join,
// and every attack is refused. (Protocol-level strangers: test_join.cpp.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bootstrap/rendezvous_protocol.hpp"
#include "core/hmac.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::world_rank;
using grouptest::world_size;
using mpcomm::test::ScopedEnv;
namespace rv = mpcomm::rendezvous;

namespace {

const char *kHost = "127.0.0.1";

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A port of 127.0.0.1 that was free a moment ago.
int free_port() {
  int port = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// The same on every rank.
int shared_free_port() {
  int port = world_rank() == 0 ? free_port() : 0;
  MPI_Bcast(&port, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return port;
}

int connect_once(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) return fd;
  close(fd);
  return -1;
}

// Connects to 127.0.0.1:port, retrying until someone listens (at most seconds).
int connect_when_listening(int port, double seconds) {
  const double end = now_s() + seconds;
  while (now_s() < end) {
    int fd = connect_once(port);
    if (fd >= 0) return fd;
    usleep(2000);
  }
  return -1;
}

// Reads exactly n bytes within seconds; false if the peer closed or was slow.
bool read_exactly(int fd, uint8_t *out, size_t n, double seconds) {
  const double end = now_s() + seconds;
  size_t got = 0;
  while (got < n && now_s() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t r = recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return got == n;
}

// What rank 0 did with one attacking connection.
struct Answer {
  bool connected = false;
  bool challenged = false;
  std::optional<rv::VerdictMessage> verdict;  // when it answered with one
  bool closed = false;                        // it closed the connection afterwards
};

// Connects, reads the challenge, sends what make_hello makes of it, and reads the answer.
template <class MakeHello>
Answer attack(int port, MakeHello make_hello) {
  Answer a;
  int fd = connect_when_listening(port, 10);
  if (fd < 0) return a;
  a.connected = true;
  std::array<uint8_t, rv::kChallengeBytes> c{};
  if (read_exactly(fd, c.data(), c.size(), 10)) {
    auto challenge = rv::decode_challenge(c.data(), c.size());
    a.challenged = challenge.has_value();
    if (challenge) {
      std::vector<uint8_t> hello = make_hello(*challenge);
      send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
      std::array<uint8_t, rv::kVerdictBytes> v{};
      if (read_exactly(fd, v.data(), v.size(), 10))
        a.verdict = rv::decode_verdict(v.data(), v.size());
      uint8_t byte;
      pollfd p{fd, POLLIN, 0};
      a.closed = poll(&p, 1, 10000) > 0 && recv(fd, &byte, 1, 0) <= 0;
    }
  }
  close(fd);
  return a;
}

// A hello as a real rank of this test would send it, but for another launch.
rv::Hello foreign_hello(uint32_t rank, uint32_t size) {
  rv::Hello h;
  h.world_size = size;
  h.rank = rank;
  h.launch = "someone-else";
  h.cross_job_capable = false;
  return h;
}

std::vector<uint8_t> bytes_of(const std::array<uint8_t, rv::kHelloBytes> &a) {
  return std::vector<uint8_t>(a.begin(), a.end());
}

struct Outcome {
  mpcomm_status_t status = MPCOMM_SUCCESS;
  std::string error;
  double seconds = 0;
};

// Joins as world rank / world size; ranks other than 0 come after delay_s, so that the attacks
// of rank 0's threads reach the rendezvous first.
Outcome join_after(int port, double delay_s, double timeout, GroupHolder &group,
                   int size = world_size()) {
  if (world_rank() != 0) usleep(static_cast<useconds_t>(delay_s * 1e6));
  Outcome o;
  const double t0 = now_s();
  o.status = mpcomm_group_join(kHost, port, world_rank(), size, timeout, &group.g);
  o.seconds = now_s() - t0;
  if (o.status != MPCOMM_SUCCESS) o.error = last_error();
  return o;
}

void expect_group_works(GroupHolder &group) {
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group.g, &info), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(info.rank_in_group, world_rank());
  EXPECT_EQ(info.size, world_size());
  EXPECT_EQ(mpcomm_barrier(group.g, 30), MPCOMM_SUCCESS) << last_error();
}

}  // namespace

// A well-formed hello from another launch claims the last rank before it comes: it is refused
// alone, and the real rank takes its place (before: rank 0 admitted it, refused the real rank
// as a duplicate, then failed the whole join).
TEST(JoinAttacks, ForeignHelloCostsOnlyItsConnection) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  const int port = shared_free_port();
  const auto size = static_cast<uint32_t>(world_size());
  Answer answer;
  std::thread attacker;
  if (world_rank() == 0)
    attacker = std::thread([&] {
      answer = attack(port, [&](const rv::Challenge &) {
        return bytes_of(rv::encode_hello(foreign_hello(size - 1, size)));
      });
    });
  GroupHolder group;
  Outcome o = join_after(port, 0.5, 30, group);
  if (attacker.joinable()) attacker.join();
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  expect_group_works(group);
  if (world_rank() == 0) {
    ASSERT_TRUE(answer.challenged);
    ASSERT_TRUE(answer.verdict.has_value());
    EXPECT_EQ(answer.verdict->verdict, rv::Verdict::NeedsServer);
    EXPECT_TRUE(answer.closed);
  }
}

// Hellos that are malformed or claim what cannot be: each refused or dropped, the join goes on.
TEST(JoinAttacks, BadHellosAreRefusedAndTheJoinGoesOn) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  const int port = shared_free_port();
  const auto size = static_cast<uint32_t>(world_size());
  struct Case {
    const char *what;
    std::function<std::vector<uint8_t>(const rv::Challenge &)> make;
    std::optional<rv::Verdict> expect;  // nullopt: closed without a verdict
  };
  rv::Hello same_launch = foreign_hello(size - 1, size);
  same_launch.launch = "";
  std::vector<Case> cases = {
      {"unknown flag",
       [&](const rv::Challenge &) {
         auto b = bytes_of(rv::encode_hello(foreign_hello(1, size)));
         b[20] = 0x80;
         return b;
       },
       std::nullopt},
      {"short hello then silence",
       [&](const rv::Challenge &) {
         auto b = bytes_of(rv::encode_hello(foreign_hello(1, size)));
         b.resize(40);
         return b;
       },
       std::nullopt},
      {"old protocol version",
       [&](const rv::Challenge &) {
         rv::Hello h = foreign_hello(1, size);
         h.version = 1;
         auto b = bytes_of(rv::encode_hello(h));
         b.resize(88);  // version 1's hello
         return b;
       },
       rv::Verdict::WrongVersion},
      {"wrong world size",
       [&](const rv::Challenge &) {
         return bytes_of(rv::encode_hello(foreign_hello(1, size + 5)));
       },
       rv::Verdict::WrongWorldSize},
      {"rank out of range",
       [&](const rv::Challenge &) { return bytes_of(rv::encode_hello(foreign_hello(size, size))); },
       rv::Verdict::RankOutOfRange},
      {"rank 0",
       [&](const rv::Challenge &) { return bytes_of(rv::encode_hello(foreign_hello(0, size))); },
       rv::Verdict::RankOutOfRange},
  };
  std::vector<Answer> answers(cases.size());
  std::vector<std::thread> attackers;
  if (world_rank() == 0)
    for (size_t i = 0; i < cases.size(); ++i)
      attackers.emplace_back([&, i] { answers[i] = attack(port, cases[i].make); });
  GroupHolder group;
  Outcome o = join_after(port, 0.5, 30, group);
  for (auto &t : attackers) t.join();
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  EXPECT_LT(o.seconds, 8.0);  // the short hello's 10 s of grace held nobody up
  expect_group_works(group);
  if (world_rank() != 0) return;
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(answers[i].challenged) << cases[i].what;
    if (cases[i].expect) {
      ASSERT_TRUE(answers[i].verdict.has_value()) << cases[i].what;
      EXPECT_EQ(answers[i].verdict->verdict, *cases[i].expect) << cases[i].what;
      EXPECT_TRUE(answers[i].closed) << cases[i].what;
    } else {
      EXPECT_FALSE(answers[i].verdict.has_value()) << cases[i].what;
    }
  }
}

// 300 idle connections, reopened as soon as rank 0 closes one, for the whole join: the oldest
// idle connection makes room for each new one, so the real ranks get in at once (before: the
// first 256 held every slot for 10 s, then the next 256 did).
TEST(JoinAttacks, IdleConnectionsDoNotKeepTheRanksOut) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  const int port = shared_free_port();
  std::atomic<bool> stop{false};
  std::atomic<int> opened{0}, closed_by_rank0{0};
  std::thread flood;
  if (world_rank() == 0)
    flood = std::thread([&] {
      std::vector<int> fds;
      int first = connect_when_listening(port, 10);
      if (first < 0) return;
      fds.push_back(first);
      ++opened;
      while (!stop) {
        while (fds.size() < 300 && !stop) {
          int fd = connect_once(port);
          if (fd < 0) break;  // rank 0 stopped listening
          fds.push_back(fd);
          ++opened;
        }
        // Replace the connections rank 0 closed (a pause keeps the churn affordable).
        for (auto &fd : fds) {
          pollfd p{fd, POLLIN, 0};
          char buf[64];
          if (poll(&p, 1, 0) > 0 &&
              (p.revents & (POLLHUP | POLLERR) || recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 0)) {
            close(fd);
            fd = -1;
            ++closed_by_rank0;
          }
        }
        fds.erase(std::remove(fds.begin(), fds.end(), -1), fds.end());
        usleep(20000);
      }
      for (int fd : fds) close(fd);
    });
  GroupHolder group;
  Outcome o = join_after(port, 0.5, 30, group);
  stop = true;
  if (flood.joinable()) flood.join();
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  EXPECT_LT(o.seconds, 8.0) << "the idle connections held the ranks up";
  expect_group_works(group);
  if (world_rank() == 0) {
    EXPECT_GE(opened.load(), 300);
    EXPECT_GT(closed_by_rank0.load(), 0) << "rank 0 never made room";
  }
}

// With MPCOMM_JOIN_TOKEN, hellos without the proof or with a wrong one are refused, also when
// they claim a rank first; the ranks with the token join.
TEST(JoinAttacks, HellosWithoutTheTokenAreRefused) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  ScopedEnv token("MPCOMM_JOIN_TOKEN", "s3cret-join-token");
  const int port = shared_free_port();
  const auto size = static_cast<uint32_t>(world_size());
  rv::Hello claim;  // exactly what the last rank sends, but for the proof
  claim.world_size = size;
  claim.rank = size - 1;
  if (const char *ns = std::getenv("PMIX_NAMESPACE")) claim.launch = ns;
  claim.launch.resize(std::min(claim.launch.size(), rv::kLaunchBytes));
  Answer none, wrong, replayed;
  std::thread attacker;
  if (world_rank() == 0)
    attacker = std::thread([&] {
      none = attack(port, [&](const rv::Challenge &) { return bytes_of(rv::encode_hello(claim)); });
      wrong = attack(port, [&](const rv::Challenge &c) {
        return bytes_of(rv::encode_signed_hello(claim, "guessed-token", c));
      });
      // The right token's proof for another nonce (as if replayed from another connection).
      replayed = attack(port, [&](const rv::Challenge &c) {
        rv::Challenge other = c;
        other.nonce[0] ^= 1;
        return bytes_of(rv::encode_signed_hello(claim, "s3cret-join-token", other));
      });
    });
  GroupHolder group;
  Outcome o = join_after(port, 1.0, 30, group);
  if (attacker.joinable()) attacker.join();
  ASSERT_EQ(o.status, MPCOMM_SUCCESS) << o.error;
  expect_group_works(group);
  if (world_rank() == 0) {
    for (const Answer *a : {&none, &wrong, &replayed}) {
      ASSERT_TRUE(a->verdict.has_value());
      EXPECT_EQ(a->verdict->verdict, rv::Verdict::BadToken);
      EXPECT_TRUE(a->closed);
    }
    EXPECT_EQ(none.verdict->detail, 1u);
    EXPECT_EQ(wrong.verdict->detail, 0u);
  }
}

// A rank with another token is refused at once with a clear error; rank 0 goes on listening and,
// at the timeout, says why the rank it waited for was refused.
TEST(JoinAttacks, RankWithAnotherTokenFailsAndRankZeroSaysWhy) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  ScopedEnv token("MPCOMM_JOIN_TOKEN", world_rank() == 1 ? "token-b" : "token-a");
  GroupHolder group;
  Outcome o = join_after(shared_free_port(), 0.2, 2.0, group);
  if (world_rank() == 1) {
    EXPECT_EQ(o.status, MPCOMM_ERR_INVALID_USAGE) << o.error;
    EXPECT_NE(o.error.find("the join token (MPCOMM_JOIN_TOKEN) differs"), std::string::npos)
        << o.error;
    EXPECT_LT(o.seconds, 1.5);
  } else {
    EXPECT_EQ(o.status, MPCOMM_ERR_TIMEOUT) << o.error;
  }
  if (world_rank() == 0) {
    EXPECT_NE(o.error.find("rank 1 was claimed and refused"), std::string::npos) << o.error;
    EXPECT_NE(o.error.find("with a wrong join token"), std::string::npos) << o.error;
    EXPECT_EQ(o.error.find("token-"), std::string::npos) << "the token leaked: " << o.error;
  }
}

// A rank with a token that meets a rank 0 without one refuses to go on.
TEST(JoinAttacks, TokenOnlyOnOneRankIsAnError) {
  if (world_size() < 2) GTEST_SKIP() << "needs a second rank";
  ScopedEnv token("MPCOMM_JOIN_TOKEN", world_rank() == 1 ? "token-b" : nullptr);
  GroupHolder group;
  Outcome o = join_after(shared_free_port(), 0.2, 2.0, group);
  if (world_rank() == 1) {
    EXPECT_EQ(o.status, MPCOMM_ERR_INVALID_USAGE) << o.error;
    EXPECT_NE(o.error.find("does not ask for one"), std::string::npos) << o.error;
  } else {
    EXPECT_NE(o.status, MPCOMM_SUCCESS);
  }
}

// A foreign hello for a rank that never comes: rank 0 reports the refusal at the end, with the
// status of a launch that cannot be connected. (Every process is its own rank 0 here.)
TEST(JoinAttacks, RefusalOfAMissingRankIsReportedAtTheEnd) {
  const int port = free_port();
  Answer answer;
  std::thread attacker([&] {
    answer = attack(port, [&](const rv::Challenge &) {
      return bytes_of(rv::encode_hello(foreign_hello(1, 2)));
    });
  });
  GroupHolder group;
  const double t0 = now_s();
  mpcomm_status_t s = mpcomm_group_join(kHost, port, 0, 2, 1.5, &group.g);
  const double seconds = now_s() - t0;
  const std::string error = last_error();
  attacker.join();
  EXPECT_EQ(s, MPCOMM_ERR_NOT_SUPPORTED) << error;
  EXPECT_GE(seconds, 1.4) << "rank 0 gave up before its timeout";
  EXPECT_NE(error.find("rank(s) 1 of 2 did not arrive"), std::string::npos) << error;
  EXPECT_NE(error.find("rank 1 was claimed and refused"), std::string::npos) << error;
  EXPECT_NE(error.find("launch 'someone-else'"), std::string::npos) << error;
  ASSERT_TRUE(answer.verdict.has_value());
  EXPECT_EQ(answer.verdict->verdict, rv::Verdict::NeedsServer);
}
