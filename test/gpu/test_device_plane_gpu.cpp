// The GPU data plane on a real GPU. Skips (77) without one.
//  - one process: NCCL with one rank (every operation, every type, every reduction, through the
//    communicator wrapper with an in-process unique id), a group of one through the device
//    calls (copies, the along-a-dimension layouts, forced paths, timing), and a CUDA graph
//    captured between mpcomm_graph_capture_begin and _end;
//  - N processes (mpirun -np 2 or 4, one GPU is enough: the processes open each other's IPC
//    handles on the same device): the custom allreduce over CUDA IPC, eager and captured in a
//    CUDA graph and replayed; with at least N GPUs also every NCCL operation across processes
//    (NCCL refuses two ranks on one GPU).
// Built without GoogleTest (gpu_check.hpp); needs MPI and libmpcomm.
#include <cuda_runtime.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "device/device_ops.hpp"
#include "device/nccl_comm.hpp"
#include "gpu_check.hpp"
#include "group/group.hpp"
#include "mpcomm.h"

using namespace mpcomm;

namespace {

constexpr mpcomm_datatype_t kTypes[] = {MPCOMM_INT8,    MPCOMM_UINT8,   MPCOMM_INT32,
                                        MPCOMM_INT64,   MPCOMM_FLOAT16, MPCOMM_BFLOAT16,
                                        MPCOMM_FLOAT32, MPCOMM_FLOAT64};
constexpr mpcomm_op_t kOps[] = {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG};

// Small integers, exact in every type.
void encode(mpcomm_datatype_t t, double v, void *p) {
  switch (t) {
    case MPCOMM_INT8: *static_cast<int8_t *>(p) = static_cast<int8_t>(v); break;
    case MPCOMM_UINT8: *static_cast<uint8_t *>(p) = static_cast<uint8_t>(v); break;
    case MPCOMM_INT32: *static_cast<int32_t *>(p) = static_cast<int32_t>(v); break;
    case MPCOMM_INT64: *static_cast<int64_t *>(p) = static_cast<int64_t>(v); break;
    case MPCOMM_FLOAT16:
      *static_cast<uint16_t *>(p) = half::float_to_float16(static_cast<float>(v));
      break;
    case MPCOMM_BFLOAT16:
      *static_cast<uint16_t *>(p) = half::float_to_bfloat16(static_cast<float>(v));
      break;
    case MPCOMM_FLOAT32: *static_cast<float *>(p) = static_cast<float>(v); break;
    default: *static_cast<double *>(p) = v; break;
  }
}
double decode(mpcomm_datatype_t t, const void *p) {
  switch (t) {
    case MPCOMM_INT8: return *static_cast<const int8_t *>(p);
    case MPCOMM_UINT8: return *static_cast<const uint8_t *>(p);
    case MPCOMM_INT32: return *static_cast<const int32_t *>(p);
    case MPCOMM_INT64: return static_cast<double>(*static_cast<const int64_t *>(p));
    case MPCOMM_FLOAT16: return half::float16_to_float(*static_cast<const uint16_t *>(p));
    case MPCOMM_BFLOAT16: return half::bfloat16_to_float(*static_cast<const uint16_t *>(p));
    case MPCOMM_FLOAT32: return *static_cast<const float *>(p);
    default: return *static_cast<const double *>(p);
  }
}

// A device buffer of n elements of t (plus 16 bytes, for views that start off alignment), filled
// from f(i) and read back as doubles. Every fill and read goes through the stream the operations
// use and waits for it: a legacy-stream copy would race the operations on a non-blocking stream.
class Buffer {
 public:
  Buffer(mpcomm_datatype_t t, size_t n, cudaStream_t s)
      : t_(t), n_(n), el_(element_size(t)), s_(s) {
    if (cudaMalloc(&ptr_, n * el_ + 16) != cudaSuccess) std::abort();
    if (cudaMemsetAsync(ptr_, 0, n * el_ + 16, s_) != cudaSuccess) std::abort();
    cudaStreamSynchronize(s_);
  }
  ~Buffer() { cudaFree(ptr_); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  template <class F>
  void fill(F f, size_t offset = 0) {
    std::vector<char> host(n_ * el_);
    for (size_t i = 0; i < n_; ++i) encode(t_, f(i), &host[i * el_]);
    cudaStreamSynchronize(s_);
    cudaMemcpyAsync(at(offset), host.data(), host.size(), cudaMemcpyHostToDevice, s_);
    cudaStreamSynchronize(s_);
  }
  std::vector<double> read(size_t offset = 0) const {
    std::vector<char> host(n_ * el_);
    cudaStreamSynchronize(s_);
    cudaMemcpyAsync(host.data(), at(offset), host.size(), cudaMemcpyDeviceToHost, s_);
    cudaStreamSynchronize(s_);
    std::vector<double> out(n_);
    for (size_t i = 0; i < n_; ++i) out[i] = decode(t_, &host[i * el_]);
    return out;
  }
  void *get() const { return ptr_; }
  // The buffer seen `offset` bytes in (offset <= 16): n elements still fit.
  void *at(size_t offset) const { return static_cast<char *>(ptr_) + offset; }

 private:
  mpcomm_datatype_t t_;
  size_t n_, el_;
  cudaStream_t s_;
  void *ptr_ = nullptr;
};

// Ends a capture its body left open when it threw, so the stream is usable again.
void end_capture(cudaStream_t s) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(s, &status) != cudaSuccess || status == cudaStreamCaptureStatusNone)
    return;
  cudaGraph_t broken = nullptr;
  if (cudaStreamEndCapture(s, &broken) == cudaSuccess && broken) cudaGraphDestroy(broken);
  cudaGetLastError();
}

