// The device data plane built with CUDA and NCCL: argument checks, then the group's context,
// then NCCL, the custom allreduce, or a copy for a group of one.
#include "device/device_ops.hpp"

#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/reduce_op.hpp"
#include "device/cuda_util.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "device/custom_allreduce_host.hpp"
#include "device/device_context.hpp"
#include "device/device_state.hpp"

namespace mpcomm::device {

namespace {

cudaStream_t as_stream(void *stream) { return static_cast<cudaStream_t>(stream); }

void require_buffer(const void *p, size_t count, const char *name) {
  require_arg(p != nullptr || count == 0, name, " must not be NULL (count is ", count, ")");
}

void require_peer(const Comm &g, int peer, const char *name) {
  require_arg(peer >= 0 && peer < g.size(), name, " must be a rank in the group [0, ", g.size(),
              "), got ", peer);
}

// A failure that leaves the members out of step (failure_breaks_group) marks the group broken
// with the cause, so that no later call pairs with a peer's stale one. `path` is the path the
// body took, once it is known.
template <class Body>
void guarded(Comm &g, Body &&body, const DevicePath *path = nullptr) {
  Plane plane = Plane::kDevice;
  g.run(plane, [&] {
    try {
      body();
    } catch (...) {
      if (path && *path == DevicePath::Custom) plane = Plane::kPairedKernels;
      throw;
    }
  });
}

// One TRACE line per device data-plane call: the operation, the group, the sizes and the path.
void trace_call(log::Subsys subsys, const char *operation, const Comm &g, size_t count,
                mpcomm_datatype_t dtype, const char *path) {
  log::trace(subsys, operation, " ", GroupName{g}, ": ", count, " x ", datatype_name(dtype), " (",
             count * element_size(dtype), " bytes), device, ", path);
}

void copy_async(void *dst, const void *src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0 || dst == src) return;
  MPCOMM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}

kernels::DType kernel_dtype(mpcomm_datatype_t dtype) {
  switch (dtype) {
    case MPCOMM_FLOAT16: return kernels::DType::Float16;
    case MPCOMM_BFLOAT16: return kernels::DType::BFloat16;
    default: return kernels::DType::Float32;  // should_custom_ar admits float32 besides these
  }
}

// The path of one all_reduce, from facts every member shares (the agreed eligibility and limits,
// and the call's arguments, which are the same everywhere), so that every member takes the same
// path: never from a member's own fact such as its recv pointer's alignment.
DevicePath plan_all_reduce(DeviceContext &ctx, const Comm &g, size_t bytes, mpcomm_datatype_t dtype,
                           mpcomm_op_t op, AllReduceAlgo algo, std::string *why_not) {
  const bool eligible = ctx.custom() != nullptr;
  const bool qualifies = eligible && should_custom_ar(bytes, true, ctx.max_size(), g.size(),
                                                      ctx.facts().fully_nvlink, dtype, op);
  std::string why;
  if (!eligible)
    why = ctx.eligibility().reason;
  else if (!qualifies)
    why = concat("this call does not qualify (", bytes, " bytes of ", datatype_name(dtype), ", op ",
                 op_name(op),
                 "; it takes sums of float32, float16 or bfloat16, a multiple of 16 bytes below ",
                 ctx.max_size(), ")");
  if (why_not) *why_not = why;
  return choose_all_reduce_path(algo, g.size(), eligible, qualifies, why);
}

// Elements per block when a buffer of count elements is `outer` blocks.
size_t block_count(size_t count, size_t outer) {
  require_arg(outer >= 1, "outer must be >= 1, got ", outer);
  require_arg(count % outer == 0, "outer (", outer, ") must divide count_per_rank (", count, ")");
  return count / outer;
}

// A device buffer for one stream's work, allocated and freed in stream order (graph-capturable).
class StreamScratch {
 public:
  StreamScratch(size_t bytes, cudaStream_t stream) : stream_(stream) {
    MPCOMM_CUDA_CHECK(cudaMallocAsync(&ptr_, bytes == 0 ? 1 : bytes, stream));
  }
  ~StreamScratch() { cudaFreeAsync(ptr_, stream_); }
  StreamScratch(const StreamScratch &) = delete;
  StreamScratch &operator=(const StreamScratch &) = delete;
  char *get() const { return static_cast<char *>(ptr_); }

