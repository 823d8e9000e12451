// Which custom allreduce algorithm a call uses: the size rule of kernels/, unless the user
// forces one with MPCOMM_CUSTOM_ALLREDUCE_ALGO (kernels/ never reads the environment). The
// variable is read once per group, when its device context is made, and agreed on by every
// member (comm/agreed_setting.hpp): members that ran different algorithms would pair one-shot
// kernels with two-shot kernels and sum garbage, or spin forever.
#pragma once

#include <cstddef>

#include "comm/comm.hpp"
#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

// The value of MPCOMM_CUSTOM_ALLREDUCE_ALGO.
enum class AlgoSetting { Auto = 0, OneShot = 1, TwoShot = 2 };
const char *algo_setting_name(AlgoSetting setting);  // "auto", "oneshot", "twoshot"

// Reads MPCOMM_CUSTOM_ALLREDUCE_ALGO: unset, empty or auto is Auto. A malformed value throws
// Error(MPCOMM_ERR_INVALID_ARGUMENT) naming the variable and the value.
AlgoSetting custom_allreduce_algo_setting();

// MPCOMM_CUSTOM_ALLREDUCE_ALGO, read on every member of g and agreed on (comm/agreed_setting.hpp).
// Collective over g, bounded by its timeout.
AlgoSetting agreed_custom_allreduce_algo(Comm &g);

// OneShot or TwoShot as forced; Auto applies kernels::choose_algorithm(bytes, world_size).
kernels::Algorithm choose_custom_allreduce_algorithm(AlgoSetting setting, std::size_t bytes,
                                                     int world_size);

}  // namespace mpcomm::device
