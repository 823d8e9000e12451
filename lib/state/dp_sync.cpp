// The data-parallel helpers of vLLM's ParallelConfig: has_unfinished_dp (MAX over the DP
// group) and sync_kv_cache_memory_size (MIN, with -1 meaning unlimited).
#include <cstdint>
#include <limits>

#include "comm/bounded.hpp"
#include "core/error.hpp"
#include "group/group.hpp"

extern "C" {

mpcomm_status_t mpcomm_dp_has_unfinished(mpcomm_group_t dp, int mine, int *any) {
  return mpcomm::c_boundary("mpcomm_dp_has_unfinished", [&] {
    auto &g = mpcomm::group_ref(dp, "dp");
    mpcomm::require_not_null(any, "any");
    g.run_bounded("mpcomm_dp_has_unfinished", [&] {
      *any = static_cast<int>(mpcomm::bounded_max(g.comm(), mine != 0 ? 1 : 0, g.timeout(),
                                                  "mpcomm_dp_has_unfinished"));
    });
  });
}

mpcomm_status_t mpcomm_dp_sync_kv_cache_memory_size(mpcomm_group_t dp, int64_t mine, int64_t *min) {
  return mpcomm::c_boundary("mpcomm_dp_sync_kv_cache_memory_size", [&] {
    auto &g = mpcomm::group_ref(dp, "dp");
    mpcomm::require_not_null(min, "min");
    mpcomm::require_arg(mine >= -1, "mine must be a byte count or -1 (unlimited), got ", mine);
    const int64_t local = mine == -1 ? std::numeric_limits<int64_t>::max() : mine;
    g.run_bounded("mpcomm_dp_sync_kv_cache_memory_size", [&] {
      *min =
          mpcomm::bounded_min(g.comm(), local, g.timeout(), "mpcomm_dp_sync_kv_cache_memory_size");
    });
  });
}

}  // extern "C"
