#include "group/dispatch.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "comm/agreed_setting.hpp"
#include "comm/call_check.hpp"
#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "device/device_ops.hpp"
#include "group/agreement.hpp"
#include "host/buffer.hpp"
#include "host/exchange_collectives.hpp"
#include "host/host_allreduce.hpp"
#include "host/host_collectives.hpp"
#include "host/shm_allreduce.hpp"
#include "host/tensor.hpp"
#include "host/tensor_collectives.hpp"
#include "locality/node_cpus.hpp"

namespace mpcomm {
namespace {

using namespace host;

// Runs the communicating part of a host operation under the failure rule (comm/comm.hpp).
// (A device operation applies the rule itself: the path it takes decides the plane.)
template <class Body>
void communicate(mpcomm_group_s &g, Body &&body) {
  g.run(Plane::kHost, body);
}

// The bytes of count elements of a valid dtype at a buffer that must not be NULL with elements.
size_t flat_bytes(const void *buf, size_t count, mpcomm_datatype_t dtype, const char *name) {
  require_arg(buf != nullptr || count == 0, name, " must not be NULL when count (", count, ") > 0");
  return checked_bytes(count, element_size(dtype), "count");
}

void require_rank(const mpcomm_group_s &g, int rank, const char *name) {
  require_arg(rank >= 0 && rank < g.size(), name, " (", rank, ") must be a rank in the group [0, ",
              g.size(), ")");
}

// dst or src of a point-to-point call: MPCOMM_RANK_DEFAULT is the group rank `step` away (next
// +1, previous -1); the result must be another member.
int resolve_peer(const mpcomm_group_s &g, int peer, int step, const char *name) {
  const bool by_default = peer == MPCOMM_RANK_DEFAULT;
  if (by_default) peer = (g.rank() + step + g.size()) % g.size();
  require_arg(peer >= 0 && peer < g.size(), name, " (", peer, ") must be a rank in the group [0, ",
              g.size(), ") or MPCOMM_RANK_DEFAULT (", MPCOMM_RANK_DEFAULT, ")");
  require_arg(peer != g.rank(), name, " (", peer, by_default ? ", from MPCOMM_RANK_DEFAULT" : "",
              ") must be another member than the caller, group rank ", g.rank(),
              g.size() == 1 ? ": a group of one has no peer" : "");
  return peer;
}

const char *memory_kind(bool device) { return device ? "device memory" : "host memory"; }

// Whether flat buffers a and b are device memory; INVALID_ARGUMENT naming both when one is and
// the other is not. b may be absent (nullptr name).
bool on_device(const void *a, const char *a_name, const void *b = nullptr,
               const char *b_name = nullptr) {
  const bool da = device::is_device_pointer(a);
  if (b_name == nullptr) return da;
  const bool db = device::is_device_pointer(b);
  require_arg(da == db, a_name, " is ", memory_kind(da), " but ", b_name, " is ", memory_kind(db),
              ": both must be host memory or both device memory");
  return da;
}

// Whether a tensor is on a CUDA device (true) or in host memory (false); NOT_SUPPORTED for any
// other device.
bool tensor_on_device(const DLTensor &t, const char *name) {
  if (on_host(t)) return false;
  if (on_cuda_device(t)) return true;
  throw Error(MPCOMM_ERR_NOT_SUPPORTED,
              concat(name, " is on ", device_string(t.device),
                     ": the data plane takes tensors on cpu, cuda_host, cuda and cuda_managed"));
}

bool tensors_on_device(const DLTensor &in, const DLTensor &out) {
  const bool device = tensor_on_device(in, "in");
  tensor_on_device(out, "out");
  if (!same_device(in, out))  // the device strings are made only on failure: they allocate
    throw Error(
        MPCOMM_ERR_INVALID_ARGUMENT,
        concat("in is on ", device_string(in.device), " but out is on ", device_string(out.device),
               ": both must be on one device (or both in host memory)"));
  return device;
}

// The group's MPCOMM_HOST_ALLREDUCE: read at its first host all_reduce and agreed on by every
// member (comm/agreed_setting.hpp). Reading it at every call would cost a tenth of a 4 KiB
// allreduce, and members that read different values would enter different collectives and hang.
// A failure is not kept: the next call reads the variable again.
HostAllreduceChoice agreed_choice(mpcomm_group_s &g) {
  HostAllreduceChoice &agreed = host_state(g).choice;
  if (agreed != HostAllreduceChoice::kUnread) return agreed;
  int mine = -1;
  std::string invalid;
  try {
    mine = static_cast<int>(host_allreduce_choice());
  } catch (const Error &e) {
    invalid = e.what();
  }
  // Indexed by the HostAllreduceChoice values; kUnread is never read.
  const std::vector<const char *> names = {"?",
                                           host_allreduce_choice_name(HostAllreduceChoice::kAuto),
                                           host_allreduce_choice_name(HostAllreduceChoice::kShm),
                                           host_allreduce_choice_name(HostAllreduceChoice::kMpi)};
  const auto choice = static_cast<HostAllreduceChoice>(
      agree_on_setting(g, "MPCOMM_HOST_ALLREDUCE", mine, invalid, names));
  if (choice == HostAllreduceChoice::kMpi && g.rank() == 0)
    log::info(log::Subsys::Coll, GroupName{g},
              ": host all_reduce takes MPI_Allreduce (MPCOMM_HOST_ALLREDUCE=mpi)");
  return agreed = choice;
}

// MPCOMM_HOST_BOUNDED as this member read it, once per group. A malformed value is an error of
// each call until it is fixed.
bool bounded_here(mpcomm_group_s &g) {
  HostState &state = host_state(g);
  if (state.bounded < 0) state.bounded = env::boolean("MPCOMM_HOST_BOUNDED") ? 1 : 0;
  return state.bounded == 1;
}

// The deadline of a host call, or nullptr when it blocks. A collective agrees on the setting at
// its group's first one (a nonblocking collective never matches a blocking one); point-to-point
// calls match either way, so each member follows its own.
const Deadline *host_bound(mpcomm_group_s &g, const Deadline &deadline, bool collective) {
  HostState &state = host_state(g);
  if (collective && !state.bounded_agreed) {
    int mine = -1;
    std::string invalid;
    try {
      mine = bounded_here(g) ? 1 : 0;
    } catch (const Error &e) {
      invalid = e.what();
    }
    state.bounded = agree_on_setting(g, "MPCOMM_HOST_BOUNDED", mine, invalid, {"0", "1"});
    state.bounded_agreed = true;
  }
  return bounded_here(g) ? &deadline : nullptr;
}

// One TRACE line per data-plane call: the operation, the group, the sizes and the path.
void trace_call(log::Subsys subsys, const char *operation, const mpcomm_group_s &g, size_t count,
                mpcomm_datatype_t dtype, size_t bytes, const char *path) {
  log::trace(subsys, operation, " ", GroupName{g}, ": ", count, " x ", datatype_name(dtype), " (",
             bytes, " bytes), ", path);
}

// The host all_reduce of a group of two or more: shared memory or MPI_Allreduce.
void host_all_reduce(mpcomm_group_s &g, const void *send, void *recv, size_t count,
                     mpcomm_datatype_t dtype, mpcomm_op_t op, size_t bytes) {
  const HostAllreduceChoice choice = agreed_choice(g);
  const Deadline deadline(g.timeout());
  const Deadline *bound = host_bound(g, deadline, true);
  if (choice != HostAllreduceChoice::kMpi && ShmAllreduce::supports(dtype)) {
    // Every member gets here at the same call (same choice, dtype and group): the one
    // collective creation of the group's HostAllreduce, unless mpcomm_mem_alloc made it.
    HostState &state = host_state(g);
    HostAllreduce *shm = &host_allreduce(g, locality::node_oversubscribed);
    if (!state.described) {
      state.described = true;
      if (g.rank() == 0)
        log::info(log::Subsys::Coll, GroupName{g}, ": host all_reduce takes ",
                  shm->describe(choice));
    }
    if (shm->use_shm(choice, bytes, dtype)) {
      trace_call(log::Subsys::Coll, "all_reduce", g, count, dtype, bytes, "host, shared memory");
      try {
        return shm->all_reduce(send, recv, count, dtype, op, g.timeout(), bound);
      } catch (const Error &e) {
        if (e.status() != MPCOMM_ERR_TIMEOUT || shm->late_ranks().empty()) throw;
        throw Error(MPCOMM_ERR_TIMEOUT,
                    concat("the shared-memory allreduce timed out after ", g.timeout(),
                           " s: ", g.describe_ranks(shm->late_ranks()), " had not arrived"));
      }
    }
  }
  trace_call(log::Subsys::Coll, "all_reduce", g, count, dtype, bytes, "host, MPI_Allreduce");
  checked::all_reduce(g.comm(), g.size(), send, recv, count, dtype, op, bound);
}

size_t at_least_one(size_t n) { return std::max<size_t>(n, 1); }

// A group of one: out (checked to have in's size) receives a copy of in.
void copy_whole(const TensorView &in, const TensorView &out) {
  if (in.nbytes > 0) std::memcpy(out.data, in.data, in.nbytes);
}

// The facts of a v-collective along a dimension that every member must share: the dtype, the
// op (-1 for none), the dimension, sizes, and the tensor's shape (the extent along dim left out
// where it is each member's own). v_field names entry i for agree_on_record's message.
std::vector<int64_t> v_record(const TensorView &t, int d, bool own_extent, int op,
                              const size_t *sizes, int size) {
  const auto n = static_cast<size_t>(size);
  std::vector<int64_t> r(4 + n + kMaxTensorDims, 0);
  r[0] = t.dtype;
  r[1] = op;
  r[2] = d;
  for (size_t i = 0; i < n; ++i) r[3 + i] = static_cast<int64_t>(sizes[i]);
  r[3 + n] = t.ndim;
  for (int i = 0; i < t.ndim; ++i) r[4 + n + i] = i == d && own_extent ? -1 : t.shape[i];
  return r;
}
std::string v_field(size_t i, size_t size) {
  static const char *const names[] = {"the dtype (an mpcomm_datatype_t)", "op", "dim"};
  if (i < 3) return names[i];
  if (i < 3 + size) return concat("sizes[", i - 3, "]");
  if (i == 3 + size) return "in.ndim";
  return concat("in.shape[", i - 4 - size, "]");
}

// The end (in elements) of block r of a v-collective's buffer, checked against overflow.
size_t block_end(const size_t *counts, const size_t *displs, int r, const char *counts_name,
                 const char *displs_name, size_t es) {
  size_t end = 0, bytes = 0;
  if (__builtin_add_overflow(displs[r], counts[r], &end) || __builtin_mul_overflow(end, es, &bytes))
    require_arg(false, displs_name, "[", r, "] (", displs[r], ") + ", counts_name, "[", r, "] (",
                counts[r], ") elements overflow a size_t of bytes");
  return end;
}

// One side (send or recv) of all_to_allv: its arrays not NULL, no block past the address space,
// the buffer not NULL with elements; for recv (`disjoint`), no two blocks overlap (MPI's rule).
// Returns the elements the blocks span.
size_t check_blocks(const void *buf, const size_t *counts, const size_t *displs, int size,
                    mpcomm_datatype_t dtype, const char *name, const char *counts_name,
                    const char *displs_name, bool disjoint) {
  require_not_null(counts, counts_name);
  require_not_null(displs, displs_name);
  const size_t es = element_size(dtype);
  size_t extent = 0;
  for (int r = 0; r < size; ++r)
    if (counts[r] > 0)
      extent = std::max(extent, block_end(counts, displs, r, counts_name, displs_name, es));
  require_arg(buf != nullptr || extent == 0, name, " must not be NULL: ", counts_name,
              " has elements");
  uintptr_t last = 0;
  require_arg(!__builtin_add_overflow(reinterpret_cast<uintptr_t>(buf), extent * es, &last),
              displs_name, " and ", counts_name, " put ", name,
              "'s blocks past the end of the address space");
  if (disjoint && size > 1) {
    thread_local std::vector<std::pair<size_t, int>> starts;
    starts.clear();
    for (int r = 0; r < size; ++r)
      if (counts[r] > 0) starts.emplace_back(displs[r], r);
    std::sort(starts.begin(), starts.end());
    for (size_t k = 1; k < starts.size(); ++k) {
      const int a = starts[k - 1].second, b = starts[k].second;
      require_arg(displs[a] + counts[a] <= displs[b], name, "'s blocks overlap: ", displs_name, "[",
                  a, "] (", displs[a], ") + ", counts_name, "[", a, "] (", counts[a], ") > ",
                  displs_name, "[", b, "] (", displs[b], ")");
    }
  }
  return extent;
}

// Where a host v-collective of a group of two or more puts its contribution of `bytes` for the
// shared-memory exchange (group/agreement.hpp), or nullptr when the call takes MPI: the group
// spans nodes, or the contribution is past the size where the exchange wins or fits.
char *exchange_space(mpcomm_group_s &g, bool device, size_t bytes) {
  if (device || g.size() == 1 || !exchange_wins(bytes)) return nullptr;
  return exchange_half(g, bytes);
}

// How a host v-collective runs, for its trace: alone, through the exchange, or over MPI.
const char *host_v_path(const mpcomm_group_s &g, Exchanged peers, const char *mpi) {
  if (g.size() == 1) return "host, local copy";
  return peers != nullptr ? "host, shared-memory exchange" : mpi;
}

}  // namespace

void group_all_reduce(mpcomm_group_s &g, const void *send, void *recv, size_t count,
                      mpcomm_datatype_t dtype, mpcomm_op_t op, void *stream) {
  g.describe_call({count, dtype, op, -1, -1});
  validate_datatype(dtype, "dtype");
  validate_op(op, "op");
  require_reducible(dtype);
  const size_t bytes = flat_bytes(send, count, dtype, "send");
  flat_bytes(recv, count, dtype, "recv");
  if (on_device(send, "send", recv, "recv"))
    return device::all_reduce(g, send, recv, count, dtype, op, stream);
  require_arg(send == recv || !bytes_overlap(send, bytes, recv, bytes),
              "send and recv must be the same buffer (in place) or not overlap");
  if (g.size() == 1 || count == 0) {
    trace_call(log::Subsys::Coll, "all_reduce", g, count, dtype, bytes, "host, local copy");
    if (bytes > 0 && send != recv) std::memcpy(recv, send, bytes);
    return;
  }
  communicate(g, [&] { host_all_reduce(g, send, recv, count, dtype, op, bytes); });
}

void group_broadcast(mpcomm_group_s &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src,
                     void *stream) {
  g.describe_call({count, dtype, -1, src, -1});
  validate_datatype(dtype, "dtype");
  flat_bytes(buf, count, dtype, "buf");
  require_rank(g, src, "src");
  if (on_device(buf, "buf")) return device::broadcast(g, buf, count, dtype, src, stream);
  trace_call(log::Subsys::Coll, "broadcast", g, count, dtype, count * element_size(dtype),
             g.size() == 1 ? "host, nothing to send" : "host, MPI_Bcast");
  if (g.size() == 1) return;
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    checked::broadcast(g.comm(), buf, count, dtype, src, host_bound(g, deadline, true));
  });
}

