// The device data plane of a communicator, for the group's dispatch (group/dispatch.hpp) to
// take when a buffer is in GPU memory: the same operations on device buffers, enqueued on the
// caller's CUDA stream (NULL: the legacy default stream) and usable inside CUDA-graph capture.
//
// Every collective here is collective over the group, in the same order on every member, on
// one stream per member. Ranks (root, dst, src) are ranks in the group. The first device
// collective makes the group's device context (device_context.hpp): the NCCL communicator and,
// where the group is eligible, the custom allreduce; send and recv make it only in a group of
// two (otherwise call init_context first, as NCCL needs every member to take part).
//
// Built without CUDA and NCCL every function but is_device_pointer() throws
// Error(MPCOMM_ERR_NOT_SUPPORTED) saying so; with them, on a machine without a GPU, the same
// with CUDA's reason. Argument errors are Error(INVALID_ARGUMENT) naming the argument.
#pragma once

#include <cstddef>
#include <string>

#include "comm/comm.hpp"
#include "device/custom_allreduce_eligibility.hpp"
#include "mpcomm.h"

namespace mpcomm::device {

// True when p is GPU memory (cudaMemoryTypeDevice or Managed) per cudaPointerGetAttributes;
// false for host memory, NULL, without CUDA, and without a GPU. Never throws.
bool is_device_pointer(const void *p);

// recv = op over the members of send (count elements); send == recv is in place. Dispatch as in
// choose_all_reduce_path(); `algo` forces a path (mpcomm-perf --algo).
void all_reduce(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                mpcomm_op_t op, void *stream, AllReduceAlgo algo = AllReduceAlgo::Auto);

// buf at root is copied into buf at every other member.
void broadcast(Comm &g, void *buf, size_t count, mpcomm_datatype_t dtype, int root, void *stream);

// Point to point; dst/src must be another member.
void send(Comm &g, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, void *stream);
void recv(Comm &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src, void *stream);

// Along a dimension: `in` is `outer` blocks of count_per_rank / outer elements (outer = the
// product of the extents before the gathered dimension, 1 for dimension 0); out is `outer`
// blocks of size * that, member r's block at position r within each. outer must divide
// count_per_rank. out holds size * count_per_rank elements.
void all_gather(Comm &g, const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                void *stream, size_t outer = 1);

// The reverse layout: in holds size * count_per_rank elements as `outer` blocks of size slices;
// member r receives op over members of the r-th slice of every block (count_per_rank elements).
void reduce_scatter(Comm &g, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream, size_t outer = 1);

// all_gather delivered to dst only (grouped NCCL sends and receives); out is not used elsewhere.
void gather(Comm &g, const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
            int dst, void *stream, size_t outer = 1);

// The variable-size forms (vLLM's pynccl: grouped broadcasts, reduces, sends and receives).
// counts[r] and displs[r] (elements, one per member, displs the prefix sums of counts) place
// member r's block in the rank-major buffer (out of all_gatherv, in of reduce_scatterv); with
// `outer` > 1 each block is `outer` slabs that lie along a dimension instead (as all_gather's),
// reordered through a scratch buffer. Counts must agree across members (group/agreement.hpp).
void all_gatherv(Comm &g, const void *in, void *out, const size_t *counts, const size_t *displs,
                 mpcomm_datatype_t dtype, void *stream, size_t outer = 1);
void reduce_scatterv(Comm &g, const void *in, void *out, const size_t *counts, const size_t *displs,
                     mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream, size_t outer = 1);
// count elements to and from each member, blocks in rank order; and per-member counts and
// displacements (elements).
void all_to_all(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                void *stream);
void all_to_allv(Comm &g, const void *send, const size_t *send_counts, const size_t *send_displs,
                 void *recv, const size_t *recv_counts, const size_t *recv_displs,
                 mpcomm_datatype_t dtype, void *stream);

// Throws Error(NOT_SUPPORTED) unless device operations can run in this process (built with CUDA
// and NCCL, and a GPU visible): the check a caller makes before it commits to a device transfer.
void require_available();

// Device memory of `bytes` on the CUDA device of g's context, for tensors the library receives;
// *device is set to that device. The context is made here if it does not exist yet, which is
// collective: `collective` says every member makes this call now (a broadcast); otherwise, as
// for send and recv, only a group of two may make it here. Free with release().
void *allocate(Comm &g, size_t bytes, bool collective, int *device);
void release(void *p) noexcept;

// The CUDA device the group's context uses (before it is made); < 0 restores the default.
void set_device(Comm &g, int device);
// Makes the group's device context now. Collective over the group; idempotent.
void init_context(Comm &g);

// How the group's all_reduce of `bytes` of dtype with op would travel now, and why the custom
// allreduce does not apply when it does not (*why_not). Makes the context (collective).
DevicePath all_reduce_path(Comm &g, size_t bytes, mpcomm_datatype_t dtype, mpcomm_op_t op,
                           std::string *why_not);

// mpcomm_group_device_allreduce_path: the path of an all_reduce of count elements of dtype with
// op on g, the custom allreduce's algorithm when it takes that (two_shot), and why, in words
// every member shares. Makes the context (collective) the first time.
struct AllReduceRoute {
  DevicePath path = DevicePath::Nccl;
  bool two_shot = false;
  std::string why;
};
AllReduceRoute all_reduce_route(Comm &g, size_t count, mpcomm_datatype_t dtype, mpcomm_op_t op);

// mpcomm_group_set_custom_allreduce: the caller's choice for g (custom_allreduce_choice.hpp),
// before its device context is made. Local; agreed when the context is made.
void set_custom_allreduce(Comm &g, bool enabled);

// The timing entry of mpcomm-perf --device cuda: runs `warmup` untimed calls, then `iters` calls
// of all_reduce(g, send, recv, count, dtype, op, stream, algo) between two CUDA events on stream,
// and returns this process's mean seconds per call; *path (if not NULL) says which path ran.
// Collective over the group (the tool reduces the times over the members itself).
double time_all_reduce(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                       mpcomm_op_t op, AllReduceAlgo algo, int warmup, int iters, void *stream,
                       DevicePath *path);

// Before a CUDA graph capture on stream (mpcomm_graph_capture_begin, state/graph_capture.hpp):
// a GPU must be usable and the stream not capturing yet.
void prepare_capture(void *stream);
// Error(NOT_SUPPORTED) in a build without CUDA and NCCL (which cannot capture); else nothing.
void require_capture_built();

}  // namespace mpcomm::device
