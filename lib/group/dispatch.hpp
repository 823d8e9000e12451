// The data plane of a group: the operations behind mpcomm_all_reduce, mpcomm_broadcast,
// mpcomm_send, mpcomm_recv, mpcomm_all_gather, mpcomm_reduce_scatter, mpcomm_gather,
// mpcomm_all_gatherv, mpcomm_reduce_scatterv, mpcomm_all_to_all and mpcomm_all_to_allv, and the
// choice of the plane that carries each call.
//
// Dispatch: buffers in GPU memory (device::is_device_pointer for flat buffers; the DLPack
// device, kDLCUDA or kDLCUDAManaged, for tensors) go to the device plane (device/device_ops.hpp)
// on `stream`; host buffers (kDLCPU, kDLCUDAHost) to the host plane on the group's communicator,
// and `stream` is ignored. Host and device buffers in one call are INVALID_ARGUMENT naming both.
// A host all_reduce of float32, float16 or bfloat16 takes the group's shared-memory allreduce
// (host_allreduce.hpp) when MPCOMM_HOST_ALLREDUCE says so (see HostAllreduce::use_shm); every
// member must see the same value of the variable.
//
// Every argument is checked before any communication (INVALID_ARGUMENT naming the argument and
// the value). A group of one returns at once, out of place after copying the input to the
// output. A failure while communicating (an MPI error, a timeout of the shared-memory allreduce,
// an NCCL error) leaves the members out of step: the group is marked broken and refuses every
// later operation with MPCOMM_ERR_BROKEN, as after a failed control-plane operation.
#pragma once

#include <dlpack/dlpack.h>

#include <cstddef>

#include "group/group.hpp"
#include "mpcomm.h"

namespace mpcomm {

// The tag of host-plane send and recv on the group's communicator (control-plane tags are 1-15).
constexpr int kTagPointToPoint = 16;

void group_all_reduce(mpcomm_group_s &g, const void *send, void *recv, size_t count,
                      mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream);
void group_broadcast(mpcomm_group_s &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src,
                     void *stream);
// dst / src MPCOMM_RANK_DEFAULT: the next / previous rank in the group.
void group_send(mpcomm_group_s &g, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst,
                void *stream);
void group_recv(mpcomm_group_s &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src,
                void *stream);
void group_all_gather(mpcomm_group_s &g, const DLTensor *in, DLTensor *out, int dim, void *stream);
void group_reduce_scatter(mpcomm_group_s &g, const DLTensor *in, DLTensor *out, int dim,
                          mpcomm_op_t op, void *stream);
// out is used at dst only (may be NULL elsewhere).
void group_gather(mpcomm_group_s &g, const DLTensor *in, DLTensor *out, int dst, int dim,
                  void *stream);
// The variable-size collectives: sizes (all_gatherv, reduce_scatterv), count (all_to_all) and
// counts (all_to_allv) are checked for agreement across the members (group/agreement.hpp)
// before any data moves.
void group_all_gatherv(mpcomm_group_s &g, const DLTensor *in, DLTensor *out, const size_t *sizes,
                       int dim, void *stream);
void group_reduce_scatterv(mpcomm_group_s &g, const DLTensor *in, DLTensor *out,
                           const size_t *sizes, int dim, mpcomm_op_t op, void *stream);
void group_all_to_all(mpcomm_group_s &g, const void *send, void *recv, size_t count,
                      mpcomm_datatype_t dtype, void *stream);
void group_all_to_allv(mpcomm_group_s &g, const void *send, const size_t *send_counts,
                       const size_t *send_displs, void *recv, const size_t *recv_counts,
                       const size_t *recv_displs, mpcomm_datatype_t dtype, void *stream);

}  // namespace mpcomm
