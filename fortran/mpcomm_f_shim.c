/* The C half of the Fortran module (fortran/mpcomm.F90): what Fortran cannot see by itself.
 * A TS 29113 assumed-type, assumed-rank dummy (type(*), dimension(..)) reaches C as a
 * CFI_cdesc_t, whose type code gives the array's type and kind, hence its mpcomm_datatype_t;
 * everything else the module does in Fortran over the C API. Failures found here (a
 * non-contiguous array, a type the data plane has no dtype for) are kept per thread and reported
 * by the module's mpcomm_last_error() until the next failure of the C API. */
#include <ISO_Fortran_binding.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpcomm.h"

/* The address of this variable (defined by the module, bind(C)) is MPCOMM_IN_PLACE, as
 * MPI_IN_PLACE in mpi_f08. */
extern int mpcomm_f_in_place_marker;

static _Thread_local char fortran_error[1024];
static _Thread_local int fortran_error_is_latest = 0;

void mpcomm_f_set_error(const char *message) {
  snprintf(fortran_error, sizeof fortran_error, "%s", message);
  fortran_error_is_latest = 1;
}

/* The C API failed: its own message is the latest. */
void mpcomm_f_c_failed(void) { fortran_error_is_latest = 0; }

const char *mpcomm_f_last_error(void) {
  return fortran_error_is_latest ? fortran_error : mpcomm_last_error();
}

/* The dtype of a CFI type code, or -1. */
static int dtype_of(CFI_type_t type) {
  if (type == CFI_type_int8_t) return MPCOMM_INT8;
  if (type == CFI_type_int16_t) return MPCOMM_INT16;
  if (type == CFI_type_Bool) return MPCOMM_BOOL;
  if (type == CFI_type_int32_t) return MPCOMM_INT32;
  if (type == CFI_type_int64_t) return MPCOMM_INT64;
  if (type == CFI_type_float) return MPCOMM_FLOAT32;
  if (type == CFI_type_double) return MPCOMM_FLOAT64;
  return -1;
}

/* Describes the array (or scalar) d for the data plane: its first element, its number of
 * elements and its dtype; *in_place is 1 when it is MPCOMM_IN_PLACE. `what` names the call and
 * the argument in the message ("mpcomm_all_reduce: sendbuf"). Returns an mpcomm_status_t. */
int mpcomm_f_describe(const CFI_cdesc_t *d, const char *what, void **base, size_t *count,
                      int *dtype, int *in_place) {
  char message[512];
  *in_place = d->base_addr == (void *)&mpcomm_f_in_place_marker;
  *base = d->base_addr;
  *count = 1;
  *dtype = -1;
  if (*in_place) {
    *count = 0;
    return MPCOMM_SUCCESS;
  }
  for (int i = 0; i < d->rank; ++i) *count *= (size_t)d->dim[i].extent;
  *dtype = dtype_of(d->type);
  if (*dtype < 0) {
    snprintf(message, sizeof message,
             "%s: an array of this type has no mpcomm datatype (CFI type %d, %zu-byte elements):"
             " use integer(int8), integer(int16), integer(int32), integer(int64), logical(c_bool),"
             " real(real32) or real(real64)",
             what, (int)d->type, (size_t)d->elem_len);
    mpcomm_f_set_error(message);
    return MPCOMM_ERR_INVALID_ARGUMENT;
  }
  if (*count > 0 && !CFI_is_contiguous(d)) {
    snprintf(message, sizeof message,
             "%s must be contiguous (an array section with a stride is not; copy it first)", what);
    mpcomm_f_set_error(message);
    return MPCOMM_ERR_INVALID_ARGUMENT;
  }
  if (*count == 0) *base = NULL;
  return MPCOMM_SUCCESS;
}

/* The bytes of any contiguous array (or scalar) d: its first byte and its length. */
int mpcomm_f_bytes(const CFI_cdesc_t *d, const char *what, void **base, size_t *len) {
  char message[512];
  size_t count = 1;
  for (int i = 0; i < d->rank; ++i) count *= (size_t)d->dim[i].extent;
  *base = count > 0 ? d->base_addr : NULL;
  *len = count * (size_t)d->elem_len;
  if (count > 0 && !CFI_is_contiguous(d)) {
    snprintf(message, sizeof message, "%s must be contiguous", what);
    mpcomm_f_set_error(message);
    return MPCOMM_ERR_INVALID_ARGUMENT;
  }
  return MPCOMM_SUCCESS;
}
