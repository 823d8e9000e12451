// Checking mode (MPCOMM_CHECK=1): before a collective's first communication, its members agree in
// one small bounded allreduce on the operation, the group's sequence number of the call, its
// count, dtype, op and root, and whether each member passed its own argument checks. Members
// that differ all fail with MPCOMM_ERR_INVALID_ARGUMENT naming the members and the values, and
// since no data moved the group stays usable. Off, a call costs one branch.
//
// How a call takes part (Comm::checked_call runs the scope, comm.hpp): the entry helper opens it
// for every call declared `kCollective` (api/entry.hpp); the operation describes its arguments
// with Comm::describe_call as soon as it has read them; the agreement runs at the Comm's first
// run()/run_bounded() of the call, or, when the call fails its own checks or returns without
// communicating (a count of 0), at its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "mpcomm.h"

namespace mpcomm {

class Comm;

// What members of a collective must pass alike. A field the operation does not use keeps its
// default, the same everywhere. count: elements (vector variants: fingerprint() of their
// counts), dtype and op: mpcomm_datatype_t and mpcomm_op_t, root: the group rank of src/dst,
// dim: a tensor operation's dimension, normalised to [0, ndim).
struct CallArgs {
  uint64_t count = 0;
  int32_t dtype = -1;
  int32_t op = -1;
  int32_t root = -1;
  int32_t dim = -1;
};

// One call in checking mode: its name (the C function), its place in the group's sequence of
// checked calls, its arguments, and its own check's failure, if any.
struct CallCheck {
  const char *name = "";
  uint64_t sequence = 0;
  CallArgs args;
  double timeout_s = 0;  // > 0: the call's own timeout (a barrier's), else the Comm's
  bool failed = false;
  mpcomm_status_t status = MPCOMM_SUCCESS;
  std::string reason;
};

// A number that stands for an array of counts in CallArgs::count (FNV-1a over its bytes).
uint64_t fingerprint(const void *bytes, size_t length);

// This member's MPCOMM_CHECK (the caller agrees on it per group). Throws INVALID_ARGUMENT for
// a malformed value.
bool checking_requested();

// The agreement on `call`, collective over comm and bounded by its timeout (a member that does
// not come breaks the Comm with MPCOMM_ERR_TIMEOUT). Returns when every member described the same
// call and passed its own checks. Otherwise throws: Error(MPCOMM_ERR_INVALID_ARGUMENT) naming
// the members and values that differ, or, at a member that failed its own checks, its own error
// with that summary added.
void agree_on_call(Comm &comm, const CallCheck &call);

}  // namespace mpcomm
