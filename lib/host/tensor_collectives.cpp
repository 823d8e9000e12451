#include "host/tensor_collectives.hpp"

#include <cstdint>
#include <cstring>
#include <memory>

#include "core/abandoned.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/reduce_op.hpp"
#include "host/buffer.hpp"
#include "host/host_collectives.hpp"
#include "host/tensor.hpp"

namespace mpcomm::host {
namespace {

TensorView host_tensor(const DLTensor *tensor, const char *name) {
  TensorView view = validate_tensor(tensor, name);
  require_on_host(*tensor, name);
  return view;
}

// A tensor split around dim: `outer` slabs (the product of the extents before dim), each of
// `extent` rows (the extent of dim) of `row_bytes` bytes (the product of the extents after dim,
// times the element size).
struct Split {
  size_t outer = 1;
  size_t extent = 0;
  size_t row_bytes = 0;
  size_t slab_bytes() const { return extent * row_bytes; }
};

Split split_at(const TensorView &view, int dim) {
  Split s;
  s.outer = outer_extent(view, dim);
  s.extent = static_cast<size_t>(view.shape[dim]);
  s.row_bytes = element_size(view.dtype);
  for (int i = dim + 1; i < view.ndim; ++i) s.row_bytes *= static_cast<size_t>(view.shape[i]);
  return s;
}

// out must be in with out.shape[dim] == in.shape[dim] * factor (all_gather, gather) or
// in.shape[dim] / factor (reduce_scatter: divisible checked by the caller).
void require_out_shape(const TensorView &in, const TensorView &out, int dim, int64_t out_extent,
                       const char *rule) {
  require_arg(out.dtype == in.dtype, "out.dtype (", datatype_name(out.dtype),
              ") must equal in.dtype (", datatype_name(in.dtype), ")");
  // The shape strings are made only on failure: formatting them costs microseconds per call.
  if (out.ndim != in.ndim)
    require_arg(false, "out.ndim (", out.ndim, ") must equal in.ndim (", in.ndim,
                "): in has shape ", shape_string(in), ", out ", shape_string(out));
  for (int i = 0; i < in.ndim; ++i) {
    if (i == dim) {
      if (out.shape[i] != out_extent)
        require_arg(false, "out.shape[", i, "] (", out.shape[i], ") must be ", rule, " = ",
                    out_extent, ": in has shape ", shape_string(in), ", out ", shape_string(out));
    } else {
      require_arg(out.shape[i] == in.shape[i], "out.shape[", i, "] (", out.shape[i],
                  ") must equal in.shape[", i, "] (", in.shape[i], ")");
    }
  }
}

void require_disjoint(const TensorView &in, const TensorView &out) {
  require_arg(!bytes_overlap(in.data, in.nbytes, out.data, out.nbytes),
              "in and out must not overlap");
}

// in.shape[dim] * size, checked against overflow.
int64_t times_size(const TensorView &in, int dim, int size) {
  const int64_t extent = in.shape[dim];
  require_arg(extent <= INT64_MAX / size, "in.shape[", dim, "] (", extent, ") times the size (",
              size, ") overflows int64");
  return extent * size;
}

std::unique_ptr<unsigned char[]> staging_buffer(size_t bytes) {
  return std::unique_ptr<unsigned char[]>(new unsigned char[bytes > 0 ? bytes : 1]);
}

// Rank-major blocks [size][outer][slab] to their places along dim: [outer][size][slab].
void rank_major_to_dim(const unsigned char *from, unsigned char *to, const Split &s, int size) {
  const size_t slab = s.slab_bytes();
  for (size_t o = 0; o < s.outer; ++o)
    for (int r = 0; r < size; ++r)
      std::memcpy(to + (o * size + r) * slab, from + (r * s.outer + o) * slab, slab);
}

// The inverse: [outer][size][slab] along dim to rank-major [size][outer][slab].
void dim_to_rank_major(const unsigned char *from, unsigned char *to, const Split &s, int size) {
  const size_t slab = s.slab_bytes();
  for (int r = 0; r < size; ++r)
    for (size_t o = 0; o < s.outer; ++o)
      std::memcpy(to + (r * s.outer + o) * slab, from + (o * size + r) * slab, slab);
}

// sizes[0..size) summed, each and the sum at most INT64_MAX (a tensor extent).
int64_t sum_of_sizes(const size_t *sizes, int size) {
  require_not_null(sizes, "sizes");
  uint64_t sum = 0;
  for (int r = 0; r < size; ++r) {
    require_arg(sizes[r] <= static_cast<uint64_t>(INT64_MAX) &&
                    !__builtin_add_overflow(sum, sizes[r], &sum) &&
                    sum <= static_cast<uint64_t>(INT64_MAX),
                "sizes[", r, "] (", sizes[r], ") makes the sum of sizes overflow int64");
  }
  return static_cast<int64_t>(sum);
}

// The extent along dim of the tensor that holds one member's block: sizes[rank].
void require_own_extent(const TensorView &t, const char *name, int dim, const size_t *sizes,
                        int rank) {
  require_arg(static_cast<uint64_t>(t.shape[dim]) == sizes[rank], name, ".shape[", dim, "] (",
              t.shape[dim], ") must equal sizes[", rank, "] (", sizes[rank],
              "), the caller's own extent (group rank ", rank, ")");
}

}  // namespace

int check_gathered_v(const TensorView &in, const TensorView &out, int dim, const size_t *sizes,
                     int size, int rank) {
  const int d = normalize_dim(dim, in.ndim, "in");
  const int64_t total = sum_of_sizes(sizes, size);
  require_own_extent(in, "in", d, sizes, rank);
  require_out_shape(in, out, d, total, "sum(sizes)");
  require_disjoint(in, out);
  return d;
}

int check_scattered_v(const TensorView &in, const TensorView &out, int dim, const size_t *sizes,
                      int size, int rank) {
  const int d = normalize_dim(dim, in.ndim, "in");
  const int64_t total = sum_of_sizes(sizes, size);
  require_arg(in.shape[d] == total, "in.shape[", d, "] (", in.shape[d], ") must equal sum(sizes) (",
              total, ")");
  require_arg(sizes[rank] <= static_cast<uint64_t>(INT64_MAX), "sizes[", rank, "] (", sizes[rank],
              ") exceeds int64");
  require_out_shape(in, out, d, static_cast<int64_t>(sizes[rank]), "sizes[rank]");
  require_disjoint(in, out);
  return d;
}

const VLayout &v_layout(const TensorView &whole, int dim, const size_t *sizes, int size) {
  thread_local VLayout l;
  const auto n = static_cast<size_t>(size);
  l.counts.resize(n);
  l.displs.resize(n);
  l.row_displs.resize(n);
  l.outer = outer_extent(whole, dim);
  l.row = 1;
  for (int i = dim + 1; i < whole.ndim; ++i) l.row *= static_cast<size_t>(whole.shape[i]);
  l.total_rows = static_cast<size_t>(whole.shape[dim]);
  size_t displ = 0, rows = 0;
  for (size_t r = 0; r < n; ++r) {
    l.counts[r] = l.outer * sizes[r] * l.row;
    l.displs[r] = displ;
    l.row_displs[r] = rows;
    displ += l.counts[r];
    rows += sizes[r];
  }
  return l;
}

void all_gatherv_checked(MPI_Comm comm, int size, int rank, const TensorView &in,
                         const TensorView &out, const VLayout &l, const Deadline *bound) {
  if (l.outer == 1)
    return checked::all_gatherv(comm, size, rank, in.data, out.data, l.counts.data(),
                                l.displs.data(), in.dtype, bound);
  auto staging = staging_buffer(out.nbytes);
  keep_on_timeout(staging, [&] {
    checked::all_gatherv(comm, size, rank, in.data, staging.get(), l.counts.data(), l.displs.data(),
                         in.dtype, bound);
  });
  // Rank-major blocks [size][outer][sizes[r]][row] to [outer][sum(sizes)][row].
  const size_t es = element_size(in.dtype);
  for (size_t o = 0; o < l.outer; ++o)
    for (int r = 0; r < size; ++r) {
      const size_t slab = l.counts[r] / l.outer;
      std::memcpy(out.data + (o * l.total_rows + l.row_displs[r]) * l.row * es,
                  staging.get() + (l.displs[r] + o * slab) * es, slab * es);
    }
}

void reduce_scatterv_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                             const VLayout &l, mpcomm_op_t op, const Deadline *bound) {
  if (l.outer == 1)
    return checked::reduce_scatterv(comm, size, in.data, out.data, l.counts.data(), l.displs.data(),
                                    in.dtype, op, bound);
  auto staging = staging_buffer(in.nbytes);
  // [outer][sum(sizes)][row] to rank-major blocks [size][outer][sizes[r]][row].
  const size_t es = element_size(in.dtype);
  for (size_t o = 0; o < l.outer; ++o)
    for (int r = 0; r < size; ++r) {
      const size_t slab = l.counts[r] / l.outer;
      std::memcpy(staging.get() + (l.displs[r] + o * slab) * es,
                  in.data + (o * l.total_rows + l.row_displs[r]) * l.row * es, slab * es);
    }
  keep_on_timeout(staging, [&] {
    checked::reduce_scatterv(comm, size, staging.get(), out.data, l.counts.data(), l.displs.data(),
                             in.dtype, op, bound);
  });
}

