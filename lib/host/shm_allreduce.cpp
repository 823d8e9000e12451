#include "host/shm_allreduce.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "comm/node_wait.hpp"
#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "host/cross_memory.hpp"
#include "host/node_reduce.hpp"

namespace mpcomm::host {

// One rank's flags, alone on a cache line so that spinning readers do not slow the writer. The
// words other than `arrived` are written before an arrival and read after it.
struct alignas(64) ShmAllreduce::Control {
  uint64_t arrived;  // the number of barriers this rank has reached
  // Where this rank's input of the piece lies: 0 in its segment's half, s + 1 in its buffer of
  // pool allocation s, from `offset` (the piece's first element). One pair per half: after a
  // one-barrier piece a fast rank writes the next piece's while its peers still read these.
  uint64_t source[2];
  uint64_t offset[2];
  // The barrier before which this rank found a peer's input out of its reach (a pool buffer it
  // had freed), that peer and the allocation.
  uint64_t refused;
  uint64_t refused_peer;
  uint64_t refused_sequence;
};

// One rank's words for cross-memory attach, on the cache lines after its flags. The probe's are
// written once, before the constructor's first barrier; a call's before its first barrier, and
// read by the peers only until its second, which they pass before this rank writes them again.
struct alignas(64) ShmAllreduce::Direct {
  uint64_t pid;            // this process, as the peers name it to the kernel
  uint64_t nonce_address;  // where this process keeps nonce, in its own memory
  uint64_t nonce;          // what a peer must read there
  uint64_t verdict;        // the probe's outcome on this rank (kReaches, ...)
  uint64_t send, recv;     // this rank's buffers in the current call
  uint64_t count;          // its element count,
  uint64_t kind;           // dtype and op,
  uint64_t call;           // and the barrier that starts it
  uint64_t failed;         // the barrier before which a copy of this rank's failed,
  uint64_t failed_errno;   // with this errno,
  uint64_t failed_peer;    // in the memory of this node rank
  uint64_t failed_write;   // 1: writing the result, 0: reading the input
};

namespace {

constexpr size_t kControlBytes = 64 + 128;
constexpr size_t kChunkBytes = size_t{256} << 10;  // read from each peer per step, cache-sized
enum Verdict : uint64_t { kUnprobed = 0, kReaches, kUnreachable, kInvalidSetting };
constexpr size_t kAlign = 64;  // slices start on cache lines

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

ShmAllreduce::ShmAllreduce(MPI_Comm node_comm, double timeout_s, size_t capacity,
                           size_t single_copy_from)
    : capacity_(round_up(std::max<size_t>(capacity, kAlign), kAlign)),
      single_copy_from_(single_copy_from) {
  static_assert(sizeof(Control) == 64, "one cache line of flags per rank");
  static_assert(sizeof(Control) + sizeof(Direct) == kControlBytes, "flags, then direct words");
  MPCOMM_MPI_CHECK(MPI_Comm_rank(node_comm, &rank_));
  MPCOMM_MPI_CHECK(MPI_Comm_size(node_comm, &size_));
  // Each rank's segment lives in its own pages, near the rank that writes it; segments start
  // zeroed and page-aligned, and every one is mapped everywhere before the constructor returns.
  segments_ = std::make_unique<SharedSegments>(node_comm, kControlBytes + 2 * capacity_, timeout_s,
                                               "the shared-memory allreduce's segments");
  for (int r = 0; r < size_; ++r) {
    char *base = segments_->base(r);
    controls_.push_back(reinterpret_cast<Control *>(base));
    directs_.push_back(reinterpret_cast<Direct *>(base + sizeof(Control)));
    data_.push_back(base + kControlBytes);
  }
  srcs_.resize(static_cast<size_t>(size_));
  if (size_ > 1 && single_copy_from_ != SIZE_MAX)
    single_copy_ = probe_single_copy(Deadline(timeout_s));
}

bool ShmAllreduce::probe_single_copy(const Deadline &deadline) {
  std::string invalid;
  bool allowed = false;
  try {
    allowed = single_copy_allowed();
  } catch (const Error &e) {
    invalid = e.what();
  }
  std::random_device entropy;
  nonce_ = (uint64_t{entropy()} << 32 | entropy()) | 1;
  Direct &me = *directs_[static_cast<size_t>(rank_)];
  me.pid = static_cast<uint64_t>(getpid());
  me.nonce_address = reinterpret_cast<uintptr_t>(&nonce_);
  me.nonce = nonce_;
  barrier(deadline);
  bool reaches = allowed;
  for (int r = 0; r < size_ && reaches; ++r) {
    const Direct &peer = *directs_[static_cast<size_t>(r)];
    reaches = r == rank_ || cross_memory_reaches(
                                static_cast<pid_t>(peer.pid),
                                reinterpret_cast<const uint64_t *>(peer.nonce_address), peer.nonce);
  }
  me.verdict = !invalid.empty() ? kInvalidSetting : reaches ? kReaches : kUnreachable;
  barrier(deadline);
  bool everywhere = true;
  for (int r = 0; r < size_; ++r) {
    const uint64_t verdict = directs_[static_cast<size_t>(r)]->verdict;
    if (verdict == kInvalidSetting)
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  r == rank_ ? invalid
                             : concat("node rank ", r,
                                      " has an invalid MPCOMM_HOST_SINGLE_COPY (cma or none)"));
    everywhere = everywhere && verdict == kReaches;
  }
  return everywhere;
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
  // half.
  if (place != nullptr) {
    control.source[parity] = place->sequence + 1;
    control.offset[parity] = place->offset;
  } else {
    control.source[parity] = 0;
    std::memcpy(mine, send, count * esize);
  }
  barrier(deadline);

