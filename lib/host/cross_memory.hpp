// Copies between the private memory of two processes of one node, with no shared mapping: Linux's
// cross-memory attach (process_vm_readv, process_vm_writev), the single copy that Open MPI's
// vader transport makes for large messages. The kernel checks the peer's addresses, so a bad
// range is an errno here (EFAULT), never a fault; a peer that has exited is ESRCH, one this
// process may not trace (Yama's ptrace_scope, a seccomp filter) EPERM or ENOSYS.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace mpcomm::host {

// Copies bytes from remote in process pid to local; 0, or the errno of the call that failed.
int cross_memory_read(pid_t pid, const void *remote, void *local, size_t bytes);
// Copies bytes from local to remote in process pid; 0, or the errno of the call that failed.
int cross_memory_write(pid_t pid, const void *local, void *remote, size_t bytes);

// Whether the 64-bit word at remote in process pid reads as expected: that cross-memory attach
// is allowed here and that pid names the peer that published the word, not another process
// (a peer in another pid namespace publishes a pid that means something else here).
bool cross_memory_reaches(pid_t pid, const uint64_t *remote, uint64_t expected);

// Whether this process's MPCOMM_HOST_SINGLE_COPY ("cma", the default, or "none") allows
// cross-memory attach.
bool single_copy_allowed();

}  // namespace mpcomm::host
