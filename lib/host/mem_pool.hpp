// Buffers of a node's shared memory that a program allocates for the host allreduce to read in
// place (mpcomm_mem_alloc(3)): the CPU twin of ncclMemAlloc with a registered window. Every
// allocation is collective over the node communicator (each process asks for its own bytes,
// 0 included) and maps every process's buffer everywhere (comm/shared_segments.hpp), so that a
// peer loads this process's input where it lies. Allocations are numbered in the order they are
// made, the same on every process, so a number names one allocation across the node.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "comm/shared_segments.hpp"

namespace mpcomm::host {

class MemPool {
 public:
  // Where a process's input of a call lies: in its buffer of allocation `sequence` at `offset`.
  struct Place {
    uint64_t sequence;
    size_t offset;
  };

  MemPool() = default;
  MemPool(const MemPool &) = delete;
  MemPool &operator=(const MemPool &) = delete;

  // Collective over node (processes that share memory): a buffer of `bytes` for this process,
  // page-aligned and zero-filled (nullptr for 0 bytes). Error(SYSTEM) on every process alike when
  // a buffer cannot be made or mapped, Error(TIMEOUT) when a process does not come.
  void *allocate(MPI_Comm node, size_t bytes, double timeout_s);
  // Unmaps this process's buffer of the allocation at ptr and its view of the peers' buffers of
  // that allocation: local. Error(INVALID_ARGUMENT) when ptr is not a buffer allocate() returned
  // here and did not free yet.
  void free(void *ptr);
  // Unmaps everything: local.
  void clear();

  // Where [p, p + bytes) lies when it lies wholly in one of this process's buffers.
  bool find(const void *p, size_t bytes, Place &place) const;
  // Process r's buffer of allocation `sequence` from `offset` when this process still maps it and
  // it holds `bytes` from there; nullptr otherwise.
  const char *peer(uint64_t sequence, int r, size_t offset, size_t bytes) const;

  // The number of buffers this process holds.
  size_t live() const { return by_base_.size(); }

 private:
  std::vector<std::unique_ptr<SharedSegments>> allocations_;  // by sequence; freed: null
  std::map<uintptr_t, uint64_t> by_base_;                     // this process's buffers, by address
  int rank_ = 0;
};

}  // namespace mpcomm::host
