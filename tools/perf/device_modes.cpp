// The GPU modes of mpcomm-perf, which time with CUDA events rather than the host loop:
//   all_reduce --device cuda [--algo auto|custom|nccl]: the group's device all_reduce
//     (lib/device time_all_reduce), on device buffers of every rank, checked afterwards;
//   custom_allreduce_sim: the custom allreduce kernels with every rank simulated on rank 0's GPU
//     (kernels/custom_allreduce_bench.h), eager and graph-replayed, against the memory bandwidth.
// Where there is no GPU, or mpcomm was built without CUDA (and NCCL), each prints one line
// "# skipped: <reason>" and returns 0: a benchmark with nothing to measure has not failed.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "api/entry.hpp"
#include "config.h"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"
#include "perf/ops.hpp"
#include "perf/report.hpp"
#include "perf/values.hpp"

#ifdef MPCOMM_HAVE_CUDA
#include <cuda_runtime.h>

#include "kernels/custom_allreduce_bench.h"
#endif

namespace perf {
namespace {

// Every rank says the same: the first rank's reason when any rank has one (rank 0 prints it).
bool agree_skip(bool skip, const std::string &why, const Context &c, Reporter &report) {
  int any = skip ? 1 : 0;
  mpi_ok(MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  if (any && c.rank == 0) report.note("skipped: " + (why.empty() ? "another rank cannot" : why));
  return any != 0;
}

#ifdef MPCOMM_HAVE_CUDA
// A CUDA allocation for the scope.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) {
    if (cudaMalloc(&p_, std::max<size_t>(bytes, 16)) != cudaSuccess)
      throw std::runtime_error("cudaMalloc of " + std::to_string(bytes) + " bytes failed");
  }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  void *get() const { return p_; }

 private:
  void *p_ = nullptr;
};

void cuda_ok(cudaError_t err, const char *call) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(call) + ": " + cudaGetErrorString(err));
}

// "" when this process has a CUDA device, else why not.
std::string no_device_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device: ") + cudaGetErrorString(err);
  }
  return count > 0 ? "" : "no CUDA device";
}

// The device of this process: its rank on the node modulo the devices it sees.
int local_device() {
  MPI_Comm node = MPI_COMM_NULL;
  int local = 0, count = 1;
  mpi_ok(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
         "MPI_Comm_split_type");
  MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  cuda_ok(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  return local % count;
}
#endif

}  // namespace

