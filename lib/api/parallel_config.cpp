// mpcomm_parallel_config(3): initialising, validating and hashing vLLM's parallel
// configuration, and its world sizes. Pure: they work with or without MPI.
#include "parallel/parallel_config.hpp"

#include <cstring>
#include <string>

#include "api/entry.hpp"
#include "parallel/config_hash.hpp"

using mpcomm::api::entry;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_parallel_config_init(mpcomm_parallel_config_t *cfg) {
  return entry("mpcomm_parallel_config_init", kNothing, [&] {
    mpcomm::require_not_null(cfg, "cfg");
    *cfg = mpcomm::parallel::default_config();
  });
}

extern "C" mpcomm_status_t mpcomm_parallel_config_validate(const mpcomm_parallel_config_t *cfg) {
  return entry("mpcomm_parallel_config_validate", kNothing,
               [&] { mpcomm::parallel::checked_config(cfg, "cfg"); });
}

extern "C" mpcomm_status_t mpcomm_parallel_config_hash(const mpcomm_parallel_config_t *cfg,
                                                       char hex[65]) {
  return entry("mpcomm_parallel_config_hash", kNothing, [&] {
    mpcomm::require_not_null(hex, "hex");
    const std::string digest =
        mpcomm::parallel::config_hash(mpcomm::parallel::checked_config(cfg, "cfg"));
    std::memcpy(hex, digest.c_str(), digest.size() + 1);
  });
}

extern "C" mpcomm_status_t mpcomm_parallel_config_world_size(const mpcomm_parallel_config_t *cfg,
                                                             int *world_size) {
  return entry("mpcomm_parallel_config_world_size", kNothing, [&] {
    mpcomm::require_not_null(world_size, "world_size");
    *world_size = mpcomm::parallel::world_size(mpcomm::parallel::checked_config(cfg, "cfg"));
  });
}

extern "C" mpcomm_status_t mpcomm_parallel_config_world_size_across_dp(
    const mpcomm_parallel_config_t *cfg, int *world_size) {
  return entry("mpcomm_parallel_config_world_size_across_dp", kNothing, [&] {
    mpcomm::require_not_null(world_size, "world_size");
    *world_size =
        mpcomm::parallel::world_size_across_dp(mpcomm::parallel::checked_config(cfg, "cfg"));
  });
}
