#include "host/exchange_collectives.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.hpp"
#include "core/reduce_op.hpp"
#include "host/node_reduce.hpp"
#include "host/stream_copy.hpp"

namespace mpcomm::host {
namespace {

// A test's limit: none (kExchangeMaxBytes), a size, or off.
enum class Forced { kNone, kLimit, kOff };
std::atomic<Forced> forced{Forced::kNone};
std::atomic<size_t> forced_limit{0};

// The table at the head of an all_to_allv contribution: block j's offset, whole cache lines.
size_t table_bytes(int size) {
  return (static_cast<size_t>(size) * sizeof(uint64_t) + 63) / 64 * 64;
}

// A block into this member's half: from 64 KiB past the caches (stream_copy.hpp), where the
// peers' reads of the same lines last call made plain stores slow; below, memcpy is faster.
void put_bytes(char *half, const void *from, size_t bytes) {
  if (bytes >= (size_t{64} << 10))
    stream_copy(half, from, bytes);
  else
    std::memcpy(half, from, bytes);
}

}  // namespace

bool exchange_wins(size_t bytes) {
  switch (forced.load(std::memory_order_relaxed)) {
    case Forced::kNone: return bytes <= kExchangeMaxBytes;
    case Forced::kLimit: return bytes <= forced_limit.load(std::memory_order_relaxed);
    case Forced::kOff: break;
  }
  return false;
}

ExchangeLimitForTesting::ExchangeLimitForTesting(size_t limit) {
  forced_limit = limit;
  forced = Forced::kLimit;
}
ExchangeLimitForTesting::ExchangeLimitForTesting(Off) { forced = Forced::kOff; }
ExchangeLimitForTesting::~ExchangeLimitForTesting() { forced = Forced::kNone; }

void all_gatherv_put(const TensorView &in, char *half) {
  // Plain stores: every peer reads the whole block next, and finds it sooner in this core's cache
  // than in memory (streaming it made 64-256 KiB 1.2-1.5 times slower).
  if (in.nbytes > 0) std::memcpy(half, in.data, in.nbytes);
}

void all_gatherv_take(const char *const *halves, int size, const TensorView &out,
                      const VLayout &l) {
  const size_t es = element_size(out.dtype);
  for (int r = 0; r < size; ++r) {
    const size_t slab = l.counts[r] / (l.outer == 0 ? 1 : l.outer) * es;
    if (slab == 0) continue;
    // Member r's in is [outer][sizes[r]][row]: slab o goes to rows row_displs[r].. of slab o.
    for (size_t o = 0; o < l.outer; ++o)
      std::memcpy(out.data + (o * l.total_rows + l.row_displs[r]) * l.row * es,
                  halves[r] + o * slab, slab);
  }
}

size_t reduce_scatterv_bytes(const TensorView &in) { return in.nbytes; }

void reduce_scatterv_put(const TensorView &in, const VLayout &l, int rank, char *half) {
  // Every block but this member's own, which only it reads (from in), in place: per slab, the
  // rows before it and after it.
  const size_t es = element_size(in.dtype), me = static_cast<size_t>(rank);
  const size_t slab = l.total_rows * l.row * es;
  const size_t own_begin = l.row_displs[me] * l.row * es;
  const size_t own_rows_end = me + 1 < l.row_displs.size() ? l.row_displs[me + 1] : l.total_rows;
  const size_t own_end = own_rows_end * l.row * es;
  for (size_t o = 0; o < l.outer; ++o) {
    const size_t at = o * slab;
    if (own_begin > 0) put_bytes(half + at, in.data + at, own_begin);
    if (slab > own_end) put_bytes(half + at + own_end, in.data + at + own_end, slab - own_end);
  }
}

void reduce_scatterv_take(const char *const *halves, int size, int rank, const TensorView &in,
                          const TensorView &out, const VLayout &l, mpcomm_op_t op) {
  const size_t es = element_size(in.dtype);
  const auto me = static_cast<size_t>(rank);
  const size_t slab = l.outer == 0 ? 0 : l.counts[me] / l.outer;
  if (slab > 0) {
    thread_local std::vector<const char *> srcs;
    srcs.resize(static_cast<size_t>(size));
    for (size_t o = 0; o < l.outer; ++o) {
      // Block `rank` of slab o: the same place in every member's in.
      const size_t at = (o * l.total_rows + l.row_displs[me]) * l.row * es;
      for (int r = 0; r < size; ++r)
        srcs[static_cast<size_t>(r)] =
            r == rank ? reinterpret_cast<const char *>(in.data) + at : halves[r] + at;
      reduce_rows(in.dtype, op, srcs.data(), size,
                  reinterpret_cast<char *>(out.data) + o * slab * es, slab);
    }
  }
  if (op == MPCOMM_AVG) divide_in_place(out.data, out.numel, out.dtype, size);
}

size_t all_to_all_bytes(size_t block_bytes, int size) {
  return static_cast<size_t>(size - 1) * block_bytes;
}

// Block j of member r's half: the blocks of its send but its own, packed.
size_t packed_block(int j, int r, size_t block_bytes) {
  return static_cast<size_t>(j < r ? j : j - 1) * block_bytes;
}

void all_to_all_put(const void *send, size_t block_bytes, int size, int rank, char *half) {
  const auto *in = static_cast<const unsigned char *>(send);
  const size_t own = static_cast<size_t>(rank) * block_bytes;
  const size_t all = static_cast<size_t>(size) * block_bytes;
  if (own > 0) put_bytes(half, in, own);
  if (all > own + block_bytes)
    put_bytes(half + own, in + own + block_bytes, all - own - block_bytes);
}

void all_to_all_take(const char *const *halves, int size, int rank, const void *send, void *recv,
                     size_t block_bytes) {
  if (block_bytes == 0) return;
  auto *out = static_cast<unsigned char *>(recv);
  for (int r = 0; r < size; ++r) {
    const auto to = static_cast<size_t>(r) * block_bytes;
    const char *from = r == rank ? static_cast<const char *>(send) + to
                                 : halves[r] + packed_block(rank, r, block_bytes);
    std::memcpy(out + to, from, block_bytes);
  }
}

size_t all_to_allv_bytes(const size_t *send_counts, int size, int rank, size_t es) {
  size_t bytes = table_bytes(size);
  // Blocks may overlap in send, so their sum may pass a size_t: then it fits nowhere.
  for (int j = 0; j < size; ++j) {
    size_t block = 0;
    if (j != rank && (__builtin_mul_overflow(send_counts[j], es, &block) ||
                      __builtin_add_overflow(bytes, block, &bytes)))
      return SIZE_MAX;
  }
  return bytes;
}

void all_to_allv_put(const void *send, const size_t *send_counts, const size_t *send_displs,
                     int size, int rank, size_t es, char *half) {
  const auto *in = static_cast<const unsigned char *>(send);
  uint64_t *table = reinterpret_cast<uint64_t *>(half);
  size_t at = table_bytes(size);
  for (int j = 0; j < size; ++j) {
    table[j] = at;
    if (j == rank) continue;  // this member takes its own block from send
    const size_t bytes = send_counts[j] * es;
    if (bytes > 0) put_bytes(half + at, in + send_displs[j] * es, bytes);
    at += bytes;
  }
}

void all_to_allv_take(const char *const *halves, int size, int rank, const void *send,
                      const size_t *send_displs, void *recv, const size_t *recv_counts,
                      const size_t *recv_displs, size_t es) {
  auto *out = static_cast<unsigned char *>(recv);
  for (int r = 0; r < size; ++r) {
    const size_t bytes = recv_counts[r] * es;
    if (bytes == 0) continue;
    const auto *table = reinterpret_cast<const uint64_t *>(halves[r]);
    const char *from = r == rank ? static_cast<const char *>(send) + send_displs[rank] * es
                                 : halves[r] + table[rank];
    std::memcpy(out + recv_displs[r] * es, from, bytes);
  }
}

}  // namespace mpcomm::host
