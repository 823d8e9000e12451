#include "core/abandoned.hpp"

#include <mutex>
#include <new>
#include <vector>

#include "core/mpi_call.hpp"

namespace mpcomm {

namespace {

struct Parked {
  MPI_Request request;
  void *memory;
  void (*release)(void *);
};

std::mutex mutex;
bool watching_finalize = false;

// Never destroyed: the memory must stay referenced through static destruction too.
std::vector<void *> &kept_until_exit() {
  static auto *kept = new std::vector<void *>;
  return *kept;
}
std::vector<Parked> &parked() {
  static auto *list = new std::vector<Parked>;
  return *list;
}

// Releases the memory of parked requests that have completed; never waits. Holds mutex.
void release_completed() noexcept {
  auto &list = parked();
  for (size_t i = 0; i < list.size();) {
    int done = 0;
    if (MPI_Test(&list[i].request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      // MPI cannot say: the memory is never freed and the request never asked again.
      try {
        kept_until_exit().push_back(list[i].memory);
      } catch (const std::bad_alloc &) {
      }
      done = 0;
    } else if (!done) {
      ++i;
      continue;
    } else if (list[i].memory) {
      list[i].release(list[i].memory);
    }
    list[i] = list.back();
    list.pop_back();
  }
}

// MPI_Finalize deletes MPI_COMM_SELF's attributes first, while MPI still works: the last chance
// to test the parked requests. Those still pending then stay parked.
int at_finalize(MPI_Comm, int keyval, void *, void *) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    release_completed();
  }
  MPI_Comm_free_keyval(&keyval);
  return MPI_SUCCESS;
}

// Holds mutex.
void watch_finalize() noexcept {
  if (watching_finalize) return;
  int keyval = MPI_KEYVAL_INVALID;
  if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, at_finalize, &keyval, nullptr) != MPI_SUCCESS)
    return;
  if (MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr) != MPI_SUCCESS) {
    MPI_Comm_free_keyval(&keyval);
    return;
  }
  watching_finalize = true;
}

}  // namespace

void keep_until_exit(void *memory) noexcept {
  if (memory == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex);
  try {
    kept_until_exit().push_back(memory);
  } catch (const std::bad_alloc &) {
    // Out of memory: the block stays allocated anyway, only unreferenced.
  }
}

void keep_until_done(MPI_Request request, void *memory, void (*release)(void *)) noexcept {
  std::lock_guard<std::mutex> lock(mutex);
  try {
    parked().push_back(Parked{request, memory, release});
  } catch (const std::bad_alloc &) {
    // Out of memory: the request stays pending and the memory allocated, only unreferenced.
  }
  if (!mpi_running()) return;
  watch_finalize();
  release_completed();
}

}  // namespace mpcomm