 private:
  void *ptr_ = nullptr;
  cudaStream_t stream_;
};

// [size][outer][chunk] (rank-major, as NCCL gathers) to [outer][size][chunk] (along the dim).
void rank_major_to_dim(const char *src, char *dst, int size, size_t outer, size_t chunk_bytes,
                       cudaStream_t stream) {
  const size_t n = static_cast<size_t>(size);
  for (size_t r = 0; r < n; ++r)
    MPCOMM_CUDA_CHECK(cudaMemcpy2DAsync(dst + r * chunk_bytes, n * chunk_bytes,
                                        src + r * outer * chunk_bytes, chunk_bytes, chunk_bytes,
                                        outer, cudaMemcpyDeviceToDevice, stream));
}

// The reverse: [outer][size][chunk] to [size][outer][chunk].
void dim_to_rank_major(const char *src, char *dst, int size, size_t outer, size_t chunk_bytes,
                       cudaStream_t stream) {
  const size_t n = static_cast<size_t>(size);
  for (size_t r = 0; r < n; ++r)
    MPCOMM_CUDA_CHECK(cudaMemcpy2DAsync(dst + r * outer * chunk_bytes, chunk_bytes,
                                        src + r * chunk_bytes, n * chunk_bytes, chunk_bytes, outer,
                                        cudaMemcpyDeviceToDevice, stream));
}

}  // namespace

bool is_device_pointer(const void *p) {
  // Every host call asks this; without a usable device (no driver, no GPU) the answer is
  // always no, known after one question to the runtime.
  static const bool have_device = [] {
    int count = 0;
    const bool ok = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
    if (!ok) cudaGetLastError();
    return ok;
  }();
  if (p == nullptr || !have_device) return false;
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged;
}

void all_reduce(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                mpcomm_op_t op, void *stream, AllReduceAlgo algo) {
  validate_datatype(dtype);
  validate_op(op);
  nccl_datatype(dtype, true);  // refuses a type NCCL does not reduce, before any communication
  require_buffer(send, count, "send");
  require_buffer(recv, count, "recv");
  DevicePath path = DevicePath::Nccl;
  guarded(
      g,
      [&] {
        const cudaStream_t s = as_stream(stream);
        DeviceContext &ctx = context(g, s);
        DeviceGuard guard(ctx.device());
        const size_t bytes = count * element_size(dtype);
        path = plan_all_reduce(ctx, g, bytes, dtype, op, algo, nullptr);
        trace_call(log::Subsys::Coll, "all_reduce", g, count, dtype,
                   path == DevicePath::Copy     ? "local copy"
                   : path == DevicePath::Custom ? "custom allreduce"
                                                : "NCCL");
        switch (path) {
          case DevicePath::Copy: copy_async(recv, send, bytes, s); break;
          case DevicePath::Custom:
            ctx.custom()->all_reduce(send, recv, count, kernel_dtype(dtype), s);
            break;
          case DevicePath::Nccl: ctx.nccl(g, s).all_reduce(send, recv, count, dtype, op, s); break;
        }
      },
      &path);
}

DevicePath all_reduce_path(Comm &g, size_t bytes, mpcomm_datatype_t dtype, mpcomm_op_t op,
                           std::string *why_not) {
  validate_datatype(dtype);
  validate_op(op);
  DevicePath path = DevicePath::Nccl;
  guarded(g, [&] {
    DeviceContext &ctx = context(g, nullptr);
    path = plan_all_reduce(ctx, g, bytes, dtype, op, AllReduceAlgo::Auto, why_not);
  });
  return path;
}

