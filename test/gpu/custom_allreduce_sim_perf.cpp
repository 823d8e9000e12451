// Timing table of the simulated N-rank custom allreduce on one GPU, in the style of nccl-tests:
// per size, rank count and algorithm, the time per call eager (back-to-back launches) and under
// CUDA-graph replay, and the bytes moved per second by the convention (each rank reads
// N x S and writes S) against the device's memory bandwidth. One GPU holds every simulated rank,
// so these figures measure the kernels and barriers, not NVLink. No MPI needed; it will become
// mpcomm-perf's custom_allreduce_sim mode.
//
//   custom_allreduce_sim_perf [--quick] [--dtype float32|float16|bfloat16]
//   custom_allreduce_sim_perf --targets   judge the targets; exit 0 met, 1 missed
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/custom_allreduce_bench.h"
#include "kernels/custom_allreduce_rules.h"

namespace {

using namespace mpcomm::kernels;

int iterations_for(std::size_t bytes) {
  if (bytes <= (256u << 10)) return 1000;
  if (bytes <= (2u << 20)) return 200;
  return 50;
}

struct Row {
  SimTiming eager, graph;
};

bool measure(DType dtype, Algorithm algo, int ranks, std::size_t bytes, Row *row) {
  std::string error;
  const int iters = iterations_for(bytes);
  if (!time_simulated_allreduce(dtype, algo, ranks, bytes, iters, 20, false, &row->eager, &error) ||
      !time_simulated_allreduce(dtype, algo, ranks, bytes, iters, 20, true, &row->graph, &error)) {
    std::printf("# %zu bytes, %d ranks, %s: %s\n", bytes, ranks, algorithm_name(algo),
                error.c_str());
    return false;
  }
  return true;
}

void print_header(const DeviceBandwidth &bw) {
  std::printf("# device: %s\n", bw.device_name.c_str());
  std::printf(
      "# memory bandwidth: peak %.0f GB/s (2 x memory clock x bus width), "
      "device-to-device copy %.0f GB/s (read + write)\n",
      bw.peak_gbytes_per_s, bw.copy_gbytes_per_s);
  std::printf(
      "# all ranks simulated on this one GPU; moved bytes per call = ranks x (ranks + 1) "
      "x size (each rank reads ranks x size and writes size)\n");
  std::printf("# %10s %10s %9s %5s %8s %6s %10s %10s %12s %6s\n", "size(B)", "count", "type",
              "ranks", "algo", "blocks", "eager(us)", "graph(us)", "GB/s(graph)", "%HBM");
}

double reference_bandwidth(const DeviceBandwidth &bw) {
  return bw.peak_gbytes_per_s > 0 ? bw.peak_gbytes_per_s : bw.copy_gbytes_per_s;
}

void print_row(DType dtype, Algorithm algo, int ranks, std::size_t bytes, const Row &row,
               const DeviceBandwidth &bw) {
  std::printf("  %10zu %10zu %9s %5d %8s %6d %10.2f %10.2f %12.1f %6.1f\n", bytes,
              bytes / dtype_size(dtype), dtype_name(dtype), ranks, algorithm_name(algo),
              row.graph.blocks_per_rank, row.eager.us_per_call, row.graph.us_per_call,
              row.graph.gbytes_per_s, 100.0 * row.graph.gbytes_per_s / reference_bandwidth(bw));
  std::fflush(stdout);
}

// The targets on one H100: two-shot, 8 ranks, 8 MiB at >= 70 % of the memory bandwidth;
// one-shot, 2 ranks, 4 KiB at <= 10 us eager and <= 5 us under graph replay.
int check_targets(const DeviceBandwidth &bw) {
  int passed = 0, failed = 0;
  auto verdict = [&](bool ok, const std::string &what) {
    std::printf("[ %s ] %s\n", ok ? "PASS" : "FAIL", what.c_str());
    (ok ? passed : failed)++;
  };
  Row big, small;
  char text[200];
  if (measure(DType::BFloat16, Algorithm::TwoShot, 8, 8u << 20, &big)) {
    print_row(DType::BFloat16, Algorithm::TwoShot, 8, 8u << 20, big, bw);
    const double percent = 100.0 * big.graph.gbytes_per_s / reference_bandwidth(bw);
    std::snprintf(text, sizeof(text),
                  "two-shot, 8 ranks, 8 MiB: %.1f %% of memory bandwidth (target >= 70 %%)",
                  percent);
    verdict(percent >= 70.0, text);
  } else {
    verdict(false, "two-shot, 8 ranks, 8 MiB: could not be timed");
  }
  if (measure(DType::BFloat16, Algorithm::OneShot, 2, 4096, &small)) {
    print_row(DType::BFloat16, Algorithm::OneShot, 2, 4096, small, bw);
    std::snprintf(text, sizeof(text), "one-shot, 2 ranks, 4 KiB eager: %.2f us (target <= 10 us)",
                  small.eager.us_per_call);
    verdict(small.eager.us_per_call <= 10.0, text);
    std::snprintf(text, sizeof(text), "one-shot, 2 ranks, 4 KiB graph: %.2f us (target <= 5 us)",
                  small.graph.us_per_call);
    verdict(small.graph.us_per_call <= 5.0, text);
  } else {
    verdict(false, "one-shot, 2 ranks, 4 KiB: could not be timed");
  }
  std::printf("# mpcomm-test: passed=%d failed=%d skipped=0\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char **argv) {
  bool quick = false, targets = false;
  DType dtype = DType::BFloat16;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--targets") == 0) {
      targets = true;
    } else if (std::strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
      const std::string name = argv[++i];
      if (name == "float32")
        dtype = DType::Float32;
      else if (name == "float16")
        dtype = DType::Float16;
      else if (name == "bfloat16")
        dtype = DType::BFloat16;
      else {
        std::fprintf(stderr, "unknown dtype '%s'\n", name.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--targets] [--dtype float32|float16|bfloat16]\n",
                   argv[0]);
      return 2;
    }
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("# no CUDA device: nothing to time\n");
    std::printf("# mpcomm-test: passed=0 failed=0 skipped=1\n");
    return 77;
  }
  DeviceBandwidth bw;
  std::string error;
  if (!measure_device_bandwidth(&bw, &error)) {
    std::printf("# measuring the memory bandwidth failed: %s\n", error.c_str());
    return 1;
  }
  print_header(bw);
  if (targets) return check_targets(bw);

  const std::vector<std::size_t> sizes =
      quick ? std::vector<std::size_t>{4096, 256u << 10, 8u << 20}
            : std::vector<std::size_t>{4096,       16u << 10, 64u << 10, 256u << 10,
                                       512u << 10, 1u << 20,  4u << 20,  8u << 20};
  int failures = 0;
  for (int ranks : {2, 4, 6, 8})
    for (std::size_t bytes : sizes)
      for (Algorithm algo : {Algorithm::OneShot, Algorithm::TwoShot}) {
        Row row;
        if (measure(dtype, algo, ranks, bytes, &row))
          print_row(dtype, algo, ranks, bytes, row, bw);
        else
          ++failures;
      }
  return failures ? 1 : 0;
}
