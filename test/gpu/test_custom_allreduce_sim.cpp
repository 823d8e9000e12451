// The custom allreduce kernels on ONE GPU: 2, 4, 6 and 8 ranks simulated in one process, each
// rank with its own input, output, signal and scratch buffers, all ranks in one cooperative
// launch (launch_simulated_allreduce). Inputs are small integers, so every sum is exact in
// float32, float16 and bfloat16 and the expected result is known bit for bit; every rank's
// output must equal it, hence every rank is bitwise identical.
//
//   sweep         both algorithms x 3 dtypes x sizes 16 B .. 8 MiB (odd pack counts, pack counts
//                 that do not divide by the rank count), signals shared by the whole sweep
//   random        random values in [-1, 1]: every rank's output bitwise equal to the others' and
//                 to the kernels' rule (float32 sums over ranks 0..N-1, rounded once), and
//                 within rounding of a float64 reference
//   back-to-back  1000 calls queued without a host sync, inputs changed before each, sizes,
//                 dtypes and algorithms changing; every call's output is kept and checked
//   graph         a sequence of calls captured into a CUDA graph (each followed by a write that
//                 clobbers its input), replayed with new inputs written after capture, eager
//                 calls in between
//   counters      afterwards every start/end flag equals its block's call count on every rank
//   arguments     the launchers reject bad arguments with cudaErrorInvalidValue and launch
//                 nothing
//
// Options: --quick (a short run for compute-sanitizer), --verbose (print every passing check).
// Exits 77 (skip) when there is no CUDA device. Needs no MPI and no GoogleTest.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gpu_check.hpp"
#include "kernels/cuda_handles.h"
#include "kernels/custom_allreduce.h"
#include "kernels/simulated_buffers.h"

