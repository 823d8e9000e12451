// The GPU a process uses by default: its node-local rank modulo the GPUs it sees, as vLLM's
// cuda:local_rank. One rule for the device plane and for mpcomm-info's report.
#pragma once

namespace mpcomm::device {

// -1 without GPUs or without a known local rank.
inline int gpu_for_local_rank(int local_rank, int gpu_count) {
  if (gpu_count <= 0 || local_rank < 0) return -1;
  return local_rank % gpu_count;
}

}  // namespace mpcomm::device