AllReduceRoute all_reduce_route(Comm &g, size_t count, mpcomm_datatype_t dtype, mpcomm_op_t op) {
  validate_datatype(dtype);
  validate_op(op);
  AllReduceRoute route;
  guarded(g, [&] {
    DeviceContext &ctx = context(g, nullptr);
    const size_t bytes = count * element_size(dtype);
    std::string why_not;
    route.path = plan_all_reduce(ctx, g, bytes, dtype, op, AllReduceAlgo::Auto, &why_not);
    switch (route.path) {
      case DevicePath::Copy: route.why = "a group of one: the output is a copy of the input"; break;
      case DevicePath::Nccl: route.why = why_not; break;
      case DevicePath::Custom: {
        const kernels::Algorithm algo =
            choose_custom_allreduce_algorithm(ctx.custom()->algo(), bytes, g.size());
        route.two_shot = algo == kernels::Algorithm::TwoShot;
        route.why = concat(
            "the group is eligible and the call qualifies (below ", ctx.max_size(), " bytes); the ",
            kernels::algorithm_name(algo),
            " algorithm by MPCOMM_CUSTOM_ALLREDUCE_ALGO=", algo_setting_name(ctx.custom()->algo()));
        break;
      }
    }
  });
  return route;
}

void set_custom_allreduce(Comm &g, bool enabled) {
  require_devices();
  DeviceState &state = device_state(g);
  require(!state.context, MPCOMM_ERR_INVALID_USAGE,
          "the group's device context exists already: choose before the group's first device "
          "operation (or mpcomm_group_device_init)");
  state.custom_allreduce_choice =
      enabled ? CustomAllreduceChoice::Enabled : CustomAllreduceChoice::Disabled;
}

void broadcast(Comm &g, void *buf, size_t count, mpcomm_datatype_t dtype, int root, void *stream) {
  validate_datatype(dtype);
  require_buffer(buf, count, "buf");
  require_peer(g, root, "root");
  guarded(g, [&] {
    DeviceContext &ctx = context(g, as_stream(stream));
    trace_call(log::Subsys::Coll, "broadcast", g, count, dtype,
               g.size() == 1 ? "nothing to send" : "NCCL");
    if (g.size() == 1) return;
    DeviceGuard guard(ctx.device());
    ctx.nccl(g, as_stream(stream)).broadcast(buf, count, dtype, root, as_stream(stream));
  });
}

namespace {

// send and recv: NCCL needs every member to make the communicator, which a pair alone can do
// only in a group of two.
DeviceContext &point_to_point_context(Comm &g, cudaStream_t stream) {
  require_devices();  // without a GPU nothing else matters
  require((device_state(g).context && device_state(g).context->has_nccl()) || g.size() == 2,
          MPCOMM_ERR_INVALID_USAGE, "a device send or receive in a group of ", g.size(),
          " needs the group's NCCL communicator, which every member makes together: call "
          "mpcomm_group_device_init (or make an NCCL collective) first");
  return context(g, stream);
}

}  // namespace

void send(Comm &g, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, void *stream) {
  validate_datatype(dtype);
  require_buffer(buf, count, "buf");
  require_peer(g, dst, "dst");
  require_arg(dst != g.rank(), "dst must be another member, got the caller's own rank ", dst);
  guarded(g, [&] {
    DeviceContext &ctx = point_to_point_context(g, as_stream(stream));
    trace_call(log::Subsys::P2P, "send", g, count, dtype, "NCCL");
    DeviceGuard guard(ctx.device());
    ctx.nccl(g, as_stream(stream)).send(buf, count, dtype, dst, as_stream(stream));
  });
}

void recv(Comm &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src, void *stream) {
  validate_datatype(dtype);
  require_buffer(buf, count, "buf");
  require_peer(g, src, "src");
  require_arg(src != g.rank(), "src must be another member, got the caller's own rank ", src);
  guarded(g, [&] {
    DeviceContext &ctx = point_to_point_context(g, as_stream(stream));
    trace_call(log::Subsys::P2P, "recv", g, count, dtype, "NCCL");
    DeviceGuard guard(ctx.device());
    ctx.nccl(g, as_stream(stream)).recv(buf, count, dtype, src, as_stream(stream));
  });
}

void require_available() { require_devices(); }

