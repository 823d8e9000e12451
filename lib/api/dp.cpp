// mpcomm_dp_has_unfinished(3): the data-parallel agreements of vLLM's ParallelConfig over a DP
// group. The work is in state/dp_sync.
#include <cstdint>

#include "api/entry.hpp"
#include "state/dp_sync.hpp"

using mpcomm::api::entry;
using mpcomm::api::kMpi;

// The group argument is named dp in these calls' messages, so each takes it with group_ref(dp,
// "dp") and runs as api::collective on it (usable, and checked in checking mode).

extern "C" mpcomm_status_t mpcomm_dp_has_unfinished(mpcomm_group_t dp, int mine, int *any) {
  return entry("mpcomm_dp_has_unfinished", kMpi, [&] {
    auto &g = mpcomm::api::group_ref(dp, "dp");
    mpcomm::api::collective("mpcomm_dp_has_unfinished", g, [&] {
      mpcomm::require_not_null(any, "any");
      *any = mpcomm::dp_has_unfinished(g, mine != 0) ? 1 : 0;
    });
  });
}

extern "C" mpcomm_status_t mpcomm_dp_sync_kv_cache_memory_size(mpcomm_group_t dp, int64_t mine,
                                                               int64_t *min) {
  return entry("mpcomm_dp_sync_kv_cache_memory_size", kMpi, [&] {
    auto &g = mpcomm::api::group_ref(dp, "dp");
    mpcomm::api::collective("mpcomm_dp_sync_kv_cache_memory_size", g, [&] {
      mpcomm::require_not_null(min, "min");
      mpcomm::require_arg(mine >= -1, "mine must be a byte count or -1 (unlimited), got ", mine);
      *min = mpcomm::dp_sync_kv_cache_memory_size(g, mine);
    });
  });
}
