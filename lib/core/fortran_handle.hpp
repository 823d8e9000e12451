// Communicators given as Fortran handles (MPI_Fint), for the _f entry points of the C API.
#pragma once

#include <mpi.h>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

// The C communicator of the Fortran handle comm (MPI_Comm_f2c), after checking that MPI runs;
// a negative handle, or one MPI maps to MPI_COMM_NULL or to no communicator (Open MPI answers
// an unknown handle with a null pointer, not MPI_COMM_NULL), is MPCOMM_ERR_INVALID_ARGUMENT
// naming the argument and its value.
inline MPI_Comm comm_from_fortran(MPI_Fint comm, const char *name) {
  require_mpi_running();
  require_arg(comm >= 0, name, " is not a Fortran communicator handle, got ", comm);
  const MPI_Comm c = MPI_Comm_f2c(comm);
  require_arg(c != MPI_COMM_NULL && c != MPI_Comm{}, name, " (Fortran handle ", comm,
              ") is MPI_COMM_NULL or not a communicator");
  return c;
}

}  // namespace mpcomm