  // Every rank sees the same sources. When all inputs are in the halves and the whole piece is
  // cheap to reduce everywhere, each rank reduces all of it from the halves, in rank order (the
  // same result everywhere), straight into recv: one barrier a piece instead of two, and no
  // copy-out. A rank writes its half again two pieces on, after every peer has passed the next
  // barrier, which each reaches only after reading this piece.
  bool staged = true;
  for (int r = 0; r < size_; ++r)
    staged = staged && controls_[static_cast<size_t>(r)]->source[parity] == 0;
  if (staged && whole_piece_wins(count * esize, size_)) {
    for (int r = 0; r < size_; ++r)
      srcs_[static_cast<size_t>(r)] = data_[static_cast<size_t>(r)] + half;
    reduce_rows(dtype, op, srcs_.data(), size_, recv, count);
    return true;
  }

  if (end > begin) {
    for (int r = 0; r < size_; ++r) {
      const Control &peer = *controls_[static_cast<size_t>(r)];
      const char *&src = srcs_[static_cast<size_t>(r)];
      if (r == rank_)
        src = send + begin * esize;
      else if (peer.source[parity] == 0)
        src = data_[static_cast<size_t>(r)] + half + begin * esize;
      else if (pool == nullptr ||
               (src = pool->peer(peer.source[parity] - 1, r, peer.offset[parity] + begin * esize,
                                 (end - begin) * esize)) == nullptr) {
        control.refused = sequence_ + 1;
        control.refused_peer = static_cast<uint64_t>(r);
        control.refused_sequence = peer.source[parity] - 1;
        break;
      }
    }
    // The result goes to this rank's segment, for the peers, then (still in cache) to recv. In
    // place, send's slice is read before recv's is written, and the peers read only their own
    // slices of send before the barrier below, after which this rank writes them.
    if (control.refused != sequence_ + 1) {
      reduce_rows(dtype, op, srcs_.data(), size_, mine + begin * esize, end - begin);
      std::memcpy(recv + begin * esize, mine + begin * esize, (end - begin) * esize);
    }
  }
  barrier(deadline);
  // Every rank sees the same refusals here, and stops after the same piece.
  for (int r = 0; r < size_; ++r) {
    const Control &peer = *controls_[static_cast<size_t>(r)];
    if (peer.refused != sequence_) continue;
    refusal_ =
        concat("node rank ", r, " could not read the input of node rank ", peer.refused_peer,
               ", which lies in mpcomm_mem_alloc's allocation number ", peer.refused_sequence,
               ": node rank ", r,
               " had freed that allocation (free it on every member only once none uses it)");
    return false;
  }

  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    const size_t b = slice_begin(r), e = std::min(count, b + slice);
    if (e > b)
      std::memcpy(recv + b * esize, data_[static_cast<size_t>(r)] + half + b * esize,
                  (e - b) * esize);
  }
  return true;
}