int run_device_all_reduce(const Context &c, Reporter &report) {
  const Options &o = *c.options;
  namespace dev = mpcomm::device;
#ifndef MPCOMM_HAVE_CUDA
  (void)o;
  // The library says why: built without CUDA and NCCL.
  std::string why;
  try {
    dev::init_context(mpcomm::api::group_ref(c.group));
  } catch (const mpcomm::Error &e) {
    why = std::string(mpcomm_status_string(e.status())) + ": " + e.what();
  }
  agree_skip(true, why.empty() ? "no device data plane" : why, c, report);
  return 0;
#else
  if (agree_skip(!no_device_reason().empty(), "NOT_SUPPORTED: " + no_device_reason(), c, report))
    return 0;
  if (o.baseline_mpi && c.rank == 0)
    report.note("--baseline mpi: no MPI baseline on device buffers; not measured");
  dev::AllReduceAlgo algo = dev::AllReduceAlgo::Auto;
  dev::parse_all_reduce_algo(o.algo, &algo);
  const int device = local_device();
  ok(mpcomm_group_set_device(c.group, device), "mpcomm_group_set_device");
  cuda_ok(cudaSetDevice(device), "cudaSetDevice");
  mpcomm_group_s &g = mpcomm::api::group_ref(c.group);
  try {
    dev::init_context(g);
  } catch (const mpcomm::Error &e) {
    if (e.status() != MPCOMM_ERR_NOT_SUPPORTED) throw;
    agree_skip(true, std::string("NOT_SUPPORTED: ") + e.what(), c, report);
    return 0;
  }
  const size_t es = mpcomm::element_size(o.dtype);
  const std::vector<size_t> sizes = sizes_of(o, true);
  const size_t max_count = std::max<size_t>(1, sizes.back() / es);
  DeviceBuffer send(max_count * es), recv(max_count * es);
  TypedBuffer host;
  size_t total_wrong = 0;
  unsigned round = 0;
  for (size_t requested : sizes) {
    const size_t count = std::max<size_t>(1, requested / es);
    Row row;
    row.bytes = count * es;
    host.resize(count, o.dtype);
    fill_values(host.data(), count, 0, o.dtype, c.rank, 0, o.redop, c.size);
    cuda_ok(cudaMemcpy(send.get(), host.data(), row.bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
    dev::DevicePath path = dev::DevicePath::Nccl;
    double t = 0;
    try {
      t = dev::time_all_reduce(g, send.get(), recv.get(), count, o.dtype, o.redop, algo, o.warmup,
                               o.iters, nullptr, &path);
    } catch (const mpcomm::Error &e) {
      // A forced path that does not apply at this size: every rank reaches the same verdict.
      if (e.status() != MPCOMM_ERR_NOT_SUPPORTED) throw;
      if (c.rank == 0)
        report.note(std::to_string(row.bytes) + " bytes: NOT_SUPPORTED: " + e.what());
      continue;
    }
    mpi_ok(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
           "MPI_Allreduce");
    row.us = t * 1e6;
    row.path = dev::device_path_name(path);
    if (o.check) {
      ++round;
      fill_values(host.data(), count, 0, o.dtype, c.rank, round, o.redop, c.size);
      cuda_ok(cudaMemcpy(send.get(), host.data(), row.bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
      dev::all_reduce(g, send.get(), recv.get(), count, o.dtype, o.redop, nullptr, algo);
      cuda_ok(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
      cuda_ok(cudaMemcpy(host.data(), recv.get(), row.bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
      unsigned long long wrong = 0;
      for (size_t i = 0; i < count; ++i)
        if (!same_value(element_value(host.data(), i, o.dtype),
                        reduced_value(i, c.size, round, o.redop, o.dtype), o.dtype))
          ++wrong;
      mpi_ok(
          MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
      row.wrong = static_cast<size_t>(wrong);
      total_wrong += row.wrong;
    }
    row.algbw_gbps = t > 0 ? static_cast<double>(row.bytes) / t / 1e9 : 0;
    row.busbw_gbps = row.algbw_gbps * (c.size > 1 ? 2.0 * (c.size - 1) / c.size : 0.0);
    if (c.rank == 0) report.row(row);
  }
  return total_wrong == 0 ? 0 : 1;
#endif
}

int run_custom_allreduce_sim(const Context &c, Reporter &report) {
  const Options &o = *c.options;
#ifndef MPCOMM_HAVE_CUDA
  (void)o;
  agree_skip(true, "no CUDA device: mpcomm was built without CUDA (configure --with-cuda)", c,
             report);
  return 0;
#else
  namespace k = mpcomm::kernels;
  k::DType dtype = k::DType::Float32;
  if (o.dtype == MPCOMM_FLOAT16) dtype = k::DType::Float16;
  if (o.dtype == MPCOMM_BFLOAT16) dtype = k::DType::BFloat16;
  if (o.dtype != MPCOMM_FLOAT32 && o.dtype != MPCOMM_FLOAT16 && o.dtype != MPCOMM_BFLOAT16) {
    if (c.rank == 0)
      report.note(std::string("skipped: the custom allreduce takes float32, float16 and bfloat16, "
                              "not ") +
                  mpcomm::datatype_name(o.dtype));
    return 0;
  }
  // One GPU holds every simulated rank: rank 0 measures, the others wait.
  std::string why = c.rank == 0 ? no_device_reason() : "";
  if (agree_skip(!why.empty(), why, c, report)) return 0;
  int failures = 0;
  if (c.rank == 0) {
    k::DeviceBandwidth bw;
    std::string error;
    if (!k::measure_device_bandwidth(&bw, &error))
      throw std::runtime_error("measuring the memory bandwidth failed: " + error);
    const double reference = bw.peak_gbytes_per_s > 0 ? bw.peak_gbytes_per_s : bw.copy_gbytes_per_s;
    if (!o.json) {
      std::printf(
          "#  device: %s; memory bandwidth: peak %.0f GB/s (2 x memory clock x bus width), "
          "device-to-device copy %.0f GB/s\n",
          bw.device_name.c_str(), bw.peak_gbytes_per_s, bw.copy_gbytes_per_s);
      std::printf(
          "#  every rank simulated on this GPU; moved bytes per call = ranks x (ranks + 1) "
          "x size; %%BW = graph GB/s / %s bandwidth\n#\n",
          bw.peak_gbytes_per_s > 0 ? "peak" : "copy");
      std::printf("#%11s  %12s  %8s  %5s  %7s  %6s  %9s  %9s  %9s  %9s  %5s\n", "size", "count",
                  "type", "ranks", "algo", "blocks", "eager", "graph", "eager", "graph", "%BW");
      std::printf("#%11s  %12s  %8s  %5s  %7s  %6s  %9s  %9s  %9s  %9s  %5s\n", "(B)", "(elements)",
                  "", "", "", "", "(us)", "(us)", "(GB/s)", "(GB/s)", "");
    }
    for (size_t requested : sizes_of(o, true)) {
      const size_t bytes = std::max<size_t>(16, requested / 16 * 16);
      for (int ranks : {2, 4, 6, 8})
        for (k::Algorithm algo : {k::Algorithm::OneShot, k::Algorithm::TwoShot}) {
          k::SimTiming eager, graph;
          if (!k::time_simulated_allreduce(dtype, algo, ranks, bytes, o.iters, o.warmup, false,
                                           &eager, &error) ||
              !k::time_simulated_allreduce(dtype, algo, ranks, bytes, o.iters, o.warmup, true,
                                           &graph, &error)) {
            report.note(std::to_string(bytes) + " bytes, " + std::to_string(ranks) + " ranks, " +
                        k::algorithm_name(algo) + ": " + error);
            ++failures;
            continue;
          }
          const double percent = reference > 0 ? 100.0 * graph.gbytes_per_s / reference : 0;
          if (o.json)
            std::printf(
                "{\"op\":\"custom_allreduce_sim\",\"bytes\":%zu,\"type\":\"%s\","
                "\"ranks\":%d,\"algo\":\"%s\",\"eager_us\":%.3f,\"graph_us\":%.3f,"
                "\"eager_GBps\":%.3f,\"graph_GBps\":%.3f,\"bandwidth_percent\":%.2f}\n",
                bytes, k::dtype_name(dtype), ranks, k::algorithm_name(algo), eager.us_per_call,
                graph.us_per_call, eager.gbytes_per_s, graph.gbytes_per_s, percent);
          else
            std::printf(" %11zu  %12zu  %8s  %5d  %7s  %6d  %9.2f  %9.2f  %9.1f  %9.1f  %5.1f\n",
                        bytes, bytes / k::dtype_size(dtype), k::dtype_name(dtype), ranks,
                        k::algorithm_name(algo), graph.blocks_per_rank, eager.us_per_call,
                        graph.us_per_call, eager.gbytes_per_s, graph.gbytes_per_s, percent);
          std::fflush(stdout);
        }
    }
  }
  mpi_ok(MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return failures == 0 ? 0 : 1;
#endif
}

}  // namespace perf
