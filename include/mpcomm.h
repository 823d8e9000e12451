/*
 * mpcomm: the distributed layer of a parallel program, on MPI.
 *
 * C API. Every function returns an mpcomm_status_t unless its prototype says otherwise,
 * never aborts and never throws; on failure mpcomm_last_error() describes what went wrong.
 * See mpcomm(7) for the environment variables and each function's man page for details.
 */
#ifndef MPCOMM_H
#define MPCOMM_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "mpcomm_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- statuses and errors */

typedef enum {
  MPCOMM_SUCCESS = 0,
  MPCOMM_ERR_INVALID_ARGUMENT = 1, /* a bad argument: null pointer, out-of-range value ... */
  MPCOMM_ERR_INVALID_USAGE = 2,    /* a call in the wrong state */
  MPCOMM_ERR_NO_MEMORY = 3,        /* an allocation failed */
  MPCOMM_ERR_TIMEOUT = 4,          /* a peer did not arrive before the deadline */
  MPCOMM_ERR_TRUNCATED = 5,        /* a receive buffer was too small; the needed size is returned */
  MPCOMM_ERR_MALFORMED = 6,        /* received bytes do not decode */
  MPCOMM_ERR_NOT_SUPPORTED = 7,    /* not built in, or not possible on this machine */
  MPCOMM_ERR_MPI = 8,              /* an MPI call failed */
  MPCOMM_ERR_CUDA = 9,             /* a CUDA call failed */
  MPCOMM_ERR_NCCL = 10,            /* an NCCL call failed */
  MPCOMM_ERR_SYSTEM = 11,          /* an operating-system call failed */
  MPCOMM_ERR_BROKEN = 12,          /* the group failed earlier and cannot be used */
  MPCOMM_ERR_INTERNAL = 13,        /* a bug in mpcomm */
  MPCOMM_NUM_STATUSES = 14
} mpcomm_status_t;

/* Static, one-line description of a status; never NULL. */
const char *mpcomm_status_string(mpcomm_status_t status);

/* Detail of this thread's most recent failure (empty string if none); valid until the next
 * failing call on this thread. */
const char *mpcomm_last_error(void);

/* Version of the library at run time (compare with MPCOMM_VERSION_CODE at build time).
 * Null pointers are skipped. */
void mpcomm_version(int *major, int *minor, int *patch);

/* @MPCOMM_CONFIG_API@ */

/* ---------------------------------------------------------------- groups (mpcomm_group(3)) */

/* One set of processes with its own MPI communicator: the control plane (objects, barrier) and,
 * through later layers, the data planes. A handle; any number of groups coexist. */
typedef struct mpcomm_group_s *mpcomm_group_t;

/* Where the calling process sits in a group, as vLLM's GroupCoordinator describes it. "Global"
 * ranks are ranks in MPI_COMM_WORLD (see mpcomm_group_info(3) for groups spanning several
 * worlds); local_rank is the rank among the processes of MPI_COMM_WORLD on this node, or -1
 * when it cannot be known. */
typedef struct {
  int rank_in_group; /* 0 .. size-1 */
  int size;          /* number of processes in the group */
  int global_rank;   /* the caller's global rank */
  int local_rank;    /* the caller's rank on its node */
  int first_rank;    /* global rank of group rank 0 */
  int last_rank;     /* global rank of group rank size-1 */
  int next_rank;     /* global rank of group rank (rank_in_group+1) % size */
  int prev_rank;     /* global rank of group rank (rank_in_group-1+size) % size */
  int is_first_rank; /* 1 if the caller is group rank 0, else 0 */
  int is_last_rank;  /* 1 if the caller is group rank size-1, else 0 */
} mpcomm_group_info_t;

/* A group over a duplicate of comm (collective over comm). comm stays the caller's. */
mpcomm_status_t mpcomm_group_from_comm(MPI_Comm comm, mpcomm_group_t *group);
/* A group of the n processes ranks[0..n-1] of parent, in that order; only they call it, all with
 * the same list. */
mpcomm_status_t mpcomm_group_from_ranks(MPI_Comm parent, const int *ranks, int n,
                                        mpcomm_group_t *group);
/* Frees the group and sets *group = NULL; NULL or *group == NULL is a no-op. */
mpcomm_status_t mpcomm_group_free(mpcomm_group_t *group);
mpcomm_status_t mpcomm_group_info(mpcomm_group_t group, mpcomm_group_info_t *info);
/* The global ranks of the members in group order; capacity is the number of ints at ranks. */
mpcomm_status_t mpcomm_group_ranks(mpcomm_group_t group, int *ranks, size_t capacity);
/* Timeout of the group's object calls in seconds; seconds <= 0 restores MPCOMM_TIMEOUT. */
mpcomm_status_t mpcomm_group_set_timeout(mpcomm_group_t group, double seconds);
mpcomm_status_t mpcomm_group_get_timeout(mpcomm_group_t group, double *seconds);

/* ------------------------------------------- control plane: objects are bytes (mpcomm_objects(3)) */

/* Waits until every member has called it, at most timeout_s seconds (<= 0: 30 seconds). */
mpcomm_status_t mpcomm_barrier(mpcomm_group_t group, double timeout_s);
/* dst and src are ranks in the group. */
mpcomm_status_t mpcomm_send_object(mpcomm_group_t group, const void *buf, size_t len, int dst);
mpcomm_status_t mpcomm_recv_object(mpcomm_group_t group, void *buf, size_t capacity, size_t *len,
                                   int src);
/* At src, buf holds *len bytes to send; elsewhere it receives up to capacity bytes and *len
 * is set to the object's length. */
mpcomm_status_t mpcomm_broadcast_object(mpcomm_group_t group, void *buf, size_t capacity,
                                        size_t *len, int src);
/* Every member's object, packed in group-rank order into out; lens[size] gets their lengths. */
mpcomm_status_t mpcomm_all_gather_object(mpcomm_group_t group, const void *buf, size_t len,
                                         void *out, size_t capacity, size_t *lens);


/* ------------------------------------- rendezvous of separate launches (mpcomm_group_join(3)) */

/* A group of world_size processes that know only host:port: rank 0 listens on host:port (that
 * address only, never a wildcard), the others connect, each rank comes exactly once, and the
 * group's ranks are the ranks given. Works inside one mpirun job and across separate jobs (Open
 * MPI: all mpiruns name one ompi-server). Waits at most timeout_s seconds for every rank. */
mpcomm_status_t mpcomm_group_join(const char *host, int port, int rank, int world_size,
                                  double timeout_s, mpcomm_group_t *group);

#ifdef __cplusplus
}
#endif

#endif /* MPCOMM_H */