void group_send(mpcomm_group_s &g, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst,
                void *stream) {
  validate_datatype(dtype, "dtype");
  flat_bytes(buf, count, dtype, "buf");
  dst = resolve_peer(g, dst, +1, "dst");
  if (on_device(buf, "buf")) return device::send(g, buf, count, dtype, dst, stream);
  trace_call(log::Subsys::P2P, "send", g, count, dtype, count * element_size(dtype),
             "host, MPI_Send");
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    checked::send(g.comm(), buf, count, dtype, dst, kTagPointToPoint,
                  host_bound(g, deadline, false));
  });
}

void group_recv(mpcomm_group_s &g, void *buf, size_t count, mpcomm_datatype_t dtype, int src,
                void *stream) {
  validate_datatype(dtype, "dtype");
  flat_bytes(buf, count, dtype, "buf");
  src = resolve_peer(g, src, -1, "src");
  if (on_device(buf, "buf")) return device::recv(g, buf, count, dtype, src, stream);
  trace_call(log::Subsys::P2P, "recv", g, count, dtype, count * element_size(dtype),
             "host, MPI_Recv");
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    checked::recv(g.comm(), buf, count, dtype, src, kTagPointToPoint,
                  host_bound(g, deadline, false));
  });
}

void group_all_gather(mpcomm_group_s &g, const DLTensor *in_tensor, DLTensor *out_tensor, int dim,
                      void *stream) {
  const TensorView in = validate_tensor(in_tensor, "in");
  const TensorView out = validate_tensor(out_tensor, "out");
  const bool device = tensors_on_device(*in_tensor, *out_tensor);
  const int d = check_gathered(in, out, dim, g.size());
  g.describe_call({in.numel, in.dtype, -1, -1, d});
  if (device) {
    return device::all_gather(g, in.data, out.data, in.numel, in.dtype, stream,
                              at_least_one(outer_extent(in, d)));
  }
  trace_call(log::Subsys::Coll, "all_gather", g, in.numel, in.dtype, in.nbytes,
             g.size() == 1 ? "host, local copy" : "host, MPI");
  if (g.size() == 1) return copy_whole(in, out);
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    all_gather_checked(g.comm(), g.size(), in, out, d, host_bound(g, deadline, true));
  });
}

