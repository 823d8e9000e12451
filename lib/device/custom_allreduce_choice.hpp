// mpcomm_group_set_custom_allreduce: a caller's choice, per group, of whether its device
// all_reduce may take the custom allreduce, over what the group's maker decided (a parallel
// state gives it to the TP group only, as vLLM). Every member must make the same choice: it is
// agreed on when the group's device context is made (comm/agreed_setting.hpp), since members that
// disagreed would build the custom allreduce's IPC buffers on some members only and hang.
#pragma once

#include <string>

#include "comm/comm.hpp"
#include "device/device_state.hpp"

namespace mpcomm::device {

// The choice on every member of g, agreed: members that differ all fail with
// Error(INVALID_ARGUMENT) naming the values. Collective over g, bounded by its timeout.
CustomAllreduceChoice agreed_custom_allreduce_choice(Comm &g);

// Why the custom allreduce is off for a group with this state and agreed choice; empty when it
// is allowed (the other checks of check_eligibility still apply). An explicit choice wins over
// the maker's reason.
std::string custom_allreduce_off_reason(const DeviceState &state, CustomAllreduceChoice choice);

}  // namespace mpcomm::device
