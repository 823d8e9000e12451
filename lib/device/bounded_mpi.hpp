// The MPI collectives the device data plane agrees with: comm/bounded.hpp on the group's
// communicator and timeout. A member that never comes makes the others fail with
// MPCOMM_ERR_TIMEOUT and the group broken instead of hanging. Collective over the group.
#pragma once

#include <cstddef>
#include <cstdint>

#include "comm/comm.hpp"

namespace mpcomm::device {

// all[r * bytes .. ] = member r's `bytes` at mine.
void bounded_all_gather(Comm &g, const void *mine, void *all, size_t bytes, const char *what);
// buf at root is copied into buf at every other member.
void bounded_broadcast(Comm &g, void *buf, size_t bytes, int root, const char *what);
// Returns once every member has called it.
void bounded_barrier(Comm &g, const char *what);
// The smallest of the members' values.
int64_t bounded_min(Comm &g, int64_t mine, const char *what);

}  // namespace mpcomm::device
