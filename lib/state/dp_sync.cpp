// The data-parallel helpers of vLLM's ParallelConfig: has_unfinished_dp (MAX over the DP
// group) and sync_kv_cache_memory_size (MIN, with -1 meaning unlimited).
#include "state/dp_sync.hpp"

#include <limits>

#include "comm/bounded.hpp"

namespace mpcomm {

bool dp_has_unfinished(mpcomm_group_s &dp, bool mine) {
  int any = 0;
  dp.run_bounded("mpcomm_dp_has_unfinished", [&] {
    any = static_cast<int>(
        bounded_max(dp.comm(), mine ? 1 : 0, dp.timeout(), "mpcomm_dp_has_unfinished"));
  });
  return any != 0;
}

int64_t dp_sync_kv_cache_memory_size(mpcomm_group_s &dp, int64_t mine) {
  const int64_t local = mine == -1 ? std::numeric_limits<int64_t>::max() : mine;
  int64_t min = 0;
  dp.run_bounded("mpcomm_dp_sync_kv_cache_memory_size", [&] {
    min = bounded_min(dp.comm(), local, dp.timeout(), "mpcomm_dp_sync_kv_cache_memory_size");
  });
  return min;
}

}  // namespace mpcomm