bool ShmAllreduce::run_single_copy(const char *send, char *recv, size_t count, size_t esize,
                                   mpcomm_datatype_t dtype, mpcomm_op_t op,
                                   const Deadline &deadline) {
  Direct &me = *directs_[static_cast<size_t>(rank_)];
  const uint64_t kind = static_cast<uint64_t>(dtype) << 32 | static_cast<uint32_t>(op);
  me.send = reinterpret_cast<uintptr_t>(send);
  me.recv = reinterpret_cast<uintptr_t>(recv);
  me.count = count;
  me.kind = kind;
  me.call = sequence_ + 1;
  barrier(deadline);
  // Every rank sees every rank's words and fails here alike, before anything is written; the
  // second barrier keeps the words until every rank has read them.
  std::string disagreement;
  for (int r = 0; r < size_ && disagreement.empty(); ++r) {
    const Direct &peer = *directs_[static_cast<size_t>(r)];
    if (peer.call != sequence_)
      disagreement =
          concat("node rank ", r, " is in another call than node rank ", rank_, " (count ", count,
                 " of ", datatype_name(dtype), "): the members must call all_reduce alike");
    else if (peer.count != count || peer.kind != kind)
      disagreement =
          concat("node rank ", r, " called all_reduce with count ", peer.count, " of ",
                 datatype_name(static_cast<mpcomm_datatype_t>(peer.kind >> 32)), ", op ",
                 op_name(static_cast<mpcomm_op_t>(peer.kind & 0xffffffffu)), " where node rank ",
                 rank_, " has count ", count, " of ", datatype_name(dtype), ", op ", op_name(op),
                 ": the members must call it alike");
  }
  if (!disagreement.empty()) {
    barrier(deadline);
    me.call = 0;
    throw Error(MPCOMM_ERR_INVALID_ARGUMENT, disagreement);
  }
  // Rank r reduces slice r (whole cache lines) chunk by chunk: the peers' parts of it are read
  // into scratch, reduced with its own straight into recv (in place too: every source element
  // is read before its result is written), and the result is written into every peer's recv.
  const size_t per_line = kAlign / esize;
  const size_t slice = round_up((count + size_ - 1) / size_, per_line);
  const size_t begin = std::min(count, slice * static_cast<size_t>(rank_));
  const size_t end = std::min(count, begin + slice);
  const size_t chunk = kChunkBytes / esize;
  scratch_.resize(static_cast<size_t>(size_ - 1) * kChunkBytes);
  int failed_errno = 0, failed_peer = 0;
  bool failed_write = false;
  for (size_t c = begin; c < end && failed_errno == 0; c += chunk) {
    const size_t n = std::min(chunk, end - c), at = c * esize;
    char *slot = scratch_.data();
    for (int r = 0; r < size_ && failed_errno == 0; ++r) {
      const Direct &peer = *directs_[static_cast<size_t>(r)];
      const char *&src = srcs_[static_cast<size_t>(r)];
      if (r == rank_) {
        src = send + at;
        continue;
      }
      failed_errno =
          cross_memory_read(static_cast<pid_t>(peer.pid),
                            reinterpret_cast<const char *>(peer.send) + at, slot, n * esize);
      failed_peer = r;
      src = slot;
      slot += kChunkBytes;
    }
    if (failed_errno != 0) break;
    reduce_rows(dtype, op, srcs_.data(), size_, recv + at, n);
    for (int r = 0; r < size_ && failed_errno == 0; ++r) {
      if (r == rank_) continue;
      const Direct &peer = *directs_[static_cast<size_t>(r)];
      failed_errno = cross_memory_write(static_cast<pid_t>(peer.pid), recv + at,
                                        reinterpret_cast<char *>(peer.recv) + at, n * esize);
      failed_peer = r;
      failed_write = true;
    }
  }
  if (failed_errno != 0) {
    me.failed_errno = static_cast<uint64_t>(failed_errno);
    me.failed_peer = static_cast<uint64_t>(failed_peer);
    me.failed_write = failed_write ? 1 : 0;
    me.failed = sequence_ + 1;
  }
  // After it no rank touches another's buffers: each may return. A call word left behind could
  // match a later call of a peer that went astray; none is.
  barrier(deadline);
  me.call = 0;
  for (int r = 0; r < size_; ++r) {
    const Direct &peer = *directs_[static_cast<size_t>(r)];
    if (peer.failed != sequence_) continue;
    refusal_ =
        concat("node rank ", r, " could not ", peer.failed_write ? "write into" : "read",
               " the buffer of node rank ", peer.failed_peer,
               " by cross-memory attach: ", std::strerror(static_cast<int>(peer.failed_errno)),
               " (recv is undefined on every rank)");
    return false;
  }
  return true;
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
  if (single_copy_ && count * esize >= single_copy_from_) {
    if (!run_single_copy(in, out, count, esize, dtype, op, deadline)) return refusal_;
    if (op == MPCOMM_AVG) divide_in_place(recv, count, dtype, size_);
    return {};
  }
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
