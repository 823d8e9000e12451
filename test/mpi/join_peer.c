/* join_peer: one process of a group met by mpcomm_group_join, for test/mpi/join-jobs.sh, which
 * starts each rank as its own mpirun job. Written in C: it is also a C user of the API.
 *
 *   join_peer HOST PORT RANK WORLD_SIZE TIMEOUT   join, prove the group works, print "ok"
 *   join_peer --free-port                         print a TCP port of 127.0.0.1 free right now
 *
 * On failure it prints "status=N: <mpcomm_last_error()>" and exits 1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpcomm.h"

static int free_port(void) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return 1;
  printf("%d\n", ntohs(a.sin_port));
  close(fd);
  return 0;
}

static int fail(const char *what, mpcomm_status_t status) {
  printf("%s: status=%d: %s\n", what, (int)status, mpcomm_last_error());
  fflush(stdout);
  return 1;
}

/* The data plane across jobs: a 64 KiB all_reduce of floats, which the group's processes on one
 * node reduce through a shared-memory window (MPCOMM_HOST_ALLREDUCE=auto), and MPI's. */
static int prove_all_reduce(mpcomm_group_t group, int rank, int size) {
  static float v[16384];
  int i, round;
  mpcomm_status_t s;
  for (round = 0; round < 2; ++round) {
    const mpcomm_datatype_t dtype = round == 0 ? MPCOMM_FLOAT32 : MPCOMM_FLOAT64;
    double d[4] = {0, 0, 0, 0};
    for (i = 0; i < 16384; ++i) v[i] = (float)(rank + i % 5);
    for (i = 0; i < 4; ++i) d[i] = rank;
    s = round == 0 ? mpcomm_all_reduce(group, v, v, 16384, dtype, MPCOMM_SUM, NULL)
                   : mpcomm_all_reduce(group, d, d, 4, dtype, MPCOMM_MAX, NULL);
    if (s != MPCOMM_SUCCESS) return fail("mpcomm_all_reduce", s);
    for (i = 0; round == 0 && i < 16384; ++i) {
      if (v[i] != (float)(size * (size - 1) / 2 + size * (i % 5))) {
        printf("all_reduce: v[%d] = %g\n", i, v[i]);
        return 1;
      }
    }
    if (round == 1 && d[3] != size - 1) {
      printf("all_reduce: max = %g\n", d[3]);
      return 1;
    }
  }
  return 0;
}

/* Every rank contributes "rank R"; each checks the whole list, then they meet at a barrier. */
static int prove(mpcomm_group_t group, int rank, int size) {
  char mine[32], all[32 * 64];
  size_t lens[64], offset = 0;
  int r;
  mpcomm_status_t s;
  if (size > 64) return 0;
  snprintf(mine, sizeof mine, "rank %d", rank);
  s = mpcomm_all_gather_object(group, mine, strlen(mine), all, sizeof all, lens);
  if (s != MPCOMM_SUCCESS) return fail("mpcomm_all_gather_object", s);
  for (r = 0; r < size; ++r) {
    char want[32];
    snprintf(want, sizeof want, "rank %d", r);
    if (lens[r] != strlen(want) || memcmp(all + offset, want, lens[r]) != 0) {
      printf("object %d is not '%s'\n", r, want);
      return 1;
    }
    offset += lens[r];
  }
  s = mpcomm_barrier(group, 30);
  if (s != MPCOMM_SUCCESS) return fail("mpcomm_barrier", s);
  return prove_all_reduce(group, rank, size);
}

int main(int argc, char **argv) {
  mpcomm_group_t group = NULL;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  mpcomm_status_t s;
  int rank, size, rc = 1;
  if (argc == 2 && strcmp(argv[1], "--free-port") == 0) return free_port();
  if (argc != 6) {
    fprintf(stderr, "usage: join_peer HOST PORT RANK WORLD_SIZE TIMEOUT | --free-port\n");
    return 2;
  }
  rank = atoi(argv[3]);
  size = atoi(argv[4]);
  MPI_Init(&argc, &argv);
  s = mpcomm_group_join(argv[1], atoi(argv[2]), rank, size, atof(argv[5]), &group);
  if (s != MPCOMM_SUCCESS) {
    rc = fail("mpcomm_group_join", s);
  } else if ((s = mpcomm_group_info(group, &info)) != MPCOMM_SUCCESS) {
    rc = fail("mpcomm_group_info", s);
  } else if (info.rank_in_group != rank || info.size != size) {
    printf("joined as rank %d of %d, asked for %d of %d\n", info.rank_in_group, info.size, rank,
           size);
  } else if (prove(group, rank, size) == 0) {
    printf("rank %d of %d: ok\n", rank, size);
    rc = 0;
  }
  fflush(stdout);
  /* Free the group's communicator before MPI_Finalize: the other jobs must not see this
   * process vanish while they still hold a connection to it. */
  mpcomm_group_free(&group);
  MPI_Finalize();
  return rc;
}
