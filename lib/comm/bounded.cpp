#include "comm/bounded.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "core/abandoned.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

namespace {

constexpr size_t kMaxBytes = size_t{1} << 20;  // control-plane payloads are small

// Waits for request until the deadline; on timeout parks it with `memory` (which MPI may still
// write into) and throws. On success the caller keeps `memory`.
template <class T>
void wait_or_park(MPI_Request request, std::unique_ptr<T> &memory, double timeout_s,
                  const char *what) {
  int code = MPI_SUCCESS;
  const bool done = poll_until(Deadline(timeout_s), [&] {
    int flag = 0;
    code = MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
    return flag != 0 || code != MPI_SUCCESS;
  });
  mpi_check(code, what);
  if (done) return;
  keep_until_done(request, std::move(memory));
  throw Error(MPCOMM_ERR_TIMEOUT, concat("timed out after ", timeout_s, " s ", what,
                                         ": not every process of the communicator took part"));
}

int comm_size(MPI_Comm comm) {
  int size = 0;
  mpi_check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}

}  // namespace

void bounded_all_gather(MPI_Comm comm, const void *mine, void *all, size_t bytes, double timeout_s,
                        const char *what) {
  require(bytes <= kMaxBytes, MPCOMM_ERR_INTERNAL, what, ": ", bytes, " bytes per process");
  const size_t n = static_cast<size_t>(comm_size(comm));
  auto buffers = std::make_unique<std::vector<char>>(bytes * (n + 1) + 1);
  char *send = buffers->data();
  char *recv = send + bytes;
  if (bytes > 0) std::memcpy(send, mine, bytes);
  MPI_Request request = MPI_REQUEST_NULL;
  const int count = static_cast<int>(bytes);
  mpi_check(MPI_Iallgather(send, count, MPI_BYTE, recv, count, MPI_BYTE, comm, &request), what);
  wait_or_park(request, buffers, timeout_s, what);
  if (bytes > 0) std::memcpy(all, recv, bytes * n);
}

void bounded_broadcast(MPI_Comm comm, void *buf, size_t bytes, int root, double timeout_s,
                       const char *what) {
  require(bytes <= kMaxBytes, MPCOMM_ERR_INTERNAL, what, ": ", bytes, " bytes");
  auto buffer = std::make_unique<std::vector<char>>(bytes + 1);
  if (bytes > 0) std::memcpy(buffer->data(), buf, bytes);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Ibcast(buffer->data(), static_cast<int>(bytes), MPI_BYTE, root, comm, &request),
            what);
  wait_or_park(request, buffer, timeout_s, what);
  if (bytes > 0) std::memcpy(buf, buffer->data(), bytes);
}

void bounded_barrier(MPI_Comm comm, double timeout_s, const char *what) {
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Ibarrier(comm, &request), what);
  std::unique_ptr<char> nothing;
  wait_or_park(request, nothing, timeout_s, what);
}

int64_t bounded_min(MPI_Comm comm, int64_t mine, double timeout_s, const char *what) {
  std::vector<int64_t> all(static_cast<size_t>(comm_size(comm)));
  bounded_all_gather(comm, &mine, all.data(), sizeof mine, timeout_s, what);
  return *std::min_element(all.begin(), all.end());
}

int64_t bounded_max(MPI_Comm comm, int64_t mine, double timeout_s, const char *what) {
  std::vector<int64_t> all(static_cast<size_t>(comm_size(comm)));
  bounded_all_gather(comm, &mine, all.data(), sizeof mine, timeout_s, what);
  return *std::max_element(all.begin(), all.end());
}

uint64_t bounded_xor(MPI_Comm comm, uint64_t mine, double timeout_s, const char *what) {
  auto buffers = std::make_unique<std::vector<uint64_t>>(2);
  uint64_t *send = buffers->data(), *recv = send + 1;
  MPI_Request request = MPI_REQUEST_NULL;
  *send = mine;
  mpi_check(MPI_Iallreduce(send, recv, 1, MPI_UINT64_T, MPI_BXOR, comm, &request), what);
  wait_or_park(request, buffers, timeout_s, what);
  return *recv;
}

void bounded_max_each(MPI_Comm comm, int64_t *values, size_t n, double timeout_s,
                      const char *what) {
  require(n * sizeof *values <= kMaxBytes, MPCOMM_ERR_INTERNAL, what, ": ", n, " values");
  auto buffers = std::make_unique<std::vector<int64_t>>(2 * n + 1);
  int64_t *send = buffers->data();
  int64_t *recv = send + n;
  std::copy(values, values + n, send);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Iallreduce(send, recv, static_cast<int>(n), MPI_INT64_T, MPI_MAX, comm, &request),
            what);
  wait_or_park(request, buffers, timeout_s, what);
  std::copy(recv, recv + n, values);
}

void bounded_wait(MPI_Request request, const Deadline &deadline, const char *what,
                  MPI_Status *status) {
  int code = MPI_SUCCESS;
  const bool done = poll_until(deadline, [&] {
    int flag = 0;
    code = MPI_Test(&request, &flag, status);
    return flag != 0 || code != MPI_SUCCESS;
  });
  mpi_check(code, what);
  if (done) return;
  keep_until_done(request, nullptr, [](void *) {});
  throw Error(MPCOMM_ERR_TIMEOUT, concat("timed out after ", deadline.seconds(), " s in ", what,
                                         ": not every member took part"));
}

MPI_Comm bounded_dup(MPI_Comm comm, double timeout_s, const char *what) {
  // MPI writes the new handle when the operation completes, which may be after a timeout: the
  // handle lives on the heap and is parked with the request.
  auto dup = std::make_unique<MPI_Comm>(MPI_COMM_NULL);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Comm_idup(comm, dup.get(), &request), what);
  wait_or_park(request, dup, timeout_s, what);
  MPI_Comm_set_errhandler(*dup, MPI_ERRORS_RETURN);
  return *dup;
}

}  // namespace mpcomm