void group_reduce_scatter(mpcomm_group_s &g, const DLTensor *in_tensor, DLTensor *out_tensor,
                          int dim, mpcomm_op_t op, void *stream) {
  validate_op(op, "op");
  const TensorView in = validate_tensor(in_tensor, "in");
  require_reducible(in.dtype, "in.dtype");
  const TensorView out = validate_tensor(out_tensor, "out");
  const bool device = tensors_on_device(*in_tensor, *out_tensor);
  const int d = check_scattered(in, out, dim, g.size());
  g.describe_call({in.numel, in.dtype, op, -1, d});
  if (device) {
    return device::reduce_scatter(g, in.data, out.data, out.numel, in.dtype, op, stream,
                                  at_least_one(outer_extent(out, d)));
  }
  trace_call(log::Subsys::Coll, "reduce_scatter", g, in.numel, in.dtype, in.nbytes,
             g.size() == 1 ? "host, local copy" : "host, MPI");
  if (g.size() == 1) return copy_whole(in, out);
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    reduce_scatter_checked(g.comm(), g.size(), in, out, d, op, host_bound(g, deadline, true));
  });
}

void group_gather(mpcomm_group_s &g, const DLTensor *in_tensor, DLTensor *out_tensor, int dst,
                  int dim, void *stream) {
  const TensorView in = validate_tensor(in_tensor, "in");
  require_rank(g, dst, "dst");
  const int d = normalize_dim(dim, in.ndim, "in");
  g.describe_call({in.numel, in.dtype, -1, dst, d});
  const bool receiving = g.rank() == dst;
  bool device = tensor_on_device(*in_tensor, "in");
  TensorView out;
  if (receiving) {
    out = validate_tensor(out_tensor, "out");
    device = tensors_on_device(*in_tensor, *out_tensor);
    check_gathered(in, out, d, g.size());
  }
  if (device) {
    return device::gather(g, in.data, receiving ? out.data : nullptr, in.numel, in.dtype, dst,
                          stream, at_least_one(outer_extent(in, d)));
  }
  trace_call(log::Subsys::Coll, "gather", g, in.numel, in.dtype, in.nbytes,
             g.size() == 1 ? "host, local copy" : "host, MPI");
  if (g.size() == 1) return copy_whole(in, out);
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    gather_checked(g.comm(), g.size(), g.rank(), in, out, dst, d, host_bound(g, deadline, true));
  });
}

