// The host data plane on DLPack tensors, with vLLM GroupCoordinator's shape rules.
//
// dim may be negative (counts from the end); it must lie in [-ndim, ndim) of in. Tensors must be
// valid, contiguous, in host memory, of the same dtype, and in and out must not overlap
// (tensor.hpp); any violation is INVALID_ARGUMENT naming the tensor and the numbers, raised
// before any MPI call. On a communicator of one process out receives a copy of in.
#pragma once

#include <dlpack/dlpack.h>
#include <mpi.h>

#include <cstddef>
#include <vector>

#include "core/deadline.hpp"
#include "host/tensor.hpp"
#include "mpcomm.h"

namespace mpcomm::host {

// The shape rules, shared with the device plane. in and out are validated tensors; dim is
// normalised against in and returned. INVALID_ARGUMENT naming the tensor and the numbers unless
// out has in's dtype and ndim and in's shape with dimension dim size times longer (gathered) or
// size times shorter, in.shape[dim] divisible by size (scattered), and in and out do not overlap.
int check_gathered(const TensorView &in, const TensorView &out, int dim, int size);
int check_scattered(const TensorView &in, const TensorView &out, int dim, int size);

// The shape rules of the variable-size forms (sizes: one extent along dim per member, not NULL):
// all_gatherv's in.shape[dim] == sizes[rank] and out.shape[dim] == sum(sizes); reduce_scatterv's
// in.shape[dim] == sum(sizes) and out.shape[dim] == sizes[rank]; the other extents and the
// dtype equal, no overlap. INVALID_ARGUMENT naming the numbers; returns dim normalised.
int check_gathered_v(const TensorView &in, const TensorView &out, int dim, const size_t *sizes,
                     int size, int rank);
int check_scattered_v(const TensorView &in, const TensorView &out, int dim, const size_t *sizes,
                      int size, int rank);

// The blocks of a v-collective on the whole tensor `whole` (all_gatherv's out, reduce_scatterv's
// in) split along dim: member r's block is `outer` slabs of sizes[r] rows of `row` elements;
// counts[r] = outer * sizes[r] * row, displs[r] their prefix sums (rank-major), row_displs[r]
// the prefix sums of sizes. Held per thread: valid until the thread's next call.
struct VLayout {
  size_t outer = 1, row = 1, total_rows = 0;
  std::vector<size_t> counts, displs, row_displs;
};
const VLayout &v_layout(const TensorView &whole, int dim, const size_t *sizes, int size);

// The product of the extents before dim (1 for dim 0): the number of blocks a tensor is when
// split around dim.
size_t outer_extent(const TensorView &view, int dim);

// out is in with dimension dim size times longer: the ranks' inputs, in rank order, side by side
// along dim (torch.cat of every rank's in along dim).
void all_gather_tensor(MPI_Comm comm, const DLTensor *in, DLTensor *out, int dim);

// in.shape[dim] must be divisible by the number of processes; out is in with dimension dim that
// many times shorter. Rank r receives op over ranks of the r-th slice of in along dim.
void reduce_scatter_tensor(MPI_Comm comm, const DLTensor *in, DLTensor *out, int dim,
                           mpcomm_op_t op);

// Like all_gather_tensor, but only dst receives: out is read at dst only and is ignored (may be
// NULL) on the other ranks.
void gather_tensor(MPI_Comm comm, const DLTensor *in, DLTensor *out, int dst, int dim);

// The three above on host tensors already validated, with dim normalised and the shapes checked
// by check_gathered or check_scattered for size = comm's size (2 or more): for callers that
// checked them once already (the group operations), so that a call checks nothing twice. bound:
// as in host_collectives.hpp (a staging buffer MPI may still write into after a timeout is
// kept until exit).
void all_gather_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                        int dim, const Deadline *bound = nullptr);
void reduce_scatter_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                            int dim, mpcomm_op_t op, const Deadline *bound = nullptr);
// The variable-size forms, checked by check_gathered_v / check_scattered_v, on the layout of
// v_layout (of out for all_gatherv, of in for reduce_scatterv).
void all_gatherv_checked(MPI_Comm comm, int size, int rank, const TensorView &in,
                         const TensorView &out, const VLayout &layout,
                         const Deadline *bound = nullptr);
void reduce_scatterv_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                             const VLayout &layout, mpcomm_op_t op,
                             const Deadline *bound = nullptr);
// out is read at dst only.
void gather_checked(MPI_Comm comm, int size, int rank, const TensorView &in, const TensorView &out,
                    int dst, int dim, const Deadline *bound = nullptr);

}  // namespace mpcomm::host
