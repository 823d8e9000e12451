// mpcomm_barrier(3) on a usable group: timeout_s <= 0 is the group's timeout.
#pragma once

#include "group/group.hpp"

namespace mpcomm {

void barrier(mpcomm_group_s &g, double timeout_s);

}  // namespace mpcomm