void group_all_gatherv(mpcomm_group_s &g, const DLTensor *in_tensor, DLTensor *out_tensor,
                       const size_t *sizes, int dim, void *stream) {
  const TensorView in = validate_tensor(in_tensor, "in");
  const TensorView out = validate_tensor(out_tensor, "out");
  const bool device = tensors_on_device(*in_tensor, *out_tensor);
  const int d = check_gathered_v(in, out, dim, sizes, g.size(), g.rank());
  g.describe_call(
      {fingerprint(sizes, sizeof *sizes * static_cast<size_t>(g.size())), in.dtype, -1, -1, d});
  char *half = exchange_space(g, device, in.nbytes);
  if (half != nullptr) all_gatherv_put(in, half);
  Exchanged peers = nullptr;
  if (g.size() > 1)
    peers = agree_on_record(
        g, v_record(in, d, true, -1, sizes, g.size()),
        [&](size_t i) { return v_field(i, static_cast<size_t>(g.size())); }, half != nullptr);
  const VLayout &l = v_layout(out, d, sizes, g.size());
  if (device) {
    return device::all_gatherv(g, in.data, out.data, l.counts.data(), l.displs.data(), in.dtype,
                               stream, at_least_one(l.outer));
  }
  trace_call(log::Subsys::Coll, "all_gatherv", g, out.numel, in.dtype, out.nbytes,
             host_v_path(g, peers, "host, MPI"));
  if (g.size() == 1) return copy_whole(in, out);
  if (peers != nullptr) return communicate(g, [&] { all_gatherv_take(peers, g.size(), out, l); });
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    all_gatherv_checked(g.comm(), g.size(), g.rank(), in, out, l, host_bound(g, deadline, true));
  });
}