// "" when every element is f(i), else the first difference.
template <class F>
std::string differs(const std::vector<double> &got, F f) {
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != f(i)) return concat("element ", i, " is ", got[i], ", expected ", f(i));
  return "";
}

std::string name(mpcomm_datatype_t t) { return datatype_name(t); }

template <class Body>
std::string error_of(Body &&body) {
  try {
    body();
    return "";
  } catch (const std::exception &e) {
    return e.what();
  }
}

// ---- one process -----------------------------------------------------------------------------

void nccl_one_rank(test::Checks &checks, cudaStream_t s) {
  std::string err = error_of([&] {
    device::NcclComm comm(device::NcclComm::new_unique_id(), 1, 0, 0, 60.0);
    const size_t n = 1000;
    for (mpcomm_datatype_t t : kTypes) {
      Buffer in(t, n, s), out(t, n, s);
      auto v = [](size_t i) { return static_cast<double>(i % 5 + 1); };
      in.fill(v);
      for (mpcomm_op_t op : kOps) {
        out.fill([](size_t) { return 0.0; });
        comm.all_reduce(in.get(), out.get(), n, t, op, s);
        checks.expect(differs(out.read(), v).empty(),
                      concat("NCCL 1 rank all_reduce ", name(t), " op ", op),
                      differs(out.read(), v));
      }
      comm.all_reduce(in.get(), in.get(), n, t, MPCOMM_SUM, s);  // in place
      checks.expect(differs(in.read(), v).empty(), "NCCL 1 rank all_reduce in place " + name(t));
      comm.broadcast(in.get(), n, t, 0, s);
      checks.expect(differs(in.read(), v).empty(), "NCCL 1 rank broadcast " + name(t));
      out.fill([](size_t) { return 0.0; });
      comm.all_gather(in.get(), out.get(), n, t, s);
      checks.expect(differs(out.read(), v).empty(), "NCCL 1 rank all_gather " + name(t));
      out.fill([](size_t) { return 0.0; });
      comm.reduce_scatter(in.get(), out.get(), n, t, MPCOMM_MAX, s);
      checks.expect(differs(out.read(), v).empty(), "NCCL 1 rank reduce_scatter " + name(t));
      out.fill([](size_t) { return 0.0; });
      comm.gather(in.get(), out.get(), n, t, 0, s);
      checks.expect(differs(out.read(), v).empty(), "NCCL 1 rank gather " + name(t));
    }
  });
  checks.expect(err.empty(), "NCCL with one rank runs every operation", err);
}

