#include "host/cross_memory.hpp"

#include <sys/uio.h>

#include <cerrno>

#include "core/env.hpp"

namespace mpcomm::host {

namespace {

// One call moves what it can and returns how much; a short count means the next page failed,
// which the next call reports with its errno. Loops until done.
template <class Call>
int transfer(size_t bytes, Call &&call) {
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = call(done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EFAULT;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

int cross_memory_read(pid_t pid, const void *remote, void *local, size_t bytes) {
  return transfer(bytes, [&](size_t done) {
    iovec to{static_cast<char *>(local) + done, bytes - done};
    iovec from{const_cast<char *>(static_cast<const char *>(remote)) + done, bytes - done};
    return process_vm_readv(pid, &to, 1, &from, 1, 0);
  });
}

int cross_memory_write(pid_t pid, const void *local, void *remote, size_t bytes) {
  return transfer(bytes, [&](size_t done) {
    iovec from{const_cast<char *>(static_cast<const char *>(local)) + done, bytes - done};
    iovec to{static_cast<char *>(remote) + done, bytes - done};
    return process_vm_writev(pid, &from, 1, &to, 1, 0);
  });
}

bool cross_memory_reaches(pid_t pid, const uint64_t *remote, uint64_t expected) {
  uint64_t seen = ~expected;
  return cross_memory_read(pid, remote, &seen, sizeof seen) == 0 && seen == expected;
}

bool single_copy_allowed() { return env::choice("MPCOMM_HOST_SINGLE_COPY") != "none"; }

}  // namespace mpcomm::host
