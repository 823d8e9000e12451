// The host data plane on flat buffers: MPI collectives and point-to-point on any mpcomm dtype
// (float16 and bfloat16 included) and op, with size_t counts.
//
// Ranks (root, dst, src) are ranks in comm. Every function validates its arguments before any
// MPI call (INVALID_ARGUMENT naming the argument and the value) and turns a failed MPI call into
// Error(MPCOMM_ERR_MPI, "<call> failed: <MPI's text>"); the latter needs MPI_ERRORS_RETURN on
// comm. On a communicator of one process the collectives copy and return without calling MPI,
// as vLLM does for a group of one. Buffers are host memory; input and output buffers must not
// overlap, except send == recv for all_reduce (in place).
#pragma once

#include <mpi.h>

#include <cstddef>

#include "core/deadline.hpp"
#include "mpcomm.h"

namespace mpcomm::host {

// recv[i] = op over ranks of send[i]; in place when send == recv. AVG: the sum divided by the
// number of processes in comm (reduce_op.hpp).
void all_reduce(MPI_Comm comm, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                mpcomm_op_t op);

// buf at root is copied into buf at every other rank.
void broadcast(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int root);

// Blocking point-to-point. dst/src must be another rank of comm. recv needs exactly count
// elements: a longer message is an MPI error (truncation), a shorter one INVALID_USAGE.
void send(MPI_Comm comm, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, int tag);
void recv(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int src, int tag);

// out holds size * count_per_rank elements: rank r's in at out + r * count_per_rank.
void all_gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                mpcomm_datatype_t dtype);

// in holds size * count_per_rank elements; out (count_per_rank) at rank r receives op over
// ranks of in's r-th block. AVG as in all_reduce.
void reduce_scatter(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op);

// Like all_gather, but only root receives; out is not used (may be NULL) on other ranks.
void gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
            mpcomm_datatype_t dtype, int root);

// The variable-size collectives, for callers that checked their arguments (the group
// operations): comm has `size` >= 2 processes, every array has `size` entries, counts and
// displacements are elements, the buffers are valid for them and do not overlap. Counts or
// displacements beyond one MPI call (max_count_per_call) take a path of per-rank broadcasts,
// reductions or point-to-point messages (tag kTagAllToAllv) that covers any size_t. bound: as
// for the calls below.
constexpr int kTagAllToAllv = 17;  // the control plane's tags are 1-15, send/recv's 16
namespace checked {
// Rank r's counts[r] elements of in land at out + displs[r].
void all_gatherv(MPI_Comm comm, int size, int rank, const void *in, void *out, const size_t *counts,
                 const size_t *displs, mpcomm_datatype_t dtype, const Deadline *bound = nullptr);
// in holds the ranks' blocks back to back (counts[r] elements each, displs their prefix sums);
// out at rank r receives op over ranks of block r.
void reduce_scatterv(MPI_Comm comm, int size, const void *in, void *out, const size_t *counts,
                     const size_t *displs, mpcomm_datatype_t dtype, mpcomm_op_t op,
                     const Deadline *bound = nullptr);
// count elements to and from each rank, blocks in rank order.
void all_to_all(MPI_Comm comm, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                const Deadline *bound = nullptr);
void all_to_allv(MPI_Comm comm, int size, int rank, const void *send, const size_t *send_counts,
                 const size_t *send_displs, void *recv, const size_t *recv_counts,
                 const size_t *recv_displs, mpcomm_datatype_t dtype,
                 const Deadline *bound = nullptr);
}  // namespace checked

// The MPI part of each function above, for callers that made the same checks already (the group
// operations check their arguments once): comm has `size` >= 2 processes, the ranks are other
// valid ranks, the buffers are valid for their counts and do not overlap (but for in-place
// all_reduce). MPI failures are Error(MPCOMM_ERR_MPI) as above.
//
// bound: nullptr waits in the blocking MPI call; a deadline makes each a nonblocking MPI call
// waited on until then (comm/bounded.hpp, bounded_wait): a member that does not come is
// Error(MPCOMM_ERR_TIMEOUT), and MPI may still read and write the buffers after it (the request
// is parked until it completes or MPI finalizes).
namespace checked {
void all_reduce(MPI_Comm comm, int size, const void *send, void *recv, size_t count,
                mpcomm_datatype_t dtype, mpcomm_op_t op, const Deadline *bound = nullptr);
void broadcast(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int root,
               const Deadline *bound = nullptr);
void send(MPI_Comm comm, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, int tag,
          const Deadline *bound = nullptr);
void recv(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int src, int tag,
          const Deadline *bound = nullptr);
void all_gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                mpcomm_datatype_t dtype, const Deadline *bound = nullptr);
void reduce_scatter(MPI_Comm comm, int size, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op, const Deadline *bound = nullptr);
void gather(MPI_Comm comm, bool receiving, const void *in, void *out, size_t count_per_rank,
            mpcomm_datatype_t dtype, int root, const Deadline *bound = nullptr);
}  // namespace checked

// The number of processes in comm and the caller's rank (INVALID_ARGUMENT for MPI_COMM_NULL).
int comm_size(MPI_Comm comm);
int comm_rank(MPI_Comm comm);

}  // namespace mpcomm::host
