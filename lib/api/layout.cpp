// mpcomm_layout_group_ranks(3): the rank lists of vLLM's process groups. Pure: works with or
// without MPI.
#include "parallel/layout.hpp"

#include <cstddef>

#include "api/entry.hpp"
#include "parallel/parallel_config.hpp"

using mpcomm::api::entry;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_layout_group_ranks(const mpcomm_parallel_config_t *cfg,
                                                     int world_size, mpcomm_group_kind_t kind,
                                                     int *ranks, size_t capacity, int *ngroups,
                                                     int *group_size) {
  return entry("mpcomm_layout_group_ranks", kNothing, [&] {
    using namespace mpcomm;
    require_not_null(ngroups, "ngroups");
    require_not_null(group_size, "group_size");
    require_arg(ranks != nullptr || capacity == 0, "ranks must not be NULL when capacity (",
                capacity, ") is not 0");
    parallel::require_group_kind(kind, "kind");
    const parallel::Layout layout(parallel::read_config(cfg, "cfg"), world_size);
    *ngroups = layout.num_groups(kind);
    *group_size = layout.group_size(kind);
    // Every kind partitions the world, so the lists always hold world_size ranks.
    const std::size_t needed = static_cast<std::size_t>(world_size);
    require(capacity >= needed, MPCOMM_ERR_TRUNCATED, "capacity (", capacity,
            ") is smaller than ngroups*group_size (", *ngroups, "*", *group_size, " = ", needed,
            ") for kind ", parallel::group_kind_name(kind));
    layout.fill(kind, ranks);
  });
}
