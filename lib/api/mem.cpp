// mpcomm_mem_alloc(3): buffers of a group's shared memory, which its host all_reduce reads in
// place. The work is in group/mem_alloc.
#include "api/entry.hpp"
#include "group/mem_alloc.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_mem_alloc(mpcomm_group_t group, size_t bytes, void **ptr) {
  return entry("mpcomm_mem_alloc", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(ptr, "ptr");
    *ptr = nullptr;
    *ptr = mpcomm::group_mem_alloc(g, bytes);
  });
}

extern "C" mpcomm_status_t mpcomm_mem_free(mpcomm_group_t group, void *ptr) {
  // Local: works on a broken group and after MPI_Finalize, as mpcomm_group_free does.
  return entry("mpcomm_mem_free", kNothing, group,
               [&](mpcomm_group_s &g) { mpcomm::group_mem_free(g, ptr); });
}
