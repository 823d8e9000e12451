// Turns an MPI return code into an Error(MPCOMM_ERR_MPI) carrying MPI's own text.
#pragma once

#include <mpi.h>

#include <string>

#include "core/error.hpp"

namespace mpcomm {

inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return concat("MPI error ", code);
  return std::string(text, static_cast<size_t>(length));
}

// Throws Error(MPCOMM_ERR_MPI, "<call> failed: <MPI's text>") unless code is MPI_SUCCESS. For a
// call whose return code is kept apart from the call; MPCOMM_MPI_CHECK checks a call in place.
inline void mpi_check(int code, const char *call) {
  if (code != MPI_SUCCESS)
    throw Error(MPCOMM_ERR_MPI, concat(call, " failed: ", mpi_error_text(code)));
}

// Throws Error(MPCOMM_ERR_MPI, "MPI_Foo failed: <MPI's text>") (failed_call_message).
[[noreturn]] inline void mpi_call_failed(int code, const CallSite &site) {
  throw Error(MPCOMM_ERR_MPI, failed_call_message(site, mpi_error_text(code)));
}

// MPCOMM_MPI_CHECK(MPI_Foo(...)): runs the call; a return code other than MPI_SUCCESS throws
// Error(MPCOMM_ERR_MPI) naming MPI_Foo, with the call's text and place in the INFO log.
#define MPCOMM_MPI_CHECK(call)                                                \
  do {                                                                        \
    const int mpcomm_mpi_rc_ = (call);                                        \
    if (mpcomm_mpi_rc_ != MPI_SUCCESS)                                        \
      ::mpcomm::mpi_call_failed(mpcomm_mpi_rc_, {#call, __FILE__, __LINE__}); \
  } while (0)

// MPI_Init has run and MPI_Finalize has not begun; otherwise Error(MPCOMM_ERR_INVALID_USAGE).
// Asks MPI once; then an attribute on MPI_COMM_SELF, which MPI_Finalize deletes first of all,
// tells when finalization starts (every call checks this, so it must cost nothing).
void require_mpi_running();

// The same question for code that must not throw: true while MPI_Init has run and MPI_Finalize
// has not begun.
bool mpi_running() noexcept;

}  // namespace mpcomm
