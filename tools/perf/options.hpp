// mpcomm-perf's command line: OP [-b MIN] [-e MAX] [-f FACTOR] [-n ITERS] [-w WARMUP] [-c 0|1]
// [--json] [--baseline mpi], in nccl-tests' manner (sizes take K, M, G suffixes).
#pragma once

#include <cstddef>
#include <string>

namespace perf {

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
};

// Parses argv; on a bad command line returns false and sets *error (the caller prints usage
// and exits 2). --help sets *help.
bool parse_options(int argc, char **argv, Options *options, bool *help, std::string *error);

// "1K" -> 1024, "4M", "1G", "64"; false on junk, overflow or an unknown suffix.
bool parse_size(const std::string &text, size_t *bytes);

std::string usage();

}  // namespace perf
