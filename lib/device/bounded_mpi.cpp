#include "device/bounded_mpi.hpp"

#include <mpi.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/abandoned.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::device {

namespace {

// Waits for a nonblocking collective whose buffers live in *buffers. A collective can be neither
// cancelled nor freed: on timeout the request is parked with the buffers (MPI may still write
// into them), the group is marked broken and Error(TIMEOUT) is thrown. Returns the buffers.
std::unique_ptr<std::vector<char>> wait_or_break(mpcomm_group_s &g, MPI_Request request,
                                                 std::unique_ptr<std::vector<char>> buffers,
                                                 const char *what) {
  int code = MPI_SUCCESS;
  const Deadline deadline(g.timeout());
  const bool done = poll_until(deadline, [&] {
    int flag = 0;
    code = MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
    return flag != 0 || code != MPI_SUCCESS;
  });
  mpi_check(code, what);
  if (done) return buffers;
  keep_until_done(request, std::move(buffers));
  const std::string cause = concat("timed out after ", g.timeout(), " s in ", what,
                                   ": not every member of the group made the same device call");
  g.mark_broken(cause);
  throw Error(MPCOMM_ERR_TIMEOUT, cause);
}

}  // namespace

void bounded_all_gather(mpcomm_group_s &g, const void *mine, void *all, size_t bytes,
                        const char *what) {
  g.require_usable();
  require(bytes <= 1u << 20, MPCOMM_ERR_INTERNAL, what, ": ", bytes, " bytes per member");
  const size_t n = static_cast<size_t>(g.size());
  auto buffers = std::make_unique<std::vector<char>>(bytes * (n + 1));
  char *send = buffers->data();
  char *recv = send + bytes;
  std::memcpy(send, mine, bytes);
  MPI_Request request = MPI_REQUEST_NULL;
  const int count = static_cast<int>(bytes);
  mpi_check(MPI_Iallgather(send, count, MPI_BYTE, recv, count, MPI_BYTE, g.comm(), &request), what);
  buffers = wait_or_break(g, request, std::move(buffers), what);
  std::memcpy(all, buffers->data() + bytes, bytes * n);
}

void bounded_broadcast(mpcomm_group_s &g, void *buf, size_t bytes, int root, const char *what) {
  g.require_usable();
  require(bytes <= 1u << 20, MPCOMM_ERR_INTERNAL, what, ": ", bytes, " bytes");
  auto buffers = std::make_unique<std::vector<char>>(bytes);
  std::memcpy(buffers->data(), buf, bytes);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(
      MPI_Ibcast(buffers->data(), static_cast<int>(bytes), MPI_BYTE, root, g.comm(), &request),
      what);
  buffers = wait_or_break(g, request, std::move(buffers), what);
  std::memcpy(buf, buffers->data(), bytes);
}

void bounded_barrier(mpcomm_group_s &g, const char *what) {
  g.require_usable();
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Ibarrier(g.comm(), &request), what);
  wait_or_break(g, request, std::make_unique<std::vector<char>>(), what);
}

int64_t bounded_min(mpcomm_group_s &g, int64_t mine, const char *what) {
  std::vector<int64_t> all(static_cast<size_t>(g.size()));
  bounded_all_gather(g, &mine, all.data(), sizeof mine, what);
  int64_t least = mine;
  for (int64_t v : all) least = v < least ? v : least;
  return least;
}

}  // namespace mpcomm::device
