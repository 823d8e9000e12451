// Which custom allreduce algorithm a call uses: the size rule of kernels/, unless the user
// forces one with MPCOMM_CUSTOM_ALLREDUCE_ALGO (kernels/ never reads the environment).
#pragma once

#include <cstddef>

#include "kernels/custom_allreduce_rules.h"

namespace mpcomm::device {

// MPCOMM_CUSTOM_ALLREDUCE_ALGO=oneshot or twoshot forces that algorithm; unset, empty or auto
// applies kernels::choose_algorithm(bytes, world_size). A malformed value throws
// Error(MPCOMM_ERR_INVALID_ARGUMENT) naming the variable and the value.
kernels::Algorithm choose_custom_allreduce_algorithm(std::size_t bytes, int world_size);

}  // namespace mpcomm::device
