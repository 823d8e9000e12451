// The one module that reads MPCOMM_* environment variables. Each getter validates the value
// and throws Error(MPCOMM_ERR_INVALID_ARGUMENT) naming the variable and the value; an unset
// or empty variable gives the default. Values are read at each call, so callers that sit on a
// hot path keep the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mpcomm::env {

struct Variable {
  const char *name;
  const char *default_value;  // as documented in mpcomm(7)
  const char *meaning;
};

// Every variable the library reads; mpcomm(7) documents the same list.
const std::vector<Variable> &variables();

// The raw value, or nullopt when unset or empty. name must be in variables().
std::optional<std::string> raw(const char *name);

// A positive, finite number of seconds.
double seconds(const char *name, double default_value);

// An integer in [min, max].
long integer(const char *name, long default_value, long min, long max);

// One of choices, compared without regard to case; returns the choice as spelled in choices.
std::string choice(const char *name, const std::string &default_value,
                   const std::vector<std::string> &choices);

// A boolean: 1, true, yes or on; 0, false, no or off (compared without regard to case).
bool boolean(const char *name, bool default_value);

// A comma-separated list of integers ("4,4,8"); nullopt when unset.
std::optional<std::vector<long>> integer_list(const char *name);

// Names of set MPCOMM_* variables that the library does not know (likely typos).
std::vector<std::string> unknown_variables();

}  // namespace mpcomm::env