void group_reduce_scatterv(mpcomm_group_s &g, const DLTensor *in_tensor, DLTensor *out_tensor,
                           const size_t *sizes, int dim, mpcomm_op_t op, void *stream) {
  validate_op(op, "op");
  const TensorView in = validate_tensor(in_tensor, "in");
  require_reducible(in.dtype, "in.dtype");
  const TensorView out = validate_tensor(out_tensor, "out");
  const bool device = tensors_on_device(*in_tensor, *out_tensor);
  const int d = check_scattered_v(in, out, dim, sizes, g.size(), g.rank());
  g.describe_call(
      {fingerprint(sizes, sizeof *sizes * static_cast<size_t>(g.size())), in.dtype, op, -1, d});
  const VLayout &l = v_layout(in, d, sizes, g.size());
  char *half = exchange_space(g, device, reduce_scatterv_bytes(in));
  if (half != nullptr) reduce_scatterv_put(in, l, g.rank(), half);
  Exchanged peers = nullptr;
  if (g.size() > 1)
    peers = agree_on_record(
        g, v_record(in, d, false, op, sizes, g.size()),
        [&](size_t i) { return v_field(i, static_cast<size_t>(g.size())); }, half != nullptr);
  if (device) {
    return device::reduce_scatterv(g, in.data, out.data, l.counts.data(), l.displs.data(), in.dtype,
                                   op, stream, at_least_one(l.outer));
  }
  trace_call(log::Subsys::Coll, "reduce_scatterv", g, in.numel, in.dtype, in.nbytes,
             host_v_path(g, peers, "host, MPI"));
  if (g.size() == 1) return copy_whole(in, out);
  if (peers != nullptr)
    return communicate(g, [&] { reduce_scatterv_take(peers, g.size(), g.rank(), in, out, l, op); });
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    reduce_scatterv_checked(g.comm(), g.size(), in, out, l, op, host_bound(g, deadline, true));
  });
}

