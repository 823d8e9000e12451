// mpcomm_status_string(3): the text of a status and the message of the last failure. Neither
// can fail, so neither goes through api::entry; both work with or without MPI.
#include "core/status.hpp"

#include "mpcomm.h"

extern "C" const char *mpcomm_status_string(mpcomm_status_t status) {
  return mpcomm::status_string(status);
}

extern "C" const char *mpcomm_last_error(void) { return mpcomm::last_error(); }
