// The XOR of one 64-bit value over the processes of one node, through shared memory: the
// v-collectives' agreement (group/agreement.hpp) on a group whose members share a node, where
// an MPI_Allreduce would cost as much as the 4 KiB call it precedes.
//
// Each process owns two slots, each alone on a cache line, in its segment (comm/
// shared_segments.hpp). Call k writes the value into slot k % 2, publishes k in that slot's
// sequence (release), waits until every peer's slot k % 2 holds k (acquire) and XORs their
// values. Two slots suffice: a process cannot start call k + 2, which overwrites slot k % 2,
// before every peer has published k + 1, which each does only after reading call k.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/shared_segments.hpp"
#include "core/deadline.hpp"

namespace mpcomm {

class ShmXor {
 public:
  // Collective over comm, whose processes must share memory (MPI_COMM_TYPE_SHARED), waiting at
  // most timeout_s seconds for them (Error(TIMEOUT); Error(SYSTEM) on every process alike when
  // the segments cannot be made).
  ShmXor(MPI_Comm comm, double timeout_s);
  // Unmaps the segments: local, so a peer that died costs nothing here nor at MPI_Finalize.
  ~ShmXor() = default;
  ShmXor(const ShmXor &) = delete;
  ShmXor &operator=(const ShmXor &) = delete;

  // The XOR of every process's `mine`. Collective over the communicator it was made on, in the
  // same order everywhere. A process that has not published this call by the deadline is
  // Error(MPCOMM_ERR_TIMEOUT) (late_ranks() names them); the object refuses later calls.
  uint64_t reduce(uint64_t mine, const Deadline &deadline) {
    publish(mine);
    return collect(deadline);
  }
  // The two halves of reduce(), apart so that a test can hold a member between them while a
  // peer runs on to the next call.
  void publish(uint64_t mine);
  uint64_t collect(const Deadline &deadline);

  // The ranks that had not arrived when a call timed out (empty before a timeout).
  const std::vector<int> &late_ranks() const { return late_; }

 private:
  struct Slot;

  int rank_ = 0, size_ = 1;
  std::vector<Slot *> slots_;  // each process's two slots
  uint64_t calls_ = 0;
  std::vector<int> late_;
  std::unique_ptr<SharedSegments> segments_;
};

}  // namespace mpcomm