void group_of_one(test::Checks &checks, cudaStream_t s) {
  mpcomm_group_t group = nullptr;
  if (!checks.expect(mpcomm_group_from_comm(MPI_COMM_SELF, &group) == MPCOMM_SUCCESS,
                     "group on MPI_COMM_SELF", mpcomm_last_error()))
    return;
  mpcomm_group_s &g = *group;
  const size_t n = 4096;
  Buffer a(MPCOMM_FLOAT32, n, s), b(MPCOMM_FLOAT32, n, s);
  std::vector<float> host(n);
  checks.expect(device::is_device_pointer(a.get()), "device memory is recognised");
  checks.expect(!device::is_device_pointer(host.data()), "host memory is not device memory");
  auto v = [](size_t i) { return static_cast<double>(i % 11); };
  a.fill(v);
  std::string err = error_of([&] {
    device::all_reduce(g, a.get(), b.get(), n, MPCOMM_FLOAT32, MPCOMM_SUM, s);
    checks.expect(differs(b.read(), v).empty(), "a group of one copies its all_reduce");
    b.fill([](size_t) { return 0.0; });
    device::all_gather(g, a.get(), b.get(), n, MPCOMM_FLOAT32, s, 4);
    checks.expect(differs(b.read(), v).empty(), "a group of one copies its all_gather");
    device::broadcast(g, a.get(), n, MPCOMM_FLOAT32, 0, s);
    b.fill([](size_t) { return 0.0; });
    device::reduce_scatter(g, a.get(), b.get(), n, MPCOMM_FLOAT32, MPCOMM_AVG, s, 2);
    checks.expect(differs(b.read(), v).empty(), "a group of one copies its reduce_scatter");
    b.fill([](size_t) { return 0.0; });
    device::gather(g, a.get(), b.get(), n, MPCOMM_FLOAT32, 0, s);
    checks.expect(differs(b.read(), v).empty(), "a group of one copies its gather");
    device::DevicePath path = device::DevicePath::Nccl;
    const double t = device::time_all_reduce(g, a.get(), b.get(), n, MPCOMM_FLOAT32, MPCOMM_SUM,
                                             device::AllReduceAlgo::Auto, 2, 10, s, &path);
    checks.expect(t > 0 && path == device::DevicePath::Copy, "timing a group of one",
                  concat(t, " s, path ", device::device_path_name(path)));
  });
  checks.expect(err.empty(), "device calls on a group of one", err);
  std::string forced = error_of([&] {
    device::all_reduce(g, a.get(), b.get(), n, MPCOMM_FLOAT32, MPCOMM_SUM, s,
                       device::AllReduceAlgo::Custom);
  });
  checks.expect(forced.find("group of one") != std::string::npos,
                "a forced custom allreduce on a group of one is refused", forced);
  checks.expect(mpcomm_group_set_device(group, 0) == MPCOMM_ERR_INVALID_USAGE,
                "the device cannot change once the context exists", mpcomm_last_error());
  mpcomm_group_free(&group);
}

void graph_on_state_of_one(test::Checks &checks, cudaStream_t s) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  mpcomm_state_t state = nullptr;
  if (!checks.expect(mpcomm_state_create(MPI_COMM_SELF, &cfg, &state) == MPCOMM_SUCCESS,
                     "state on MPI_COMM_SELF", mpcomm_last_error()))
    return;
  mpcomm_group_t tp = nullptr;
  mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp);
  const size_t n = 1024;
  Buffer a(MPCOMM_FLOAT32, n, s), b(MPCOMM_FLOAT32, n, s);
  checks.expect(mpcomm_graph_capture_begin(state, s) == MPCOMM_SUCCESS, "capture begin",
                mpcomm_last_error());
  checks.expect(mpcomm_graph_capture_begin(state, s) == MPCOMM_ERR_INVALID_USAGE,
                "a second capture begin is refused", mpcomm_last_error());
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::string err = error_of([&] {
    if (cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) != cudaSuccess)
      throw std::runtime_error("cudaStreamBeginCapture");
    device::all_reduce(*tp, a.get(), b.get(), n, MPCOMM_FLOAT32, MPCOMM_SUM, s);
    if (cudaStreamEndCapture(s, &graph) != cudaSuccess)
      throw std::runtime_error("cudaStreamEndCapture");
    if (cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess)
      throw std::runtime_error("cudaGraphInstantiate");
  });
  if (!err.empty()) end_capture(s);
  checks.expect(err.empty(), "capturing a device all_reduce", err);
  checks.expect(mpcomm_graph_capture_end(state) == MPCOMM_SUCCESS, "capture end",
                mpcomm_last_error());
  for (int replay = 0; replay < 3 && exec; ++replay) {
    a.fill([&](size_t i) { return static_cast<double>(i % 13 + replay); });
    cudaGraphLaunch(exec, s);
    cudaStreamSynchronize(s);
    checks.expect(
        differs(b.read(), [&](size_t i) { return static_cast<double>(i % 13 + replay); }).empty(),
        concat("graph replay ", replay, " of a group of one"));
  }
  if (exec) cudaGraphExecDestroy(exec);
  if (graph) cudaGraphDestroy(graph);
  mpcomm_state_destroy(&state);
}

