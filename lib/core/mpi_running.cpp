// require_mpi_running() and mpi_running() (mpi_call.hpp): whether MPI runs, asked of MPI until
// it does, then known from a flag that MPI_Finalize's deletion of MPI_COMM_SELF's attributes
// clears.
#include <atomic>
#include <mutex>

#include "core/mpi_call.hpp"

namespace mpcomm {
namespace {

std::atomic<bool> running{false};
std::atomic<bool> finalizing{false};
std::mutex watch_mutex;

int finalize_begins(MPI_Comm, int keyval, void *, void *) {
  finalizing.store(true, std::memory_order_release);
  running.store(false, std::memory_order_release);
  MPI_Comm_free_keyval(&keyval);
  return MPI_SUCCESS;
}

}  // namespace

void require_mpi_running() {
  if (running.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(watch_mutex);
  if (running.load(std::memory_order_acquire)) return;  // another thread set the watch
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  // MPI_Finalized turns true only at the end of MPI_Finalize; from its start MPI is closing.
  if (finalizing.load(std::memory_order_acquire)) finalized = 1;
  require(initialized && !finalized, MPCOMM_ERR_INVALID_USAGE,
          finalized ? "MPI has been finalized" : "MPI is not initialized (call MPI_Init first)");
  int keyval = MPI_KEYVAL_INVALID;
  if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, finalize_begins, &keyval, nullptr) !=
      MPI_SUCCESS)
    return;  // no watch: ask MPI at every call
  if (MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr) != MPI_SUCCESS) {
    MPI_Comm_free_keyval(&keyval);
    return;
  }
  running.store(true, std::memory_order_release);
}

bool mpi_running() noexcept {
  if (running.load(std::memory_order_acquire)) return true;
  if (finalizing.load(std::memory_order_acquire)) return false;
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

}  // namespace mpcomm
