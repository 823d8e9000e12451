#include "host/shm_allreduce.hpp"

#include <algorithm>
#include <cstring>

#include "comm/node_wait.hpp"
#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "host/node_reduce.hpp"

namespace mpcomm::host {

// One rank's flags, alone on a cache line so that spinning readers do not slow the writer. The
// words other than `arrived` are written before an arrival and read after it.
struct alignas(64) ShmAllreduce::Control {
  uint64_t arrived;  // the number of barriers this rank has reached
  // Where this rank's input of the piece lies: 0 in its segment's half, s + 1 in its buffer of
  // pool allocation s, from `offset` (the piece's first element); kInPlace added when its send
  // is its recv. One pair per half: after a one-barrier piece a fast rank writes the next
  // piece's while its peers still read these.
  uint64_t source[2];
  uint64_t offset[2];
  // The barrier before which this rank found a peer's input out of its reach (a pool buffer it
  // had freed), that peer and the allocation.
  uint64_t refused;
  uint64_t refused_peer;
  uint64_t refused_sequence;
};

namespace {

constexpr size_t kControlBytes = 128;
constexpr size_t kAlign = 64;  // slices start on cache lines
// The bit of a Control's source word that says its rank reduces in place (send == recv).
constexpr uint64_t kInPlace = uint64_t{1} << 63;

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Whether every rank reducing a whole piece of `bytes` beats each reducing its slice and a second
// barrier: always at 2 ranks (the same bytes cross between the cores either way), and for small
// pieces at more, where the barrier costs more than the reads of n halves.
bool whole_piece_wins(size_t bytes, int ranks) {
  return ranks <= 2 || bytes * static_cast<size_t>(ranks) <= (size_t{256} << 10);
}

}  // namespace

bool ShmAllreduce::supports(mpcomm_datatype_t dtype) {
  return dtype == MPCOMM_FLOAT32 || dtype == MPCOMM_FLOAT16 || dtype == MPCOMM_BFLOAT16;
}

ShmAllreduce::ShmAllreduce(MPI_Comm node_comm, double timeout_s, size_t capacity)
    : capacity_(round_up(std::max<size_t>(capacity, kAlign), kAlign)) {
  static_assert(sizeof(Control) == 64, "one cache line of flags per rank");
  MPCOMM_MPI_CHECK(MPI_Comm_rank(node_comm, &rank_));
  MPCOMM_MPI_CHECK(MPI_Comm_size(node_comm, &size_));
  // Each rank's segment lives in its own pages, near the rank that writes it; segments start
  // zeroed and page-aligned, and every one is mapped everywhere before the constructor returns.
  segments_ = std::make_unique<SharedSegments>(node_comm, kControlBytes + 2 * capacity_, timeout_s,
                                               "the shared-memory allreduce's segments");
  for (int r = 0; r < size_; ++r) {
    char *base = segments_->base(r);
    controls_.push_back(reinterpret_cast<Control *>(base));
    data_.push_back(base + kControlBytes);
  }
  srcs_.resize(static_cast<size_t>(size_));
}

void ShmAllreduce::barrier(const Deadline &deadline) {
  ++sequence_;
  __atomic_store_n(&controls_[static_cast<size_t>(rank_)]->arrived, sequence_, __ATOMIC_RELEASE);
  late_ = wait_for_node(size_, deadline, [&](int r) {
    return __atomic_load_n(&controls_[static_cast<size_t>(r)]->arrived, __ATOMIC_ACQUIRE) >=
           sequence_;
  });
  if (late_.empty()) return;
  std::string missing;
  for (int q : late_) missing += concat(missing.empty() ? "" : ", ", q);
  broken_ = concat("shared-memory allreduce: node rank(s) ", missing,
                   " did not arrive before the timeout");
  throw Error(MPCOMM_ERR_TIMEOUT, broken_);
}

bool ShmAllreduce::run_piece(const char *send, char *recv, size_t count, size_t esize,
                             mpcomm_datatype_t dtype, mpcomm_op_t op, const MemPool *pool,
                             const MemPool::Place *place, const Deadline &deadline) {
  const size_t parity = calls_++ & 1, half = parity * capacity_;
  char *const mine = data_[static_cast<size_t>(rank_)] + half;
  Control &control = *controls_[static_cast<size_t>(rank_)];
  // Slices of whole cache lines; the last ranks may get less or nothing.
  const size_t per_line = kAlign / esize;
  const size_t slice = round_up((count + size_ - 1) / size_, per_line);
  const auto slice_begin = [&](int r) { return std::min(count, slice * static_cast<size_t>(r)); };
  const size_t begin = slice_begin(rank_), end = std::min(count, begin + slice);

  // Input in a pool buffer is read there by the peers; other input is copied to this rank's
  // half. Whether it is in place goes with it.
  const uint64_t in_place = send == recv ? kInPlace : 0;
  if (place != nullptr) {
    control.source[parity] = (place->sequence + 1) | in_place;
    control.offset[parity] = place->offset;
  } else {
    control.source[parity] = in_place;
    std::memcpy(mine, send, count * esize);
  }
  barrier(deadline);

  // Every rank sees the same sources. When the whole piece is cheap to reduce everywhere, each
  // rank reduces all of it, in rank order (the same result everywhere), straight into recv: no
  // copy-out. When all inputs are in the halves that takes one barrier a piece: a rank writes
  // its half again two pieces on, after every peer has passed the next barrier, which each
  // reaches only after reading this piece. Inputs in pool buffers are read where they lie, so a
  // second barrier keeps each rank from returning (and changing its input) before its peers
  // have read it; not when a rank reduces in place, which would overwrite its input meanwhile.
  bool staged = true, any_in_place = false;
  for (int r = 0; r < size_; ++r) {
    const uint64_t source = controls_[static_cast<size_t>(r)]->source[parity];
    staged = staged && (source & ~kInPlace) == 0;
    any_in_place = any_in_place || (source & kInPlace) != 0;
  }
  if (whole_piece_wins(count * esize, size_) && (staged || !any_in_place)) {
    if (gather_inputs(send, parity, 0, count, esize, pool))
      reduce_rows(dtype, op, srcs_.data(), size_, recv, count);
    if (staged) return true;
    barrier(deadline);
    return !refused_by_any();
  }

  // The result goes to this rank's segment, for the peers, then (still in cache) to recv. In
  // place, send's slice is read before recv's is written, and the peers read only their own
  // slices of send before the barrier below, after which this rank writes them.
  if (end > begin && gather_inputs(send, parity, begin, end - begin, esize, pool)) {
    reduce_rows(dtype, op, srcs_.data(), size_, mine + begin * esize, end - begin);
    std::memcpy(recv + begin * esize, mine + begin * esize, (end - begin) * esize);
  }
  barrier(deadline);
  if (refused_by_any()) return false;

  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    const size_t b = slice_begin(r), e = std::min(count, b + slice);
    if (e > b)
      std::memcpy(recv + b * esize, data_[static_cast<size_t>(r)] + half + b * esize,
                  (e - b) * esize);
  }
  return true;
}

