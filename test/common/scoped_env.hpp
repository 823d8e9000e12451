// Sets (or, with NULL, unsets) an environment variable for the life of the object, then
// restores it. The logging configuration is re-read at both ends, since it caches what it read.
#pragma once

#include <cstdlib>
#include <string>

#include "core/log.hpp"

namespace mpcomm::test {

class ScopedEnv {
 public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    const char *old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
    mpcomm::log::reconfigure();
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
    mpcomm::log::reconfigure();
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

 private:
  const char *name_;
  bool had_ = false;
  std::string old_;
};

}  // namespace mpcomm::test
