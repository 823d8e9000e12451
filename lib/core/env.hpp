// The one module that reads MPCOMM_* environment variables, and the one table of them: each
// entry names the variable, its kind (which parser reads it), its default and its help line;
// mpcomm(7), README.md and `mpcomm-info --env` follow the table (test_core checks the first
// two). The readers take the default and the accepted values from the table, validate the
// value and throw Error(MPCOMM_ERR_INVALID_ARGUMENT) naming the variable and the value; an
// unset or empty variable gives the default. Values are read at each call, so callers that
// sit on a hot path keep the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mpcomm::env {

enum class Kind {
  Text,         // any text (raw)
  Path,         // a file or program path (raw); unset: see the help line
  Seconds,      // a positive, finite number of seconds (seconds)
  Integer,      // an integer in [min, max], a multiple of multiple_of (integer)
  Boolean,      // 1, true, yes, on / 0, false, no, off (boolean)
  Choice,       // one of choices, without regard to case (choice)
  IntegerList,  // comma-separated integers, "4,4,8" (integer_list)
  NameList,     // comma-separated names from choices, ALL for every one, a leading ^ negating
                // the list (name_list), as NCCL_DEBUG_SUBSYS
};

struct Variable {
  const char *name;
  Kind kind;
  const char *default_value;  // parsed by the kind's parser; "" when unset means "none"
  const char *meaning;        // the help line
  long min = 0, max = 0, multiple_of = 1;  // Kind::Integer
  std::vector<std::string> choices;        // Kind::Choice and Kind::NameList
};

// Every variable the library reads, in the order mpcomm(7) documents them.
const std::vector<Variable> &variables();

// The entry of a registered variable; Error(MPCOMM_ERR_INTERNAL) for any other name.
const Variable &lookup(const char *name);

// "seconds", "integer", "boolean", ... (for mpcomm-info).
const char *kind_name(Kind kind);

// The raw value, or nullopt when unset or empty. name must be in variables() (any kind).
std::optional<std::string> raw(const char *name);

// The typed readers: each takes a variable of its kind (Error(MPCOMM_ERR_INTERNAL) otherwise).
double seconds(const char *name);
long integer(const char *name);
// The choice as spelled in the table.
std::string choice(const char *name);
bool boolean(const char *name);
// nullopt when unset.
std::optional<std::vector<long>> integer_list(const char *name);
// The selected names, in the table's order (never "ALL").
std::vector<std::string> name_list(const char *name);

// A variable as the process sees it: the value in force (the environment's, or the default),
// where it came from, and why the environment's value is invalid (empty when it is valid).
struct Setting {
  std::string value;
  bool from_environment = false;
  std::string error;
};
Setting setting(const Variable &variable);

// Names of set MPCOMM_* variables that the library does not know (likely typos). Names that
// begin MPCOMM_TEST_ belong to mpcomm's test suite and are not listed.
std::vector<std::string> unknown_variables();

}  // namespace mpcomm::env
