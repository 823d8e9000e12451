// The custom allreduce kernels run on the CPU: kernels/custom_allreduce.cuh compiled as plain
// C++ with one std::thread per CUDA thread, __syncthreads() a block barrier, and the flag
// store/load as C++ release/acquire atomics. This checks without a GPU what the indexing, the
// barrier protocol and the counters must get right: exact sums, the same bits on every rank, odd
// pack counts, counts that do not divide by the world size, grid-stride loops over several
// blocks, and calls whose sizes, dtypes and algorithms change while the counters keep growing.
// Two schedules:
//  - one launch holding every rank (the one-GPU simulation's schedule);
//  - one stream per rank, each running its own calls back to back with no join between ranks
//    (the real multi-GPU schedule), rewriting its input before each call: a missing end barrier
//    or an early scratch reuse shows up as a wrong sum, and as a data race under
//    ThreadSanitizer, which this model also passes:
//      g++ -std=c++17 -O1 -fsanitize=thread -pthread -I. -Iinclude (this file)
//          kernels/custom_allreduce_rules.cpp -lgtest -lgtest_main
// What a CPU cannot check is the GPU scope of the fences (.sys vs .gpu); that is by construction
// (see the .cuh) and by test/gpu/run-on-gpu.sh on real hardware.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// ---- the CUDA built-ins the kernels use, for the CPU ----------------------------------------
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(threads)
#define __grid_constant__

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
thread_local dim3 threadIdx, blockIdx, gridDim, blockDim;

