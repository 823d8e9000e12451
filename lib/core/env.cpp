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

namespace {

Variable make(const char *name, Kind kind, const char *default_value, const char *meaning) {
  Variable v{};
  v.name = name;
  v.kind = kind;
  v.default_value = default_value;
  v.meaning = meaning;
  return v;
}

Variable make_integer(const char *name, const char *default_value, long min, long max,
                      long multiple_of, const char *meaning) {
  Variable v = make(name, Kind::Integer, default_value, meaning);
  v.min = min;
  v.max = max;
  v.multiple_of = multiple_of;
  return v;
}

Variable make_choice(const char *name, Kind kind, const char *default_value,
                     std::vector<std::string> choices, const char *meaning) {
  Variable v = make(name, kind, default_value, meaning);
  v.choices = std::move(choices);
  return v;
}

}  // namespace

const std::vector<Variable> &variables() {
  static const std::vector<Variable> all = {
      make_choice("MPCOMM_DEBUG", Kind::Choice, "WARN", {"WARN", "INFO", "TRACE"},
                  "log level: WARN, INFO or TRACE"),
      make_choice("MPCOMM_DEBUG_SUBSYS", Kind::NameList, "ALL",
                  {"INIT", "BOOTSTRAP", "COLL", "P2P", "SHM", "DEVICE", "ENV", "ALL"},
                  "subsystems whose INFO and TRACE lines are written, comma-separated: INIT, "
                  "BOOTSTRAP, COLL, P2P, SHM, DEVICE, ENV or ALL; a leading ^ writes all but "
                  "those"),
      make("MPCOMM_DEBUG_FILE", Kind::Path, "",
           "log to this file instead of stderr; %h is the host, %p the pid"),
      make("MPCOMM_TIMEOUT", Kind::Seconds, "300",
           "seconds a blocking control-plane call waits for its peers"),
      make_integer("MPCOMM_SEND_OBJECT_BUFFER", "268435456", 0, 1L << 40, 1,
                   "bytes of copies of object sends a group keeps in flight so that "
                   "mpcomm_send_object returns before its receiver comes; beyond them a send "
                   "waits for room, and a larger object waits for its receiver; 0: every send "
                   "waits"),
      make_choice(
          "MPCOMM_HOST_ALLREDUCE", Kind::Choice, "auto", {"auto", "shm", "mpi"},
          "host allreduce of float32/float16/bfloat16: shm (shared-memory windows in each node, "
          "MPI between nodes), mpi, or auto (shm in a group on one node; from 1 KiB when "
          "oversubscribed); the same on every rank"),
      make("MPCOMM_PP_LAYER_PARTITION", Kind::IntegerList, "",
           "comma-separated layer counts per pipeline stage, overriding the even split"),
      make_choice("MPCOMM_CUSTOM_ALLREDUCE_ALGO", Kind::Choice, "auto",
                  {"auto", "oneshot", "twoshot"},
                  "custom allreduce algorithm: auto (by size and world size), oneshot or twoshot"),
      make_integer("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", "8388608", 16, 1L << 31, 16,
                   "bytes (a multiple of 16): device all_reduce calls below this size may take "
                   "the custom allreduce; also the size of its staging and scratch buffers"),
      make_integer("MPCOMM_TENSOR_DICT_PACK_LIMIT", "67108864", 0, 1L << 30, 1,
                   "bytes: a host-only tensor dict whose tensors and metadata fit in this many "
                   "bytes travels as one MPI message; 0 sends the metadata and each tensor apart"),
      make("MPCOMM_SKIP_P2P_CHECK", Kind::Boolean, "0",
           "1 (true, yes, on): trust cudaDeviceCanAccessPeer for the custom allreduce instead of "
           "running mpcomm-p2p-check in a child process (and caching its answer)"),
      make("MPCOMM_P2P_CHECK_PROGRAM", Kind::Path, "",
           "path of the mpcomm-p2p-check program; unset: the one installed with the library"),
      make("MPCOMM_CHECK", Kind::Boolean, "0",
           "1 (true, yes, on): every collective first agrees across the group on its operation, "
           "sequence number, count, dtype, op, root and each member's own argument checks; a "
           "mismatch is INVALID_ARGUMENT on every member; the same on every rank"),
      make("MPCOMM_HOST_BOUNDED", Kind::Boolean, "0",
           "1 (true, yes, on): the host data plane's MPI collectives and point-to-point calls "
           "wait at most the group's timeout (nonblocking MPI and a deadline); the same on every "
           "rank"),
      make("MPCOMM_JOIN_TOKEN", Kind::Text, "",
           "a secret shared by the ranks of mpcomm_group_join: rank 0 admits only hellos that "
           "prove it (HMAC-SHA256 over a nonce of rank 0); unset: no proof is asked for"),
  };
  return all;
}

