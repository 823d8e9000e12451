// mpcomm-perf's output: a table in nccl-tests' layout (comment lines start with '#'), or one
// JSON object per line. Only rank 0 writes.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "perf/ops.hpp"
#include "perf/options.hpp"

namespace perf {

struct Row {
  size_t bytes = 0;
  double us = 0;  // per one-way trip, the maximum over ranks
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  size_t wrong = 0;         // summed over ranks; 0 when not checked
  double baseline_us = -1;  // < 0: not measured
  std::string path;         // --device cuda: how the call travelled ("custom", "nccl", "copy")
  double bound_us = -1;     // the memory bound (perf/bound.hpp); < 0: not measured
};

class Reporter {
 public:
  // with_bound: the rows carry the memory bound (a modelled operation on one node).
  Reporter(FILE *out, const Options &options, const OpInfo &op, int np, bool with_bound);
  void header(const std::string &hosts);
  void row(const Row &row);
  void footer();
  // A line the table shows as a comment and JSON skips (printed to stderr there).
  void note(const std::string &text);
  // The type and redop columns: the operation's, or the -d and -o of the command line.
  const char *type_name() const;
  const char *redop_name() const;
  size_t element_bytes() const;

 private:
  FILE *out_;
  const Options &options_;
  const OpInfo &op_;
  int np_;
  bool with_bound_;
  double busbw_sum_ = 0;
  int rows_ = 0;
  size_t wrong_total_ = 0;
};

}  // namespace perf
