// C API of the parallel state, and the process-wide default state for code ported from vLLM.
#include <memory>
#include <mutex>

#include "comm/bounded.hpp"
#include "core/error.hpp"
#include "core/fortran_handle.hpp"
#include "core/mpi_call.hpp"
#include "group/group.hpp"
#include "state/state.hpp"

namespace {

std::mutex default_mutex;
mpcomm_state_t default_state = nullptr;

// Owns a duplicate of the caller's communicator for the time the state is built.
struct DupComm {
  MPI_Comm comm = MPI_COMM_NULL;
  ~DupComm() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

// mpcomm_state_create and mpcomm_state_create_f, once comm is checked.
mpcomm_state_t create_state(MPI_Comm comm, const mpcomm_parallel_config_t *cfg) {
  // A private duplicate: the state's traffic never meets the caller's. Every wait for the
  // other processes is bounded by MPCOMM_TIMEOUT: the ones that never come leave the others
  // with MPCOMM_ERR_TIMEOUT, not a hang.
  const double timeout = mpcomm::default_object_timeout();
  DupComm dup;
  dup.comm = mpcomm::bounded_dup(comm, timeout, "duplicating comm for the state");
  mpcomm_parallel_config_t agreed = mpcomm::agreed_config(dup.comm, cfg, timeout);
  return new mpcomm_state_s(dup.comm, agreed);
}

}  // namespace

extern "C" {

mpcomm_status_t mpcomm_state_create(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                    mpcomm_state_t *state) {
  return mpcomm::c_boundary("mpcomm_state_create", [&] {
    mpcomm::require_mpi_running();
    mpcomm::require_not_null(state, "state");
    *state = nullptr;
    mpcomm::require_arg(comm != MPI_COMM_NULL, "comm must not be MPI_COMM_NULL");
    *state = create_state(comm, cfg);
  });
}

mpcomm_status_t mpcomm_state_create_f(MPI_Fint comm, const mpcomm_parallel_config_t *cfg,
                                      mpcomm_state_t *state) {
  return mpcomm::c_boundary("mpcomm_state_create_f", [&] {
    mpcomm::require_not_null(state, "state");
    *state = nullptr;
    *state = create_state(mpcomm::comm_from_fortran(comm, "comm"), cfg);
  });
}

mpcomm_status_t mpcomm_state_destroy(mpcomm_state_t *state) {
  return mpcomm::c_boundary("mpcomm_state_destroy", [&] {
    if (state == nullptr || *state == nullptr) return;
    mpcomm::state_ref(*state);
    {
      std::lock_guard<std::mutex> lock(default_mutex);
      if (default_state == *state) default_state = nullptr;
    }
    delete *state;
    *state = nullptr;
  });
}

mpcomm_status_t mpcomm_state_group(mpcomm_state_t state, mpcomm_group_kind_t kind,
                                   mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_state_group", [&] {
    auto &s = mpcomm::state_ref(state);
    mpcomm::require_not_null(group, "group");
    *group = s.group(kind);
  });
}

mpcomm_status_t mpcomm_default_state_set(mpcomm_state_t state) {
  return mpcomm::c_boundary("mpcomm_default_state_set", [&] {
    std::lock_guard<std::mutex> lock(default_mutex);
    if (state == nullptr) {
      default_state = nullptr;
      return;
    }
    const auto &cfg = mpcomm::state_ref(state).config();
    if (default_state != nullptr && default_state != state) {
      // vLLM's ensure_model_parallel_initialized: the same sizes are fine, others are not.
      const auto &old = default_state->config();
      mpcomm::require(old.tensor_parallel_size == cfg.tensor_parallel_size,
                      MPCOMM_ERR_INVALID_USAGE,
                      "tensor parallel group already initialized, but of unexpected size: ",
                      old.tensor_parallel_size, " vs. ", cfg.tensor_parallel_size);
      mpcomm::require(old.pipeline_parallel_size == cfg.pipeline_parallel_size,
                      MPCOMM_ERR_INVALID_USAGE,
                      "pipeline parallel group already initialized, but of unexpected size: ",
                      old.pipeline_parallel_size, " vs. ", cfg.pipeline_parallel_size);
    }
    default_state = state;
  });
}

mpcomm_status_t mpcomm_default_state_get(mpcomm_state_t *state) {
  return mpcomm::c_boundary("mpcomm_default_state_get", [&] {
    mpcomm::require_not_null(state, "state");
    std::lock_guard<std::mutex> lock(default_mutex);
    *state = default_state;
    mpcomm::require(default_state != nullptr, MPCOMM_ERR_INVALID_USAGE,
                    "no default state is set (model parallel groups are not initialized)");
  });
}

}  // extern "C"