// A reusable barrier for the threads of one block.
class BlockBarrier {
 public:
  explicit BlockBarrier(unsigned threads) : threads_(threads) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned generation = generation_;
    if (++arrived_ == threads_) {
      arrived_ = 0;
      ++generation_;
      all_arrived_.notify_all();
    } else {
      all_arrived_.wait(lock, [&] { return generation_ != generation; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  const unsigned threads_;
  unsigned arrived_ = 0, generation_ = 0;
};
thread_local BlockBarrier *this_block = nullptr;
void __syncthreads() { this_block->arrive_and_wait(); }

struct uint4 {
  unsigned x, y, z, w;
};
uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, 4);
  return u;
}

// float16 and bfloat16 as bit patterns, converted with round-to-nearest-even (normal range).
struct __half {
  std::uint16_t bits;
};
struct __nv_bfloat16 {
  std::uint16_t bits;
};
__half __ushort_as_half(std::uint16_t bits) { return {bits}; }
std::uint16_t __half_as_ushort(__half h) { return h.bits; }
float __half2float(__half h) {
  const unsigned sign = (h.bits >> 15) & 1u, exponent = (h.bits >> 10) & 0x1fu,
                 mantissa = h.bits & 0x3ffu;
  if (exponent == 0 && mantissa == 0) return sign ? -0.0f : 0.0f;
  if (exponent == 0)  // subnormal
    return (sign ? -1.0f : 1.0f) * static_cast<float>(mantissa) / 1024.0f / 16384.0f;
  return __uint_as_float((sign << 31) | ((exponent - 15u + 127u) << 23) | (mantissa << 13));
}
__half __float2half_rn(float v) {
  const unsigned f = __float_as_uint(v);
  const unsigned sign = (f >> 16) & 0x8000u;
  if ((f & 0x7fffffffu) == 0) return {static_cast<std::uint16_t>(sign)};
  const int exponent = static_cast<int>((f >> 23) & 0xffu) - 127 + 15;
  if (exponent <= 0 || exponent >= 31) return {static_cast<std::uint16_t>(sign | 0x7c00u)};
  unsigned h = sign | (static_cast<unsigned>(exponent) << 10) | ((f >> 13) & 0x3ffu);
  const unsigned rest = f & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return {static_cast<std::uint16_t>(h)};
}
__nv_bfloat16 __ushort_as_bfloat16(std::uint16_t bits) { return {bits}; }
std::uint16_t __bfloat16_as_ushort(__nv_bfloat16 h) { return h.bits; }
float __bfloat162float(__nv_bfloat16 h) { return __uint_as_float(unsigned(h.bits) << 16); }
__nv_bfloat16 __float2bfloat16_rn(float v) {
  const unsigned f = __float_as_uint(v);
  return {static_cast<std::uint16_t>((f + 0x7fffu + ((f >> 16) & 1u)) >> 16)};
}

// The flags: C++ release/acquire in place of st.release.sys / ld.acquire.sys.
namespace mpcomm::kernels::device {
inline void store_release_sys(std::uint32_t *addr, std::uint32_t value) {
  __atomic_store_n(addr, value, __ATOMIC_RELEASE);
}
inline std::uint32_t load_acquire_sys(const std::uint32_t *addr) {
  const std::uint32_t value = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
  std::this_thread::yield();  // a spinning CPU thread must let the others run
  return value;
}
}  // namespace mpcomm::kernels::device

#define MPCOMM_CUSTOM_ALLREDUCE_HOST_MODEL 1
#include "kernels/custom_allreduce.cuh"

// ---- the model ------------------------------------------------------------------------------
namespace {

using namespace mpcomm::kernels;
using device::KernelArgs;
using Kernel = void (*)(const KernelArgs);

// Fewer threads per block than on a GPU, so that the grid-stride loops wrap with small sizes
// and the model stays quick; the kernels index with blockDim and gridDim only.
constexpr unsigned kModelThreads = 32, kModelMaxBlocks = 3;
constexpr std::size_t kMaxPacks = 200;

template <class T, int N>
Kernel kernel_of(Algorithm algo) {
  return algo == Algorithm::OneShot ? &device::one_shot_allreduce<T, N>
                                    : &device::two_shot_allreduce<T, N>;
}
template <class T>
Kernel kernel_of(Algorithm algo, int world) {
  switch (world) {
    case 2: return kernel_of<T, 2>(algo);
    case 4: return kernel_of<T, 4>(algo);
    case 6: return kernel_of<T, 6>(algo);
    default: return kernel_of<T, 8>(algo);
  }
}
Kernel kernel_of(DType dtype, Algorithm algo, int world) {
  switch (dtype) {
    case DType::Float32: return kernel_of<float>(algo, world);
    case DType::Float16: return kernel_of<__half>(algo, world);
    default: return kernel_of<__nv_bfloat16>(algo, world);
  }
}

unsigned model_blocks(std::size_t packs) {
  const std::size_t wanted = (packs + kModelThreads - 1) / kModelThreads;
  return static_cast<unsigned>(wanted < 1                 ? 1
                               : wanted > kModelMaxBlocks ? kModelMaxBlocks
                                                          : wanted);
}

// Runs a grid of blocks x ranks blocks of kModelThreads threads; returns when all finished.
void run_grid(Kernel kernel, const KernelArgs &args, unsigned blocks, unsigned ranks) {
  std::vector<std::unique_ptr<BlockBarrier>> barriers;
  for (unsigned i = 0; i < blocks * ranks; ++i)
    barriers.push_back(std::make_unique<BlockBarrier>(kModelThreads));
  std::vector<std::thread> threads;
  for (unsigned y = 0; y < ranks; ++y)
    for (unsigned x = 0; x < blocks; ++x)
      for (unsigned t = 0; t < kModelThreads; ++t)
        threads.emplace_back([&, x, y, t] {
          threadIdx = {t, 0, 0};
          blockIdx = {x, y, 0};
          gridDim = {blocks, ranks, 1};
          blockDim = {kModelThreads, 1, 1};
          this_block = barriers[y * blocks + x].get();
          kernel(args);
        });
  for (auto &thread : threads) thread.join();
}

int input_value(int rank, std::size_t i, unsigned seed) {
  return static_cast<int>((i * 7u + static_cast<unsigned>(rank) * 13u + seed * 29u) % 17u) - 8;
}

void put(DType dtype, void *base, std::size_t i, float v) {
  auto *bytes = static_cast<unsigned char *>(base);
  if (dtype == DType::Float32) {
    std::memcpy(bytes + 4 * i, &v, 4);
    return;
  }
  const std::uint16_t h = dtype == DType::Float16 ? __half_as_ushort(__float2half_rn(v))
                                                  : __bfloat16_as_ushort(__float2bfloat16_rn(v));
  std::memcpy(bytes + 2 * i, &h, 2);
}

struct Call {
  DType dtype;
  Algorithm algo;
  std::size_t packs;
};

// A mixed sequence: all dtypes, both algorithms, odd and world-indivisible pack counts, block
// counts going up and down (so the per-block counters drift apart, as they do on a GPU).
std::vector<Call> call_sequence(int length) {
  const std::size_t packs[] = {1, 7, 33, 65, 97, 200, 3, 64};
  const DType dtypes[] = {DType::Float32, DType::Float16, DType::BFloat16};
  std::vector<Call> calls;
  for (int k = 0; k < length; ++k)
    calls.push_back({dtypes[k % 3], k % 2 ? Algorithm::TwoShot : Algorithm::OneShot, packs[k % 8]});
  return calls;
}

// Every rank's buffers, as host memory.
struct World {
  explicit World(int n) : size(n), signals(new Signal[n]()), inputs(n), outputs(n), scratch(n) {
    for (int r = 0; r < n; ++r) {
      inputs[r].resize(kMaxPacks);
      outputs[r].resize(kMaxPacks);
      scratch[r].resize(kMaxPacks);
    }
  }
  KernelArgs args(std::size_t packs, int first_rank) const {
    KernelArgs a{};
    for (int r = 0; r < size; ++r) {
      a.inputs[r] = inputs[r].data();
      a.signals[r] = &signals[r];
      a.scratch[r] = const_cast<uint4 *>(scratch[r].data());
      a.outputs[r] = const_cast<uint4 *>(outputs[r].data());
    }
    a.packs = packs;
    a.first_rank = first_rank;
    return a;
  }
  void write_input(int rank, const Call &c, unsigned seed) {
    const std::size_t count = c.packs * kPackBytes / dtype_size(c.dtype);
    for (std::size_t i = 0; i < count; ++i)
      put(c.dtype, inputs[rank].data(), i, static_cast<float>(input_value(rank, i, seed)));
    std::memset(outputs[rank].data(), 0xff, c.packs * kPackBytes);  // NaN: unwritten shows
  }
  // "" when rank's output is the exact sum for `seed`, bit for bit.
  std::string check_output(int rank, const Call &c, unsigned seed) const {
    const std::size_t count = c.packs * kPackBytes / dtype_size(c.dtype);
    std::vector<uint4> want(c.packs);
    for (std::size_t i = 0; i < count; ++i) {
      int sum = 0;
      for (int r = 0; r < size; ++r) sum += input_value(r, i, seed);
      put(c.dtype, want.data(), i, static_cast<float>(sum));
    }
    if (std::memcmp(want.data(), outputs[rank].data(), c.packs * kPackBytes) == 0) return "";
    return "rank " + std::to_string(rank) + " of " + std::to_string(size) + ": wrong sum for " +
           dtype_name(c.dtype) + " " + algorithm_name(c.algo) + " of " + std::to_string(c.packs) +
           " packs";
  }
  // After complete calls every flag equals its block's call count, on every rank.
  std::string check_counters() const {
    for (int r = 0; r < size; ++r)
      for (int b = 0; b < kMaxBlocksPerRank; ++b)
        for (int p = 0; p < size; ++p) {
          const std::uint32_t calls = signals[p].calls[b];
          if (signals[r].start[b][p] != calls || signals[r].end[b][p] != calls ||
              signals[r].calls[b] != calls)
            return "rank " + std::to_string(r) + " block " + std::to_string(b) + " peer " +
                   std::to_string(p) + ": flags disagree with the call count " +
                   std::to_string(calls);
        }
    return "";
  }

