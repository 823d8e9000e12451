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

/* mpcomm_group_join: argument checks come before any MPI call. */
static void check_group_join(void) {
  mpcomm_group_t group = NULL;
  CHECK(mpcomm_group_join(NULL, 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "host must not be NULL") != NULL);
  CHECK(group == NULL);
  CHECK(mpcomm_group_join("127.0.0.1", 0, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("0.0.0.0", 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("127.0.0.1", 29500, 0, 2, 1.0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
}

int main(void) {
  check_core();
  check_group_join();
  printf("# mpcomm-test: passed=%d failed=%d skipped=0\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
