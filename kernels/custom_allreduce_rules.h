// The custom allreduce's rules that need no device: supported world sizes and data types, the
// layout of the signal area, the choice between one-shot and two-shot, how many blocks a call
// uses, and the argument checks every launch runs before it touches CUDA. Pure C++ (no CUDA
// header), so the rules are unit-tested on machines without CUDA.
//
// Vocabulary: a "pack" is 16 bytes (4 float32 or 8 float16/bfloat16 values), the unit every
// thread loads and stores. All ranks of a call must pass the same dtype, algorithm, world size
// and count, so they agree on the pack count, the block count and therefore on every counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mpcomm::kernels {

constexpr int kMaxRanks = 8;
constexpr int kMaxBlocksPerRank = 36;  // more blocks contend on NVLink (vLLM's grid search)
constexpr int kThreadsPerBlock = 512;
constexpr std::size_t kPackBytes = 16;

enum class DType { Float32, Float16, BFloat16 };
enum class Algorithm { OneShot, TwoShot };

// Bytes per element; 0 for a value outside the enum.
std::size_t dtype_size(DType dtype);
const char *dtype_name(DType dtype);         // "float32", "float16", "bfloat16" or "unknown"
const char *algorithm_name(Algorithm algo);  // "oneshot", "twoshot" or "unknown"

// Parses "oneshot" or "twoshot" (any case); false for anything else.
bool parse_algorithm(const std::string &text, Algorithm *algo);

// True for the world sizes the kernels are built for: 2, 4, 6 and 8.
bool supported_world_size(int world_size);

// One-shot for 2 ranks, for <= 4 ranks below 512 KiB and for <= 8 ranks below 256 KiB;
// two-shot otherwise. One-shot moves (n-1)*S into each GPU in one step, two-shot about
// 2*(n-1)/n*S in two; past these sizes the bandwidth saving outweighs the extra barrier.
Algorithm choose_algorithm(std::size_t bytes, int world_size);

// One rank's synchronisation area. It lives in that rank's device memory, every peer maps it,
// and it must be zeroed ONCE when allocated (cudaMemset) and never reset afterwards: the
// counters only grow (wrapping after 2^32 calls, which equality tests tolerate), so the same area
// serves any number of calls and of CUDA-graph replays without a host-side reset.
struct alignas(128) Signal {
  // start[b][p] == k: block b of rank p has entered its k-th call (that used block b).
  alignas(128) std::uint32_t start[kMaxBlocksPerRank][kMaxRanks];
  // end[b][p] == k: block b of rank p has finished reading the inputs of its k-th call (and,
  // in two-shot, written its reduced slice to its scratch). A second array, because a fast
  // peer may already announce call k's end while a slow block still waits on call k's start.
  alignas(128) std::uint32_t end[kMaxBlocksPerRank][kMaxRanks];
  // calls[b]: calls completed by this rank's block b; only this rank's block b touches it.
  alignas(128) std::uint32_t calls[kMaxBlocksPerRank];
};
constexpr std::size_t kSignalAlignment = alignof(Signal);

// Device pointers of every rank's buffers as the calling rank addresses them: its own
// allocations and the peers' allocations it has mapped (CUDA IPC), or, in the one-GPU
// simulation, plain allocations of the simulated ranks. Entries at index >= world_size are
// ignored.
struct PeerBuffers {
  const void *inputs[kMaxRanks] = {};  // count elements each, 16-byte aligned
  Signal *signals[kMaxRanks] = {};     // zeroed once at allocation, kSignalAlignment aligned
  void *scratch[kMaxRanks] = {};       // two-shot only: each holds two_shot_scratch_bytes()
  std::size_t scratch_bytes = 0;       // size of each scratch buffer (0 if one-shot only)
};

// Packs in a call of count elements; 0 when the byte size is not a whole number of packs.
std::size_t pack_count(DType dtype, std::size_t count);

// Scratch bytes each rank needs for a two-shot call of `bytes`: the largest slice, which is the
// last rank's (it takes the remainder when the pack count does not divide by the world size).
std::size_t two_shot_scratch_bytes(std::size_t bytes, int world_size);

// Blocks per rank on the real (one rank per GPU) path: one thread per pack up to
// kMaxBlocksPerRank blocks, never fewer than one. The same on every rank, as it must be.
int blocks_per_rank(std::size_t packs);

// Blocks per simulated rank when all world_size ranks run in ONE launch on one GPU: the real
// path's count, capped so that blocks * world_size <= resident_blocks (how many blocks of the
// kernel the device holds at once) because every block spins on blocks of the other ranks and
// a block that is not resident would never arrive. 0 when even one block per rank does not fit.
int simulated_blocks_per_rank(std::size_t packs, int world_size, long resident_blocks);

// Why an allreduce with these arguments cannot run, or "" when it can. Needs no device: checks
// the dtype and algorithm values, the world size (2, 4, 6, 8), the rank, that the byte size is a
// multiple of 16 (the host side sends other sizes elsewhere), that every rank's input and signal
// (and, for two-shot, scratch) pointer is set and aligned, that scratch is large enough, and
// that `out` is set, 16-byte aligned and overlaps no input: the kernels are out of place,
// because peers still read this rank's input while it writes its output. count == 0 is valid
// (the call does nothing).
std::string check_allreduce_args(DType dtype, Algorithm algo, int world_size, int rank,
                                 const PeerBuffers &peers, const void *out, std::size_t count);

}  // namespace mpcomm::kernels