void *allocate(Comm &g, size_t bytes, bool collective, int *device) {
  require_devices();
  require(collective || device_state(g).context || g.size() == 2, MPCOMM_ERR_INVALID_USAGE,
          "receiving device memory in a group of ", g.size(),
          " needs the group's device context, which every member makes together: call "
          "mpcomm_group_device_init first");
  void *p = nullptr;
  guarded(g, [&] {
    DeviceContext &ctx = context(g, nullptr);
    DeviceGuard guard(ctx.device());
    MPCOMM_CUDA_CHECK(cudaMalloc(&p, bytes));
    *device = ctx.device();
  });
  return p;
}

void release(void *p) noexcept {
  if (p) cudaFree(p);
}

void all_gather(Comm &g, const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                void *stream, size_t outer) {
  validate_datatype(dtype);
  require_buffer(in, count_per_rank, "in");
  require_buffer(out, count_per_rank, "out");
  const size_t chunk = block_count(count_per_rank, outer);
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    const size_t el = element_size(dtype);
    trace_call(log::Subsys::Coll, "all_gather", g, count_per_rank, dtype,
               g.size() == 1 ? "local copy"
               : outer == 1  ? "NCCL"
                             : "NCCL, then a reorder");
    if (g.size() == 1) return copy_async(out, in, count_per_rank * el, s);
    if (count_per_rank == 0) return;
    if (outer == 1) return ctx.nccl(g, s).all_gather(in, out, count_per_rank, dtype, s);
    StreamScratch gathered(static_cast<size_t>(g.size()) * count_per_rank * el, s);
    ctx.nccl(g, s).all_gather(in, gathered.get(), count_per_rank, dtype, s);
    rank_major_to_dim(gathered.get(), static_cast<char *>(out), g.size(), outer, chunk * el, s);
  });
}

void reduce_scatter(Comm &g, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream, size_t outer) {
  validate_datatype(dtype);
  validate_op(op);
  nccl_datatype(dtype, true);
  require_buffer(in, count_per_rank, "in");
  require_buffer(out, count_per_rank, "out");
  const size_t chunk = block_count(count_per_rank, outer);
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    const size_t el = element_size(dtype);
    trace_call(log::Subsys::Coll, "reduce_scatter", g, count_per_rank, dtype,
               g.size() == 1 ? "local copy"
               : outer == 1  ? "NCCL"
                             : "NCCL, then a reorder");
    if (g.size() == 1) return copy_async(out, in, count_per_rank * el, s);
    if (count_per_rank == 0) return;
    if (outer == 1) return ctx.nccl(g, s).reduce_scatter(in, out, count_per_rank, dtype, op, s);
    StreamScratch rank_major(static_cast<size_t>(g.size()) * count_per_rank * el, s);
    dim_to_rank_major(static_cast<const char *>(in), rank_major.get(), g.size(), outer, chunk * el,
                      s);
    ctx.nccl(g, s).reduce_scatter(rank_major.get(), out, count_per_rank, dtype, op, s);
  });
}

void gather(Comm &g, const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
            int dst, void *stream, size_t outer) {
  validate_datatype(dtype);
  require_peer(g, dst, "dst");
  require_buffer(in, count_per_rank, "in");
  if (g.rank() == dst) require_buffer(out, count_per_rank, "out");
  const size_t chunk = block_count(count_per_rank, outer);
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    const size_t el = element_size(dtype);
    trace_call(log::Subsys::Coll, "gather", g, count_per_rank, dtype,
               g.size() == 1 ? "local copy"
               : outer == 1  ? "NCCL"
                             : "NCCL, then a reorder");
    if (g.size() == 1) return copy_async(out, in, count_per_rank * el, s);
    if (count_per_rank == 0) return;
    if (outer == 1 || g.rank() != dst)
      return ctx.nccl(g, s).gather(in, out, count_per_rank, dtype, dst, s);
    StreamScratch gathered(static_cast<size_t>(g.size()) * count_per_rank * el, s);
    ctx.nccl(g, s).gather(in, gathered.get(), count_per_rank, dtype, dst, s);
    rank_major_to_dim(gathered.get(), static_cast<char *>(out), g.size(), outer, chunk * el, s);
  });
}

