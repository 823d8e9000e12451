// mpcomm_pp_indices(3): the layers a pipeline stage holds. Pure: works with or without MPI.
#include "parallel/pp_indices.hpp"

#include "api/entry.hpp"

using mpcomm::api::entry;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_pp_indices(int num_layers, int pp_rank, int pp_size, int *start,
                                             int *end) {
  return entry("mpcomm_pp_indices", kNothing, [&] {
    mpcomm::require_not_null(start, "start");
    mpcomm::require_not_null(end, "end");
    const auto range = mpcomm::parallel::pp_indices(num_layers, pp_rank, pp_size);
    *start = range.first;
    *end = range.second;
  });
}