namespace {

using namespace mpcomm::kernels;
using mpcomm::test::Checks;

constexpr std::size_t kMaxBytes = 8u << 20;
constexpr DType kDTypes[] = {DType::Float32, DType::Float16, DType::BFloat16};
constexpr Algorithm kAlgos[] = {Algorithm::OneShot, Algorithm::TwoShot};
constexpr int kWorlds[] = {2, 4, 6, 8};

std::string cuda_text(cudaError_t err) { return cudaGetErrorString(err); }

std::string describe(int world, DType dtype, Algorithm algo, std::size_t bytes) {
  return "world=" + std::to_string(world) + " " + dtype_name(dtype) + " " + algorithm_name(algo) +
         " bytes=" + std::to_string(bytes);
}

// ---------------------------------------------------------------------------------------------
// Exact host encodings of small integers

// Rank r's value at element i for data set `seed`: an integer in [-8, 8]. Sums over 8 ranks
// stay within [-64, 64], exact in every dtype.
int input_value(int rank, std::size_t i, unsigned seed) {
  return static_cast<int>((i * 7u + static_cast<unsigned>(rank) * 13u + seed * 29u) % 17u) - 8;
}

std::uint32_t float_bits(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return bits;
}

// float16 bits of an integer with |v| <= 2048 (normal or zero, so no rounding is needed).
std::uint16_t half_bits(int v) {
  if (v == 0) return 0;
  const std::uint32_t f = float_bits(static_cast<float>(v));
  const std::uint32_t sign = f >> 31, exponent = ((f >> 23) & 0xffu) - 127u + 15u;
  return static_cast<std::uint16_t>((sign << 15) | (exponent << 10) | ((f >> 13) & 0x3ffu));
}

// bfloat16 bits of an integer with |v| <= 256: the upper half of the float32, exactly.
std::uint16_t bf16_bits(int v) { return static_cast<std::uint16_t>(float_bits(float(v)) >> 16); }

// Writes value v as element i of a dtype array.
void put(DType dtype, unsigned char *base, std::size_t i, int v) {
  switch (dtype) {
    case DType::Float32: {
      const float f = static_cast<float>(v);
      std::memcpy(base + 4 * i, &f, 4);
      return;
    }
    case DType::Float16: {
      const std::uint16_t h = half_bits(v);
      std::memcpy(base + 2 * i, &h, 2);
      return;
    }
    case DType::BFloat16: {
      const std::uint16_t h = bf16_bits(v);
      std::memcpy(base + 2 * i, &h, 2);
      return;
    }
  }
}

// Reads element i back as a float (for failure messages only).
double get(DType dtype, const unsigned char *base, std::size_t i) {
  if (dtype == DType::Float32) {
    float f;
    std::memcpy(&f, base + 4 * i, 4);
    return f;
  }
  std::uint16_t h;
  std::memcpy(&h, base + 2 * i, 2);
  if (dtype == DType::BFloat16) {
    const std::uint32_t bits = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double mag = exponent == 0 ? mantissa / 1024.0 / 16384.0
                             : (1.0 + mantissa / 1024.0) * std::ldexp(1.0, exponent - 15);
  if (exponent == 31) mag = mantissa ? NAN : INFINITY;
  return sign ? -mag : mag;
}

// Any float as element i of a dtype array, rounded to nearest even (CUDA's host conversions).
void put_float(DType dtype, unsigned char *base, std::size_t i, float v) {
  if (dtype == DType::Float32) {
    std::memcpy(base + 4 * i, &v, 4);
  } else if (dtype == DType::Float16) {
    const __half h = __float2half_rn(v);
    std::memcpy(base + 2 * i, &h, 2);
  } else {
    const __nv_bfloat16 h = __float2bfloat16_rn(v);
    std::memcpy(base + 2 * i, &h, 2);
  }
}

float get_float(DType dtype, const unsigned char *base, std::size_t i) {
  return static_cast<float>(get(dtype, base, i));
}

// The relative rounding error of one rounding to dtype.
double epsilon(DType dtype) {
  return dtype == DType::Float32 ? 0x1p-24 : dtype == DType::Float16 ? 0x1p-11 : 0x1p-8;
}

// Encoded inputs of one rank, and the encoded expected sum over all ranks. seeds[r] is rank r's
// data set.
std::vector<unsigned char> encoded_input(DType dtype, std::size_t count, int rank, unsigned seed) {
  std::vector<unsigned char> bytes(count * dtype_size(dtype));
  for (std::size_t i = 0; i < count; ++i) put(dtype, bytes.data(), i, input_value(rank, i, seed));
  return bytes;
}

std::vector<unsigned char> encoded_sum(DType dtype, std::size_t count, int world,
                                       const std::vector<unsigned> &seeds) {
  std::vector<unsigned char> bytes(count * dtype_size(dtype));
  for (std::size_t i = 0; i < count; ++i) {
    int sum = 0;
    for (int r = 0; r < world; ++r) sum += input_value(r, i, seeds[r]);
    put(dtype, bytes.data(), i, sum);
  }
  return bytes;
}

// "" when got == want bit for bit, else where and how they differ.
std::string compare(DType dtype, const unsigned char *got, const std::vector<unsigned char> &want,
                    int rank) {
  if (std::memcmp(got, want.data(), want.size()) == 0) return "";
  const std::size_t size = dtype_size(dtype), count = want.size() / size;
  std::size_t first = 0, wrong = 0;
  for (std::size_t i = 0; i < count; ++i)
    if (std::memcmp(got + i * size, want.data() + i * size, size) != 0) {
      if (wrong++ == 0) first = i;
    }
  char text[200];
  std::snprintf(text, sizeof(text),
                "rank %d: %zu of %zu elements wrong, first at %zu: got %g, "
                "expected %g",
                rank, wrong, count, first, get(dtype, got, first), get(dtype, want.data(), first));
  return text;
}

// ---------------------------------------------------------------------------------------------
// One call, checked

class Harness {
 public:
  Harness(Checks &checks, bool quick) : checks_(checks), quick_(quick) {}

  bool init() {
    cudaError_t err = cudaStreamCreateWithFlags(stream_.out(), cudaStreamNonBlocking);
    return checks_.expect(err == cudaSuccess, "create a stream", cuda_text(err));
  }

  // Sweep: every (dtype, size, algorithm) on one set of buffers and signals.
  void sweep(int world) {
    SimulatedBuffers buffers;
    const std::size_t max_bytes = quick_ ? (64u << 10) : kMaxBytes;
    cudaError_t err = buffers.allocate(world, max_bytes);
    if (!checks_.expect(err == cudaSuccess, "allocate world " + std::to_string(world),
                        cuda_text(err)))
      return;
    const std::vector<std::size_t> packs =
        quick_ ? std::vector<std::size_t>{1, 7, 65, 1000, 4096}
               : std::vector<std::size_t>{1,    2,     3,     5,      7,      8,      13,
                                          63,   64,    65,    511,    512,    513,    1000,
                                          4097, 16383, 65537, 131071, 262145, 524287, 524288};
    int before = checks_.failed();
    int runs = 0;
    for (DType dtype : kDTypes)
      for (std::size_t p : packs)
        for (Algorithm algo : kAlgos) {
          const std::size_t bytes = p * kPackBytes;
          std::vector<unsigned> seeds(world, next_seed_++);
          std::string detail = run_once(buffers, dtype, algo, bytes / dtype_size(dtype), seeds);
          checks_.expect(detail.empty(), "sweep " + describe(world, dtype, algo, bytes), detail);
          ++runs;
        }
    checks_.note("sweep world=" + std::to_string(world) + ": " + std::to_string(runs) + " calls, " +
                 std::to_string(checks_.failed() - before) + " failed");
    check_counters(buffers, "after the sweep");
  }

  // Random values: the result must be the same bits on every rank, follow the kernels' rule
  // exactly, and lie within the rounding of a float64 reference.
  void random_values(int world) {
    const std::size_t packs[] = {1, 65, 4097, quick_ ? 4099u : 65537u};
    SimulatedBuffers buffers;
    cudaError_t err = buffers.allocate(world, packs[3] * kPackBytes);
    if (!checks_.expect(err == cudaSuccess, "random allocate", cuda_text(err))) return;
    std::uint64_t state = 0x9e3779b97f4a7c15ull * static_cast<unsigned>(world);
    auto uniform = [&] {  // xorshift64*: [-1, 1)
      state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
      return static_cast<double>((state * 0x2545f4914f6cdd1dull) >> 11) / 4503599627370496.0 - 1;
    };
    for (DType dtype : kDTypes)
      for (std::size_t p : packs)
        for (Algorithm algo : kAlgos) {
          const std::size_t size = dtype_size(dtype), count = p * kPackBytes / size;
          std::vector<std::vector<unsigned char>> inputs(world);
          for (int r = 0; r < world; ++r) {
            inputs[r].resize(count * size);
            for (std::size_t i = 0; i < count; ++i)
              put_float(dtype, inputs[r].data(), i, static_cast<float>(uniform()));
            err = first_error(err, cudaMemcpy(buffers.input(r), inputs[r].data(), count * size,
                                              cudaMemcpyHostToDevice));
            err = first_error(err, cudaMemset(buffers.output(r), 0xff, count * size));
          }
          std::string why;
          if (err == cudaSuccess)
            err = launch_simulated_allreduce(dtype, algo, world, buffers.world(), count,
                                             stream_.get(), &why);
          err = first_error(err, cudaStreamSynchronize(stream_.get()));
          std::vector<std::vector<unsigned char>> got(world,
                                                      std::vector<unsigned char>(count * size));
          for (int r = 0; r < world && err == cudaSuccess; ++r)
            err =
                cudaMemcpy(got[r].data(), buffers.output(r), count * size, cudaMemcpyDeviceToHost);
          const std::string what = "random " + describe(world, dtype, algo, p * kPackBytes);
          if (!checks_.expect(err == cudaSuccess, what, cuda_text(err) + " " + why)) return;
          std::string detail;
          for (int r = 1; r < world && detail.empty(); ++r)
            if (got[r] != got[0]) detail = "rank " + std::to_string(r) + " differs from rank 0";
          for (std::size_t i = 0; i < count && detail.empty(); ++i) {
            float sum = 0;  // the kernels' rule
            double reference = 0, magnitude = 0;
            for (int r = 0; r < world; ++r) {
              const float x = get_float(dtype, inputs[r].data(), i);
              sum += x;
              reference += x;
              magnitude += std::fabs(x);
            }
            std::vector<unsigned char> rule(size);
            put_float(dtype, rule.data(), 0, sum);
            const double value = get_float(dtype, got[0].data(), i);
            const double tolerance =
                epsilon(dtype) * std::fabs(reference) + world * 1.2e-7 * magnitude;
            if (std::memcmp(rule.data(), got[0].data() + i * size, size) != 0 ||
                std::fabs(value - reference) > tolerance) {
              char text[200];
              std::snprintf(text, sizeof(text),
                            "element %zu: got %.9g, the rule gives %.9g, float64 reference %.9g", i,
                            value, static_cast<double>(get_float(dtype, rule.data(), 0)),
                            reference);
              detail = text;
            }
          }
          checks_.expect(detail.empty(), what, detail);
        }
    check_counters(buffers, "after random values");
  }

  // Back-to-back: many calls queued without a host sync in between, inputs changed before each
  // (copied from a pool of data sets), outputs saved per call and checked afterwards.
  void back_to_back(int world) {
    const int calls = quick_ ? 20 : 1000;
    const int batch = 100;  // calls queued between two host syncs
    const unsigned kPatterns = 5;
    const std::size_t packs_cycle[] = {1, 63, 520, 2049, 2051};
    const std::size_t max_bytes = 2051 * kPackBytes;
    SimulatedBuffers buffers;
    cudaError_t err = buffers.allocate(world, max_bytes);
    if (!checks_.expect(err == cudaSuccess, "back-to-back allocate", cuda_text(err))) return;

    // pool[d][k][r]: rank r's input for data set k in dtype d.
    std::vector<DeviceMemory> pool(3 * kPatterns * world);
    auto pool_at = [&](int d, unsigned k, int r) -> DeviceMemory & {
      return pool[(d * kPatterns + k) * world + r];
    };
    for (int d = 0; d < 3; ++d)
      for (unsigned k = 0; k < kPatterns; ++k)
        for (int r = 0; r < world; ++r) {
          const DType dtype = kDTypes[d];
          auto host = encoded_input(dtype, max_bytes / dtype_size(dtype), r, 1000 + k);
          err = pool_at(d, k, r).allocate(max_bytes);
          if (err == cudaSuccess)
            err =
                cudaMemcpy(pool_at(d, k, r).get(), host.data(), max_bytes, cudaMemcpyHostToDevice);
          if (!checks_.expect(err == cudaSuccess, "back-to-back pool", cuda_text(err))) return;
        }
    DeviceMemory results;
    err = results.allocate(std::size_t(batch) * world * max_bytes);
    // Each call fills only its own bytes of its slot; the whole block is copied back.
    if (err == cudaSuccess) err = cudaMemset(results.get(), 0, results.bytes());
    if (!checks_.expect(err == cudaSuccess, "back-to-back results", cuda_text(err))) return;
    std::vector<unsigned char> host(std::size_t(batch) * world * max_bytes);

    struct Call {
      DType dtype;
      int d;
      Algorithm algo;
      std::size_t bytes;
      int j;
    };
    int failures = 0;
    for (int first = 0; first < calls; first += batch) {
      std::vector<Call> queued;
      for (int j = first; j < calls && j < first + batch; ++j) {
        const int d = j % 3;
        const Call call{kDTypes[d], d, kAlgos[j % 2], packs_cycle[j % 5] * kPackBytes, j};
        for (int r = 0; r < world; ++r)
          err = first_error(
              err, cudaMemcpyAsync(buffers.input(r), pool_at(d, (j + r) % kPatterns, r).get(),
                                   call.bytes, cudaMemcpyDeviceToDevice, stream_.get()));
        std::string why;
        cudaError_t launched =
            launch_simulated_allreduce(call.dtype, call.algo, world, buffers.world(),
                                       call.bytes / dtype_size(call.dtype), stream_.get(), &why);
        if (!checks_.expect(launched == cudaSuccess, "back-to-back launch", why)) return;
        const std::size_t slot = std::size_t(j - first) * world * max_bytes;
        for (int r = 0; r < world; ++r)
          err = first_error(
              err, cudaMemcpyAsync(
                       static_cast<unsigned char *>(results.get()) + slot + r * max_bytes,
                       buffers.output(r), call.bytes, cudaMemcpyDeviceToDevice, stream_.get()));
        queued.push_back(call);
      }
      err = first_error(err, cudaStreamSynchronize(stream_.get()));
      err = first_error(
          err, cudaMemcpy(host.data(), results.get(), host.size(), cudaMemcpyDeviceToHost));
      if (!checks_.expect(err == cudaSuccess, "back-to-back run", cuda_text(err))) return;
      for (const Call &call : queued) {
        std::vector<unsigned> seeds(world);
        for (int r = 0; r < world; ++r) seeds[r] = 1000 + (call.j + r) % kPatterns;
        const auto want =
            encoded_sum(call.dtype, call.bytes / dtype_size(call.dtype), world, seeds);
        const std::size_t slot = std::size_t(call.j - first) * world * max_bytes;
        for (int r = 0; r < world; ++r) {
          std::string detail = compare(call.dtype, host.data() + slot + r * max_bytes, want, r);
          if (!detail.empty() && failures++ < 5)
            checks_.expect(false,
                           "back-to-back call " + std::to_string(call.j) + " " +
                               describe(world, call.dtype, call.algo, call.bytes),
                           detail);
        }
      }
    }
    checks_.expect(failures == 0,
                   "back-to-back world=" + std::to_string(world) + ": " + std::to_string(calls) +
                       " calls, every output checked",
                   std::to_string(failures) + " wrong outputs");
    check_counters(buffers, "after back-to-back calls");
  }

  // Graph: capture a sequence of calls, replay it with inputs rewritten after capture.
  void graph(int world) {
    struct Step {
      DType dtype;
      Algorithm algo;
      std::size_t packs;
    };
    const Step steps[] = {{DType::BFloat16, Algorithm::OneShot, 65},
                          {DType::Float32, Algorithm::TwoShot, 1000},
                          {DType::Float16, Algorithm::TwoShot, 7},
                          {DType::Float32, Algorithm::OneShot, 4097},
                          {DType::BFloat16, Algorithm::TwoShot, quick_ ? 513u : 65537u}};
    const int n_steps = sizeof(steps) / sizeof(steps[0]);
    const int replays = quick_ ? 3 : 20;
    std::size_t max_bytes = 0;
    for (const Step &s : steps) max_bytes = std::max(max_bytes, s.packs * kPackBytes);

    // Shared signals and scratch; each step its own inputs and outputs (a graph keeps pointers).
    SimulatedBuffers shared;
    cudaError_t err = shared.allocate(world, max_bytes);
    std::vector<DeviceMemory> inputs(n_steps * world), outputs(n_steps * world);
    std::vector<SimulatedWorld> worlds(n_steps, shared.world());
    for (int k = 0; k < n_steps && err == cudaSuccess; ++k)
      for (int r = 0; r < world && err == cudaSuccess; ++r) {
        const std::size_t bytes = steps[k].packs * kPackBytes;
        err = first_error(inputs[k * world + r].allocate(bytes),
                          outputs[k * world + r].allocate(bytes));
        worlds[k].peers.inputs[r] = inputs[k * world + r].get();
        worlds[k].outputs[r] = outputs[k * world + r].get();
      }
    if (!checks_.expect(err == cudaSuccess, "graph allocate", cuda_text(err))) return;

    GraphHandle graph;
    GraphExecHandle exec;
    std::string why;
    err = cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal);
    for (int k = 0; k < n_steps && err == cudaSuccess; ++k) {
      const Step &s = steps[k];
      const std::size_t bytes = s.packs * kPackBytes;
      err = launch_simulated_allreduce(s.dtype, s.algo, world, worlds[k],
                                       bytes / dtype_size(s.dtype), stream_.get(), &why);
      // Clobber the inputs right after the call, as vLLM's graph test does: a call that had
      // not finished reading them would sum garbage.
      for (int r = 0; r < world && err == cudaSuccess; ++r)
        err = cudaMemsetAsync(inputs[k * world + r].get(), 0x7f, bytes, stream_.get());
    }
    cudaError_t end = cudaStreamEndCapture(stream_.get(), graph.out());
    err = first_error(err, end);
    if (err == cudaSuccess) err = cudaGraphInstantiate(exec.out(), graph.get(), 0);
    if (!checks_.expect(err == cudaSuccess, "graph capture world=" + std::to_string(world),
                        cuda_text(err) + (why.empty() ? "" : " (" + why + ")")))
      return;

    int failures = 0;
    for (int replay = 0; replay < replays; ++replay) {
      std::vector<std::vector<unsigned>> seeds(n_steps);
      for (int k = 0; k < n_steps; ++k) {
        const DType dtype = steps[k].dtype;
        const std::size_t count = steps[k].packs * kPackBytes / dtype_size(dtype);
        seeds[k].resize(world);
        for (int r = 0; r < world; ++r) {
          seeds[k][r] = next_seed_++;
          auto host = encoded_input(dtype, count, r, seeds[k][r]);
          err = first_error(err, cudaMemcpy(inputs[k * world + r].get(), host.data(), host.size(),
                                            cudaMemcpyHostToDevice));
          err = first_error(err, cudaMemset(outputs[k * world + r].get(), 0xff, host.size()));
        }
      }
      err = first_error(err, cudaDeviceSynchronize());
      err = first_error(err, cudaGraphLaunch(exec.get(), stream_.get()));
      err = first_error(err, cudaStreamSynchronize(stream_.get()));
      if (!checks_.expect(err == cudaSuccess, "graph replay", cuda_text(err))) return;
      for (int k = 0; k < n_steps; ++k) {
        const DType dtype = steps[k].dtype;
        const std::size_t bytes = steps[k].packs * kPackBytes;
        const auto want = encoded_sum(dtype, bytes / dtype_size(dtype), world, seeds[k]);
        std::vector<unsigned char> got(bytes);
        for (int r = 0; r < world; ++r) {
          err = cudaMemcpy(got.data(), outputs[k * world + r].get(), bytes, cudaMemcpyDeviceToHost);
          std::string detail =
              err == cudaSuccess ? compare(dtype, got.data(), want, r) : cuda_text(err);
          if (!detail.empty() && failures++ < 5)
            checks_.expect(false,
                           "graph replay " + std::to_string(replay) + " step " + std::to_string(k) +
                               " " + describe(world, dtype, steps[k].algo, bytes),
                           detail);
        }
      }
      // An eager call between replays: the counters it advances are the graph's too.
      if (replay % 2 == 0) {
        std::vector<unsigned> eager_seeds(world, next_seed_++);
        std::string detail =
            run_once(shared, DType::Float32, kAlgos[replay / 2 % 2], max_bytes / 4, eager_seeds);
        if (!detail.empty() && failures++ < 5)
          checks_.expect(false, "eager call between graph replays", detail);
      }
    }
    checks_.expect(failures == 0,
                   "graph world=" + std::to_string(world) + ": " + std::to_string(n_steps) +
                       " captured calls, " + std::to_string(replays) +
                       " replays with new inputs after capture",
                   std::to_string(failures) + " wrong outputs");
    check_counters(shared, "after graph replays");
  }

  // The launchers refuse bad arguments before launching anything.
  void arguments() {
    SimulatedBuffers buffers;
    cudaError_t err = buffers.allocate(4, 4096);
    if (!checks_.expect(err == cudaSuccess, "arguments allocate", cuda_text(err))) return;
    std::string why;
    auto refused = [&](cudaError_t got, const char *name, const char *word) {
      const cudaError_t sticky = cudaGetLastError();
      checks_.expect(got == cudaErrorInvalidValue && why.find(word) != std::string::npos &&
                         sticky == cudaSuccess,
                     std::string("refuses ") + name,
                     "returned " + cuda_text(got) + ", why '" + why + "'");
      why.clear();
    };
    SimulatedWorld w = buffers.world();
    refused(launch_simulated_allreduce(DType::Float16, Algorithm::OneShot, 4, w, 7, stream_.get(),
                                       &why),
            "14 bytes (not a multiple of 16)", "multiple of 16");
    refused(launch_simulated_allreduce(DType::Float32, Algorithm::TwoShot, 3, w, 8, stream_.get(),
                                       &why),
            "world size 3", "world_size");
    refused(launch_simulated_allreduce(DType::Float32, Algorithm::OneShot, 10, w, 8, stream_.get(),
                                       &why),
            "world size 10", "world_size");
    SimulatedWorld in_place = w;
    in_place.outputs[2] = const_cast<void *>(in_place.peers.inputs[2]);
    refused(launch_simulated_allreduce(DType::Float32, Algorithm::OneShot, 4, in_place, 64,
                                       stream_.get(), &why),
            "an in-place call", "out of place");
    SimulatedWorld shared_out = w;
    shared_out.outputs[3] = shared_out.outputs[1];
    refused(launch_simulated_allreduce(DType::Float32, Algorithm::OneShot, 4, shared_out, 64,
                                       stream_.get(), &why),
            "two ranks writing one output", "same buffer");
    SimulatedWorld small_scratch = w;
    small_scratch.peers.scratch_bytes = 16;
    refused(launch_simulated_allreduce(DType::Float32, Algorithm::TwoShot, 4, small_scratch, 64,
                                       stream_.get(), &why),
            "a scratch too small for two-shot", "scratch_bytes");
    refused(launch_allreduce(DType::BFloat16, Algorithm::TwoShot, 4, 1, w.peers, w.outputs[1], 9,
                             stream_.get(), &why),
            "a real-path call of 18 bytes", "multiple of 16");
    refused(launch_allreduce(DType::Float32, Algorithm::OneShot, 4, 4, w.peers, w.outputs[1], 8,
                             stream_.get(), &why),
            "a real-path rank out of range", "rank");
    refused(launch_allreduce(DType::Float32, Algorithm::OneShot, 4, 0, w.peers, nullptr, 8,
                             stream_.get(), &why),
            "a real-path NULL output", "out");
    checks_.expect(launch_simulated_allreduce(DType::Float32, Algorithm::TwoShot, 4, w, 0,
                                              stream_.get(), &why) == cudaSuccess,
                   "count 0 is a no-op", why);
    check_counters(buffers, "after refused calls (all still zero)");
  }

  // Co-residency: the grid of the largest call fits the device at every world size.
  void residency() {
    for (int world : kWorlds)
      for (Algorithm algo : kAlgos) {
        long resident = 0;
        int blocks = 0;
        cudaError_t err = resident_blocks(DType::BFloat16, algo, world, &resident);
        if (err == cudaSuccess)
          err = simulated_grid(DType::BFloat16, algo, world, kMaxBytes / 2, &blocks);
        checks_.expect(
            err == cudaSuccess && blocks >= 1 && long(blocks) * world <= resident,
            "co-resident grid world=" + std::to_string(world) + " " + algorithm_name(algo),
            cuda_text(err) + ", " + std::to_string(blocks) + " blocks per rank, " +
                std::to_string(resident) + " resident");
        if (algo == Algorithm::TwoShot && world == 8)
          checks_.note("8 MiB at 8 ranks runs " + std::to_string(blocks) + " blocks per rank; " +
                       "the device holds " + std::to_string(resident) + " of this kernel");
      }
  }

 private:
  static cudaError_t first_error(cudaError_t a, cudaError_t b) { return a != cudaSuccess ? a : b; }

  // Writes every rank's input for seeds, poisons the outputs, runs one call and checks it.
  std::string run_once(const SimulatedBuffers &b, DType dtype, Algorithm algo, std::size_t count,
                       const std::vector<unsigned> &seeds) {
    const int world = b.world_size();
    const std::size_t bytes = count * dtype_size(dtype);
    cudaError_t err = cudaSuccess;
    for (int r = 0; r < world; ++r) {
      auto host = encoded_input(dtype, count, r, seeds[r]);
      err = first_error(err, cudaMemcpy(b.input(r), host.data(), bytes, cudaMemcpyHostToDevice));
      err = first_error(err, cudaMemset(b.output(r), 0xff, bytes));  // NaN: unwritten shows
    }
    err = first_error(err, cudaDeviceSynchronize());
    if (err != cudaSuccess) return "preparing the inputs: " + cuda_text(err);
    std::string why;
    err = launch_simulated_allreduce(dtype, algo, world, b.world(), count, stream_.get(), &why);
    if (err != cudaSuccess) return "launch: " + why;
    err = cudaStreamSynchronize(stream_.get());
    if (err != cudaSuccess) return "the kernel failed: " + cuda_text(err);
    const auto want = encoded_sum(dtype, count, world, seeds);
    std::vector<unsigned char> got(bytes);
    for (int r = 0; r < world; ++r) {
      err = cudaMemcpy(got.data(), b.output(r), bytes, cudaMemcpyDeviceToHost);
      if (err != cudaSuccess) return "reading rank " + std::to_string(r) + ": " + cuda_text(err);
      std::string detail = compare(dtype, got.data(), want, r);
      if (!detail.empty()) return detail;
    }
    return "";
  }

  // After complete calls, on every rank r and block b: start[b][p] == end[b][p] == calls[b] of
  // rank p, and every rank's calls[b] are equal.
  void check_counters(const SimulatedBuffers &b, const std::string &when) {
    const int world = b.world_size();
    std::vector<Signal> host(world);
    cudaError_t err = cudaDeviceSynchronize();
    for (int r = 0; r < world && err == cudaSuccess; ++r)
      err =
          cudaMemcpy(&host[r], b.world().peers.signals[r], sizeof(Signal), cudaMemcpyDeviceToHost);
    std::string detail = err == cudaSuccess ? "" : cuda_text(err);
    for (int r = 0; r < world && detail.empty(); ++r)
      for (int blk = 0; blk < kMaxBlocksPerRank && detail.empty(); ++blk)
        for (int p = 0; p < world && detail.empty(); ++p) {
          const std::uint32_t calls = host[p].calls[blk];
          if (host[r].start[blk][p] != calls || host[r].end[blk][p] != calls ||
              host[r].calls[blk] != calls)
            detail = "rank " + std::to_string(r) + " block " + std::to_string(blk) + " peer " +
                     std::to_string(p) + ": start " + std::to_string(host[r].start[blk][p]) +
                     ", end " + std::to_string(host[r].end[blk][p]) + ", calls " +
                     std::to_string(host[r].calls[blk]) + ", peer calls " + std::to_string(calls);
        }
    checks_.expect(detail.empty(), "counters world=" + std::to_string(world) + " " + when, detail);
  }

  Checks &checks_;
  bool quick_;
  unsigned next_seed_ = 1;
  StreamHandle stream_;
};

}  // namespace

int main(int argc, char **argv) {
  bool quick = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      verbose = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--verbose]\n", argv[0]);
      return 2;
    }
  }
  Checks checks;
  checks.set_verbose(verbose);
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    checks.skip("custom allreduce simulation",
                "no CUDA device (" +
                    std::string(err != cudaSuccess ? cudaGetErrorString(err) : "0 devices") +
                    "); run test/gpu/run-on-gpu.sh on a GPU machine");
    return checks.finish();
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  checks.note(std::string("device 0: ") + prop.name + (quick ? " (quick run)" : ""));

  Harness harness(checks, quick);
  if (harness.init()) {
    harness.arguments();
    harness.residency();
    for (int world : kWorlds) {
      harness.sweep(world);
      harness.random_values(world);
      harness.back_to_back(world);
      harness.graph(world);
    }
  }
  return checks.finish();
}
