#include "perf/options.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "perf/ops.hpp"

namespace perf {

bool parse_size(const std::string &text, size_t *bytes) {
  if (text.empty() || text[0] == '-') return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE || end == text.c_str()) return false;
  unsigned long long scale = 1;
  std::string suffix(end);
  if (suffix == "K" || suffix == "k")
    scale = 1ULL << 10;
  else if (suffix == "M" || suffix == "m")
    scale = 1ULL << 20;
  else if (suffix == "G" || suffix == "g")
    scale = 1ULL << 30;
  else if (!suffix.empty())
    return false;
  if (v > ULLONG_MAX / scale) return false;
  *bytes = static_cast<size_t>(v * scale);
  return true;
}

namespace {

bool parse_int(const std::string &text, int min, int *out) {
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < min || v > INT_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

std::string usage() {
  std::string ops;
  for (const auto &op : all_ops()) ops += std::string(ops.empty() ? "" : ", ") + op.name;
  return "usage: mpirun -np N mpcomm-perf OP [-b MIN] [-e MAX] [-f FACTOR] [-n ITERS] "
         "[-w WARMUP] [-c 0|1] [--json] [--baseline mpi]\n"
         "  OP          " +
         ops +
         "\n"
         "  -b MIN      smallest object in bytes (K, M, G suffixes; default 64)\n"
         "  -e MAX      largest object in bytes (default 4K)\n"
         "  -f FACTOR   multiply the size by FACTOR from MIN to MAX (default 2)\n"
         "  -n ITERS    timed calls per size (default 100)\n"
         "  -w WARMUP   untimed calls before them (default 10)\n"
         "  -c 0|1      check the results of each size (default 1)\n"
         "  --json      one JSON object per line instead of the table\n"
         "  --baseline mpi  also time the plain MPI equivalent, for the ratio\n"
         "See mpcomm-perf(1).\n";
}

bool parse_options(int argc, char **argv, Options *o, bool *help, std::string *error) {
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string *out) {
      if (i + 1 >= argc) {
        *error = arg + " needs a value";
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "-h" || arg == "--help") {
      *help = true;
      return true;
    } else if (arg == "--json") {
      o->json = true;
    } else if (arg == "--baseline") {
      if (!value(&v)) return false;
      if (v != "mpi") {
        *error = "--baseline takes 'mpi', got '" + v + "'";
        return false;
      }
      o->baseline_mpi = true;
    } else if (arg == "-b" || arg == "-e") {
      if (!value(&v)) return false;
      if (!parse_size(v, arg == "-b" ? &o->min_bytes : &o->max_bytes)) {
        *error = arg + " takes a size in bytes (K, M, G suffixes), got '" + v + "'";
        return false;
      }
    } else if (arg == "-f") {
      int f = 0;
      if (!value(&v)) return false;
      if (!parse_int(v, 2, &f)) {
        *error = "-f takes an integer >= 2, got '" + v + "'";
        return false;
      }
      o->factor = static_cast<size_t>(f);
    } else if (arg == "-n" || arg == "-w") {
      if (!value(&v)) return false;
      if (!parse_int(v, arg == "-n" ? 1 : 0, arg == "-n" ? &o->iters : &o->warmup)) {
        *error = arg + (arg == "-n" ? " takes an integer >= 1" : " takes an integer >= 0") +
                 ", got '" + v + "'";
        return false;
      }
    } else if (arg == "-c") {
      if (!value(&v)) return false;
      if (v != "0" && v != "1") {
        *error = "-c takes 0 or 1, got '" + v + "'";
        return false;
      }
      o->check = v == "1";
    } else if (!arg.empty() && arg[0] == '-') {
      *error = "unknown option '" + arg + "'";
      return false;
    } else if (o->op.empty()) {
      o->op = arg;
    } else {
      *error = "one OP only, got '" + o->op + "' and '" + arg + "'";
      return false;
    }
  }
  if (o->op.empty()) {
    *error = "no OP given";
    return false;
  }
  if (find_op(o->op) == nullptr) {
    *error = "unknown OP '" + o->op + "'";
    return false;
  }
  if (o->min_bytes > o->max_bytes) {
    *error = "-b (" + std::to_string(o->min_bytes) + ") is larger than -e (" +
             std::to_string(o->max_bytes) + ")";
    return false;
  }
  return true;
}

}  // namespace perf
