// The parallel state behind mpcomm_state_t: vLLM's init_distributed_environment plus
// initialize_model_parallel on an MPI communicator. It owns one group per kind, each built by a
// single MPI_Comm_split whose colour is the group's index in the rank layout (the world group is
// the state's duplicate of the caller's communicator, a group of one a duplicate of
// MPI_COMM_SELF).
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>

#include "mpcomm.h"

struct mpcomm_state_s {
 public:
  // Collective over comm, which the state takes over (a duplicate made for it: it becomes the
  // world group's communicator, and is freed on failure). cfg comes from agreed_config().
  // Checks that the world fits it, then builds the groups. Throws Error; on failure nothing is
  // left behind. A state registers itself as a live handle (core/live_handles.hpp) for its
  // lifetime.
  mpcomm_state_s(MPI_Comm comm, const mpcomm_parallel_config_t &cfg);
  ~mpcomm_state_s();
  mpcomm_state_s(const mpcomm_state_s &) = delete;
  mpcomm_state_s &operator=(const mpcomm_state_s &) = delete;

  const mpcomm_parallel_config_t &config() const { return cfg_; }
  // The group of a kind (borrowed: it lives as long as the state). EP exists only when
  // enable_expert_parallel is set; asking for it otherwise is Error(INVALID_USAGE).
  mpcomm_group_t group(mpcomm_group_kind_t kind) const;

  // Between mpcomm_graph_capture_begin and _end (lib/device).
  bool graph_capturing() const { return graph_capturing_; }
  void set_graph_capturing(bool capturing) { graph_capturing_ = capturing; }

 private:
  static constexpr int kKinds = 7;
  mpcomm_parallel_config_t cfg_;
  std::array<mpcomm_group_t, kKinds> groups_{};
  bool graph_capturing_ = false;
  // Takes group (never nullptr) as the state's group of kind, and sets it up for its kind.
  void add_group(mpcomm_group_kind_t kind, mpcomm_group_t group);
  void free_groups() noexcept;
};

namespace mpcomm {

// Reads and validates *cfg on every rank of comm and checks that all passed the same
// configuration (by its hash); every rank then fails or succeeds alike, the error naming the
// first rank that differs. Collective over comm.
// Every wait for the other processes is bounded by timeout_s (Error(TIMEOUT)).
mpcomm_parallel_config_t agreed_config(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                       double timeout_s);

// The work of mpcomm_state_create(3): a state over a private duplicate of comm (the state's
// traffic never meets the caller's) for the configuration every process agreed on
// (agreed_config). Collective over comm; every wait for the other processes is bounded by
// MPCOMM_TIMEOUT: the ones that never come leave the others with Error(TIMEOUT), not a hang.
mpcomm_state_t create_state(MPI_Comm comm, const mpcomm_parallel_config_t *cfg);

// Destroys a state; when it is the default state, there is no default state any more.
void destroy_state(mpcomm_state_s &state);

// The process-wide default state, for code ported from vLLM (its module-level groups). Thread-
// safe. set_default_state(nullptr) unsets it; another state than the default is refused with
// Error(INVALID_USAGE) when its TP or PP size differs (vLLM's
// ensure_model_parallel_initialized).
void set_default_state(mpcomm_state_s *state);
// The default state, or nullptr when none is set.
mpcomm_state_t default_state();

}  // namespace mpcomm
