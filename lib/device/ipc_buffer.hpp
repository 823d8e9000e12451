// One device allocation per member of a group, every member mapping every other's: the member's
// own cudaMalloc, and the peers' opened with cudaIpcOpenMemHandle (lazy peer access) from handles
// exchanged over MPI. Every member succeeds or every member throws (they agree before returning),
// so no member goes on to launch kernels that wait for a member that gave up.
#pragma once

#include <cstddef>
#include <vector>

#include "group/group.hpp"

namespace mpcomm::device {

class IpcSharedBuffer {
 public:
  // Collective over g, on the current device. `zeroed` bytes at the start are set to 0 before
  // any peer can see the allocation.
  IpcSharedBuffer(mpcomm_group_s &g, size_t bytes, size_t zeroed, const char *what);
  // Closes the peers' mappings and frees the own allocation (local).
  ~IpcSharedBuffer();
  IpcSharedBuffer(const IpcSharedBuffer &) = delete;
  IpcSharedBuffer &operator=(const IpcSharedBuffer &) = delete;

  // Member r's allocation as this process addresses it.
  void *at(int r) const { return pointers_[static_cast<size_t>(r)]; }
  size_t bytes() const { return bytes_; }

 private:
  void release() noexcept;
  std::vector<void *> pointers_;
  int rank_ = 0;
  size_t bytes_ = 0;
};

}  // namespace mpcomm::device
