#include "core/env.hpp"

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

extern char **environ;

namespace mpcomm::env {

const std::vector<Variable> &variables() {
  static const std::vector<Variable> all = {
      {"MPCOMM_DEBUG", "WARN", "log level: WARN, INFO or TRACE"},
      {"MPCOMM_DEBUG_FILE", "", "log to this file instead of stderr; %h is the host, %p the pid"},
      {"MPCOMM_TIMEOUT", "300", "seconds a blocking control-plane call waits for its peers"},
      {"MPCOMM_HOST_ALLREDUCE", "auto",
       "host allreduce of float32/float16/bfloat16: shm (shared-memory windows in each node, MPI "
       "between nodes), mpi, or auto (shm in a group on one node; from 1 KiB when oversubscribed); "
       "the same on every rank"},
      {"MPCOMM_PP_LAYER_PARTITION", "",
       "comma-separated layer counts per pipeline stage, overriding the even split"},
      {"MPCOMM_CUSTOM_ALLREDUCE_ALGO", "auto",
       "custom allreduce algorithm: auto (by size and world size), oneshot or twoshot"},
      {"MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", "8388608",
       "bytes (a multiple of 16): device all_reduce calls below this size may take the custom "
       "allreduce; also the size of its staging and scratch buffers"},
      {"MPCOMM_TENSOR_DICT_PACK_LIMIT", "67108864",
       "bytes: a host-only tensor dict whose tensors and metadata fit in this many bytes travels "
       "as one MPI message; 0 sends the metadata and each tensor apart"},
      {"MPCOMM_SKIP_P2P_CHECK", "0",
       "1 (true, yes, on): trust cudaDeviceCanAccessPeer for the custom allreduce instead of "
       "running mpcomm-p2p-check in a child process (and caching its answer)"},
      {"MPCOMM_P2P_CHECK_PROGRAM", "",
       "path of the mpcomm-p2p-check program; unset: the one installed with the library"},
  };
  return all;
}

namespace {

const Variable &lookup(const char *name) {
  for (const auto &v : variables())
    if (std::strcmp(v.name, name) == 0) return v;
  throw Error(MPCOMM_ERR_INTERNAL, concat("environment variable ", name, " is not registered"));
}

[[noreturn]] void bad_value(const char *name, const std::string &value, const std::string &why) {
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat("environment variable ", name, "='", value, "' is invalid: ", why));
}

// Parses all of text as a long; false on junk, empty text or overflow.
bool parse_long(const std::string &text, long *out) {
  const char *begin = text.c_str();
  while (*begin == ' ' || *begin == '\t') ++begin;
  if (*begin == '\0') return false;
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(begin, &end, 10);
  while (*end == ' ' || *end == '\t') ++end;
  if (errno == ERANGE || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

std::optional<std::string> raw(const char *name) {
  lookup(name);
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

double seconds(const char *name, double default_value) {
  auto value = raw(name);
  if (!value) return default_value;
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(value->c_str(), &end);
  if (end == value->c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v <= 0)
    bad_value(name, *value, "expected a positive number of seconds");
  return v;
}

long integer(const char *name, long default_value, long min, long max) {
  auto value = raw(name);
  if (!value) return default_value;
  long v = 0;
  if (!parse_long(*value, &v)) bad_value(name, *value, "expected an integer");
  if (v < min || v > max)
    bad_value(name, *value, concat("expected a value in [", min, ", ", max, "]"));
  return v;
}

std::string choice(const char *name, const std::string &default_value,
                   const std::vector<std::string> &choices) {
  auto value = raw(name);
  if (!value) return default_value;
  for (const auto &c : choices)
    if (strcasecmp(c.c_str(), value->c_str()) == 0) return c;
  std::string list;
  for (const auto &c : choices) list += (list.empty() ? "" : ", ") + c;
  bad_value(name, *value, concat("expected one of ", list));
}

bool boolean(const char *name, bool default_value) {
  auto value = raw(name);
  if (!value) return default_value;
  for (const char *yes : {"1", "true", "yes", "on"})
    if (strcasecmp(value->c_str(), yes) == 0) return true;
  for (const char *no : {"0", "false", "no", "off"})
    if (strcasecmp(value->c_str(), no) == 0) return false;
  bad_value(name, *value, "expected 1, true, yes or on, or 0, false, no or off");
}

std::optional<std::vector<long>> integer_list(const char *name) {
  auto value = raw(name);
  if (!value) return std::nullopt;
  std::vector<long> out;
  size_t start = 0;
  while (true) {
    size_t comma = value->find(',', start);
    std::string item =
        value->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    long v = 0;
    if (!parse_long(item, &v)) bad_value(name, *value, concat("'", item, "' is not an integer"));
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> unknown_variables() {
  std::vector<std::string> unknown;
  for (char **e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "MPCOMM_", 7) != 0) continue;
    std::string name(*e, std::strcspn(*e, "="));
    bool known = std::any_of(variables().begin(), variables().end(),
                             [&](const Variable &v) { return name == v.name; });
    if (!known) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace mpcomm::env
