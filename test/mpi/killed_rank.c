/* A job whose rank 1 is killed while the library holds shared-memory windows: a message queue
 * (ring window), a same-node test (a window per call) and the object channels (made by the
 * group's first barrier). test/mpi/killed-rank.sh checks that
 * nothing is left in /dev/shm afterwards. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "mpcomm.h"

int main(int argc, char **argv) {
  int rank = 0, size = 0, flags[64];
  mpcomm_group_t group = NULL;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 64 || mpcomm_group_from_comm(MPI_COMM_WORLD, &group) != MPCOMM_SUCCESS ||
      mpcomm_group_enable_message_queue(group, 0, 0) != MPCOMM_SUCCESS ||
      mpcomm_in_the_same_node_as(group, 0, flags) != MPCOMM_SUCCESS ||
      mpcomm_barrier(group, 0) != MPCOMM_SUCCESS) {
    fprintf(stderr, "setup failed: %s\n", mpcomm_last_error());
    return 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 1) raise(SIGKILL);
  sleep(5); /* mpirun tears the job down meanwhile */
  mpcomm_group_free(&group);
  MPI_Finalize();
  return 0;
}
