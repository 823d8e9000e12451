// Allreduce through POSIX shared-memory segments, for the processes of one node: the CPU twin of
// the custom GPU allreduce. Each rank copies its input into its own segment; after a flag
// barrier, at 2 ranks or for small pieces, every rank reduces the whole buffer by direct loads
// from every segment, in rank order, into its output (one barrier). Otherwise the buffer is cut
// into one slice per rank: rank r reduces slice r into its segment and its output, and after a
// second barrier every rank copies the peers' reduced slices out. Segments are double-buffered,
// so the next call's copy-in cannot overwrite what a slow peer still reads. An input that lies
// in a buffer of the node's MemPool (mem_pool.hpp) is not copied in: the peers read their
// slices of it there (always the two-barrier form). float32, float16 and bfloat16 (accumulated in
// float32); sum, prod, max, min and avg.
//
// From single_copy_from bytes, where every rank allows cross-memory attach (cross_memory.hpp),
// nothing is staged: each rank publishes where its send and recv buffers are, reads slice r of
// every peer's send straight from its memory, reduces it, and writes the result straight into
// every peer's recv (one copy each way, the memory traffic of the bound; two barriers a call).
// Before any byte moves the ranks check that they all run the same call (count, type, op), so
// that members that disagree fail alike instead of writing past a peer's buffer.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/shared_segments.hpp"
#include "core/deadline.hpp"
#include "host/mem_pool.hpp"
#include "mpcomm.h"

namespace mpcomm::host {

class ShmAllreduce {
 public:
  // Collective over node_comm, whose processes must share memory (MPI_COMM_TYPE_SHARED),
  // waiting at most timeout_s seconds for them (comm/shared_segments.hpp). capacity: bytes per
  // segment half; larger calls run in pieces of this size.
  // single_copy_from: the smallest call, in bytes, that takes the single-copy path when every
  // rank allows it (SIZE_MAX: never). Error(INVALID_ARGUMENT) on every rank when a rank's
  // MPCOMM_HOST_SINGLE_COPY is invalid.
  ShmAllreduce(MPI_Comm node_comm, double timeout_s, size_t capacity = size_t{1} << 18,
               size_t single_copy_from = kSingleCopyFromBytes);
  // Where single copy beats staging through the segments on a quiet 2-core node
  // (mpcomm-perf all_reduce with MPCOMM_HOST_SINGLE_COPY=cma and none).
  static constexpr size_t kSingleCopyFromBytes = size_t{256} << 10;
  // Unmaps the segments: local, so a peer that died costs nothing here nor at MPI_Finalize.
  ~ShmAllreduce() = default;
  ShmAllreduce(const ShmAllreduce &) = delete;
  ShmAllreduce &operator=(const ShmAllreduce &) = delete;

  static bool supports(mpcomm_datatype_t dtype);

  // recv = op over the node's ranks of send (send == recv: in place). Collective over the
  // node communicator. A peer that does not arrive within timeout_s seconds is
  // Error(MPCOMM_ERR_TIMEOUT) naming the ranks; the object is unusable afterwards. pool: the
  // node's pool over the same communicator (or nullptr); a send that lies in one of its buffers
  // is read in place. Returns "" or, on every rank alike, why a rank could not read a peer's
  // pool input (it had freed that allocation): recv is then undefined, the object still usable.
  std::string all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                         mpcomm_op_t op, double timeout_s, const MemPool *pool = nullptr);

  int size() const { return size_; }
  int rank() const { return rank_; }
  // Whether every rank allowed cross-memory attach and reached every peer with it.
  bool single_copy() const { return single_copy_; }
  // The node ranks that had not arrived when a call timed out (empty before a timeout).
  const std::vector<int> &late_ranks() const { return late_; }

 private:
  struct Control;
  struct Direct;
  void barrier(const Deadline &deadline);
  // Probes cross-memory attach between every pair of ranks; collective.
  bool probe_single_copy(const Deadline &deadline);
  // A whole call through cross-memory attach; false when a rank could not reach a peer's
  // buffer (refusal_ says why).
  bool run_single_copy(const char *send, char *recv, size_t count, size_t esize,
                       mpcomm_datatype_t dtype, mpcomm_op_t op, const Deadline &deadline);
  // One piece; false when a rank refused it (refusal_ says why).
  bool run_piece(const char *send, char *recv, size_t count, size_t esize, mpcomm_datatype_t dtype,
                 mpcomm_op_t op, const MemPool *pool, const MemPool::Place *place,
                 const Deadline &deadline);

  int rank_ = 0, size_ = 1;
  size_t capacity_;
  size_t single_copy_from_;
  bool single_copy_ = false;
  uint64_t nonce_ = 0;               // read by the peers' probe, in this process's own memory
  std::vector<Control *> controls_;  // each rank's flags
  std::vector<Direct *> directs_;    // each rank's single-copy words
  std::vector<char> scratch_;        // the peers' chunks of a single-copy call
  std::vector<char *> data_;         // each rank's two halves, 2 * capacity_ bytes
  std::vector<const char *> srcs_;   // a piece's inputs, one per rank (no allocation per call)
  uint64_t sequence_ = 0;            // barriers passed
  uint64_t calls_ = 0;               // pieces run, selects the half
  std::string broken_;
  std::string refusal_;
  std::vector<int> late_;
  std::unique_ptr<SharedSegments> segments_;
};

// The host allreduce implementation MPCOMM_HOST_ALLREDUCE selects ("auto", the default, "shm" or
// "mpi"). kUnread is a group's value before its first host all_reduce reads the variable.
enum class HostAllreduceChoice : int { kUnread = 0, kAuto, kShm, kMpi };

// This process's MPCOMM_HOST_ALLREDUCE; Error(INVALID_ARGUMENT) naming a value that is none of
// them.
HostAllreduceChoice host_allreduce_choice();
const char *host_allreduce_choice_name(HostAllreduceChoice choice);

// Whether auto picks shared memory for this call: a supported dtype in a node of two or more
// ranks, at any size when every rank has a core, from 1 KiB when the node is oversubscribed
// (below that, the spinning barriers' yields cost more than MPI_Allreduce; see mpcomm-perf
// all_reduce --baseline mpi).
bool shm_allreduce_wins(size_t bytes, mpcomm_datatype_t dtype, int node_size, bool oversubscribed);

}  // namespace mpcomm::host
