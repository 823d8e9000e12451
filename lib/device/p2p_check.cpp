#include "device/p2p_check.hpp"

#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <utility>

#include "core/error.hpp"
#include "kernels/device_probe.h"

namespace mpcomm::device {

namespace {

std::pair<bool, std::string> check_pair(int device, int peer) {
  int can = 0;
  cudaError_t err = cudaDeviceCanAccessPeer(&can, device, peer);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return {false, concat("cudaDeviceCanAccessPeer(", device, ", ", peer,
                          ") failed: ", cudaGetErrorString(err))};
  }
  if (!can)
    return {false, concat("CUDA reports no peer access from device ", device, " to ", peer)};
  std::string error;
  constexpr unsigned kSeed = 0x9e3779b9u;
  constexpr size_t kWords = 1 << 16;
  if (!kernels::probe_peer_write(device, peer, kSeed, kWords, &error))
    return {false, concat("writing from device ", device, " into device ", peer,
                          " and reading back failed: ", error)};
  return {true, ""};
}

}  // namespace

bool p2p_works(int device, int peer_device, std::string *why) {
  if (device == peer_device) return true;
  static std::mutex mutex;
  static std::map<std::pair<int, int>, std::pair<bool, std::string>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(device, peer_device);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, check_pair(device, peer_device)).first;
  if (!it->second.first && why) *why = it->second.second;
  return it->second.first;
}

}  // namespace mpcomm::device
