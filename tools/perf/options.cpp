#include "perf/options.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/dtype.hpp"
#include "core/reduce_op.hpp"
#include "perf/ops.hpp"

namespace perf {

bool parse_datatype(const std::string &text, mpcomm_datatype_t *dtype) {
  // nccl-tests' names too, so that its command lines carry over.
  struct Alias {
    const char *name;
    mpcomm_datatype_t dtype;
  };
  static const Alias aliases[] = {{"int8", MPCOMM_INT8},
                                  {"uint8", MPCOMM_UINT8},
                                  {"int32", MPCOMM_INT32},
                                  {"int", MPCOMM_INT32},
                                  {"int64", MPCOMM_INT64},
                                  {"float16", MPCOMM_FLOAT16},
                                  {"half", MPCOMM_FLOAT16},
                                  {"bfloat16", MPCOMM_BFLOAT16},
                                  {"float32", MPCOMM_FLOAT32},
                                  {"float", MPCOMM_FLOAT32},
                                  {"float64", MPCOMM_FLOAT64},
                                  {"double", MPCOMM_FLOAT64},
                                  {"bool", MPCOMM_BOOL},
                                  {"int16", MPCOMM_INT16},
                                  {"uint16", MPCOMM_UINT16},
                                  {"uint32", MPCOMM_UINT32},
                                  {"uint64", MPCOMM_UINT64},
                                  {"float8_e4m3fn", MPCOMM_FLOAT8_E4M3FN},
                                  {"fp8e4m3", MPCOMM_FLOAT8_E4M3FN},
                                  {"float8_e5m2", MPCOMM_FLOAT8_E5M2},
                                  {"fp8e5m2", MPCOMM_FLOAT8_E5M2}};
  for (const Alias &a : aliases)
    if (text == a.name) {
      *dtype = a.dtype;
      return true;
    }
  return false;
}

bool parse_redop(const std::string &text, mpcomm_op_t *op) {
  for (int i = 0; i < MPCOMM_NUM_OPS; ++i)
    if (text == mpcomm::op_name(static_cast<mpcomm_op_t>(i))) {
      *op = static_cast<mpcomm_op_t>(i);
      return true;
    }
  return false;
}

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
         "[-w WARMUP] [-c 0|1] [-d TYPE] [-o REDOP] [--json] [--baseline mpi]\n"
         "       [--device host|cuda] [--algo auto|custom|nccl] [--tp N] [--pp N] "
         "[--message-queue] [--mem-alloc]\n       [--barrier-first] [--help] [--version]\n"
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
         "  -d TYPE     element type of the data operations: int8, uint8, int16, uint16,\n"
         "              int32, uint32, int64, uint64, float16, bfloat16, float32 (default),\n"
         "              float64, bool, float8_e4m3fn, float8_e5m2 (the last three only move)\n"
         "  -o REDOP    reduction of all_reduce and reduce_scatter[v]: sum (default), prod, max,\n"
         "              min, avg\n"
         "  --device D  host (default) or cuda (all_reduce only, through the GPU data plane)\n"
         "  --algo A    with --device cuda: auto (default), custom or nccl\n"
         "  --tp N, --pp N  tensor- and pipeline-parallel sizes of state_create (default 1)\n"
         "  --message-queue  give the group a message-queue broadcaster, as TP groups have\n"
         "              (broadcast_object only)\n"
         "  --mem-alloc  all_reduce on buffers of mpcomm_mem_alloc, which shared memory reads in\n"
         "              place (host all_reduce only)\n"
         "  --barrier-first  an mpcomm_barrier on the group before timing: its first collective\n"
         "              object call makes the shared-memory channels send/recv then take\n"
         "See mpcomm-perf(1).\n";
}

bool parse_options(int argc, char **argv, Options *o, bool *help, std::string *error) {
  *help = false;
  bool dtype_given = false, redop_given = false, layout_given = false;
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
    } else if (arg == "--version") {
      o->version = true;
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
    } else if (arg == "-d") {
      if (!value(&v)) return false;
      if (!parse_datatype(v, &o->dtype)) {
        *error =
            "-d takes int8, uint8, int32, int64, float16, bfloat16, float32 or float64, got '" + v +
            "'";
        return false;
      }
      dtype_given = true;
    } else if (arg == "-o") {
      if (!value(&v)) return false;
      if (!parse_redop(v, &o->redop)) {
        *error = "-o takes sum, prod, max, min or avg, got '" + v + "'";
        return false;
      }
      redop_given = true;
    } else if (arg == "--device") {
      if (!value(&v)) return false;
      if (v != "host" && v != "cuda") {
        *error = "--device takes host or cuda, got '" + v + "'";
        return false;
      }
      o->device = v == "cuda" ? Device::Cuda : Device::Host;
    } else if (arg == "--algo") {
      if (!value(&v)) return false;
      if (v != "auto" && v != "custom" && v != "nccl") {
        *error = "--algo takes auto, custom or nccl, got '" + v + "'";
        return false;
      }
      o->algo = v;
      o->algo_given = true;
    } else if (arg == "--tp" || arg == "--pp") {
      if (!value(&v)) return false;
      layout_given = true;
      if (!parse_int(v, 1, arg == "--tp" ? &o->tp : &o->pp)) {
        *error = arg + " takes an integer >= 1, got '" + v + "'";
        return false;
      }
    } else if (arg == "--message-queue") {
      o->message_queue = true;
    } else if (arg == "--barrier-first") {
      o->barrier_first = true;
    } else if (arg == "--mem-alloc") {
      o->mem_alloc = true;
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
  const OpInfo *op = find_op(o->op);
  if (op == nullptr) {
    *error = "unknown OP '" + o->op + "'";
    return false;
  }
  if (dtype_given && !op->typed()) {
    *error = "-d does not apply to " + o->op + " (its objects are bytes)";
    return false;
  }
  if (redop_given && !op->reduces()) {
    *error = "-o does not apply to " + o->op + " (it reduces nothing)";
    return false;
  }
  if (o->device == Device::Cuda && !op->on_device()) {
    *error = "--device cuda applies to all_reduce only, not to " + o->op;
    return false;
  }
  if (layout_given && o->op != "state_create") {
    *error = "--tp and --pp apply to state_create only, not to " + o->op;
    return false;
  }
  if (o->message_queue && o->op != "broadcast_object") {
    *error = "--message-queue applies to broadcast_object only, not to " + o->op;
    return false;
  }
  if (o->mem_alloc && (o->op != "all_reduce" || o->device != Device::Host)) {
    *error = "--mem-alloc applies to the host all_reduce only, not to " + o->op +
             (o->device == Device::Cuda ? " --device cuda" : "");
    return false;
  }
  if (o->algo_given && o->device != Device::Cuda) {
    *error = "--algo needs --device cuda";
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
