// The one way into the library from C. Every extern "C" function of api/ is one call of
// `entry`, which checks, in this order and once:
//   1. that MPI runs, when the call needs it (Needs::kMpi): after MPI_Finalize or before
//      MPI_Init a call is MPCOMM_ERR_INVALID_USAGE, never an MPI call that aborts the job;
//   2. each handle the call takes: NULL or not a live handle of its kind (freed, destroyed,
//      foreign) is MPCOMM_ERR_INVALID_ARGUMENT naming the argument, and nothing behind a dead
//      handle is read (core/live_handles.hpp);
//   3. that the group is usable, when the call communicates on it (Needs::kUsable): a broken
//      group is MPCOMM_ERR_BROKEN with its first cause;
//   4. then the body checks its own arguments and does the work in the layers below; for a
//      collective (Needs::kCollective) under checking mode (MPCOMM_CHECK=1,
//      comm/call_check.hpp), where the members agree on the call before it communicates.
// Every exception becomes a status and a mpcomm_last_error() message prefixed by the
// function's name (core/error.hpp, c_boundary); nothing crosses the C boundary.
#pragma once

#include "core/error.hpp"
#include "core/live_handles.hpp"
#include "core/mpi_call.hpp"
#include "group/group.hpp"
#include "mpcomm.h"
#include "state/state.hpp"
#include "tensordict/tensor_dict.hpp"

namespace mpcomm::api {

// What a call needs before its arguments are checked.
enum Needs : unsigned {
  kNothing = 0,     // pure: works with or without MPI
  kMpi = 1,         // calls MPI
  kUsable = 2 | 1,  // communicates on its group: MPI and a group that is not broken
  // A collective over its group: usable, and checked across the members in checking mode. A new
  // collective takes this and describes its arguments (Comm::describe_call) once it has read
  // them; collectives on a group that is not the call's handle use api::collective below.
  kCollective = 4 | kUsable
};

// The object behind a handle of the C API, or Error(INVALID_ARGUMENT) naming `name`.
inline mpcomm_group_s &group_ref(mpcomm_group_t group, const char *name = "group") {
  require_not_null(group, name);
  require_arg(live_handles::contains(live_handles::Kind::kGroup, group), name,
              " is not a live group (freed, or not a group handle)");
  return *group;
}
inline mpcomm_state_s &state_ref(mpcomm_state_t state, const char *name = "state") {
  require_not_null(state, name);
  require_arg(live_handles::contains(live_handles::Kind::kState, state), name,
              " is not a live mpcomm_state_t (destroyed, or not a state)");
  return *state;
}
inline mpcomm_tensor_dict_s &dict_ref(mpcomm_tensor_dict_t dict, const char *name = "dict") {
  require_not_null(dict, name);
  require_arg(live_handles::contains(live_handles::Kind::kTensorDict, dict), name,
              " is not a tensor dict (freed, or never created)");
  return *dict;
}

// A call without a handle: body().
template <class Body>
mpcomm_status_t entry(const char *function, Needs needs, Body &&body) noexcept {
  return c_boundary(function, [&] {
    if (needs & kMpi) require_mpi_running();
    body();
  });
}

// A call on a group: body(mpcomm_group_s &).
template <class Body>
mpcomm_status_t entry(const char *function, Needs needs, mpcomm_group_t group,
                      Body &&body) noexcept {
  return c_boundary(function, [&] {
    if (needs & kMpi) require_mpi_running();
    mpcomm_group_s &g = group_ref(group);
    if ((needs & kUsable) == kUsable) g.require_usable();
    if ((needs & kCollective) == kCollective)
      g.checked_call(function, [&] { body(g); });
    else
      body(g);
  });
}

// Inside a body: a collective over group g that is not the call's handle (the DP helpers' group,
// a state's group), checked as a kCollective call is.
template <class Body>
void collective(const char *function, mpcomm_group_s &g, Body &&body) {
  g.require_usable();
  g.checked_call(function, body);
}

// A call on a parallel state: body(mpcomm_state_s &).
template <class Body>
mpcomm_status_t entry(const char *function, Needs needs, mpcomm_state_t state,
                      Body &&body) noexcept {
  return c_boundary(function, [&] {
    if (needs & kMpi) require_mpi_running();
    body(state_ref(state));
  });
}

// A call on a tensor dict: body(mpcomm_tensor_dict_s &).
template <class Body>
mpcomm_status_t entry(const char *function, Needs needs, mpcomm_tensor_dict_t dict,
                      Body &&body) noexcept {
  return c_boundary(function, [&] {
    if (needs & kMpi) require_mpi_running();
    body(dict_ref(dict));
  });
}

}  // namespace mpcomm::api
