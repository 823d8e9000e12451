// Device code of the custom allreduce (sum): one-shot and two-shot kernels for float32, float16
// and bfloat16 over 2, 4, 6 or 8 ranks that address each other's buffers directly (CUDA IPC
// over NVLink, or plain allocations in the one-GPU simulation).
//
// Synchronisation. Block b of every rank meets block b of every other rank at a flag barrier
// (block_barrier): thread p < N stores the call number into its slot in rank p's Signal and spins
// until rank p has stored the same number into ours. Call numbers are per block and only grow
// (Signal::calls), so nothing is ever reset and CUDA-graph replays need no host step.
//
// Memory ordering. Every flag store is st.release.sys and every flag load ld.acquire.sys, at
// each barrier, including the first one of a call:
//  - start: the peers' inputs were written by earlier work on their streams (a copy, a kernel);
//    the peer's release (after stream order) and our acquire make those writes visible to our
//    loads. A relaxed start barrier is the torn-read bug of ROCm/vLLM #57059.
//  - end (one-shot): our release orders our reads of the peers' inputs before the flag, so once
//    every peer's flag is seen, no one still reads our input and the next stream operation may
//    overwrite it.
//  - middle (two-shot): our release publishes the reduced slice in our scratch; the peers'
//    acquire makes it visible to their all-gather loads.
// System scope, because the other party is another GPU: device-scope flags do not order NVLink
// traffic (the ROCm/aiter bug of gpu-allreduce.md §1). The __syncthreads() before each release
// store and after each acquire spin extends the ordering from the flag thread to the whole block
// (bar.sync is part of causality order in the PTX memory model). In addition the two-shot
// all-gather reads each scratch element with the same thread index (block and thread) that
// wrote it in the reduce-scatter, as vLLM does, so visibility does not even depend on that
// cumulativity.
//
// Stream order. Consecutive calls on one rank must be ordered on its stream (no programmatic
// dependent launch): a peer's block b being in call k+1 then proves that the peer's whole call k
// finished, which is what lets two-shot skip a final barrier (our scratch is rewritten only after
// the next call's start barrier).
//
// Determinism. Every sum runs in float32 over ranks 0, 1, ..., N-1 in that order and is rounded
// once to T, so every rank gets bitwise the same result, and one-shot and two-shot agree.
#pragma once

// MPCOMM_CUSTOM_ALLREDUCE_HOST_MODEL: test/unit/test_custom_allreduce_model.cpp compiles these
// kernels as plain C++ (one std::thread per CUDA thread) and supplies the CUDA built-ins and the
// two flag functions itself, so the barrier protocol is checked on machines without a GPU.
#ifndef MPCOMM_CUSTOM_ALLREDUCE_HOST_MODEL
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#endif

#include <cstddef>
#include <cstdint>

#include "custom_allreduce_rules.h"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#error "the custom allreduce needs sm_80 or newer (bfloat16, release/acquire at system scope)"
#endif

// nvcc unrolls these loops over ranks and pack elements; a host compiler (the CPU model) has
// no such pragma.
#ifdef __CUDACC__
#define MPCOMM_UNROLL _Pragma("unroll")
#else
#define MPCOMM_UNROLL
#endif

namespace mpcomm::kernels::device {

// The kernel parameters, passed by value (__grid_constant__: read in place, never copied).
struct KernelArgs {
  const void *inputs[kMaxRanks];
  void *outputs[kMaxRanks];  // real path: only outputs[first_rank]; simulation: every rank's
  Signal *signals[kMaxRanks];
  void *scratch[kMaxRanks];
  std::size_t packs;
  int first_rank;  // the rank of blockIdx.y == 0: the caller's rank, or 0 in the simulation
};

// ---------------------------------------------------------------------------------------------
// Flags

#ifndef MPCOMM_CUSTOM_ALLREDUCE_HOST_MODEL
__device__ __forceinline__ void store_release_sys(std::uint32_t *addr, std::uint32_t value) {
  asm volatile("st.release.sys.global.u32 [%0], %1;" ::"l"(addr), "r"(value) : "memory");
}

__device__ __forceinline__ std::uint32_t load_acquire_sys(const std::uint32_t *addr) {
  std::uint32_t value;
  asm volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(value) : "l"(addr) : "memory");
  return value;
}
#endif

