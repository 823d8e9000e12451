// ParallelConfig.compute_hash(): SHA-256 over the same factors in a canonical text form.
#pragma once

#include <string>

#include "mpcomm.h"

namespace mpcomm::parallel {

// The factors of vLLM's compute_hash written as Python writes the list with str(): for the
// defaults "[1, 1, False, 1, None, False]". The same bytes on every run, process and machine.
std::string hash_factors(const mpcomm_parallel_config_t &cfg);

// SHA-256 of hash_factors(cfg) as 64 lowercase hex digits: equal to vLLM's compute_hash() for
// the same field values.
std::string config_hash(const mpcomm_parallel_config_t &cfg);

// The name vLLM uses for an all2all backend, as it appears in the hash.
const char *all2all_backend_name(mpcomm_all2all_backend_t backend);

}  // namespace mpcomm::parallel
