/* Group rank 1 is killed (SIGKILL) while it waits inside a host all_reduce: the shared-memory
 * allreduce (float32, "shm") or, with MPCOMM_HOST_BOUNDED=1, MPI_Iallreduce ("mpi", int64); or
 * before an all_to_all, whose shared-memory agreement on the count the others then wait in
 * ("agree", MPCOMM_CHECK=0). The survivors must get MPCOMM_ERR_TIMEOUT, then MPCOMM_ERR_BROKEN,
 * free the group (with its message queue and shared-memory segments) without waiting for the dead
 * rank, and finish MPI_Finalize. Each survivor prints "PASS <rank>" as its last line;
 * test/mpi/killed-in-allreduce.sh runs it under mpirun --enable-recovery with a watchdog. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mpcomm.h"

#define COUNT 4096

/* The call that rank 1 dies in: an all_reduce, or an all_to_all (whose agreement waits). */
static mpcomm_status_t call(mpcomm_group_t g, int agree, int64_t *buf, mpcomm_datatype_t dtype) {
  if (agree) return mpcomm_all_to_all(g, buf, buf + COUNT / 2, 1, MPCOMM_INT64, NULL);
  return mpcomm_all_reduce(g, buf, buf, COUNT, dtype, MPCOMM_SUM, NULL);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(int sig) {
  (void)sig;
  raise(SIGKILL);
}

int main(int argc, char **argv) {
  int rank = 0, failures = 0;
  const int shm = argc > 1 && strcmp(argv[1], "shm") == 0;
  const int agree = argc > 1 && strcmp(argv[1], "agree") == 0;
  const mpcomm_datatype_t dtype = shm ? MPCOMM_FLOAT32 : MPCOMM_INT64;
  static int64_t buf[COUNT]; /* big enough for either type */
  mpcomm_group_t g = NULL;
  const double timeout = 1.0;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (mpcomm_group_from_comm(MPI_COMM_WORLD, &g) != MPCOMM_SUCCESS ||
      mpcomm_group_set_timeout(g, timeout) != MPCOMM_SUCCESS ||
      mpcomm_group_enable_message_queue(g, 0, 0) != MPCOMM_SUCCESS ||
      call(g, agree, buf, dtype) != MPCOMM_SUCCESS) {
    fprintf(stderr, "[%d] setup failed: %s\n", rank, mpcomm_last_error());
    return 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 1 && agree) {
    /* Dies without calling (a member that had published its part of the agreement and then
     * died would let the others pass it into the MPI call, which blocks without a deadline).
     * The others come 0.5 s late as in the other modes: Open MPI's MPI_Finalize can hang when
     * it starts within a second of a peer's death. */
    usleep(200000);
    raise(SIGKILL);
  } else if (rank == 1) {
    /* Dies 0.2 s into the call, while it waits for the others (who come 0.5 s late). */
    struct itimerval t = {{0, 0}, {0, 200000}};
    signal(SIGALRM, die);
    setitimer(ITIMER_REAL, &t, NULL);
  } else {
    usleep(500000);
  }
  double start = now();
  mpcomm_status_t s = call(g, agree, buf, dtype);
  const double waited = now() - start;
  if (s != MPCOMM_ERR_TIMEOUT || waited > timeout + 5 ||
      (agree && strstr(mpcomm_last_error(), "agreement") == NULL)) {
    fprintf(stderr, "[%d] %s: status %d after %.1f s (%s), want TIMEOUT\n", rank,
            agree ? "all_to_all" : "all_reduce", (int)s, waited, mpcomm_last_error());
    ++failures;
  }
  s = call(g, agree, buf, dtype);
  if (s != MPCOMM_ERR_BROKEN) {
    fprintf(stderr, "[%d] second call: status %d, want BROKEN\n", rank, (int)s);
    ++failures;
  }
  start = now();
  if (mpcomm_group_free(&g) != MPCOMM_SUCCESS || now() - start > 0.5) {
    fprintf(stderr, "[%d] group_free took %.1f s (%s)\n", rank, now() - start, mpcomm_last_error());
    ++failures;
  }
  /* Open MPI's own MPI_Finalize can hang when it starts before mpirun has handled the death
   * (PMIx's event notification failing, with nothing of mpcomm's left): give mpirun 1.5 s, and
   * say that this rank's part is done, so that the script can tell such a hang from mpcomm's. */
  usleep(1500000);
  printf("FINALIZING %d failures=%d\n", rank, failures);
  fflush(stdout);
  start = now();
  MPI_Finalize();
  printf("%s %d (MPI_Finalize took %.2f s)\n", failures ? "FAIL" : "PASS", rank, now() - start);
  fflush(stdout);
  return failures ? 1 : 0;
}