int check_gathered(const TensorView &in, const TensorView &out, int dim, int size) {
  const int d = normalize_dim(dim, in.ndim, "in");
  require_out_shape(in, out, d, times_size(in, d, size), "in.shape[dim] * size");
  require_disjoint(in, out);
  return d;
}

int check_scattered(const TensorView &in, const TensorView &out, int dim, int size) {
  const int d = normalize_dim(dim, in.ndim, "in");
  require_arg(in.shape[d] % size == 0, "in.shape[", d, "] (", in.shape[d],
              ") must be divisible by the size (", size, ")");
  require_out_shape(in, out, d, in.shape[d] / size, "in.shape[dim] / size");
  require_disjoint(in, out);
  return d;
}

size_t outer_extent(const TensorView &view, int dim) {
  size_t outer = 1;
  for (int i = 0; i < dim; ++i) outer *= static_cast<size_t>(view.shape[i]);
  return outer;
}

void all_gather_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                        int dim, const Deadline *bound) {
  const Split s = split_at(in, dim);
  if (s.outer == 1) return checked::all_gather(comm, in.data, out.data, in.numel, in.dtype, bound);
  auto staging = staging_buffer(out.nbytes);
  keep_on_timeout(staging, [&] {
    checked::all_gather(comm, in.data, staging.get(), in.numel, in.dtype, bound);
  });
  rank_major_to_dim(staging.get(), out.data, s, size);
}

