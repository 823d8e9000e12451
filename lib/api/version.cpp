// mpcomm_version(3): the version of the library linked at run time. It cannot fail, so it does
// not go through api::entry; it works with or without MPI.
#include "mpcomm.h"

extern "C" void mpcomm_version(int *major, int *minor, int *patch) {
  if (major) *major = MPCOMM_VERSION_MAJOR;
  if (minor) *minor = MPCOMM_VERSION_MINOR;
  if (patch) *patch = MPCOMM_VERSION_PATCH;
}
