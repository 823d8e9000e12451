// One device allocation per member of a group, every member mapping every other's: the member's
// own cudaMalloc, and the peers' opened with cudaIpcOpenMemHandle (lazy peer access) from handles
// exchanged over MPI. Every member succeeds or every member throws (they agree before returning),
// so no member goes on to launch kernels that wait for a member that gave up.
#pragma once

#include <cstddef>
#include <vector>

#include "comm/comm.hpp"

namespace mpcomm::device {

class IpcSharedBuffer {
 public:
  // Collective over g, on the current device. `zeroed` bytes at the start are set to 0 before
  // any peer can see the allocation.
  IpcSharedBuffer(Comm &g, size_t bytes, size_t zeroed, const char *what);
  // Closes the peers' mappings and frees the own allocation (local) unless close_peers() and
  // free_own() or abandon() said otherwise. A peer may still map the own allocation then: a
  // group tears its buffers down in order (CustomAllreduce::close) and only a failed
  // construction, where every member gives up together, relies on this.
  ~IpcSharedBuffer();
  IpcSharedBuffer(const IpcSharedBuffer &) = delete;
  IpcSharedBuffer &operator=(const IpcSharedBuffer &) = delete;

  // Member r's allocation as this process addresses it.
  void *at(int r) const { return pointers_[static_cast<size_t>(r)]; }
  size_t bytes() const { return bytes_; }

  // Teardown in steps, for CustomAllreduce::close: unmap the peers' allocations (no kernel of
  // this member may still run on them); free the own allocation (no peer may still map it); or
  // forget every pointer without touching CUDA (a kernel may still run, a peer may still map).
  void close_peers() noexcept;
  void free_own() noexcept;
  void abandon() noexcept;

 private:
  void release() noexcept;
  std::vector<void *> pointers_;
  int rank_ = 0;
  size_t bytes_ = 0;
};

}  // namespace mpcomm::device