void group_all_to_all(mpcomm_group_s &g, const void *send, void *recv, size_t count,
                      mpcomm_datatype_t dtype, void *stream) {
  validate_datatype(dtype, "dtype");
  const size_t block = checked_bytes(count, element_size(dtype), "count");
  const size_t bytes = checked_bytes(block, static_cast<size_t>(g.size()), "count x size");
  require_arg(send != nullptr || bytes == 0, "send must not be NULL when count (", count, ") > 0");
  require_arg(recv != nullptr || bytes == 0, "recv must not be NULL when count (", count, ") > 0");
  const bool device = on_device(send, "send", recv, "recv");
  require_arg(!bytes_overlap(send, bytes, recv, bytes), "send and recv must not overlap");
  g.describe_call({count, dtype, -1, -1, -1});
  char *half = exchange_space(g, device, all_to_all_bytes(block, g.size()));
  if (half != nullptr) all_to_all_put(send, block, g.size(), g.rank(), half);
  Exchanged peers = nullptr;
  if (g.size() > 1)
    peers = agree_on_record(
        g, {static_cast<int64_t>(dtype), static_cast<int64_t>(count)},
        [](size_t i) { return i == 0 ? "dtype" : "count"; }, half != nullptr);
  if (device) return device::all_to_all(g, send, recv, count, dtype, stream);
  trace_call(log::Subsys::Coll, "all_to_all", g, count, dtype, bytes,
             host_v_path(g, peers, "host, MPI_Alltoall"));
  if (g.size() == 1) {
    if (bytes > 0) std::memcpy(recv, send, bytes);
    return;
  }
  if (peers != nullptr)
    return communicate(g, [&] { all_to_all_take(peers, g.size(), g.rank(), send, recv, block); });
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    checked::all_to_all(g.comm(), send, recv, count, dtype, host_bound(g, deadline, true));
  });
}

