#include "core/deadline.hpp"

#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <initializer_list>

namespace mpcomm {

namespace {

std::atomic<long> background_sends{0};

// Processes on this node, as the launcher tells them (0 when it does not).
long local_processes() {
  for (const char *name :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    if (const char *value = std::getenv(name)) return std::strtol(value, nullptr, 10);
  return 0;
}

}  // namespace

void add_background_sends(long delta) noexcept {
  background_sends.fetch_add(delta, std::memory_order_relaxed);
}

bool background_sends_pending() noexcept {
  return background_sends.load(std::memory_order_relaxed) > 0;
}

void drive_mpi_progress() noexcept {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_SELF, &flag, MPI_STATUS_IGNORE);
}

bool node_oversubscribed() {
  static const bool oversubscribed = [] {
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const long processes = local_processes();
    return processes > 0 && cores > 0 && processes > cores;
  }();
  return oversubscribed;
}

unsigned spin_polls() {
  static const unsigned polls = [] {
    const long processes = local_processes();
    return processes > 0 && !node_oversubscribed() ? 1024u : 32u;
  }();
  return polls;
}

}  // namespace mpcomm
