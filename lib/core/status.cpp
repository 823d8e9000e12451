// Status strings, the last error and the messages of failed calls.
#include "core/status.hpp"

#include <cctype>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"

namespace mpcomm {

namespace {
thread_local std::string last_error_message;
}

void set_last_error(const std::string &message) noexcept {
  try {
    last_error_message = message;
    log::write(log::Level::Info, message);  // not filtered by MPCOMM_DEBUG_SUBSYS
  } catch (...) {
    // Out of memory while recording an error: keep the previous message rather than fail.
  }
}

void check_core_environment() { log::configure(); }

std::string called_function(const char *text) {
  std::string name(text, std::strcspn(text, "("));
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
  const size_t begin = name.find_first_not_of(" \t\n:");
  return begin == std::string::npos ? std::string(text) : name.substr(begin);
}

const char *source_file(const char *file) {
  const char *after = file;
  for (const char *at = std::strstr(file, "lib/"); at; at = std::strstr(at + 1, "lib/"))
    if (at == file || at[-1] == '/') after = at + 4;
  return after;
}

std::string failed_call_message(const CallSite &site, const std::string &text) {
  log::write(log::Level::Info,
             concat(source_file(site.file), ":", site.line, " ", site.text, " failed: ", text));
  return concat(called_function(site.text), " failed: ", text);
}

const char *status_string(mpcomm_status_t status) noexcept {
  switch (status) {
    case MPCOMM_SUCCESS: return "success";
    case MPCOMM_ERR_INVALID_ARGUMENT: return "invalid argument";
    case MPCOMM_ERR_INVALID_USAGE: return "invalid usage";
    case MPCOMM_ERR_NO_MEMORY: return "out of memory";
    case MPCOMM_ERR_TIMEOUT: return "timed out waiting for peers";
    case MPCOMM_ERR_TRUNCATED: return "receive buffer too small";
    case MPCOMM_ERR_MALFORMED: return "malformed message";
    case MPCOMM_ERR_NOT_SUPPORTED: return "not supported";
    case MPCOMM_ERR_MPI: return "MPI error";
    case MPCOMM_ERR_CUDA: return "CUDA error";
    case MPCOMM_ERR_NCCL: return "NCCL error";
    case MPCOMM_ERR_SYSTEM: return "system error";
    case MPCOMM_ERR_BROKEN: return "group is broken by an earlier failure";
    case MPCOMM_ERR_INTERNAL: return "internal error";
    case MPCOMM_NUM_STATUSES: break;
  }
  return "unknown status";
}

const char *last_error() noexcept { return last_error_message.c_str(); }

}  // namespace mpcomm
