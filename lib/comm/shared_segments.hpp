// Memory shared by the processes of one node, without an MPI window. MPI_Win_free is collective,
// and Open MPI's MPI_Finalize frees every window left over collectively too: after a member of
// a window died, its survivors hang in MPI_Finalize, whatever the library does before. Here
// each process maps a POSIX shared-memory segment of its own and every peer's; a segment's name
// exists in /dev/shm only while the segments are being made (it is unlinked as soon as every
// process has mapped it, or failed to), and unmapping is local: a process that died or never
// comes costs nothing when the memory is released, nor at MPI_Finalize.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

namespace mpcomm {

class SharedSegments {
 public:
  // Collective over comm, whose processes share memory (MPI_COMM_TYPE_SHARED): this process's
  // segment holds `bytes` (0: none), zero-filled. Waits at most timeout_s seconds for the other
  // processes (then Error(MPCOMM_ERR_TIMEOUT) naming `what`). A segment that cannot be made or
  // mapped anywhere is Error(MPCOMM_ERR_SYSTEM) on every process alike.
  SharedSegments(MPI_Comm comm, size_t bytes, double timeout_s, const char *what);
  // Unmaps every segment: local.
  ~SharedSegments();
  SharedSegments(const SharedSegments &) = delete;
  SharedSegments &operator=(const SharedSegments &) = delete;

  // Process r's segment, page-aligned (nullptr when it has none).
  char *base(int r) const { return bases_[static_cast<size_t>(r)]; }
  // The bytes of process r's segment (0 when it has none).
  size_t bytes(int r) const { return sizes_[static_cast<size_t>(r)]; }

 private:
  void unmap() noexcept;

  std::vector<char *> bases_;
  std::vector<size_t> sizes_;
};

}  // namespace mpcomm
