// The device plane's settings that every member of a group must share, read from each member's
// environment once, when the group's device context is made, and agreed on over MPI: a member
// that read another value (or an invalid one) makes every member fail with the same
// MPCOMM_ERR_INVALID_ARGUMENT, naming the members and values, instead of entering kernels its
// peers never launch. Collective over the group, bounded by its timeout.
#pragma once

#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "device/custom_allreduce_algo.hpp"

namespace mpcomm::device {

// `mine` is the index of this member's value of `variable` in `names`, or -1 when it was invalid
// (`invalid` says why). Returns `mine` when every member read the same valid value.
int agree_on_setting(Comm &g, const char *variable, int mine, const std::string &invalid,
                     const std::vector<const char *> &names);

// MPCOMM_CUSTOM_ALLREDUCE_ALGO, agreed.
AlgoSetting agreed_custom_allreduce_algo(Comm &g);

}  // namespace mpcomm::device
