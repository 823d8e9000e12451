#include "core/log.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/env.hpp"

namespace mpcomm::log {

namespace {

struct Config {
  bool loaded = false;
  std::string error;  // non-empty when the environment was bad
  Level level = Level::Warn;
  unsigned subsys_mask = ~0u;
  FILE *file = nullptr;  // nullptr: stderr
};

std::mutex config_mutex;
Config config;
// Set once the environment was read without error: every C call checks it, so the common case
// is one atomic load.
std::atomic<bool> configured_ok{false};
// The level in force once loaded (-1 before), so that disabled log calls cost one atomic load.
std::atomic<int> level_in_force{-1};
// The MPCOMM_DEBUG_SUBSYS mask in force, valid once level_in_force is.
std::atomic<unsigned> subsys_in_force{~0u};

constexpr Subsys kAllSubsys[] = {Subsys::Init, Subsys::Bootstrap, Subsys::Coll, Subsys::P2P,
                                 Subsys::Shm,  Subsys::Device,    Subsys::Env};

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

void close_file() {
  if (config.file) std::fclose(config.file);
  config.file = nullptr;
}

void load_locked() {
  if (config.loaded) return;
  config = Config{};
  config.loaded = true;
  try {
    std::string level = env::choice("MPCOMM_DEBUG");
    config.level = level == "TRACE" ? Level::Trace : level == "INFO" ? Level::Info : Level::Warn;
    config.subsys_mask = subsys_mask_from_environment();
    if (auto pattern = env::raw("MPCOMM_DEBUG_FILE")) {
      std::string path = expand_file_pattern(*pattern);
      config.file = std::fopen(path.c_str(), "a");
      require(config.file != nullptr, MPCOMM_ERR_INVALID_ARGUMENT, "environment variable ",
              "MPCOMM_DEBUG_FILE='", *pattern, "' is invalid: cannot open '", path,
              "': ", std::strerror(errno));
      std::setvbuf(config.file, nullptr, _IOLBF, 0);
    }
  } catch (const Error &e) {
    config.error = e.what();
    config.level = Level::Warn;
  }
}

}  // namespace

const char *subsys_name(Subsys subsys) noexcept {
  switch (subsys) {
    case Subsys::Init: return "INIT";
    case Subsys::Bootstrap: return "BOOTSTRAP";
    case Subsys::Coll: return "COLL";
    case Subsys::P2P: return "P2P";
    case Subsys::Shm: return "SHM";
    case Subsys::Device: return "DEVICE";
    case Subsys::Env: return "ENV";
  }
  return "?";
}

unsigned subsys_mask_from_environment() {
  unsigned mask = 0;
  for (const auto &name : env::name_list("MPCOMM_DEBUG_SUBSYS"))
    for (Subsys s : kAllSubsys)
      if (name == subsys_name(s)) mask |= static_cast<unsigned>(s);
  return mask;
}

std::string expand_file_pattern(const std::string &pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      char c = pattern[i + 1];
      if (c == 'h') {
        out += host_name();
        ++i;
        continue;
      }
      if (c == 'p') {
        out += std::to_string(getpid());
        ++i;
        continue;
      }
      if (c == '%') {
        out += '%';
        ++i;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}

namespace {

// Edits (insertions, deletions, substitutions) between a and b.
size_t edit_distance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// One WARN line per MPCOMM_* variable the library does not read, naming the closest one.
void warn_unknown(const std::vector<std::string> &unknown) {
  for (const auto &name : unknown) {
    const char *closest = nullptr;
    size_t best = 3;  // suggest only within two edits
    for (const auto &v : env::variables()) {
      const size_t d = edit_distance(name, v.name);
      if (d < best) best = d, closest = v.name;
    }
    warn(Subsys::Env, name, " is set but is not an mpcomm variable",
         closest ? concat(" (did you mean ", closest, "?)") : std::string(),
         "; mpcomm-info --env lists them");
  }
}

}  // namespace

void configure() {
  if (configured_ok.load(std::memory_order_acquire)) return;
  std::vector<std::string> unknown;
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(config_mutex);
    load_locked();
    if (!config.error.empty()) throw Error(MPCOMM_ERR_INVALID_ARGUMENT, config.error);
    // The first call that finds the environment valid warns about the names it does not know.
    first = !configured_ok.exchange(true, std::memory_order_acq_rel);
    if (first) unknown = env::unknown_variables();
  }
  if (!first) return;
  warn_unknown(unknown);
  // At INFO, once: the variables the environment sets (mpcomm-info --env shows all of them).
  for (const auto &v : env::variables())
    if (auto value = env::raw(v.name)) info(Subsys::Env, v.name, "=", *value, " (environment)");
}

void reconfigure() {
  std::lock_guard<std::mutex> lock(config_mutex);
  configured_ok.store(false, std::memory_order_release);
  level_in_force.store(-1, std::memory_order_release);
  subsys_in_force.store(~0u, std::memory_order_release);
  close_file();
  config = Config{};
}

bool enabled(Level level) noexcept {
  int in_force = level_in_force.load(std::memory_order_acquire);
  if (in_force < 0) {
    std::lock_guard<std::mutex> lock(config_mutex);
    load_locked();  // never throws: a bad environment is recorded in config.error
    in_force = static_cast<int>(config.level);
    subsys_in_force.store(config.subsys_mask, std::memory_order_release);
    level_in_force.store(in_force, std::memory_order_release);
  }
  return static_cast<int>(level) <= in_force;
}

bool enabled(Level level, Subsys subsys) noexcept {
  if (!enabled(level)) return false;
  return level == Level::Warn ||
         (subsys_in_force.load(std::memory_order_acquire) & static_cast<unsigned>(subsys)) != 0;
}

std::string line_prefix() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  std::string rank = "-";
  if (initialized && !finalized) {
    int r = -1;
    if (MPI_Comm_rank(MPI_COMM_WORLD, &r) == MPI_SUCCESS) rank = std::to_string(r);
  }
  return concat(host_name(), ":", getpid(), " [", rank, "]");
}

namespace {

// subsys: nullptr for a line that no subsystem filter holds back.
void write_line(Level level, const char *subsys, const std::string &message) noexcept {
  try {
    const char *name = level == Level::Warn ? "WARN" : level == Level::Info ? "INFO" : "TRACE";
    std::string line =
        subsys ? concat(line_prefix(), " mpcomm ", name, " [", subsys, "] ", message, "\n")
               : concat(line_prefix(), " mpcomm ", name, " ", message, "\n");
    std::lock_guard<std::mutex> lock(config_mutex);
    FILE *out = config.file ? config.file : stderr;
    std::fwrite(line.data(), 1, line.size(), out);
  } catch (...) {
    // Logging must never turn into a failure of the call that logs.
  }
}

}  // namespace

void write(Level level, const std::string &message) noexcept {
  if (enabled(level)) write_line(level, nullptr, message);
}

void write(Level level, Subsys subsys, const std::string &message) noexcept {
  if (enabled(level, subsys)) write_line(level, subsys_name(subsys), message);
}

}  // namespace mpcomm::log
