// Settings every member of a Comm must share (MPCOMM_HOST_ALLREDUCE, MPCOMM_CUSTOM_ALLREDUCE_ALGO),
// read from each member's environment once and agreed on over MPI: a member that read another
// value (or an invalid one) makes every member fail with the same MPCOMM_ERR_INVALID_ARGUMENT,
// naming the members and values, instead of entering collectives or kernels its peers never
// start. Collective over the Comm, bounded by its timeout; a disagreement leaves it usable.
#pragma once

#include <string>
#include <vector>

#include "comm/comm.hpp"

namespace mpcomm {

// `mine` is the index of this member's value of `variable` in `names`, or -1 when it was invalid
// (`invalid` says why). Returns `mine` when every member read the same valid value.
int agree_on_setting(Comm &comm, const char *variable, int mine, const std::string &invalid,
                     const std::vector<const char *> &names);

}  // namespace mpcomm
