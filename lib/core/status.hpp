// What the C API says about statuses: the text of each status and the message of the last
// failure on this thread (set by c_boundary through set_last_error, core/error.hpp).
#pragma once

#include "mpcomm.h"

namespace mpcomm {

// "invalid argument" for MPCOMM_ERR_INVALID_ARGUMENT; "unknown status" for a value that is none.
const char *status_string(mpcomm_status_t status) noexcept;

// The message of the last failure on this thread; "" when there was none. Valid until the next
// failure on this thread.
const char *last_error() noexcept;

}  // namespace mpcomm