void reduce_scatter_checked(MPI_Comm comm, int size, const TensorView &in, const TensorView &out,
                            int dim, mpcomm_op_t op, const Deadline *bound) {
  const Split s = split_at(out, dim);  // slabs of one rank's share
  if (s.outer == 1)
    return checked::reduce_scatter(comm, size, in.data, out.data, out.numel, in.dtype, op, bound);
  auto staging = staging_buffer(in.nbytes);
  dim_to_rank_major(in.data, staging.get(), s, size);
  keep_on_timeout(staging, [&] {
    checked::reduce_scatter(comm, size, staging.get(), out.data, out.numel, in.dtype, op, bound);
  });
}

void gather_checked(MPI_Comm comm, int size, int rank, const TensorView &in, const TensorView &out,
                    int dst, int dim, const Deadline *bound) {
  if (rank != dst)
    return checked::gather(comm, false, in.data, nullptr, in.numel, in.dtype, dst, bound);
  const Split s = split_at(in, dim);
  if (s.outer == 1)
    return checked::gather(comm, true, in.data, out.data, in.numel, in.dtype, dst, bound);
  auto staging = staging_buffer(out.nbytes);
  keep_on_timeout(staging, [&] {
    checked::gather(comm, true, in.data, staging.get(), in.numel, in.dtype, dst, bound);
  });
  rank_major_to_dim(staging.get(), out.data, s, size);
}

void all_gather_tensor(MPI_Comm comm, const DLTensor *in_tensor, DLTensor *out_tensor, int dim) {
  const TensorView in = host_tensor(in_tensor, "in");
  const TensorView out = host_tensor(out_tensor, "out");
  const int size = comm_size(comm);
  const int d = check_gathered(in, out, dim, size);
  if (size == 1) {
    if (in.nbytes > 0) std::memcpy(out.data, in.data, in.nbytes);
    return;
  }
  all_gather_checked(comm, size, in, out, d);
}

void reduce_scatter_tensor(MPI_Comm comm, const DLTensor *in_tensor, DLTensor *out_tensor, int dim,
                           mpcomm_op_t op) {
  validate_op(op, "op");
  const TensorView in = host_tensor(in_tensor, "in");
  require_reducible(in.dtype, "in.dtype");
  const TensorView out = host_tensor(out_tensor, "out");
  const int size = comm_size(comm);
  const int d = check_scattered(in, out, dim, size);
  if (size == 1) {
    if (in.nbytes > 0) std::memcpy(out.data, in.data, in.nbytes);
    return;
  }
  reduce_scatter_checked(comm, size, in, out, d, op);
}

void gather_tensor(MPI_Comm comm, const DLTensor *in_tensor, DLTensor *out_tensor, int dst,
                   int dim) {
  const TensorView in = host_tensor(in_tensor, "in");
  const int d = normalize_dim(dim, in.ndim, "in");
  const int size = comm_size(comm), rank = comm_rank(comm);
  require_arg(dst >= 0 && dst < size, "dst (", dst, ") must be in [0, ", size, ")");
  TensorView out;
  if (rank == dst) {
    out = host_tensor(out_tensor, "out");
    check_gathered(in, out, d, size);
    if (size == 1) {
      if (in.nbytes > 0) std::memcpy(out.data, in.data, in.nbytes);
      return;
    }
  }
  gather_checked(comm, size, rank, in, out, dst, d);
}

}  // namespace mpcomm::host
