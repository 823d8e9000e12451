// vLLM's ParallelConfig as the library sees it: the caller's struct read within its declared
// size, the seed's validation rules and the world sizes. Pure: no MPI.
#pragma once

#include "mpcomm.h"

namespace mpcomm::parallel {

// The defaults of MPCOMM_PARALLEL_CONFIG_INIT.
mpcomm_parallel_config_t default_config();

// Copies *cfg into a full config of this library's version: the header (struct_size, magic,
// version) is checked, no byte beyond cfg->struct_size is read, and fields the caller's
// version lacks keep their defaults. Throws Error(MPCOMM_ERR_INVALID_ARGUMENT) naming `name`.
mpcomm_parallel_config_t read_config(const mpcomm_parallel_config_t *cfg, const char *name);

// Throws Error(MPCOMM_ERR_INVALID_ARGUMENT) with vLLM's words for every configuration its
// ParallelConfig rejects, and for values the C struct can hold but vLLM's types cannot.
void validate(const mpcomm_parallel_config_t &cfg);

// read_config() then validate(): the entry of every function that takes a config.
mpcomm_parallel_config_t checked_config(const mpcomm_parallel_config_t *cfg, const char *name);

// PP x TP x PCP, times DP under the external launcher (as vLLM's __post_init__ does).
int world_size(const mpcomm_parallel_config_t &cfg);

// world_size(cfg) x DP.
int world_size_across_dp(const mpcomm_parallel_config_t &cfg);

}  // namespace mpcomm::parallel
