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

// Throws Error(MPCOMM_ERR_MPI, "<call> failed: <MPI's text>") unless code is MPI_SUCCESS.
inline void mpi_check(int code, const char *call) {
  if (code != MPI_SUCCESS)
    throw Error(MPCOMM_ERR_MPI, concat(call, " failed: ", mpi_error_text(code)));
}

// MPI_Init has run and MPI_Finalize has not begun; otherwise Error(MPCOMM_ERR_INVALID_USAGE).
// Asks MPI once; then an attribute on MPI_COMM_SELF, which MPI_Finalize deletes first of all,
// tells when finalization starts (every call checks this, so it must cost nothing).
void require_mpi_running();

// The same question for code that must not throw: true while MPI_Init has run and MPI_Finalize
// has not begun.
bool mpi_running() noexcept;

}  // namespace mpcomm
