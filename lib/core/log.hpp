// Logging in NCCL's manner: MPCOMM_DEBUG=WARN|INFO|TRACE, MPCOMM_DEBUG_FILE with %h and %p,
// every line "host:pid [rank] mpcomm LEVEL message".
#pragma once

#include <string>
#include <utility>

#include "core/error.hpp"

namespace mpcomm::log {

enum class Level { Warn = 1, Info = 2, Trace = 3 };

// Reads MPCOMM_DEBUG and MPCOMM_DEBUG_FILE once; throws Error naming the variable when a
// value is bad (and again at every later call, until reconfigure()). The first call that finds
// them valid also warns, once, about each set MPCOMM_* variable the library does not know
// (env::unknown_variables()). Every C entry point calls it (check_core_environment()).
void configure();

// Forgets the configuration so the next configure() reads the environment again (tests).
void reconfigure();

bool enabled(Level level) noexcept;

// Writes one line if level is enabled; never throws.
void write(Level level, const std::string &message) noexcept;

template <class... Parts>
void warn(Parts &&...parts) {
  if (enabled(Level::Warn)) write(Level::Warn, concat(std::forward<Parts>(parts)...));
}
template <class... Parts>
void info(Parts &&...parts) {
  if (enabled(Level::Info)) write(Level::Info, concat(std::forward<Parts>(parts)...));
}
template <class... Parts>
void trace(Parts &&...parts) {
  if (enabled(Level::Trace)) write(Level::Trace, concat(std::forward<Parts>(parts)...));
}

// The prefix of every line: "host:pid [rank]" ("[-]" before MPI_Init or after MPI_Finalize).
std::string line_prefix();

// Expands %h (host name) and %p (process id) in a MPCOMM_DEBUG_FILE pattern.
std::string expand_file_pattern(const std::string &pattern);

}  // namespace mpcomm::log
