// mpcomm_state_create(3): the parallel state (the world and model-parallel groups of a parallel
// configuration), its groups, and the process-wide default state.
#include "state/state.hpp"

#include "api/entry.hpp"
#include "core/fortran_handle.hpp"

using mpcomm::api::entry;
using mpcomm::api::kMpi;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_state_create(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                               mpcomm_state_t *state) {
  return entry("mpcomm_state_create", kMpi, [&] {
    mpcomm::require_not_null(state, "state");
    *state = nullptr;
    mpcomm::require_arg(comm != MPI_COMM_NULL, "comm must not be MPI_COMM_NULL");
    *state = mpcomm::create_state(comm, cfg);
  });
}

extern "C" mpcomm_status_t mpcomm_state_create_f(MPI_Fint comm, const mpcomm_parallel_config_t *cfg,
                                                 mpcomm_state_t *state) {
  return entry("mpcomm_state_create_f", kMpi, [&] {
    mpcomm::require_not_null(state, "state");
    *state = nullptr;
    *state = mpcomm::create_state(mpcomm::comm_from_fortran(comm, "comm"), cfg);
  });
}

extern "C" mpcomm_status_t mpcomm_state_destroy(mpcomm_state_t *state) {
  // Works after MPI_Finalize, as mpcomm_group_free does.
  return entry("mpcomm_state_destroy", kNothing, [&] {
    if (state == nullptr || *state == nullptr) return;  // as free(NULL)
    mpcomm::destroy_state(mpcomm::api::state_ref(*state, "*state"));
    *state = nullptr;
  });
}

extern "C" mpcomm_status_t mpcomm_state_group(mpcomm_state_t state, mpcomm_group_kind_t kind,
                                              mpcomm_group_t *group) {
  return entry("mpcomm_state_group", kNothing, state, [&](mpcomm_state_s &s) {
    mpcomm::require_not_null(group, "group");
    *group = s.group(kind);
  });
}

extern "C" mpcomm_status_t mpcomm_default_state_set(mpcomm_state_t state) {
  // NULL is not an error here: it unsets the default state.
  return entry("mpcomm_default_state_set", kNothing, [&] {
    mpcomm::set_default_state(state == nullptr ? nullptr : &mpcomm::api::state_ref(state));
  });
}

extern "C" mpcomm_status_t mpcomm_default_state_get(mpcomm_state_t *state) {
  return entry("mpcomm_default_state_get", kNothing, [&] {
    mpcomm::require_not_null(state, "state");
    *state = mpcomm::default_state();
    mpcomm::require(*state != nullptr, MPCOMM_ERR_INVALID_USAGE,
                    "no default state is set (model parallel groups are not initialized)");
  });
}