  int size;
  std::unique_ptr<Signal[]> signals;  // zeroed once, as on the device
  std::vector<std::vector<uint4>> inputs, outputs, scratch;
};

}  // namespace

TEST(CustomAllreduceModel, OneLaunchHoldsEveryRank) {
  for (int world_size : {2, 4, 6, 8}) {
    World world(world_size);
    unsigned seed = 1;
    for (const Call &c : call_sequence(12)) {
      for (int r = 0; r < world_size; ++r) world.write_input(r, c, seed);
      const unsigned blocks = model_blocks(c.packs);
      run_grid(kernel_of(c.dtype, c.algo, world_size), world.args(c.packs, 0), blocks, world_size);
      for (int r = 0; r < world_size; ++r) EXPECT_EQ(world.check_output(r, c, seed), "");
      ++seed;
    }
    EXPECT_EQ(world.check_counters(), "");
    EXPECT_EQ(world.signals[0].calls[0], 12u) << "every call uses block 0";
  }
}

TEST(CustomAllreduceModel, OneStreamPerRankWithoutJoinsBetweenCalls) {
  for (int world_size : {2, 4, 6, 8}) {
    World world(world_size);
    const std::vector<Call> calls = call_sequence(12);
    std::vector<std::string> failures(world_size);
    std::vector<std::thread> streams;
    for (int rank = 0; rank < world_size; ++rank)
      streams.emplace_back([&, rank] {
        for (std::size_t k = 0; k < calls.size(); ++k) {
          const Call &c = calls[k];
          const unsigned seed = 100 + static_cast<unsigned>(k);
          world.write_input(rank, c, seed);  // the stream operation before the call
          run_grid(kernel_of(c.dtype, c.algo, world_size), world.args(c.packs, rank),
                   model_blocks(c.packs), 1);
          std::string wrong = world.check_output(rank, c, seed);
          if (!wrong.empty() && failures[rank].empty())
            failures[rank] = "call " + std::to_string(k) + ": " + wrong;
        }
      });
    for (auto &stream : streams) stream.join();
    for (int rank = 0; rank < world_size; ++rank) EXPECT_EQ(failures[rank], "");
    EXPECT_EQ(world.check_counters(), "");
  }
}