namespace {

// The reorder of a v-collective's blocks: member r's block at displs[r] of a rank-major buffer
// is `outer` slabs of counts[r] / outer elements, which lie along the dimension at offset
// displs[r] / outer of each of the `outer` rows of total / outer elements.
void rank_major_to_dim_v(const char *src, char *dst, int size, const size_t *counts,
                         const size_t *displs, size_t total, size_t outer, size_t es,
                         cudaStream_t stream, bool to_dim) {
  const size_t pitch = total / outer * es;
  for (int r = 0; r < size; ++r) {
    const size_t slab = counts[r] / outer * es;
    if (slab == 0) continue;
    char *rank_major = const_cast<char *>(to_dim ? src : dst) + displs[r] * es;
    char *along_dim = const_cast<char *>(to_dim ? dst : src) + displs[r] / outer * es;
    if (to_dim)
      MPCOMM_CUDA_CHECK(cudaMemcpy2DAsync(along_dim, pitch, rank_major, slab, slab, outer,
                                          cudaMemcpyDeviceToDevice, stream));
    else
      MPCOMM_CUDA_CHECK(cudaMemcpy2DAsync(rank_major, slab, along_dim, pitch, slab, outer,
                                          cudaMemcpyDeviceToDevice, stream));
  }
}

size_t sum_counts(const Comm &g, const size_t *counts) {
  size_t total = 0;
  for (int r = 0; r < g.size(); ++r) total += counts[r];
  return total;
}

}  // namespace

void all_gatherv(Comm &g, const void *in, void *out, const size_t *counts, const size_t *displs,
                 mpcomm_datatype_t dtype, void *stream, size_t outer) {
  validate_datatype(dtype);
  require_not_null(counts, "counts");
  require_not_null(displs, "displs");
  const size_t total = sum_counts(g, counts);
  require_buffer(in, counts[g.rank()], "in");
  require_buffer(out, total, "out");
  require_arg(outer >= 1, "outer must be >= 1, got ", outer);
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    const size_t es = element_size(dtype);
    trace_call(log::Subsys::Coll, "all_gatherv", g, total, dtype,
               g.size() == 1 ? "local copy"
               : outer == 1  ? "NCCL grouped broadcasts"
                             : "NCCL grouped broadcasts, then a reorder");
    if (g.size() == 1) return copy_async(out, in, counts[0] * es, s);
    if (total == 0) return;
    if (outer == 1) return ctx.nccl(g, s).all_gatherv(in, out, counts, displs, dtype, s);
    StreamScratch gathered(total * es, s);
    ctx.nccl(g, s).all_gatherv(in, gathered.get(), counts, displs, dtype, s);
    rank_major_to_dim_v(gathered.get(), static_cast<char *>(out), g.size(), counts, displs, total,
                        outer, es, s, true);
  });
}

void reduce_scatterv(Comm &g, const void *in, void *out, const size_t *counts, const size_t *displs,
                     mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream, size_t outer) {
  validate_datatype(dtype);
  validate_op(op);
  nccl_datatype(dtype, true);
  require_not_null(counts, "counts");
  require_not_null(displs, "displs");
  const size_t total = sum_counts(g, counts);
  require_buffer(in, total, "in");
  require_buffer(out, counts[g.rank()], "out");
  require_arg(outer >= 1, "outer must be >= 1, got ", outer);
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    const size_t es = element_size(dtype);
    trace_call(log::Subsys::Coll, "reduce_scatterv", g, total, dtype,
               g.size() == 1 ? "local copy"
               : outer == 1  ? "NCCL grouped reduces"
                             : "a reorder, then NCCL grouped reduces");
    if (g.size() == 1) return copy_async(out, in, counts[0] * es, s);
    if (total == 0) return;
    if (outer == 1) return ctx.nccl(g, s).reduce_scatterv(in, out, counts, displs, dtype, op, s);
    StreamScratch rank_major(total * es, s);
    rank_major_to_dim_v(static_cast<const char *>(in), rank_major.get(), g.size(), counts, displs,
                        total, outer, es, s, false);
    ctx.nccl(g, s).reduce_scatterv(rank_major.get(), out, counts, displs, dtype, op, s);
  });
}

