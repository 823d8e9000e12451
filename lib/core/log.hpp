// Logging in NCCL's manner: MPCOMM_DEBUG=WARN|INFO|TRACE, MPCOMM_DEBUG_SUBSYS to pick the
// subsystems whose INFO and TRACE lines are written (NCCL_DEBUG_SUBSYS), MPCOMM_DEBUG_FILE with
// %h and %p, every line "host:pid [rank] mpcomm LEVEL [SUBSYS] message".
#pragma once

#include <string>
#include <utility>

#include "core/error.hpp"

namespace mpcomm::log {

enum class Level { Warn = 1, Info = 2, Trace = 3 };

// What a line is about; MPCOMM_DEBUG_SUBSYS names them. Init: parallel states, group creation,
// locality; Bootstrap: rendezvous and join; Coll: collectives and their paths; P2P: send, recv
// and the GPU P2P check; Shm: shared-memory windows, the shared-memory allreduce and the message
// queue; Device: CUDA, NCCL and the custom allreduce; Env: the environment.
enum class Subsys : unsigned {
  Init = 1u << 0,
  Bootstrap = 1u << 1,
  Coll = 1u << 2,
  P2P = 1u << 3,
  Shm = 1u << 4,
  Device = 1u << 5,
  Env = 1u << 6,
};

// "INIT", "BOOTSTRAP", ... as MPCOMM_DEBUG_SUBSYS spells them.
const char *subsys_name(Subsys subsys) noexcept;

// The subsystems MPCOMM_DEBUG_SUBSYS selects, as a mask of Subsys bits (every one by default).
// Throws Error naming the variable when the value is bad.
unsigned subsys_mask_from_environment();

// Reads MPCOMM_DEBUG, MPCOMM_DEBUG_SUBSYS and MPCOMM_DEBUG_FILE once; throws Error naming the
// variable when a value is bad (and again at every later call, until reconfigure()). The first
// call that finds them valid also warns, once, about each set MPCOMM_* variable the library
// does not know (env::unknown_variables()). Every C entry point calls it
// (check_core_environment()).
void configure();

// Forgets the configuration so the next configure() reads the environment again (tests).
void reconfigure();

// Whether lines of this level are written at all, and for this subsystem. WARN lines are written
// whatever MPCOMM_DEBUG_SUBSYS says; it filters INFO and TRACE.
bool enabled(Level level) noexcept;
bool enabled(Level level, Subsys subsys) noexcept;

// Writes one line if level is enabled (for subsys); never throws. The line without a subsystem
// is not filtered by MPCOMM_DEBUG_SUBSYS (failed calls' messages).
void write(Level level, const std::string &message) noexcept;
void write(Level level, Subsys subsys, const std::string &message) noexcept;

template <class... Parts>
void warn(Subsys subsys, Parts &&...parts) {
  if (enabled(Level::Warn, subsys))
    write(Level::Warn, subsys, concat(std::forward<Parts>(parts)...));
}
template <class... Parts>
void info(Subsys subsys, Parts &&...parts) {
  if (enabled(Level::Info, subsys))
    write(Level::Info, subsys, concat(std::forward<Parts>(parts)...));
}
template <class... Parts>
void trace(Subsys subsys, Parts &&...parts) {
  if (enabled(Level::Trace, subsys))
    write(Level::Trace, subsys, concat(std::forward<Parts>(parts)...));
}

// The prefix of every line: "host:pid [rank]" ("[-]" before MPI_Init or after MPI_Finalize).
std::string line_prefix();

// Expands %h (host name) and %p (process id) in a MPCOMM_DEBUG_FILE pattern.
std::string expand_file_pattern(const std::string &pattern);

}  // namespace mpcomm::log
