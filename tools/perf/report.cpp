#include "perf/report.hpp"

namespace perf {

Reporter::Reporter(FILE *out, const Options &options, const OpInfo &op, int np)
    : out_(out), options_(options), op_(op), np_(np) {}

void Reporter::header(const std::string &hosts) {
  if (options_.json) return;
  std::fprintf(out_, "# mpcomm-perf: %s on %d rank(s)\n", op_.name, np_);
  std::fprintf(out_,
               "#  minBytes %zu maxBytes %zu step: %zu(factor) warmup iters: %d iters: %d "
               "validation: %d baseline: %s\n",
               options_.min_bytes, options_.max_bytes, options_.factor, options_.warmup,
               options_.iters, options_.check ? 1 : 0, options_.baseline_mpi ? "mpi" : "none");
  std::fprintf(out_, "#  time: mean per call of a back-to-back loop, the maximum over ranks%s\n",
               op_.trips_per_call > 1 ? "; one-way (half a round trip)" : "");
  std::fprintf(out_, "#  ranks: %s\n#\n", hosts.c_str());
  const bool base = options_.baseline_mpi;
  std::fprintf(out_, "#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s%s\n", "size", "count", "type",
               "redop", "root", "time", "algbw", "busbw", "#wrong",
               base ? "   baseline    ratio" : "");
  std::fprintf(out_, "#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s%s\n", "(B)", "(elements)", "",
               "", "", "(us)", "(GB/s)", "(GB/s)", "", base ? "       (us)         " : "");
  std::fflush(out_);
}

void Reporter::row(const Row &r) {
  ++rows_;
  busbw_sum_ += r.busbw_gbps;
  wrong_total_ += r.wrong;
  if (options_.json) {
    std::fprintf(out_,
                 "{\"op\":\"%s\",\"np\":%d,\"bytes\":%zu,\"us\":%.3f,\"algbw_GBps\":%.6f,"
                 "\"busbw_GBps\":%.6f",
                 op_.name, np_, r.bytes, r.us, r.algbw_gbps, r.busbw_gbps);
    if (r.baseline_us >= 0) std::fprintf(out_, ",\"baseline_us\":%.3f", r.baseline_us);
    std::fprintf(out_, ",\"wrong\":%zu}\n", r.wrong);
  } else {
    std::string wrong = options_.check ? std::to_string(r.wrong) : "N/A";
    std::fprintf(out_, " %11zu  %12zu  %8s  %6s  %6d  %9.2f  %7.3f  %7.3f  %6s", r.bytes,
                 op_.sized ? r.bytes : 0, op_.type, op_.redop, op_.root, r.us, r.algbw_gbps,
                 r.busbw_gbps, wrong.c_str());
    if (r.baseline_us >= 0)
      std::fprintf(out_, "  %9.2f  %7.2f", r.baseline_us,
                   r.baseline_us > 0 ? r.us / r.baseline_us : 0.0);
    std::fprintf(out_, "\n");
  }
  std::fflush(out_);
}

void Reporter::footer() {
  if (options_.json) return;
  std::fprintf(out_, "# Out of bounds values : %zu %s\n", wrong_total_,
               wrong_total_ == 0 ? "OK" : "FAILED");
  std::fprintf(out_, "# Avg bus bandwidth    : %g\n#\n", rows_ ? busbw_sum_ / rows_ : 0.0);
  std::fflush(out_);
}

void Reporter::note(const std::string &text) {
  std::fprintf(options_.json ? stderr : out_, "# %s\n", text.c_str());
}

}  // namespace perf
