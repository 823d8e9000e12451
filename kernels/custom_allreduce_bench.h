// Timing of the simulated N-rank allreduce on one GPU (CUDA events), eager and graph-replayed,
// and the device memory bandwidth it is compared with. The figure reported follows the issue's
// convention: each rank reads N x S and writes S, so a call moves N x (N + 1) x S bytes through
// device memory (two-shot really moves less, about 4 x S per rank; the convention is kept so
// that both algorithms are measured with one yardstick).
#pragma once

#include <cstddef>
#include <string>

#include "custom_allreduce_rules.h"

namespace mpcomm::kernels {

struct SimTiming {
  double us_per_call = 0;           // mean over the timed calls
  double moved_bytes_per_call = 0;  // world x (world + 1) x bytes
  double gbytes_per_s = 0;          // moved_bytes_per_call / time, 1e9 bytes per second
  int blocks_per_rank = 0;
};

// Times `iters` back-to-back calls of `bytes` (a multiple of 16) over `world_size` simulated
// ranks on the current device, after `warmup` untimed calls. Eager: the calls are launched one
// by one between two events. Graph: the `iters` calls are captured into one CUDA graph, replayed
// once untimed, then replayed once between two events. False with *error set on failure.
bool time_simulated_allreduce(DType dtype, Algorithm algo, int world_size, std::size_t bytes,
                              int iters, int warmup, bool graph, SimTiming *timing,
                              std::string *error);

struct DeviceBandwidth {
  std::string device_name;
  double peak_gbytes_per_s = 0;  // 2 x memory clock x bus width (0 when not reported)
  double copy_gbytes_per_s = 0;  // measured: device-to-device copy, read + write bytes
};

// The current device's memory bandwidth, from its attributes and from a timed copy.
bool measure_device_bandwidth(DeviceBandwidth *bandwidth, std::string *error);

}  // namespace mpcomm::kernels