const Variable &lookup(const char *name) {
  for (const auto &v : variables())
    if (std::strcmp(v.name, name) == 0) return v;
  throw Error(MPCOMM_ERR_INTERNAL, concat("environment variable ", name, " is not registered"));
}

const char *kind_name(Kind kind) {
  switch (kind) {
    case Kind::Text: return "text";
    case Kind::Path: return "path";
    case Kind::Seconds: return "seconds";
    case Kind::Integer: return "integer";
    case Kind::Boolean: return "boolean";
    case Kind::Choice: return "choice";
    case Kind::IntegerList: return "integer list";
    case Kind::NameList: return "name list";
  }
  return "unknown";
}

namespace {

const Variable &lookup_kind(const char *name, Kind kind) {
  const Variable &v = lookup(name);
  require(v.kind == kind, MPCOMM_ERR_INTERNAL, "environment variable ", name, " is of kind ",
          kind_name(v.kind), ", read as ", kind_name(kind));
  return v;
}

[[noreturn]] void bad_value(const char *name, const std::string &value, const std::string &why) {
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat("environment variable ", name, "='", value, "' is invalid: ", why));
}

std::string trimmed(const std::string &text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// Parses all of text as a long; false on junk, empty text or overflow.
bool parse_long(const std::string &text, long *out) {
  const std::string t = trimmed(text);
  if (t.empty()) return false;
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(t.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return false;
  *out = v;
  return true;
}

// The environment's value, else the table's default (nullopt when that is empty too).
std::optional<std::string> value_or_default(const Variable &v) {
  if (auto value = raw(v.name)) return value;
  if (*v.default_value == '\0') return std::nullopt;
  return std::string(v.default_value);
}

double parse_seconds(const Variable &v, const std::string &value) {
  char *end = nullptr;
  errno = 0;
  double s = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(s) || s <= 0)
    bad_value(v.name, value, "expected a positive number of seconds");
  return s;
}

long parse_integer(const Variable &v, const std::string &value) {
  long i = 0;
  if (!parse_long(value, &i)) bad_value(v.name, value, "expected an integer");
  if (i < v.min || i > v.max)
    bad_value(v.name, value, concat("expected a value in [", v.min, ", ", v.max, "]"));
  if (v.multiple_of > 1 && i % v.multiple_of != 0)
    bad_value(v.name, value, concat("expected a multiple of ", v.multiple_of));
  return i;
}

std::string list_text(const std::vector<std::string> &items) {
  std::string list;
  for (const auto &c : items) list += (list.empty() ? "" : ", ") + c;
  return list;
}

std::string parse_choice(const Variable &v, const std::string &value) {
  for (const auto &c : v.choices)
    if (strcasecmp(c.c_str(), value.c_str()) == 0) return c;
  bad_value(v.name, value, concat("expected one of ", list_text(v.choices)));
}

bool parse_boolean(const Variable &v, const std::string &value) {
  for (const char *yes : {"1", "true", "yes", "on"})
    if (strcasecmp(value.c_str(), yes) == 0) return true;
  for (const char *no : {"0", "false", "no", "off"})
    if (strcasecmp(value.c_str(), no) == 0) return false;
  bad_value(v.name, value, "expected 1, true, yes or on, or 0, false, no or off");
}

// The comma-separated items of value, untrimmed.
std::vector<std::string> split(const std::string &value) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    items.push_back(
        value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

std::vector<long> parse_integer_list(const Variable &v, const std::string &value) {
  std::vector<long> out;
  for (const auto &item : split(value)) {
    long i = 0;
    if (!parse_long(item, &i)) bad_value(v.name, value, concat("'", item, "' is not an integer"));
    out.push_back(i);
  }
  return out;
}

std::vector<std::string> parse_name_list(const Variable &v, const std::string &value) {
  std::string text = trimmed(value);
  const bool negate = !text.empty() && text[0] == '^';
  if (negate) text = text.substr(1);
  std::vector<bool> chosen(v.choices.size(), negate);
  for (const auto &raw_item : split(text)) {
    const std::string item = trimmed(raw_item);
    bool known = false;
    for (size_t i = 0; i < v.choices.size(); ++i) {
      const bool all = v.choices[i] == "ALL" && strcasecmp(item.c_str(), "ALL") == 0;
      if (all || strcasecmp(v.choices[i].c_str(), item.c_str()) == 0) {
        known = true;
        if (all)
          chosen.assign(chosen.size(), !negate);
        else
          chosen[i] = !negate;
      }
    }
    if (!known)
      bad_value(v.name, value,
                concat("'", item, "' is not one of ", list_text(v.choices),
                       " (comma-separated, a leading ^ to exclude them)"));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.choices.size(); ++i)
    if (chosen[i] && v.choices[i] != "ALL") out.push_back(v.choices[i]);
  return out;
}

// Runs the kind's parser over value (throws when it is invalid).
void validate(const Variable &v, const std::string &value) {
  switch (v.kind) {
    case Kind::Text:
    case Kind::Path: return;
    case Kind::Seconds: parse_seconds(v, value); return;
    case Kind::Integer: parse_integer(v, value); return;
    case Kind::Boolean: parse_boolean(v, value); return;
    case Kind::Choice: parse_choice(v, value); return;
    case Kind::IntegerList: parse_integer_list(v, value); return;
    case Kind::NameList: parse_name_list(v, value); return;
  }
}

}  // namespace

std::optional<std::string> raw(const char *name) {
  lookup(name);
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

double seconds(const char *name) {
  const Variable &v = lookup_kind(name, Kind::Seconds);
  return parse_seconds(v, *value_or_default(v));
}

long integer(const char *name) {
  const Variable &v = lookup_kind(name, Kind::Integer);
  return parse_integer(v, *value_or_default(v));
}

std::string choice(const char *name) {
  const Variable &v = lookup_kind(name, Kind::Choice);
  return parse_choice(v, *value_or_default(v));
}

bool boolean(const char *name) {
  const Variable &v = lookup_kind(name, Kind::Boolean);
  return parse_boolean(v, *value_or_default(v));
}

std::optional<std::vector<long>> integer_list(const char *name) {
  const Variable &v = lookup_kind(name, Kind::IntegerList);
  auto value = value_or_default(v);
  if (!value) return std::nullopt;
  return parse_integer_list(v, *value);
}

std::vector<std::string> name_list(const char *name) {
  const Variable &v = lookup_kind(name, Kind::NameList);
  auto value = value_or_default(v);
  return value ? parse_name_list(v, *value) : std::vector<std::string>{};
}

Setting setting(const Variable &variable) {
  Setting s;
  auto value = raw(variable.name);
  s.from_environment = value.has_value();
  s.value = value.value_or(variable.default_value);
  if (value) {
    try {
      validate(variable, *value);
    } catch (const Error &e) {
      s.error = e.what();
    }
  }
  return s;
}

std::vector<std::string> unknown_variables() {
  std::vector<std::string> unknown;
  for (char **e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "MPCOMM_", 7) != 0 || std::strncmp(*e, "MPCOMM_TEST_", 12) == 0) continue;
    std::string name(*e, std::strcspn(*e, "="));
    bool known = std::any_of(variables().begin(), variables().end(),
                             [&](const Variable &v) { return name == v.name; });
    if (!known) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace mpcomm::env
