// Cross-memory attach: copies both ways, and every failure an errno, never a fault: an address
// the peer has not mapped, a peer that has exited, a probe word that reads otherwise; the
// setting that turns it off.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "host/cross_memory.hpp"
#include "scoped_env.hpp"

using namespace mpcomm::host;

namespace {

// Whether this process may attach to itself: a seccomp filter can forbid the calls.
bool allowed_here() {
  uint64_t word = 42, seen = 0;
  const int err = cross_memory_read(getpid(), &word, &seen, sizeof word);
  return err != EPERM && err != ENOSYS;
}

// A pid that names no process: a child that has exited and been reaped.
pid_t exited_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

}  // namespace

TEST(CrossMemory, CopiesBothWays) {
  if (!allowed_here()) GTEST_SKIP() << "cross-memory attach not allowed here";
  std::vector<char> a(300000), b(a.size(), 0);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i * 13);
  EXPECT_EQ(cross_memory_read(getpid(), a.data(), b.data(), a.size()), 0);
  EXPECT_EQ(a, b);
  std::vector<char> c(a.size(), 0);
  EXPECT_EQ(cross_memory_write(getpid(), a.data(), c.data(), a.size()), 0);
  EXPECT_EQ(a, c);
}

TEST(CrossMemory, AnUnmappedAddressIsEfault) {
  if (!allowed_here()) GTEST_SKIP() << "cross-memory attach not allowed here";
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // One readable page followed by one that is not: the copy stops at the boundary.
  char *map = static_cast<char *>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(map, MAP_FAILED);
  ASSERT_EQ(mprotect(map + page, page, PROT_NONE), 0);
  std::vector<char> buf(2 * page);
  EXPECT_EQ(cross_memory_read(getpid(), map, buf.data(), 2 * page), EFAULT);
  EXPECT_EQ(cross_memory_write(getpid(), buf.data(), map + page / 2, page), EFAULT);
  munmap(map, 2 * page);
}

TEST(CrossMemory, AnExitedPeerIsEsrch) {
  if (!allowed_here()) GTEST_SKIP() << "cross-memory attach not allowed here";
  const pid_t gone = exited_pid();
  uint64_t word = 7, seen = 0;
  EXPECT_EQ(cross_memory_read(gone, &word, &seen, sizeof word), ESRCH);
  EXPECT_EQ(cross_memory_write(gone, &word, &seen, sizeof word), ESRCH);
  EXPECT_FALSE(cross_memory_reaches(gone, &word, 7));
}

TEST(CrossMemory, TheProbeReadsTheWord) {
  if (!allowed_here()) GTEST_SKIP() << "cross-memory attach not allowed here";
  const uint64_t nonce = 0x5eed5eed12345679ull;
  EXPECT_TRUE(cross_memory_reaches(getpid(), &nonce, nonce));
  EXPECT_FALSE(cross_memory_reaches(getpid(), &nonce, nonce + 2));
  EXPECT_FALSE(cross_memory_reaches(getpid(), nullptr, nonce));
}

TEST(CrossMemory, TheSettingTurnsItOff) {
  {
    mpcomm::test::ScopedEnv unset("MPCOMM_HOST_SINGLE_COPY", nullptr);
    EXPECT_TRUE(single_copy_allowed());
  }
  {
    mpcomm::test::ScopedEnv none("MPCOMM_HOST_SINGLE_COPY", "NONE");
    EXPECT_FALSE(single_copy_allowed());
  }
  mpcomm::test::ScopedEnv bad("MPCOMM_HOST_SINGLE_COPY", "fast");
  try {
    single_copy_allowed();
    ADD_FAILURE() << "no error";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("fast"), std::string::npos) << e.what();
  }
}