// ---- N processes -----------------------------------------------------------------------------

// 1000 calls queued without a host sync, each on another input (a pool of data sets, copied in
// on the stream) and into its own output slot, sizes alternating between one-shot and two-shot:
// a call that read a peer's staging buffer before the peer's copy landed, or after the next
// call's copy, sums stale data.
void back_to_back_ipc(test::Checks &checks, mpcomm_group_s &g, cudaStream_t s) {
  const int n = g.size(), r = g.rank();
  constexpr int kCalls = 1000, kPatterns = 7;
  const size_t counts[] = {2048, 262144};  // float32: 8 KiB and 1 MiB
  const size_t max_count = counts[1];
  std::vector<std::unique_ptr<Buffer>> pool;
  for (int k = 0; k < kPatterns; ++k) {
    pool.push_back(std::make_unique<Buffer>(MPCOMM_FLOAT32, max_count, s));
    pool.back()->fill([&](size_t i) { return static_cast<double>((i + 3 * k + 5 * r) % 9); });
  }
  // Output slot j holds call j's first kCheck elements (all of them for the small calls).
  constexpr size_t kCheck = 2048;
  Buffer results(MPCOMM_FLOAT32, kCalls * kCheck, s), out(MPCOMM_FLOAT32, max_count, s);
  std::string err = error_of([&] {
    for (int j = 0; j < kCalls; ++j) {
      const size_t count = counts[j % 2];
      device::all_reduce(g, pool[j % kPatterns]->get(), out.get(), count, MPCOMM_FLOAT32,
                         MPCOMM_SUM, s, device::AllReduceAlgo::Custom);
      if (cudaMemcpyAsync(static_cast<float *>(results.get()) + j * kCheck, out.get(),
                          kCheck * sizeof(float), cudaMemcpyDeviceToDevice, s) != cudaSuccess)
        throw std::runtime_error("cudaMemcpyAsync of a result");
    }
  });
  const std::vector<double> got = results.read();
  size_t wrong = 0;
  std::string first;
  for (int j = 0; j < kCalls && err.empty(); ++j)
    for (size_t i = 0; i < kCheck; ++i) {
      double want = 0;
      for (int q = 0; q < n; ++q)
        want += static_cast<double>((i + 3 * (j % kPatterns) + 5 * q) % 9);
      if (got[j * kCheck + i] != want && wrong++ == 0)
        first = concat("call ", j, " element ", i, ": ", got[j * kCheck + i], ", expected ", want);
    }
  checks.expect(err.empty() && wrong == 0,
                concat(kCalls, " back-to-back custom allreduce calls over IPC, inputs changing"),
                err.empty() ? concat(wrong, " wrong elements; first: ", first) : err);
}

