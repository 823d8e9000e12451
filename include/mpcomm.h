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

#include <dlpack/dlpack.h>
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

/* ------------------------------------------------- data plane types (mpcomm_datatype(3)) */

/* Element types of the data plane. Tensors describe theirs with a DLPack DLDataType; these are
 * the types it accepts (lanes == 1). */
typedef enum {
  MPCOMM_INT8 = 0,
  MPCOMM_UINT8 = 1,
  MPCOMM_INT32 = 2,
  MPCOMM_INT64 = 3,
  MPCOMM_FLOAT16 = 4,  /* IEEE binary16; reductions accumulate in float32 */
  MPCOMM_BFLOAT16 = 5, /* bfloat16; reductions accumulate in float32 */
  MPCOMM_FLOAT32 = 6,
  MPCOMM_FLOAT64 = 7,
  MPCOMM_NUM_DATATYPES = 8
} mpcomm_datatype_t;

/* Reduction operators. MPCOMM_AVG is the sum divided by the group size (integers truncate
 * toward zero). */
typedef enum {
  MPCOMM_SUM = 0,
  MPCOMM_PROD = 1,
  MPCOMM_MAX = 2,
  MPCOMM_MIN = 3,
  MPCOMM_AVG = 4,
  MPCOMM_NUM_OPS = 5
} mpcomm_op_t;

#ifdef __cplusplus
}
#endif

#endif /* MPCOMM_H */
