// Host interface of the custom allreduce kernels (sum, out of place). Raw device pointers in,
// a cudaError_t out; no MPI, no IPC, no exceptions. The same kernels serve two launchers:
//  - launch_allreduce: the real path, one launch per rank on that rank's GPU, the peers' buffers
//    mapped through CUDA IPC by the host side;
//  - launch_simulated_allreduce: every rank of a world in ONE cooperative launch on one GPU
//    (blockIdx.y is the rank), so a machine with a single GPU tests the kernels, barriers and
//    counters.
// Each returns cudaErrorInvalidValue, with the reason in *why when why is not NULL, for the
// arguments check_allreduce_args() rejects (a byte size that is not a multiple of 16 among them:
// the host side sends those sizes elsewhere), before any CUDA call.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "custom_allreduce_rules.h"

namespace mpcomm::kernels {

// Sums `count` elements of every rank's input into `out` (this rank's, count elements) on
// `stream`. Every rank of the world must make the same call (dtype, algo, count) in the same
// order on one stream per rank, without programmatic dependent launch; the kernels rely on that
// order and on each rank's grid being resident (one small grid per GPU always is).
cudaError_t launch_allreduce(DType dtype, Algorithm algo, int world_size, int rank,
                             const PeerBuffers &peers, void *out, std::size_t count,
                             cudaStream_t stream, std::string *why = nullptr);

// All ranks of the simulated world: every pointer is an allocation on the current device.
struct SimulatedWorld {
  PeerBuffers peers;
  void *outputs[kMaxRanks] = {};
};

// Runs the allreduce of every rank of `world` in one launch on the current device.
//
// Co-residency: the block of rank r spins until the same block of every other rank arrives,
// so all world_size * blocks blocks must be resident at once; separate launches on separate
// streams are not guaranteed to run together and could deadlock. The launch is therefore
// cooperative (the runtime refuses a grid that cannot be resident rather than hanging), and the
// blocks per rank are capped at (blocks of this kernel one SM holds, from
// cudaOccupancyMaxActiveBlocksPerMultiprocessor) x (SM count) / world_size, see
// simulated_blocks_per_rank(). Can be captured into a CUDA graph.
cudaError_t launch_simulated_allreduce(DType dtype, Algorithm algo, int world_size,
                                       const SimulatedWorld &world, std::size_t count,
                                       cudaStream_t stream, std::string *why = nullptr);

// How many blocks of the (dtype, algo, world_size) kernel the current device holds resident
// at once: occupancy per SM times the SM count (cached per device and kernel).
cudaError_t resident_blocks(DType dtype, Algorithm algo, int world_size, long *blocks);

// The grid a simulated call of `count` elements would use: blocks per rank (0 if unsupported).
cudaError_t simulated_grid(DType dtype, Algorithm algo, int world_size, std::size_t count,
                           int *blocks_per_rank_out);

}  // namespace mpcomm::kernels