bool ShmAllreduce::gather_inputs(const char *send, size_t parity, size_t begin, size_t n,
                                 size_t esize, const MemPool *pool) {
  const size_t half = parity * capacity_;
  for (int r = 0; r < size_; ++r) {
    const Control &peer = *controls_[static_cast<size_t>(r)];
    const uint64_t source = peer.source[parity] & ~kInPlace;
    const char *&src = srcs_[static_cast<size_t>(r)];
    if (r == rank_)
      src = send + begin * esize;
    else if (source == 0)
      src = data_[static_cast<size_t>(r)] + half + begin * esize;
    else if (pool == nullptr ||
             (src = pool->peer(source - 1, r, peer.offset[parity] + begin * esize, n * esize)) ==
                 nullptr) {
      Control &control = *controls_[static_cast<size_t>(rank_)];
      control.refused = sequence_ + 1;
      control.refused_peer = static_cast<uint64_t>(r);
      control.refused_sequence = source - 1;
      return false;
    }
  }
  return true;
}

bool ShmAllreduce::refused_by_any() {
  // Every rank sees the same refusals after the barrier, and stops after the same piece.
  for (int r = 0; r < size_; ++r) {
    const Control &peer = *controls_[static_cast<size_t>(r)];
    if (peer.refused != sequence_) continue;
    refusal_ =
        concat("node rank ", r, " could not read the input of node rank ", peer.refused_peer,
               ", which lies in mpcomm_mem_alloc's allocation number ", peer.refused_sequence,
               ": node rank ", r,
               " had freed that allocation (free it on every member only once none uses it)");
    return true;
  }
  return false;
}

std::string ShmAllreduce::all_reduce(const void *send, void *recv, size_t count,
                                     mpcomm_datatype_t dtype, mpcomm_op_t op, double timeout_s,
                                     const MemPool *pool) {
  require(broken_.empty(), MPCOMM_ERR_BROKEN, broken_);
  validate_datatype(dtype);
  validate_op(op);
  require_arg(supports(dtype), "the shared-memory allreduce takes float32, float16 or bfloat16, ",
              "got ", datatype_name(dtype));
  require_arg(count == 0 || (send != nullptr && recv != nullptr), "send and recv must not be NULL");
  const size_t esize = element_size(dtype);
  const size_t piece = capacity_ / esize;
  const Deadline deadline(timeout_s);
  const char *in = static_cast<const char *>(send);
  char *out = static_cast<char *>(recv);
  // A per-rank fact: each rank says at every piece where its input lies, so ranks with and
  // without pool input run the same protocol.
  MemPool::Place place{};
  const bool in_pool = pool != nullptr && pool->find(send, count * esize, place);
  refusal_.clear();
  for (size_t done = 0; done < count; done += piece) {
    const size_t n = std::min(piece, count - done);
    const MemPool::Place at{place.sequence, place.offset + done * esize};
    if (!run_piece(in + done * esize, out + done * esize, n, esize, dtype, op, pool,
                   in_pool ? &at : nullptr, deadline))
      return refusal_;
  }
  if (op == MPCOMM_AVG) divide_in_place(recv, count, dtype, size_);
  return {};
}

HostAllreduceChoice host_allreduce_choice() {
  const std::string value = env::choice("MPCOMM_HOST_ALLREDUCE");
  if (value == "shm") return HostAllreduceChoice::kShm;
  if (value == "mpi") return HostAllreduceChoice::kMpi;
  return HostAllreduceChoice::kAuto;
}

const char *host_allreduce_choice_name(HostAllreduceChoice choice) {
  switch (choice) {
    case HostAllreduceChoice::kAuto: return "auto";
    case HostAllreduceChoice::kShm: return "shm";
    case HostAllreduceChoice::kMpi: return "mpi";
    case HostAllreduceChoice::kUnread: break;
  }
  return "unread";
}

bool shm_allreduce_wins(size_t bytes, mpcomm_datatype_t dtype, int node_size, bool oversubscribed) {
  return ShmAllreduce::supports(dtype) && node_size > 1 &&
         (!oversubscribed || bytes >= (size_t{1} << 10));
}

}  // namespace mpcomm::host
