// vLLM's get_pp_indices: which layers a pipeline stage holds. Pure: no MPI.
#pragma once

#include <utility>
#include <vector>

namespace mpcomm::parallel {

// The number of layers of each of pp_size stages: MPCOMM_PP_LAYER_PARTITION when set (read at
// each call), else vLLM's even split. Throws Error(MPCOMM_ERR_INVALID_ARGUMENT) on a bad
// argument or a bad value of the variable.
std::vector<int> pp_partition(int num_layers, int pp_size);

// [start, end) of stage pp_rank.
std::pair<int, int> pp_indices(int num_layers, int pp_rank, int pp_size);

}  // namespace mpcomm::parallel
