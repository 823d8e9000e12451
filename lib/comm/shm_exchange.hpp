// One synchronisation of the processes of one node through shared memory, carrying a 64-bit
// value and, when it fits, a block of bytes from each: the v-collectives' agreement (the XOR of
// the values, group/agreement.hpp) and their data (host/exchange_collectives.hpp) in one flag
// wait, where an MPI collective would cost as much as the 4 KiB call it precedes.
//
// Each process owns two slots, each alone on a cache line, and two data halves of `capacity`
// bytes, in its segment (comm/shared_segments.hpp; pages are touched only when written). Call k
// writes its data into half k % 2 (next_half()), its value into slot k % 2, publishes k in that
// slot's sequence (release), waits until every peer's slot k % 2 holds k (acquire), then reads
// the values and the peers' halves k % 2. Two of each suffice: a process cannot start call
// k + 2, which overwrites slot and half k % 2, before every peer has published k + 1, which
// each does only after it is done reading call k.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/shared_segments.hpp"
#include "core/deadline.hpp"

namespace mpcomm {

class ShmExchange {
 public:
  // Collective over comm, whose processes must share memory (MPI_COMM_TYPE_SHARED), waiting at
  // most timeout_s seconds for them (Error(TIMEOUT); Error(SYSTEM) on every process alike when
  // the segments cannot be made). capacity: the bytes of each data half (0: values only).
  ShmExchange(MPI_Comm comm, double timeout_s, size_t capacity = 0);
  // Unmaps the segments: local, so a peer that died costs nothing here nor at MPI_Finalize.
  ~ShmExchange() = default;
  ShmExchange(const ShmExchange &) = delete;
  ShmExchange &operator=(const ShmExchange &) = delete;

  size_t capacity() const { return capacity_; }

  // The XOR of every process's `mine`. Collective over the communicator it was made on, in the
  // same order everywhere. A process that has not published this call by the deadline is
  // Error(MPCOMM_ERR_TIMEOUT) (late_ranks() names them); the object refuses later calls.
  uint64_t reduce(uint64_t mine, const Deadline &deadline) {
    publish(mine);
    return collect(deadline);
  }
  // The two halves of reduce(), apart so that a caller can write its data in between and a
  // test can hold a member between them while a peer runs on to the next call.
  // with_data: this process wrote the call's data into next_half() (at most capacity() bytes).
  void publish(uint64_t mine, bool with_data = false);
  uint64_t collect(const Deadline &deadline);

  // Where this process writes the next call's data (capacity() bytes; nullptr when 0).
  char *next_half() const;
  // After collect(): whether every process published data with the call, and process r's half
  // of it (valid until this process publishes the call after next).
  bool all_data() const { return all_data_; }
  const char *half(int r) const { return halves_[static_cast<size_t>(r)] + half_offset(calls_); }

  // The ranks that had not arrived when a call timed out (empty before a timeout).
  const std::vector<int> &late_ranks() const { return late_; }

 private:
  struct Slot;
  size_t half_offset(uint64_t call) const { return (call & 1) * capacity_; }

  int rank_ = 0, size_ = 1;
  size_t capacity_ = 0;
  std::vector<Slot *> slots_;   // each process's two slots
  std::vector<char *> halves_;  // each process's two data halves
  uint64_t calls_ = 0;
  bool all_data_ = false;
  std::vector<int> late_;
  std::unique_ptr<SharedSegments> segments_;
};

}  // namespace mpcomm
