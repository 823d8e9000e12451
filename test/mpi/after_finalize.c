/* Every call that would talk to MPI after MPI_Finalize returns MPCOMM_ERR_INVALID_USAGE saying
 * so (Open MPI would abort the job instead), and freeing what was made before still works. Run
 * at 1 and 2 ranks; exits 0 when every check holds, 1 otherwise. */
#include <stdio.h>
#include <string.h>

#include "mpcomm.h"

static int failures = 0;

static void expect_usage(const char *what, mpcomm_status_t status) {
  if (status != MPCOMM_ERR_INVALID_USAGE || strstr(mpcomm_last_error(), "finalized") == NULL) {
    fprintf(stderr, "%s after MPI_Finalize: status %d (%s), want INVALID_USAGE naming it\n", what,
            (int)status, mpcomm_last_error());
    ++failures;
  }
}

static void expect_success(const char *what, mpcomm_status_t status) {
  if (status != MPCOMM_SUCCESS) {
    fprintf(stderr, "%s after MPI_Finalize: status %d (%s), want SUCCESS\n", what, (int)status,
            mpcomm_last_error());
    ++failures;
  }
}

int main(int argc, char **argv) {
  mpcomm_group_t group = NULL, tp = NULL, none = NULL;
  mpcomm_state_t state = NULL, none_state = NULL;
  mpcomm_tensor_dict_t dict = NULL;
  void *pool = NULL, *pool_made = NULL;
  mpcomm_parallel_config_t cfg;
  char buf[64] = "object";
  size_t len = 7, lens[64];
  int flags[64], count = 0, any = 0;
  int64_t least = 0;
  float x[4] = {1, 2, 3, 4};

  MPI_Init(&argc, &argv);
  if (mpcomm_group_from_comm(MPI_COMM_WORLD, &group) != MPCOMM_SUCCESS ||
      mpcomm_parallel_config_init(&cfg) != MPCOMM_SUCCESS ||
      mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state) != MPCOMM_SUCCESS ||
      mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp) != MPCOMM_SUCCESS ||
      mpcomm_tensor_dict_create(&dict) != MPCOMM_SUCCESS ||
      mpcomm_mem_alloc(group, 4096, &pool_made) != MPCOMM_SUCCESS) {
    fprintf(stderr, "setup failed: %s\n", mpcomm_last_error());
    return 2;
  }
  MPI_Finalize();

  expect_usage("mpcomm_barrier", mpcomm_barrier(group, 0));
  expect_usage("mpcomm_broadcast_object", mpcomm_broadcast_object(group, buf, sizeof buf, &len, 0));
  expect_usage("mpcomm_send_object", mpcomm_send_object(group, buf, len, 0));
  expect_usage("mpcomm_recv_object", mpcomm_recv_object(group, buf, sizeof buf, &len, 0));
  expect_usage("mpcomm_all_gather_object",
               mpcomm_all_gather_object(group, buf, len, buf, sizeof buf, lens));
  expect_usage("mpcomm_group_enable_message_queue", mpcomm_group_enable_message_queue(group, 0, 0));
  expect_usage("mpcomm_dp_has_unfinished", mpcomm_dp_has_unfinished(group, 1, &any));
  expect_usage("mpcomm_dp_sync_kv_cache_memory_size",
               mpcomm_dp_sync_kv_cache_memory_size(group, 5, &least));
  expect_usage("mpcomm_all_reduce",
               mpcomm_all_reduce(tp, x, x, 4, MPCOMM_FLOAT32, MPCOMM_SUM, NULL));
  expect_usage("mpcomm_broadcast", mpcomm_broadcast(group, x, 4, MPCOMM_FLOAT32, 0, NULL));
  expect_usage("mpcomm_in_the_same_node_as", mpcomm_in_the_same_node_as(group, 0, flags));
  expect_usage("mpcomm_node_count", mpcomm_node_count(group, &count));
  expect_usage("mpcomm_broadcast_tensor_dict", mpcomm_broadcast_tensor_dict(group, &dict, 0));
  expect_usage("mpcomm_group_from_comm", mpcomm_group_from_comm(MPI_COMM_WORLD, &none));
  expect_usage("mpcomm_state_create", mpcomm_state_create(MPI_COMM_WORLD, &cfg, &none_state));
  expect_usage("mpcomm_group_join", mpcomm_group_join("127.0.0.1", 1, 0, 1, 1, &none));
  expect_usage("mpcomm_mem_alloc", mpcomm_mem_alloc(group, 64, &pool));

  /* What was made before is freed without MPI; local calls still answer. */
  expect_success("mpcomm_mem_free", mpcomm_mem_free(group, pool_made));
  expect_success("mpcomm_tensor_dict_set_int", mpcomm_tensor_dict_set_int(dict, "k", 1));
  expect_success("mpcomm_tensor_dict_free", mpcomm_tensor_dict_free(&dict));
  expect_success("mpcomm_group_free", mpcomm_group_free(&group));
  expect_success("mpcomm_state_destroy", mpcomm_state_destroy(&state));
  if (failures) fprintf(stderr, "after_finalize: %d checks failed\n", failures);
  return failures ? 1 : 0;
}
