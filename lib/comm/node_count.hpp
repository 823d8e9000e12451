// How many nodes the processes of a communicator span: the number of MPI_COMM_TYPE_SHARED
// parts, the processes that can share memory (what CUDA IPC and shared-memory windows need).
#pragma once

#include <mpi.h>

namespace mpcomm {

// Collective over comm; every wait for the other processes is bounded by timeout_s
// (Error(TIMEOUT): comm cannot be used collectively any more).
int node_count(MPI_Comm comm, double timeout_s);

}  // namespace mpcomm