void custom_allreduce_ipc(test::Checks &checks, mpcomm_group_s &g, cudaStream_t s) {
  const int n = g.size(), r = g.rank();
  std::string why;
  std::string err = error_of([&] {
    device::DevicePath p = device::all_reduce_path(g, 4096, MPCOMM_FLOAT16, MPCOMM_SUM, &why);
    checks.expect(p == device::DevicePath::Custom, "the group takes the custom allreduce", why);
  });
  if (!checks.expect(err.empty(), "custom allreduce context", err)) return;
  for (mpcomm_datatype_t t : {MPCOMM_FLOAT32, MPCOMM_FLOAT16, MPCOMM_BFLOAT16}) {
    for (size_t count : {size_t{8}, size_t{1} << 10, size_t{1} << 16, (size_t{1} << 19) + 8}) {
      const size_t el = element_size(t);
      if ((count * el) % 16 != 0) continue;
      Buffer in(t, count, s), out(t, count, s);
      auto mine = [&](size_t i) { return static_cast<double>(i % 7 + r + 1); };
      auto sum = [&](size_t i) { return static_cast<double>(n * (i % 7) + n * (n + 1) / 2); };
      in.fill(mine);
      err = error_of([&] {
        device::all_reduce(g, in.get(), out.get(), count, t, MPCOMM_SUM, s,
                           device::AllReduceAlgo::Custom);
      });
      checks.expect(err.empty() && differs(out.read(), sum).empty(),
                    concat("custom allreduce over IPC, ", n, " processes, ", name(t), " x ", count),
                    err.empty() ? differs(out.read(), sum) : err);
      err = error_of([&] {
        device::all_reduce(g, in.get(), in.get(), count, t, MPCOMM_SUM, s,
                           device::AllReduceAlgo::Custom);
      });
      checks.expect(err.empty() && differs(in.read(), sum).empty(),
                    concat("custom allreduce in place, ", name(t), " x ", count), err);
    }
  }
  // A recv that is not 16-byte aligned on one member only: the path is decided from shared facts,
  // so that member takes the custom allreduce too (through an aligned buffer) instead of NCCL
  // while its peers wait in the kernel.
  for (mpcomm_datatype_t t : {MPCOMM_FLOAT32, MPCOMM_BFLOAT16}) {
    const size_t count = 1 << 12, offset = r == 0 ? element_size(t) : 0;
    Buffer in(t, count, s), out(t, count, s);
    auto mine = [&](size_t i) { return static_cast<double>(i % 5 + r); };
    auto sum = [&](size_t i) { return static_cast<double>(n * (i % 5) + n * (n - 1) / 2); };
    in.fill(mine);
    err =
        error_of([&] { device::all_reduce(g, in.get(), out.at(offset), count, t, MPCOMM_SUM, s); });
    checks.expect(err.empty() && differs(out.read(offset), sum).empty(),
                  concat("custom allreduce with recv misaligned on rank 0 only, ", name(t)),
                  err.empty() ? differs(out.read(offset), sum) : err);
  }
  back_to_back_ipc(checks, g, s);

  // Captured in a CUDA graph (the context exists: nothing is made during the capture) and
  // replayed with new inputs: every replay copies its input into the staging buffer anew.
  const size_t count = 1 << 12;
  Buffer in(MPCOMM_FLOAT32, count, s), out(MPCOMM_FLOAT32, count, s);
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  err = error_of([&] {
    if (cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) != cudaSuccess)
      throw std::runtime_error("cudaStreamBeginCapture");
    for (int k = 0; k < 3; ++k)  // three in a row: the counters advance within one replay
      device::all_reduce(g, k == 0 ? in.get() : out.get(), out.get(), count, MPCOMM_FLOAT32,
                         MPCOMM_SUM, s, device::AllReduceAlgo::Custom);
    if (cudaStreamEndCapture(s, &graph) != cudaSuccess)
      throw std::runtime_error("cudaStreamEndCapture");
    if (cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess)
      throw std::runtime_error("cudaGraphInstantiate");
  });
  if (!err.empty()) end_capture(s);
  checks.expect(err.empty(), "capturing the custom allreduce", err);
  for (int replay = 0; replay < 4 && exec; ++replay) {
    in.fill([&](size_t i) { return static_cast<double>(i % 3 + replay); });
    cudaGraphLaunch(exec, s);
    cudaStreamSynchronize(s);
    // Each rank contributes (i%3 + replay); three sums multiply by n three times.
    checks.expect(
        differs(out.read(),
                [&](size_t i) { return static_cast<double>(n * n * n * (i % 3 + replay)); })
            .empty(),
        concat("custom allreduce graph replay ", replay));
  }
  if (exec) cudaGraphExecDestroy(exec);
  if (graph) cudaGraphDestroy(graph);
}

