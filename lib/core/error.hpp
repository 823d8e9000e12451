// The one exception type of the library and the boundary that turns it into a status.
#pragma once

#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "mpcomm.h"

namespace mpcomm {

// Builds a message from any streamable pieces: concat("rank ", 3, " of ", 4).
template <class... Parts>
std::string concat(Parts &&...parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}

// Every failure inside the library is an Error carrying the status the C API returns.
class Error : public std::runtime_error {
 public:
  Error(mpcomm_status_t status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  mpcomm_status_t status() const noexcept { return status_; }

 private:
  mpcomm_status_t status_;
};

// Throws Error(status, concat(parts...)) unless cond holds.
template <class... Parts>
void require(bool cond, mpcomm_status_t status, Parts &&...parts) {
  if (!cond) throw Error(status, concat(std::forward<Parts>(parts)...));
}

// Shorthand for the most common case: a bad argument named in the message.
template <class... Parts>
void require_arg(bool cond, Parts &&...parts) {
  require(cond, MPCOMM_ERR_INVALID_ARGUMENT, std::forward<Parts>(parts)...);
}

// Throws if ptr is null, naming the argument.
inline void require_not_null(const void *ptr, const char *name) {
  require_arg(ptr != nullptr, name, " must not be NULL");
}

// A checked call as the check macros (MPCOMM_MPI_CHECK, MPCOMM_CUDA_CHECK) capture it: its
// text, source file and line.
struct CallSite {
  const char *text;
  const char *file;
  int line;
};

// The function a call's text names: "MPI_Allreduce" for "MPI_Allreduce(a, b, 1, ...)".
std::string called_function(const char *text);

// The source file of a CallSite below lib/ ("group/dispatch.cpp"), for log lines.
const char *source_file(const char *file);

// The message of a failed call, "MPI_Foo failed: <text>" (the function and the library's text;
// no source position, which is for the log), after an INFO line, whatever MPCOMM_DEBUG_SUBSYS
// says, with the call's whole text and place: "group/dispatch.cpp:123 MPI_Allreduce(local,
// ...) failed: <text>".
std::string failed_call_message(const CallSite &site, const std::string &text);

// Records the message for mpcomm_last_error() on this thread.
void set_last_error(const std::string &message) noexcept;

// Checks the environment variables every call depends on (logging); throws on a bad value.
void check_core_environment();

// Runs body, turning any exception into a status and a last-error message prefixed by the
// function name. Used by every C entry point: no exception crosses the C boundary.
template <class Body>
mpcomm_status_t c_boundary(const char *function, Body &&body) noexcept {
  try {
    check_core_environment();
    body();
    return MPCOMM_SUCCESS;
  } catch (const Error &e) {
    set_last_error(concat(function, ": ", e.what()));
    return e.status();
  } catch (const std::bad_alloc &) {
    set_last_error(concat(function, ": out of memory"));
    return MPCOMM_ERR_NO_MEMORY;
  } catch (const std::length_error &e) {  // a size no container can hold
    set_last_error(concat(function, ": out of memory (", e.what(), ")"));
    return MPCOMM_ERR_NO_MEMORY;
  } catch (const std::exception &e) {
    set_last_error(concat(function, ": internal error: ", e.what()));
    return MPCOMM_ERR_INTERNAL;
  } catch (...) {
    set_last_error(concat(function, ": internal error: unknown exception"));
    return MPCOMM_ERR_INTERNAL;
  }
}

}  // namespace mpcomm