void group_all_to_allv(mpcomm_group_s &g, const void *send, const size_t *send_counts,
                       const size_t *send_displs, void *recv, const size_t *recv_counts,
                       const size_t *recv_displs, mpcomm_datatype_t dtype, void *stream) {
  validate_datatype(dtype, "dtype");
  const size_t sent = check_blocks(send, send_counts, send_displs, g.size(), dtype, "send",
                                   "send_counts", "send_displs", false);
  const size_t received = check_blocks(recv, recv_counts, recv_displs, g.size(), dtype, "recv",
                                       "recv_counts", "recv_displs", true);
  const size_t es = element_size(dtype);
  require_arg(!bytes_overlap(send, sent * es, recv, received * es),
              "send and recv must not overlap (the blocks span ", sent, " and ", received,
              " elements)");
  require_arg(g.size() > 1 || send_counts[0] == recv_counts[0], "send_counts[0] (", send_counts[0],
              ") must equal recv_counts[0] (", recv_counts[0], ") in a group of one");
  const bool device = on_device(send, "send", recv, "recv");
  // The counts pair up rather than agree: agree_on_pairs checks them.
  g.describe_call({0, dtype, -1, -1, -1});
  char *half = exchange_space(g, device, all_to_allv_bytes(send_counts, g.size(), g.rank(), es));
  if (half != nullptr)
    all_to_allv_put(send, send_counts, send_displs, g.size(), g.rank(), es, half);
  Exchanged peers = nullptr;
  if (g.size() > 1) peers = agree_on_pairs(g, send_counts, recv_counts, dtype, half != nullptr);
  if (device)
    return device::all_to_allv(g, send, send_counts, send_displs, recv, recv_counts, recv_displs,
                               dtype, stream);
  trace_call(log::Subsys::Coll, "all_to_allv", g, sent, dtype, sent * es,
             host_v_path(g, peers, "host, MPI_Alltoallv"));
  if (g.size() == 1) {
    if (send_counts[0] > 0)
      std::memcpy(static_cast<unsigned char *>(recv) + recv_displs[0] * es,
                  static_cast<const unsigned char *>(send) + send_displs[0] * es,
                  send_counts[0] * es);
    return;
  }
  if (peers != nullptr)
    return communicate(g, [&] {
      all_to_allv_take(peers, g.size(), g.rank(), send, send_displs, recv, recv_counts, recv_displs,
                       es);
    });
  communicate(g, [&] {
    const Deadline deadline(g.timeout());
    checked::all_to_allv(g.comm(), g.size(), g.rank(), send, send_counts, send_displs, recv,
                         recv_counts, recv_displs, dtype, host_bound(g, deadline, true));
  });
}

}  // namespace mpcomm
