// Groups made from MPI communicators: the work of mpcomm_group_from_comm(3) and
// mpcomm_group_from_ranks(3), whose arguments api/group.cpp has checked for NULL.
#pragma once

#include <mpi.h>

#include "mpcomm.h"

namespace mpcomm {

// A group over a duplicate of comm (an intracommunicator). Collective over comm, bounded by
// MPCOMM_TIMEOUT.
mpcomm_group_t group_from_comm(MPI_Comm comm);

// A group of the parent ranks ranks[0..n) (n >= 1, distinct, in range, the caller among them),
// made by the members only; they first meet at ranks[0] and check that they passed the same
// list. Bounded by MPCOMM_TIMEOUT up to MPI_Comm_create_group.
mpcomm_group_t group_from_ranks(MPI_Comm parent, const int *ranks, int n);

}  // namespace mpcomm
