#include "core/mpi_half.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "core/error.hpp"
#include "core/half_reduce.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {
namespace {

// The MPI user function: inout = in (op) inout, element-wise.
template <class Format, class Combine>
void reduce_16bit(void *in, void *inout, int *len, MPI_Datatype *) {
  half::combine<Format, Combine>(static_cast<const uint16_t *>(in), static_cast<uint16_t *>(inout),
                                 static_cast<size_t>(*len));
}

constexpr int kNumHalfOps = 4;  // sum, prod, max, min in mpcomm_op_t order

template <class Format>
constexpr MPI_User_function *user_functions[kNumHalfOps] = {
    reduce_16bit<Format, half::Sum>, reduce_16bit<Format, half::Prod>,
    reduce_16bit<Format, half::Max>, reduce_16bit<Format, half::Min>};

// The handles of one MPI session. They stay valid until MPI_Finalize, which runs
// free_at_finalize through the attribute set on MPI_COMM_SELF.
struct HalfHandles {
  bool created = false;
  int keyval = MPI_KEYVAL_INVALID;
  MPI_Datatype float16 = MPI_DATATYPE_NULL;
  MPI_Datatype bfloat16 = MPI_DATATYPE_NULL;
  MPI_Op float16_ops[kNumHalfOps] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};
  MPI_Op bfloat16_ops[kNumHalfOps] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};
};

std::mutex handles_mutex;
HalfHandles handles;

void free_handles(HalfHandles &h) {
  for (MPI_Op &op : h.float16_ops)
    if (op != MPI_OP_NULL) MPI_Op_free(&op);
  for (MPI_Op &op : h.bfloat16_ops)
    if (op != MPI_OP_NULL) MPI_Op_free(&op);
  if (h.float16 != MPI_DATATYPE_NULL) MPI_Type_free(&h.float16);
  if (h.bfloat16 != MPI_DATATYPE_NULL) MPI_Type_free(&h.bfloat16);
  if (h.keyval != MPI_KEYVAL_INVALID) MPI_Comm_free_keyval(&h.keyval);
  h = HalfHandles{};
}

int free_at_finalize(MPI_Comm, int, void *, void *) {
  std::lock_guard<std::mutex> lock(handles_mutex);
  free_handles(handles);
  return MPI_SUCCESS;
}

MPI_Datatype named_uint16(const char *name) {
  MPI_Datatype type = MPI_DATATYPE_NULL;
  MPCOMM_MPI_CHECK(MPI_Type_contiguous(1, MPI_UINT16_T, &type));
  MPI_Type_set_name(type, name);  // only for MPI's own messages; a failure does not matter
  MPCOMM_MPI_CHECK(MPI_Type_commit(&type));
  return type;
}

template <class Format>
void create_ops(MPI_Op (&ops)[kNumHalfOps]) {
  for (int i = 0; i < kNumHalfOps; ++i)
    MPCOMM_MPI_CHECK(MPI_Op_create(user_functions<Format>[i], /*commute=*/1, &ops[i]));
}

// Creates everything on first use; on a failure frees what was made and throws.
HalfHandles &created_handles() {
  std::lock_guard<std::mutex> lock(handles_mutex);
  if (handles.created) return handles;
  require_mpi_running();
  HalfHandles fresh;
  try {
    fresh.float16 = named_uint16("mpcomm_float16");
    fresh.bfloat16 = named_uint16("mpcomm_bfloat16");
    create_ops<half::Float16>(fresh.float16_ops);
    create_ops<half::BFloat16>(fresh.bfloat16_ops);
    MPCOMM_MPI_CHECK(
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, free_at_finalize, &fresh.keyval, nullptr));
    MPCOMM_MPI_CHECK(MPI_Comm_set_attr(MPI_COMM_SELF, fresh.keyval, nullptr));
  } catch (...) {
    free_handles(fresh);
    throw;
  }
  fresh.created = true;
  handles = fresh;
  return handles;
}

}  // namespace

MPI_Datatype mpi_half_datatype(mpcomm_datatype_t dtype) {
  require(dtype == MPCOMM_FLOAT16 || dtype == MPCOMM_BFLOAT16, MPCOMM_ERR_INTERNAL,
          "mpi_half_datatype: dtype ", static_cast<int>(dtype), " is not a 16-bit float");
  const HalfHandles &h = created_handles();
  return dtype == MPCOMM_FLOAT16 ? h.float16 : h.bfloat16;
}

MPI_Op mpi_half_op(mpcomm_datatype_t dtype, mpcomm_op_t op) {
  require(dtype == MPCOMM_FLOAT16 || dtype == MPCOMM_BFLOAT16, MPCOMM_ERR_INTERNAL,
          "mpi_half_op: dtype ", static_cast<int>(dtype), " is not a 16-bit float");
  require(op >= MPCOMM_SUM && op <= MPCOMM_MIN, MPCOMM_ERR_INTERNAL, "mpi_half_op: op ",
          static_cast<int>(op), " has no MPI operator");
  const HalfHandles &h = created_handles();
  return dtype == MPCOMM_FLOAT16 ? h.float16_ops[op] : h.bfloat16_ops[op];
}

}  // namespace mpcomm
