// Allreduce through POSIX shared-memory segments, for the processes of one node: the CPU twin of
// the custom GPU allreduce. Each rank copies its input into its own segment; after a flag
// barrier, at 2 ranks or for small pieces, every rank reduces the whole buffer by direct loads
// from every segment, in rank order, into its output (one barrier). Otherwise the buffer is cut
// into one slice per rank: rank r reduces slice r into its segment and its output, and after a
// second barrier every rank copies the peers' reduced slices out. Segments are double-buffered,
// so the next call's copy-in cannot overwrite what a slow peer still reads. An input that lies
// in a buffer of the node's MemPool (mem_pool.hpp) is not copied in: the peers read it there,
// and a second barrier keeps its owner from returning before they have (at 2 ranks or for small
// pieces the whole piece, as above, unless a rank reduces in place; else their slices).
// float32, float16 and bfloat16 (accumulated in float32); sum, prod, max, min and avg.
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
  ShmAllreduce(MPI_Comm node_comm, double timeout_s, size_t capacity = size_t{1} << 18);
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
  // The node ranks that had not arrived when a call timed out (empty before a timeout).
  const std::vector<int> &late_ranks() const { return late_; }

 private:
  struct Control;
  void barrier(const Deadline &deadline);
  // One piece; false when a rank refused it (refusal_ says why).
  bool run_piece(const char *send, char *recv, size_t count, size_t esize, mpcomm_datatype_t dtype,
                 mpcomm_op_t op, const MemPool *pool, const MemPool::Place *place,
                 const Deadline &deadline);
  // Points srcs_ at every rank's input of elements [begin, begin + n) of the piece in `parity`'s
  // halves; false when a peer's pool input is out of reach (recorded for refused_by_any).
  bool gather_inputs(const char *send, size_t parity, size_t begin, size_t n, size_t esize,
                     const MemPool *pool);
  // After a barrier: whether a rank recorded a refusal before it (refusal_ says which).
  bool refused_by_any();

  int rank_ = 0, size_ = 1;
  size_t capacity_;
  std::vector<Control *> controls_;  // each rank's flags
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
