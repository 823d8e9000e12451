/* The public header is C: this file is compiled with -std=c99 -pedantic -Werror and calls
 * the C API, checking the results it can check without MPI. */
#include <stdio.h>
#include <string.h>

#include "mpcomm.h"

static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static void check_core(void) {
  int major = -1, minor = -1, patch = -1;
  mpcomm_version(&major, &minor, &patch);
  CHECK(major == MPCOMM_VERSION_MAJOR && minor == MPCOMM_VERSION_MINOR &&
        patch == MPCOMM_VERSION_PATCH);
  CHECK(strcmp(mpcomm_status_string(MPCOMM_SUCCESS), "success") == 0);
  CHECK(mpcomm_last_error() != NULL);
}

/* mpcomm_group_join: bad arguments, and a group of one (no socket). */
static void check_group_join(void) {
  mpcomm_group_t group = NULL;
  CHECK(mpcomm_group_join(NULL, 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "host must not be NULL") != NULL);
  CHECK(group == NULL);
  CHECK(mpcomm_group_join("127.0.0.1", 0, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("0.0.0.0", 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("127.0.0.1", 29500, 0, 2, 1.0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("127.0.0.1", 29500, 0, 1, 1.0, &group) == MPCOMM_SUCCESS);
  CHECK(group != NULL && mpcomm_barrier(group, 1.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS && group == NULL);
}

/* Groups and objects on MPI_COMM_SELF (a singleton MPI job), and NULL arguments refused. */
static void check_groups(void) {
  mpcomm_group_t group = NULL;
  mpcomm_group_info_t info;
  int ranks[1] = {-1};
  int self = 0;
  char buf[8] = "abc";
  char out[8] = {0};
  size_t len = 3, lens[1] = {0};
  double timeout = 0;
  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_info(group, &info) == MPCOMM_SUCCESS);
  CHECK(info.size == 1 && info.rank_in_group == 0 && info.is_first_rank && info.is_last_rank);
  CHECK(info.local_rank == 0);
  CHECK(mpcomm_group_ranks(group, ranks, 1) == MPCOMM_SUCCESS && ranks[0] == 0);
  CHECK(mpcomm_group_set_timeout(group, 5.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_get_timeout(group, &timeout) == MPCOMM_SUCCESS && timeout == 5.0);
  CHECK(mpcomm_barrier(group, 0.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_broadcast_object(group, buf, sizeof buf, &len, 0) == MPCOMM_SUCCESS && len == 3);
  CHECK(mpcomm_all_gather_object(group, buf, 3, out, sizeof out, lens) == MPCOMM_SUCCESS);
  CHECK(lens[0] == 3 && strcmp(out, "abc") == 0);
  CHECK(mpcomm_send_object(group, buf, 3, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_recv_object(group, buf, sizeof buf, &len, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_info(NULL, &info) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "group must not be NULL") != NULL);
  CHECK(mpcomm_group_ranks(group, NULL, 1) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_barrier(NULL, 1.0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_broadcast_object(group, buf, sizeof buf, NULL, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_gather_object(group, buf, 3, out, sizeof out, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_from_ranks(MPI_COMM_SELF, &self, 1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_free(NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS && group == NULL);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_from_ranks(MPI_COMM_SELF, &self, 1, &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
}

int main(void) {
  check_core();
  MPI_Init(NULL, NULL);
  check_groups();
  check_group_join();
  MPI_Finalize();
  printf("# mpcomm-test: passed=%d failed=%d skipped=0\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
