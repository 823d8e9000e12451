/* A program outside the tree: uses only the installed <mpcomm.h> and libmpcomm. */
#include <mpcomm.h>
#include <stdio.h>

int main(void) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  static const int ep[8] = {0, 1, 4, 5, 2, 3, 6, 7};
  int ranks[8], ngroups = 0, size = 0, start = 0, end = 0, i;
  cfg.tensor_parallel_size = 2;
  cfg.pipeline_parallel_size = 2;
  cfg.data_parallel_size = 2;
  if (mpcomm_layout_group_ranks(&cfg, 8, MPCOMM_GROUP_EP, ranks, 8, &ngroups, &size) != 0) {
    fprintf(stderr, "layout: %s\n", mpcomm_last_error());
    return 1;
  }
  for (i = 0; i < 8; ++i)
    if (ranks[i] != ep[i]) return 1;
  if (mpcomm_pp_indices(10, 2, 4, &start, &end) != 0 || start != 5 || end != 8) return 1;
  printf("EP groups: %d of %d; stage 2 of 4 holds layers [%d, %d)\n", ngroups, size, start, end);
  return 0;
}
