#include "core/deadline.hpp"

#include <unistd.h>

#include <cstdlib>
#include <initializer_list>

namespace mpcomm {

namespace {

// Processes on this node, as the launcher tells them (0 when it does not).
long local_processes() {
  for (const char *name :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    if (const char *value = std::getenv(name)) return std::strtol(value, nullptr, 10);
  return 0;
}

}  // namespace

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