enum class Phase { Start, End };

// Block blockIdx.x of `rank` and of every other rank all reach this point of call `flag`.
template <int N>
__device__ __forceinline__ void block_barrier(const KernelArgs &args, int rank, std::uint32_t flag,
                                              Phase phase) {
  __syncthreads();  // the whole block's work so far precedes the release below
  if (threadIdx.x < N) {
    const int peer = threadIdx.x;
    Signal *theirs = args.signals[peer];
    Signal *mine = args.signals[rank];
    const int b = blockIdx.x;
    std::uint32_t *announce =
        phase == Phase::Start ? &theirs->start[b][rank] : &theirs->end[b][rank];
    const std::uint32_t *await =
        phase == Phase::Start ? &mine->start[b][peer] : &mine->end[b][peer];
    store_release_sys(announce, flag);
    // Equality is enough: the peer cannot write flag + 1 here before we saw flag, since that
    // needs this block to have passed the next barrier of the call. It also survives wrapping.
    while (load_acquire_sys(await) != flag) {
    }
  }
  __syncthreads();  // the acquire above now covers every thread of the block
}

// ---------------------------------------------------------------------------------------------
// 16-byte packs, summed in float32

template <typename T>
struct Pack;

template <>
struct Pack<float> {
  static constexpr int kElems = 4;
  __device__ static void unpack(const uint4 &p, float (&v)[kElems]) {
    v[0] = __uint_as_float(p.x);
    v[1] = __uint_as_float(p.y);
    v[2] = __uint_as_float(p.z);
    v[3] = __uint_as_float(p.w);
  }
  __device__ static uint4 pack(const float (&v)[kElems]) {
    return make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]), __float_as_uint(v[2]),
                      __float_as_uint(v[3]));
  }
};

// float16 and bfloat16: two values per 32-bit word, the lower-addressed one in the low half.
struct HalfBits {
  __device__ static float to_float(std::uint16_t bits) {
    return __half2float(__ushort_as_half(bits));
  }
  __device__ static std::uint16_t from_float(float v) {
    return __half_as_ushort(__float2half_rn(v));
  }
};
struct BFloat16Bits {
  __device__ static float to_float(std::uint16_t bits) {
    return __bfloat162float(__ushort_as_bfloat16(bits));
  }
  __device__ static std::uint16_t from_float(float v) {
    return __bfloat16_as_ushort(__float2bfloat16_rn(v));
  }
};

template <class Bits>
struct HalfPack {
  static constexpr int kElems = 8;
  __device__ static void unpack(const uint4 &p, float (&v)[kElems]) {
    const std::uint32_t w[4] = {p.x, p.y, p.z, p.w};
    MPCOMM_UNROLL
    for (int i = 0; i < 4; ++i) {
      v[2 * i] = Bits::to_float(static_cast<std::uint16_t>(w[i] & 0xffffu));
      v[2 * i + 1] = Bits::to_float(static_cast<std::uint16_t>(w[i] >> 16));
    }
  }
  __device__ static uint4 pack(const float (&v)[kElems]) {
    std::uint32_t w[4];
    MPCOMM_UNROLL
    for (int i = 0; i < 4; ++i)
      w[i] = static_cast<std::uint32_t>(Bits::from_float(v[2 * i])) |
             (static_cast<std::uint32_t>(Bits::from_float(v[2 * i + 1])) << 16);
    return make_uint4(w[0], w[1], w[2], w[3]);
  }
};

template <>
struct Pack<__half> : HalfPack<HalfBits> {};
template <>
struct Pack<__nv_bfloat16> : HalfPack<BFloat16Bits> {};

// The sum of N packs in rank order, accumulated in float32 and rounded once.
template <typename T, int N>
__device__ __forceinline__ uint4 sum_packs(const uint4 (&p)[N]) {
  constexpr int E = Pack<T>::kElems;
  float acc[E], v[E];
  Pack<T>::unpack(p[0], acc);
  MPCOMM_UNROLL
  for (int r = 1; r < N; ++r) {
    Pack<T>::unpack(p[r], v);
    MPCOMM_UNROLL
    for (int e = 0; e < E; ++e) acc[e] += v[e];
  }
  return Pack<T>::pack(acc);
}

