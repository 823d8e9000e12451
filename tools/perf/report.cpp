#include "perf/report.hpp"

#include "core/dtype.hpp"
#include "core/reduce_op.hpp"

namespace perf {

const char *Reporter::type_name() const {
  return op_.typed() ? mpcomm::datatype_name(options_.dtype) : op_.type;
}

const char *Reporter::redop_name() const {
  return op_.reduces() ? mpcomm::op_name(options_.redop) : op_.redop;
}

size_t Reporter::element_bytes() const {
  return op_.typed() ? mpcomm::element_size(options_.dtype) : 1;
}

Reporter::Reporter(FILE *out, const Options &options, const OpInfo &op, int np, bool with_bound)
    : out_(out), options_(options), op_(op), np_(np), with_bound_(with_bound) {}

void Reporter::header(const std::string &hosts) {
  if (options_.json) return;
  std::fprintf(out_, "# mpcomm-perf: %s on %d rank(s)\n", op_.name, np_);
  std::fprintf(out_,
               "#  minBytes %zu maxBytes %zu step: %zu(factor) warmup iters: %d iters: %d "
               "validation: %d baseline: %s\n",
               options_.min_bytes, options_.max_bytes, options_.factor, options_.warmup,
               options_.iters, options_.check ? 1 : 0, options_.baseline_mpi ? "mpi" : "none");
  if (options_.message_queue)
    std::fprintf(out_, "#  group: with a message-queue broadcaster (shared-memory ring)\n");
  if (options_.barrier_first)
    std::fprintf(out_, "#  group: a barrier first (its shared-memory object channels exist)\n");
  if (options_.mem_alloc)
    std::fprintf(out_, "#  buffers: mpcomm_mem_alloc (read in place by shared memory)\n");
  if (op_.standalone == nullptr && options_.device == Device::Host)
    std::fprintf(out_,
                 "#  time: median over 5 blocks of the mean per call of a back-to-back loop, the "
                 "maximum over ranks%s%s\n",
                 options_.baseline_mpi ? "; mpcomm and MPI blocks alternate" : "",
                 op_.trips_per_call > 1 ? "; one-way (half a round trip)" : "");
  if (options_.baseline_mpi && op_.reduces() && mpcomm::is_16bit_float(options_.dtype))
    std::fprintf(out_,
                 "#  baseline: MPI has no %s; it reduces the same bytes as MPI_FLOAT, so the ratio "
                 "is %s against float32 of the same byte count\n",
                 type_name(), type_name());
  if (options_.baseline_mpi && op_.reduces() && options_.redop == MPCOMM_AVG)
    std::fprintf(out_, "#  baseline: MPI has no average; it sums (MPI_SUM)\n");
  if (options_.device == Device::Cuda)
    std::fprintf(out_,
                 "#  device: cuda, algo %s; time: mean per call between two CUDA events on one "
                 "stream, the maximum over ranks\n",
                 options_.algo.c_str());
  if (with_bound_)
    std::fprintf(out_,
                 "#  bound: the memory bound of the call at the copy and core-to-core copy "
                 "rates measured at each size on every rank at once (mpcomm-perf(1), MEMORY "
                 "BOUND)\n");
  std::fprintf(out_, "#  ranks: %s\n#\n", hosts.c_str());
  if (op_.standalone != nullptr) return;  // its own columns
  const bool base = options_.baseline_mpi;
  const bool device = options_.device == Device::Cuda;
  const bool bound = with_bound_;
  std::fprintf(out_, "#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s%s%s%s\n", "size", "count",
               "type", "redop", "root", "time", "algbw", "busbw", "#wrong",
               base ? "   baseline    ratio" : "", bound ? "      bound   /bound" : "",
               device ? "  path" : "");
  std::fprintf(out_, "#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s%s%s\n", "(B)", "(elements)",
               "", "", "", "(us)", "(GB/s)", "(GB/s)", "", base ? "       (us)         " : "",
               bound ? "       (us)         " : "");
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
    if (op_.typed() || op_.reduces())
      std::fprintf(out_, ",\"type\":\"%s\",\"redop\":\"%s\"", type_name(), redop_name());
    if (!r.path.empty()) std::fprintf(out_, ",\"path\":\"%s\"", r.path.c_str());
    if (r.baseline_us >= 0) std::fprintf(out_, ",\"baseline_us\":%.3f", r.baseline_us);
    if (r.bound_us >= 0) std::fprintf(out_, ",\"bound_us\":%.3f", r.bound_us);
    std::fprintf(out_, ",\"wrong\":%zu}\n", r.wrong);
  } else {
    std::string wrong = options_.check ? std::to_string(r.wrong) : "N/A";
    std::fprintf(out_, " %11zu  %12zu  %8s  %6s  %6d  %9.2f  %7.3f  %7.3f  %6s", r.bytes,
                 op_.sized ? r.bytes / element_bytes() : 0, type_name(), redop_name(), op_.root,
                 r.us, r.algbw_gbps, r.busbw_gbps, wrong.c_str());
    if (r.baseline_us >= 0)
      std::fprintf(out_, "  %9.2f  %7.2f", r.baseline_us,
                   r.baseline_us > 0 ? r.us / r.baseline_us : 0.0);
    if (r.bound_us >= 0)
      std::fprintf(out_, "  %9.2f  %7.2f", r.bound_us, r.bound_us > 0 ? r.us / r.bound_us : 0.0);
    if (!r.path.empty()) std::fprintf(out_, "  %s", r.path.c_str());
    std::fprintf(out_, "\n");
  }
  std::fflush(out_);
}

void Reporter::footer() {
  if (options_.json || op_.standalone != nullptr) return;
  std::fprintf(out_, "# Out of bounds values : %zu %s\n", wrong_total_,
               wrong_total_ == 0 ? "OK" : "FAILED");
  std::fprintf(out_, "# Avg bus bandwidth    : %g\n#\n", rows_ ? busbw_sum_ / rows_ : 0.0);
  std::fflush(out_);
}

void Reporter::note(const std::string &text) {
  std::fprintf(options_.json ? stderr : out_, "# %s\n", text.c_str());
}

}  // namespace perf
