#include "device/p2p_check.hpp"

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

#include "core/child_process.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "device/bounded_mpi.hpp"
#include "device/p2p_cache.hpp"

namespace mpcomm::device {

namespace {

// MPCOMM_SKIP_P2P_CHECK: cudaDeviceCanAccessPeer in this process, which makes no context.
P2pVerdict trust_the_driver(const std::vector<std::string> &gpus) {
  log::info(log::Subsys::Device,
            "skipping the P2P check and trusting the driver's P2P report (MPCOMM_SKIP_P2P_CHECK)");
  std::vector<int> devices;
  for (const auto &bus : gpus) {
    int device = -1;
    const cudaError_t err = cudaDeviceGetByPCIBusId(&device, bus.c_str());
    if (err != cudaSuccess) {
      cudaGetLastError();
      return {false, concat("the GPU ", bus, " is not visible to group rank 0 (",
                            cudaGetErrorString(err), "), so P2P cannot be asked of CUDA")};
    }
    devices.push_back(device);
  }
  for (size_t a = 0; a < gpus.size(); ++a)
    for (size_t b = 0; b < gpus.size(); ++b) {
      if (a == b || devices[a] == devices[b]) continue;
      int can = 0;
      const cudaError_t err = cudaDeviceCanAccessPeer(&can, devices[a], devices[b]);
      if (err != cudaSuccess) cudaGetLastError();
      if (err != cudaSuccess || !can)
        return {false, concat("from the GPU ", gpus[a], " to the GPU ", gpus[b], ": ",
                              err != cudaSuccess ? concat("cudaDeviceCanAccessPeer failed: ",
                                                          cudaGetErrorString(err))
                                                 : std::string("CUDA reports no peer access"))};
    }
  return {true, ""};
}

// The node's cached answer, else a run of mpcomm-p2p-check (then cached when complete).
P2pVerdict probe_in_child(const std::vector<std::string> &gpus, double seconds) {
  const auto dir = p2p_cache_dir();
  const std::string name = p2p_cache_file_name(gpus);
  if (dir) {
    if (auto cached = read_p2p_cache(*dir + "/" + name)) {
      if (auto verdict = verdict_from_answers(gpus, *cached)) {
        log::info(log::Subsys::Device, "P2P answers from ", *dir, "/", name);
        return *verdict;
      }
    }
  }
  const std::string program = p2p_check_program();
  log::info(log::Subsys::Device, "checking P2P between ", gpus.size(), " GPUs with ", program);
  // The child sees every GPU of the node: the bus ids name them whatever this process sees.
  const ChildRun run = run_child(program, gpus, seconds, {"CUDA_VISIBLE_DEVICES"});
  std::vector<P2pAnswer> answers;
  P2pVerdict verdict = verdict_from_run(run, program, seconds, gpus, &answers);
  if (!answers.empty() && dir) {
    try {
      write_p2p_cache(*dir, name, answers);
    } catch (const Error &e) {
      log::info(log::Subsys::Device, "P2P answers not cached: ", e.what());
    }
  }
  return verdict;
}

}  // namespace

P2pVerdict check_group_p2p(Comm &g, const std::vector<std::string> &bus_ids) {
  // Read on every member, so that a malformed value fails every member alike.
  const bool skip = env::boolean("MPCOMM_SKIP_P2P_CHECK");
  const std::vector<std::string> gpus = distinct_gpus(bus_ids);
  if (gpus.size() < 2) return {true, ""};
  struct Wire {
    uint8_t ok;
    char problem[1024];
  } wire{};
  if (g.rank() == 0) {
    P2pVerdict verdict;
    try {
      // The child gets part of the timeout, so that the members waiting in the broadcast still
      // receive "not verified" when it is killed.
      verdict = skip ? trust_the_driver(gpus) : probe_in_child(gpus, 0.75 * g.timeout());
    } catch (const Error &e) {
      verdict = {false, e.what()};
    }
    wire.ok = verdict.ok ? 1 : 0;
    std::strncpy(wire.problem, verdict.problem.c_str(), sizeof wire.problem - 1);
  }
  bounded_broadcast(g, &wire, sizeof wire, 0, "broadcasting the P2P verdict");
  wire.problem[sizeof wire.problem - 1] = '\0';
  return {wire.ok != 0, wire.problem};
}

}  // namespace mpcomm::device
