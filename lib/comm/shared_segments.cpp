#include "comm/shared_segments.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "comm/bounded.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {
namespace {

// What each process tells the others about its segment.
struct Entry {
  uint64_t bytes;
  int32_t ok;  // made and mapped (or no segment)
  int32_t pad;
  char name[48];
};

// A name no other segment of this node has: the process id, a counter and the clock.
std::string new_name() {
  static std::atomic<unsigned> counter{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  return concat("/mpcomm-", getpid(), "-", counter++, "-", static_cast<uint64_t>(ticks) % 1000000);
}

// Maps `bytes` of the named segment; nullptr and `error` set on failure. create: make it first.
char *map_segment(const char *name, size_t bytes, bool create, std::string &error) {
  const int fd =
      create ? shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600) : shm_open(name, O_RDWR, 0);
  if (fd < 0) {
    error = concat("shm_open(", name, "): ", std::strerror(errno));
    return nullptr;
  }
  if (create && ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    error = concat("ftruncate(", name, ", ", bytes, "): ", std::strerror(errno));
    close(fd);
    return nullptr;
  }
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int mmap_errno = errno;
  close(fd);
  if (p == MAP_FAILED) {
    error = concat("mmap of ", bytes, " bytes of ", name, ": ", std::strerror(mmap_errno));
    return nullptr;
  }
  return static_cast<char *>(p);
}

}  // namespace

SharedSegments::SharedSegments(MPI_Comm comm, size_t bytes, double timeout_s, const char *what) {
  int size = 0, rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  const auto n = static_cast<size_t>(size), me = static_cast<size_t>(rank);
  bases_.assign(n, nullptr);
  sizes_.assign(n, 0);

  Entry mine{};
  mine.bytes = bytes;
  mine.ok = 1;
  std::string error;
  const std::string name = bytes > 0 ? new_name() : "";
  if (bytes > 0) {
    std::strncpy(mine.name, name.c_str(), sizeof mine.name - 1);
    bases_[me] = map_segment(name.c_str(), bytes, true, error);
    if (bases_[me] == nullptr) {
      mine.ok = 0;
      shm_unlink(name.c_str());  // made but not sized or mapped: nobody may open it
    } else {
      sizes_[me] = bytes;
    }
  }
  // Whatever happens below, the name leaves /dev/shm before the constructor ends.
  const auto unlink_mine = [&] {
    if (bytes > 0 && mine.ok) shm_unlink(name.c_str());
  };
  int ok = mine.ok;
  try {
    std::vector<Entry> all(n);
    bounded_all_gather(comm, &mine, all.data(), sizeof mine, timeout_s, what);
    for (size_t r = 0; r < n; ++r) {
      if (r == me || all[r].bytes == 0) continue;
      if (!all[r].ok) {
        ok = 0;
        continue;
      }
      all[r].name[sizeof all[r].name - 1] = '\0';
      const auto peer_bytes = static_cast<size_t>(all[r].bytes);
      bases_[r] = map_segment(all[r].name, peer_bytes, false, error);
      if (bases_[r] == nullptr) {
        ok = 0;
        continue;
      }
      sizes_[r] = peer_bytes;
    }
    // Every process mapped every segment (or one failed): the names can go.
    ok = static_cast<int>(bounded_min(comm, ok, timeout_s, what));
  } catch (...) {
    unlink_mine();
    unmap();
    throw;
  }
  unlink_mine();
  if (ok) return;
  unmap();
  throw Error(MPCOMM_ERR_SYSTEM,
              concat(what, ": the node's shared-memory segments could not be made or mapped",
                     error.empty() ? " on another process of the node" : concat(": ", error)));
}

SharedSegments::~SharedSegments() { unmap(); }

void SharedSegments::unmap() noexcept {
  for (size_t r = 0; r < bases_.size(); ++r)
    if (bases_[r] != nullptr) munmap(bases_[r], sizes_[r]);
  bases_.assign(bases_.size(), nullptr);
}

}  // namespace mpcomm
