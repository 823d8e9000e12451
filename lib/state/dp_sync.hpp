// The data-parallel helpers of vLLM's ParallelConfig: has_unfinished_dp (MAX over the DP
// group) and sync_kv_cache_memory_size (MIN, with -1 meaning unlimited). Each is a bounded
// collective over the group (comm/bounded.hpp): a member that never comes breaks it with
// Error(TIMEOUT).
#pragma once

#include <cstdint>

#include "group/group.hpp"

namespace mpcomm {

// Whether any member of dp passed mine != 0.
bool dp_has_unfinished(mpcomm_group_s &dp, bool mine);

// The smallest of the members' mine, where -1 (unlimited) counts as INT64_MAX; mine >= -1.
int64_t dp_sync_kv_cache_memory_size(mpcomm_group_s &dp, int64_t mine);

}  // namespace mpcomm
