// mpcomm-perf's command line: OP [-b MIN] [-e MAX] [-f FACTOR] [-n ITERS] [-w WARMUP] [-c 0|1]
// [-d TYPE] [-o OP] [--json] [--baseline mpi] [--device host|cuda] [--algo auto|custom|nccl]
// [--tp N] [--pp N] [--message-queue] [--mem-alloc], in nccl-tests' manner (sizes take K, M, G
// suffixes).
#pragma once

#include <cstddef>
#include <string>

#include "mpcomm.h"

namespace perf {

enum class Device { Host, Cuda };

struct Options {
  std::string op;
  size_t min_bytes = 64;
  size_t max_bytes = 4096;
  size_t factor = 2;
  int iters = 100;
  int warmup = 10;
  bool check = true;
  bool json = false;
  bool baseline_mpi = false;
  mpcomm_datatype_t dtype = MPCOMM_FLOAT32;  // -d: the element type of the data operations
  mpcomm_op_t redop = MPCOMM_SUM;            // -o: the reduction of all_reduce, reduce_scatter
  Device device = Device::Host;              // --device: where the buffers live
  std::string algo = "auto";                 // --algo: the device all_reduce path
  bool algo_given = false;
  int tp = 1, pp = 1;          // --tp, --pp: the parallel state of state_create
  bool message_queue = false;  // --message-queue: broadcast_object through shared memory
  bool barrier_first = false;  // --barrier-first: the group's object channels exist before timing
  bool mem_alloc = false;      // --mem-alloc: all_reduce's buffers from mpcomm_mem_alloc
  bool version = false;        // --version: print the version and exit
};

// Parses argv; on a bad command line returns false and sets *error (the caller prints it with
// a hint to --help and exits 2). --help sets *help, --version options->version.
bool parse_options(int argc, char **argv, Options *options, bool *help, std::string *error);

// "1K" -> 1024, "4M", "1G", "64"; false on junk, overflow or an unknown suffix.
bool parse_size(const std::string &text, size_t *bytes);

// "float32" (or nccl-tests' "float"), "bfloat16", "half"...; false for an unknown name.
bool parse_datatype(const std::string &text, mpcomm_datatype_t *dtype);
// "sum", "prod", "max", "min", "avg"; false for anything else.
bool parse_redop(const std::string &text, mpcomm_op_t *op);

std::string usage();

}  // namespace perf
