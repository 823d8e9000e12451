/* A parallel state from C, using only <mpcomm.h>: tensor parallelism over every process, an
 * all_reduce of floats on the TP group, and an object broadcast on the world group. Checks the
 * results and exits 0 when they are right.
 *
 *   mpicc -std=c99 c_state_allreduce.c $(pkg-config --cflags --libs mpcomm)
 *   mpirun -np 4 ./a.out
 */
#include <mpcomm.h>
#include <stdio.h>
#include <string.h>

#define COUNT 1000

/* Prints the failure and returns 1 unless st is MPCOMM_SUCCESS. */
static int failed(mpcomm_status_t st, const char *what) {
  if (st == MPCOMM_SUCCESS) return 0;
  fprintf(stderr, "%s: %s (%s)\n", what, mpcomm_status_string(st), mpcomm_last_error());
  return 1;
}

static int run(int world_rank, int world_size) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  mpcomm_state_t state = NULL;
  mpcomm_group_t tp = NULL, world = NULL;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  static float grad[COUNT];
  char message[64];
  size_t len = 0;
  int i, errors = 0;

  cfg.tensor_parallel_size = world_size;
  if (failed(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), "mpcomm_state_create")) return 1;
  if (failed(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp), "mpcomm_state_group(TP)") ||
      failed(mpcomm_state_group(state, MPCOMM_GROUP_WORLD, &world), "mpcomm_state_group(WORLD)") ||
      failed(mpcomm_group_info(tp, &info), "mpcomm_group_info")) {
    mpcomm_state_destroy(&state);
    return 1;
  }

  /* Every TP rank contributes rank + i; the sum over n ranks is n * i + n * (n - 1) / 2. */
  for (i = 0; i < COUNT; ++i) grad[i] = (float)(info.rank_in_group + i);
  if (failed(mpcomm_all_reduce(tp, grad, grad, COUNT, MPCOMM_FLOAT32, MPCOMM_SUM, NULL),
             "mpcomm_all_reduce"))
    errors++;
  for (i = 0; i < COUNT && errors == 0; ++i) {
    const float expected = (float)(info.size * i + info.size * (info.size - 1) / 2);
    if (grad[i] != expected) {
      fprintf(stderr, "rank %d: grad[%d] = %g, expected %g\n", world_rank, i, grad[i], expected);
      errors++;
    }
  }

  /* Rank 0 tells everyone a short object; the others give a buffer and learn its length. */
  if (world_rank == 0) {
    strcpy(message, "step 1 done");
    len = strlen(message) + 1;
  } else {
    memset(message, 0, sizeof message);
  }
  if (failed(mpcomm_broadcast_object(world, message, sizeof message, &len, 0),
             "mpcomm_broadcast_object"))
    errors++;
  else if (len != strlen("step 1 done") + 1 || strcmp(message, "step 1 done") != 0) {
    fprintf(stderr, "rank %d: received \"%s\" (%d bytes)\n", world_rank, message, (int)len);
    errors++;
  }

  if (world_rank == 0)
    printf("TP group of %d: grad[%d] = %g; broadcast \"%s\"\n", info.size, COUNT - 1,
           grad[COUNT - 1], message);
  if (failed(mpcomm_state_destroy(&state), "mpcomm_state_destroy")) errors++;
  return errors;
}

int main(int argc, char **argv) {
  int rank = 0, size = 1, errors, total = 0;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  errors = run(rank, size);
  MPI_Allreduce(&errors, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  /* The line make check's summary counts (see scripts/test-summary). */
  if (rank == 0)
    printf("# mpcomm-test: passed=%d failed=%d skipped=0\n", total ? 0 : 1, total ? 1 : 0);
  MPI_Finalize();
  return total ? 1 : 0;
}