void all_to_all(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                void *stream) {
  validate_datatype(dtype);
  const auto n = static_cast<size_t>(g.size());
  std::vector<size_t> counts(n, count), displs(n);
  for (size_t r = 0; r < n; ++r) displs[r] = r * count;
  all_to_allv(g, send, counts.data(), displs.data(), recv, counts.data(), displs.data(), dtype,
              stream);
}

void all_to_allv(Comm &g, const void *send, const size_t *send_counts, const size_t *send_displs,
                 void *recv, const size_t *recv_counts, const size_t *recv_displs,
                 mpcomm_datatype_t dtype, void *stream) {
  validate_datatype(dtype);
  require_not_null(send_counts, "send_counts");
  require_not_null(send_displs, "send_displs");
  require_not_null(recv_counts, "recv_counts");
  require_not_null(recv_displs, "recv_displs");
  const size_t sent = sum_counts(g, send_counts), received = sum_counts(g, recv_counts);
  require_buffer(send, sent, "send");
  require_buffer(recv, received, "recv");
  guarded(g, [&] {
    const cudaStream_t s = as_stream(stream);
    DeviceContext &ctx = context(g, s);
    DeviceGuard guard(ctx.device());
    trace_call(log::Subsys::Coll, "all_to_all", g, sent, dtype,
               g.size() == 1 ? "local copy" : "NCCL grouped sends and receives");
    if (g.size() == 1)
      return copy_async(static_cast<char *>(recv) + recv_displs[0] * element_size(dtype),
                        static_cast<const char *>(send) + send_displs[0] * element_size(dtype),
                        send_counts[0] * element_size(dtype), s);
    ctx.nccl(g, s).all_to_allv(send, send_counts, send_displs, recv, recv_counts, recv_displs,
                               dtype, s);
  });
}

void set_device(Comm &g, int device) {
  const int count = require_devices();
  require_arg(device < count, "device must be below the number of visible CUDA devices (", count,
              "), got ", device);
  DeviceState &state = device_state(g);
  require(!state.context, MPCOMM_ERR_INVALID_USAGE,
          "the group's device context exists already (on device ",
          state.context ? state.context->device() : -1,
          "): set the device before the group's first device operation");
  state.requested_device = device < 0 ? -1 : device;
}

void init_context(Comm &g) {
  guarded(g, [&] {
    DeviceContext &ctx = context(g, nullptr);
    if (g.size() > 1) ctx.nccl(g, nullptr);
  });
}

double time_all_reduce(Comm &g, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                       mpcomm_op_t op, AllReduceAlgo algo, int warmup, int iters, void *stream,
                       DevicePath *path) {
  require_arg(warmup >= 0, "warmup must be >= 0, got ", warmup);
  require_arg(iters >= 1, "iters must be >= 1, got ", iters);
  for (int i = 0; i < warmup; ++i) all_reduce(g, send, recv, count, dtype, op, stream, algo);
  DeviceContext &ctx = context(g, as_stream(stream));
  DeviceGuard guard(ctx.device());
  if (path) *path = plan_all_reduce(ctx, g, count * element_size(dtype), dtype, op, algo, nullptr);
  cudaEvent_t start = nullptr, stop = nullptr;
  MPCOMM_CUDA_CHECK(cudaEventCreate(&start));
  float ms = 0;
  try {
    MPCOMM_CUDA_CHECK(cudaEventCreate(&stop));
    MPCOMM_CUDA_CHECK(cudaEventRecord(start, as_stream(stream)));
    for (int i = 0; i < iters; ++i) all_reduce(g, send, recv, count, dtype, op, stream, algo);
    MPCOMM_CUDA_CHECK(cudaEventRecord(stop, as_stream(stream)));
    MPCOMM_CUDA_CHECK(cudaEventSynchronize(stop));
    MPCOMM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  } catch (...) {
    cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return static_cast<double>(ms) * 1e-3 / iters;
}

void require_capture_built() {}

void prepare_capture(void *stream) {
  require_devices();
  require(!stream_capturing(as_stream(stream)), MPCOMM_ERR_INVALID_USAGE,
          "stream is capturing already: call mpcomm_graph_capture_begin before "
          "cudaStreamBeginCapture");
}

}  // namespace mpcomm::device