void nccl_across_processes(test::Checks &checks, mpcomm_group_s &g, cudaStream_t s) {
  const int n = g.size(), r = g.rank();
  const size_t outer = 2, chunk = 3, per_rank = outer * chunk;
  std::string err = error_of([&] {
    Buffer in(MPCOMM_FLOAT32, per_rank * n, s), out(MPCOMM_FLOAT32, per_rank * n, s);
    // all_reduce through NCCL, every op.
    in.fill([&](size_t i) { return static_cast<double>(i % 4 + r + 1); });
    device::all_reduce(g, in.get(), out.get(), per_rank, MPCOMM_FLOAT32, MPCOMM_MAX, s,
                       device::AllReduceAlgo::Nccl);
    checks.expect(
        differs(out.read(),
                [&](size_t i) { return i < per_rank ? static_cast<double>(i % 4 + n) : 0.0; })
            .empty(),
        "NCCL all_reduce max across processes");
    // broadcast from the last rank.
    in.fill([&](size_t i) { return static_cast<double>(i + 10 * r); });
    device::broadcast(g, in.get(), per_rank, MPCOMM_FLOAT32, n - 1, s);
    checks.expect(differs(in.read(),
                          [&](size_t i) {
                            return i < per_rank ? static_cast<double>(i + 10 * (n - 1))
                                                : static_cast<double>(i + 10 * r);
                          })
                      .empty(),
                  "NCCL broadcast");
    // all_gather along dimension 1 of [outer, chunk]: out is [outer, n, chunk].
    in.fill([&](size_t i) { return static_cast<double>(100 * r + 10 * (i / chunk) + i % chunk); });
    device::all_gather(g, in.get(), out.get(), per_rank, MPCOMM_FLOAT32, s, outer);
    checks.expect(differs(out.read(),
                          [&](size_t i) {
                            const size_t o = i / (n * chunk), q = (i / chunk) % n, c = i % chunk;
                            return static_cast<double>(100 * q + 10 * o + c);
                          })
                      .empty(),
                  "NCCL all_gather along a dimension");
    // gather along the same dimension to rank 0.
    out.fill([](size_t) { return -1.0; });
    device::gather(g, in.get(), out.get(), per_rank, MPCOMM_FLOAT32, 0, s, outer);
    if (r == 0)
      checks.expect(differs(out.read(),
                            [&](size_t i) {
                              const size_t o = i / (n * chunk), q = (i / chunk) % n, c = i % chunk;
                              return static_cast<double>(100 * q + 10 * o + c);
                            })
                        .empty(),
                    "NCCL gather along a dimension");
    // reduce_scatter along dimension 1 of [outer, n * chunk]: rank r gets slice r of each row.
    in.fill([&](size_t i) {
      const size_t o = i / (n * chunk), q = (i / chunk) % n, c = i % chunk;
      return static_cast<double>(r + 1000 * q + 10 * o + c);
    });
    device::reduce_scatter(g, in.get(), out.get(), per_rank, MPCOMM_FLOAT32, MPCOMM_SUM, s, outer);
    std::vector<double> got = out.read();
    got.resize(per_rank);
    checks.expect(
        differs(got,
                [&](size_t i) {
                  const size_t o = i / chunk, c = i % chunk;
                  return static_cast<double>(n * (n - 1) / 2 + n * (1000 * r + 10 * o + c));
                })
            .empty(),
        "NCCL reduce_scatter along a dimension");
    // send/recv around the ring.
    const int next = (r + 1) % n, prev = (r + n - 1) % n;
    in.fill([&](size_t i) { return static_cast<double>(i + r); });
    out.fill([](size_t) { return 0.0; });
    if (r % 2 == 0) {
      device::send(g, in.get(), per_rank, MPCOMM_FLOAT32, next, s);
      device::recv(g, out.get(), per_rank, MPCOMM_FLOAT32, prev, s);
    } else {
      device::recv(g, out.get(), per_rank, MPCOMM_FLOAT32, prev, s);
      device::send(g, in.get(), per_rank, MPCOMM_FLOAT32, next, s);
    }
    got = out.read();
    got.resize(per_rank);
    checks.expect(differs(got, [&](size_t i) { return static_cast<double>(i + prev); }).empty(),
                  "NCCL send and recv around the ring");
  });
  checks.expect(err.empty(), "NCCL operations across processes", err);
}

}  // namespace

int main() {
  test::Checks checks;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    checks.skip("GPU data plane",
                std::string("no CUDA device: ") + cudaGetErrorString(cudaGetLastError()));
    return checks.finish();
  }
  MPI_Init(nullptr, nullptr);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  cudaSetDevice(rank % devices);
  cudaStream_t stream = nullptr;
  cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (size == 1) {
    nccl_one_rank(checks, stream);
    group_of_one(checks, stream);
    graph_on_state_of_one(checks, stream);
  } else {
    mpcomm_group_t group = nullptr;
    if (checks.expect(mpcomm_group_from_comm(MPI_COMM_WORLD, &group) == MPCOMM_SUCCESS,
                      "group on MPI_COMM_WORLD", mpcomm_last_error())) {
      custom_allreduce_ipc(checks, *group, stream);
      if (devices >= size)
        nccl_across_processes(checks, *group, stream);
      else if (rank == 0)
        checks.skip("NCCL across processes", concat(size, " processes on ", devices,
                                                    " GPU(s): NCCL refuses two ranks on one GPU"));
      mpcomm_group_free(&group);
    }
  }
  cudaStreamDestroy(stream);
  // Rank 0 reports for everyone: a failure anywhere fails the run.
  int mine = checks.failed(), total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0 && total > mine)
    checks.expect(false, "checks on the other ranks", concat(total - mine, " failed"));
  MPI_Finalize();
  if (rank != 0) return mine ? 1 : 0;
  return checks.finish();
}
