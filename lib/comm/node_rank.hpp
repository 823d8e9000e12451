// The process's rank among the processes of MPI_COMM_WORLD on its node, known once per process.
#pragma once

#include <mpi.h>

namespace mpcomm {

// The node-local rank, or -1 when not known. Exact once learn_node_local_rank() has run; before
// that it comes from the launcher (Open MPI's OMPI_COMM_WORLD_LOCAL_RANK, MPICH's
// MPI_LOCALRANKID, Slurm's SLURM_LOCALID), or is 0 in a world of one process. Local.
int node_local_rank();

// Computes the node-local rank exactly with MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) on comm,
// which must hold every process of MPI_COMM_WORLD. Collective over comm; once per process (a
// later call does nothing and communicates nothing, on every rank alike).
void learn_node_local_rank(MPI_Comm comm_spanning_world);

// The process's node-local rank in the world `origin` stands for (the communicator a group or
// state is made from): when origin holds every process of MPI_COMM_WORLD, the process's
// node-local rank (learnt now if it was not known); otherwise its rank among the processes of
// origin on its node. Collective over origin (MPI_Comm_split_type, once every member has
// arrived); the same on every launcher.
int node_local_rank_in(MPI_Comm origin);

// Whether comm holds exactly the processes of MPI_COMM_WORLD. Local.
bool spans_world(MPI_Comm comm);

}  // namespace mpcomm