// ---------------------------------------------------------------------------------------------
// Kernels. Grid: (blocks per rank, ranks in this launch); block: kThreadsPerBlock threads.
// The grid-stride loops below depend only on gridDim.x, blockDim.x and the pack count, which
// every rank shares, so thread (b, t) covers the same packs on every rank.

// One-shot: every rank reads all N inputs and writes the whole sum.
template <typename T, int N>
__global__ void __launch_bounds__(kThreadsPerBlock)
    one_shot_allreduce(const __grid_constant__ KernelArgs args) {
  const int rank = args.first_rank + static_cast<int>(blockIdx.y);
  Signal *self = args.signals[rank];
  const std::uint32_t flag = self->calls[blockIdx.x] + 1;
  block_barrier<N>(args, rank, flag, Phase::Start);

  const uint4 *in[N];
  MPCOMM_UNROLL
  for (int r = 0; r < N; ++r) in[r] = static_cast<const uint4 *>(args.inputs[r]);
  uint4 *out = static_cast<uint4 *>(args.outputs[rank]);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < args.packs; i += stride) {
    uint4 p[N];
    MPCOMM_UNROLL
    for (int r = 0; r < N; ++r) p[r] = in[r][i];  // all N loads in flight before the adds
    out[i] = sum_packs<T, N>(p);
  }

  // No rank may overwrite its input (after we return) while a peer still reads it.
  block_barrier<N>(args, rank, flag, Phase::End);
  if (threadIdx.x == 0) self->calls[blockIdx.x] = flag;
}

// Rank r's slice for two-shot: packs [r * part, r * part + length), the last rank also takes
// the remainder.
struct Slice {
  std::size_t first, length;
};
template <int N>
__device__ __forceinline__ Slice slice_of(int r, std::size_t packs) {
  const std::size_t part = packs / N;
  const std::size_t first = static_cast<std::size_t>(r) * part;
  return {first, r == N - 1 ? packs - first : part};
}

// Two-shot: reduce-scatter (rank r sums its slice from all inputs into its scratch and its
// output), barrier, all-gather (rank r copies every other slice from its owner's scratch).
template <typename T, int N>
__global__ void __launch_bounds__(kThreadsPerBlock)
    two_shot_allreduce(const __grid_constant__ KernelArgs args) {
  const int rank = args.first_rank + static_cast<int>(blockIdx.y);
  Signal *self = args.signals[rank];
  const std::uint32_t flag = self->calls[blockIdx.x] + 1;
  block_barrier<N>(args, rank, flag, Phase::Start);

  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t tid = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  uint4 *out = static_cast<uint4 *>(args.outputs[rank]);

  const uint4 *in[N];
  MPCOMM_UNROLL
  for (int r = 0; r < N; ++r) in[r] = static_cast<const uint4 *>(args.inputs[r]);
  const Slice own = slice_of<N>(rank, args.packs);
  uint4 *own_scratch = static_cast<uint4 *>(args.scratch[rank]);
  for (std::size_t i = tid; i < own.length; i += stride) {
    uint4 p[N];
    MPCOMM_UNROLL
    for (int r = 0; r < N; ++r) p[r] = in[r][own.first + i];
    const uint4 sum = sum_packs<T, N>(p);
    own_scratch[i] = sum;
    out[own.first + i] = sum;
  }

  // Our slice is in our scratch; every peer has finished reading our input.
  block_barrier<N>(args, rank, flag, Phase::End);

  // Start with the next rank rather than rank 0, so the peers' links share the load.
  MPCOMM_UNROLL
  for (int step = 1; step < N; ++step) {
    const int owner = (rank + step) % N;
    const Slice s = slice_of<N>(owner, args.packs);
    const uint4 *theirs = static_cast<const uint4 *>(args.scratch[owner]);
    // The same i sequence (tid, stride, s.length) as the owner's reduce-scatter loop.
    for (std::size_t i = tid; i < s.length; i += stride) out[s.first + i] = theirs[i];
  }
  // No final barrier: our scratch is next written after the next call's start barrier, by
  // which time every peer has finished this call (stream order, see above).
  if (threadIdx.x == 0) self->calls[blockIdx.x] = flag;
}

}  // namespace mpcomm::kernels::device
