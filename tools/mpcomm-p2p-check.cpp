// mpcomm-p2p-check: whether GPUs can really write into each other's memory, for the custom
// allreduce (vLLM's gpu_p2p_access_check). The library runs it in a child process because the
// check makes a CUDA context on every GPU it touches, and a context lives as long as its process.
// For every ordered pair of distinct PCI bus ids on the command line it prints
// "<from> <to> <0|1> [reason]" (lib/device/p2p_report.hpp). No MPI.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "device/p2p_report.hpp"
#include "kernels/device_probe.h"

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

const char kUsage[] =
    "Usage: mpcomm-p2p-check BUS_ID...\n"
    "For every ordered pair of distinct GPUs, given by PCI bus id (0000:3b:00.0), prints\n"
    "\"<from> <to> <0|1> [reason]\": 1 when a kernel on <from> can write into <to>'s memory\n"
    "and the values read back. Exit status 0 when it answered, 1 when CUDA is not usable, 2 on\n"
    "a usage error.\n";

mpcomm::device::P2pAnswer check(const std::string &from, int from_device, const std::string &to,
                                int to_device) {
  mpcomm::device::P2pAnswer answer{from, to, false, ""};
  int can = 0;
  const cudaError_t err = cudaDeviceCanAccessPeer(&can, from_device, to_device);
  if (err != cudaSuccess) {
    cudaGetLastError();
    answer.reason = std::string("cudaDeviceCanAccessPeer failed: ") + cudaGetErrorString(err);
    return answer;
  }
  if (!can) {
    answer.reason = "CUDA reports no peer access";
    return answer;
  }
  constexpr unsigned kSeed = 0x9e3779b9u;
  constexpr size_t kWords = 1 << 16;
  std::string error;
  if (!mpcomm::kernels::probe_peer_write(from_device, to_device, kSeed, kWords, &error)) {
    answer.reason = "writing into the peer and reading back failed: " + error;
    return answer;
  }
  answer.ok = true;
  return answer;
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string> ids;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (argv[i][0] == '-' || argv[i][0] == '\0') {
      std::fprintf(stderr, "mpcomm-p2p-check: unknown option '%s'\n%s", argv[i], kUsage);
      return kExitUsage;
    }
    ids.push_back(argv[i]);
  }
  if (ids.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  ids = mpcomm::device::distinct_gpus(ids);
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::fprintf(stderr, "mpcomm-p2p-check: no usable CUDA device: %s\n",
                 err == cudaSuccess ? "no device" : cudaGetErrorString(err));
    return kExitFailed;
  }
  std::vector<int> devices(ids.size(), -1);
  std::vector<std::string> missing(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const cudaError_t found = cudaDeviceGetByPCIBusId(&devices[i], ids[i].c_str());
    if (found != cudaSuccess) {
      cudaGetLastError();
      devices[i] = -1;
      missing[i] = "no CUDA device has bus id " + ids[i] + ": " + cudaGetErrorString(found);
    }
  }
  for (size_t a = 0; a < ids.size(); ++a)
    for (size_t b = 0; b < ids.size(); ++b) {
      if (a == b) continue;
      mpcomm::device::P2pAnswer answer{ids[a], ids[b], false, ""};
      if (devices[a] < 0 || devices[b] < 0)
        answer.reason = devices[a] < 0 ? missing[a] : missing[b];
      else if (devices[a] == devices[b])
        answer = {ids[a], ids[b], true, "the same GPU"};
      else
        answer = check(ids[a], devices[a], ids[b], devices[b]);
      std::printf("%s\n", mpcomm::device::format_p2p_answer(answer).c_str());
      std::fflush(stdout);
    }
  return 0;
}
