// Builds an MPI intracommunicator from processes that were launched separately and know only
// a host:port, their rank and the world size: the MPI form of vLLM's
// StatelessProcessGroup.create and stateless_init_dp_group.
//
// Rank 0 listens on host:port, every other rank connects, and a handshake admits each rank
// exactly once (rendezvous_handshake.hpp). Then the group grows in rank order: rank 0 opens
// an MPI port; for r = 1..N-1 it sends the port name to rank r over r's socket, the ranks
// 0..r-1 accept collectively (MPI_Comm_accept) while rank r connects (MPI_Comm_connect), and
// MPI_Intercomm_merge puts r after them. This is MPI_Comm_join (which is exactly "open a port,
// send its name over a socket, connect/accept over MPI_COMM_SELF") generalised from a pair to
// a growing group: a pairwise join at rank 0 followed by MPI_Intercomm_create over the joined
// pairs works inside one mpirun job but hangs in Open MPI 4.1 when three or more separate
// jobs take part, because two ranks that never connected directly cannot look each other up.
#pragma once

#include <mpi.h>

#include "bootstrap/rendezvous_handshake.hpp"

namespace mpcomm::rendezvous {

// Checks the arguments without touching the network: INVALID_ARGUMENT naming the value.
void validate(const Request &request);

// Runs the rendezvous. Returns a new intracommunicator of request.world_size processes in
// which this process has rank request.rank, with MPI_ERRORS_RETURN set; the caller frees it.
// A world of one is a duplicate of MPI_COMM_SELF and opens no socket.
MPI_Comm join(const Request &request);

}  // namespace mpcomm::rendezvous
