#include "custom_allreduce_rules.h"

#include <strings.h>

#include <cstdint>
#include <limits>
#include <sstream>

namespace mpcomm::kernels {

namespace {

constexpr std::size_t kOneShotMaxBytes4 = 512 * 1024;  // below this, one-shot for <= 4 ranks
constexpr std::size_t kOneShotMaxBytes8 = 256 * 1024;  // below this, one-shot for <= 8 ranks

template <class... Parts>
std::string concat(const Parts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

bool aligned(const void *p, std::size_t alignment) {
  return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

// Whether [a, a + a_bytes) and [b, b + b_bytes) share a byte.
bool overlap(const void *a, std::size_t a_bytes, const void *b, std::size_t b_bytes) {
  const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
  return a_bytes > 0 && b_bytes > 0 && a0 < b0 + b_bytes && b0 < a0 + a_bytes;
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float16: return 2;
    case DType::BFloat16: return 2;
  }
  return 0;
}

const char *dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "unknown";
}

const char *algorithm_name(Algorithm algo) {
  switch (algo) {
    case Algorithm::OneShot: return "oneshot";
    case Algorithm::TwoShot: return "twoshot";
  }
  return "unknown";
}

bool parse_algorithm(const std::string &text, Algorithm *algo) {
  if (strcasecmp(text.c_str(), "oneshot") == 0) {
    *algo = Algorithm::OneShot;
    return true;
  }
  if (strcasecmp(text.c_str(), "twoshot") == 0) {
    *algo = Algorithm::TwoShot;
    return true;
  }
  return false;
}

bool supported_world_size(int world_size) {
  return world_size == 2 || world_size == 4 || world_size == 6 || world_size == 8;
}

Algorithm choose_algorithm(std::size_t bytes, int world_size) {
  if (world_size <= 2) return Algorithm::OneShot;
  if (world_size <= 4 && bytes < kOneShotMaxBytes4) return Algorithm::OneShot;
  if (world_size <= 8 && bytes < kOneShotMaxBytes8) return Algorithm::OneShot;
  return Algorithm::TwoShot;
}

std::size_t pack_count(DType dtype, std::size_t count) {
  const std::size_t size = dtype_size(dtype);
  if (size == 0 || count > std::numeric_limits<std::size_t>::max() / size) return 0;
  const std::size_t bytes = count * size;
  return bytes % kPackBytes == 0 ? bytes / kPackBytes : 0;
}

std::size_t two_shot_scratch_bytes(std::size_t bytes, int world_size) {
  if (world_size < 1) return 0;
  const std::size_t packs = bytes / kPackBytes;
  const std::size_t w = static_cast<std::size_t>(world_size);
  return (packs / w + packs % w) * kPackBytes;
}

int blocks_per_rank(std::size_t packs) {
  const std::size_t threads = kThreadsPerBlock;
  const std::size_t wanted = (packs + threads - 1) / threads;
  if (wanted < 1) return 1;
  return wanted > static_cast<std::size_t>(kMaxBlocksPerRank) ? kMaxBlocksPerRank
                                                              : static_cast<int>(wanted);
}

int simulated_blocks_per_rank(std::size_t packs, int world_size, long resident_blocks) {
  if (world_size < 1 || resident_blocks < world_size) return 0;
  const long fit = resident_blocks / world_size;
  const int real = blocks_per_rank(packs);
  return fit < real ? static_cast<int>(fit) : real;
}

std::string check_allreduce_args(DType dtype, Algorithm algo, int world_size, int rank,
                                 const PeerBuffers &peers, const void *out, std::size_t count) {
  const std::size_t size = dtype_size(dtype);
  if (size == 0) return concat("dtype ", static_cast<int>(dtype), " is not supported");
  if (algo != Algorithm::OneShot && algo != Algorithm::TwoShot)
    return concat("algorithm ", static_cast<int>(algo), " is not oneshot or twoshot");
  if (!supported_world_size(world_size))
    return concat("world_size must be 2, 4, 6 or 8, got ", world_size);
  if (rank < 0 || rank >= world_size)
    return concat("rank must be in [0, ", world_size, "), got ", rank);
  if (count > std::numeric_limits<std::size_t>::max() / size)
    return concat("count ", count, " of ", dtype_name(dtype), " overflows the byte size");
  const std::size_t bytes = count * size;
  if (bytes % kPackBytes != 0)
    return concat("the byte size must be a multiple of ", kPackBytes, ", got ", bytes, " (", count,
                  " ", dtype_name(dtype), ")");
  if (out == nullptr) return "out must not be NULL";
  if (!aligned(out, kPackBytes)) return concat("out ", out, " is not 16-byte aligned");
  const bool two_shot = algo == Algorithm::TwoShot;
  const std::size_t scratch_needed = two_shot ? two_shot_scratch_bytes(bytes, world_size) : 0;
  if (two_shot && peers.scratch_bytes < scratch_needed)
    return concat("scratch_bytes must be at least ", scratch_needed,
                  " for a two-shot allreduce of ", bytes, " bytes over ", world_size,
                  " ranks, got ", peers.scratch_bytes);
  for (int p = 0; p < world_size; ++p) {
    if (peers.inputs[p] == nullptr) return concat("inputs[", p, "] must not be NULL");
    if (!aligned(peers.inputs[p], kPackBytes))
      return concat("inputs[", p, "] ", peers.inputs[p], " is not 16-byte aligned");
    if (peers.signals[p] == nullptr) return concat("signals[", p, "] must not be NULL");
    if (!aligned(peers.signals[p], kSignalAlignment))
      return concat("signals[", p, "] ", static_cast<const void *>(peers.signals[p]), " is not ",
                    kSignalAlignment, "-byte aligned");
    if (two_shot && peers.scratch[p] == nullptr)
      return concat("scratch[", p, "] must not be NULL for a two-shot allreduce");
    if (two_shot && !aligned(peers.scratch[p], kPackBytes))
      return concat("scratch[", p, "] ", peers.scratch[p], " is not 16-byte aligned");
    if (overlap(out, bytes, peers.inputs[p], bytes))
      return concat("out overlaps inputs[", p, "]: the allreduce is out of place");
    if (overlap(out, bytes, peers.signals[p], sizeof(Signal)))
      return concat("out overlaps signals[", p, "]");
    if (two_shot && overlap(out, bytes, peers.scratch[p], scratch_needed))
      return concat("out overlaps scratch[", p, "]");
  }
  return "";
}

}  // namespace mpcomm::kernels
