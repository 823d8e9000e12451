// mpcomm-perf: times mpcomm operations in the manner of nccl-tests, optionally next to the plain
// MPI call that does the same (--baseline mpi), in the same run. See mpcomm-perf(1).
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "config.h"
#include "mpcomm.h"
#include "perf/ops.hpp"
#include "perf/options.hpp"
#include "perf/report.hpp"

namespace {

// Mean seconds per call over a back-to-back loop of `calls` calls, the maximum over ranks.
double time_block(perf::Benchmark &b, bool baseline, int calls, MPI_Comm world) {
  perf::mpi_ok(MPI_Barrier(world), "MPI_Barrier");
  const double t0 = MPI_Wtime();
  for (int i = 0; i < calls; ++i) baseline ? b.baseline_once() : b.run_once();
  double t = (MPI_Wtime() - t0) / calls;
  perf::mpi_ok(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, world), "MPI_Allreduce");
  return t;
}

// Seconds per call of the operation and, with a baseline, of the MPI equivalent: after the
// warm-up calls, ITERS calls in kBlocks blocks, the blocks of mpcomm and of MPI alternating so
// that both see the same load of a shared machine; each figure is the median over its blocks.
constexpr int kBlocks = 5;
void time_both(perf::Benchmark &b, const perf::Options &o, MPI_Comm world, double *t,
               double *baseline_t) {
  for (int i = 0; i < o.warmup; ++i) b.run_once();
  if (o.baseline_mpi)
    for (int i = 0; i < o.warmup; ++i) b.baseline_once();
  const int blocks = std::min(kBlocks, o.iters);
  std::vector<double> mine, theirs;
  for (int k = 0; k < blocks; ++k) {
    // The iterations spread over the blocks: the first ones take the remainder.
    const int calls = o.iters / blocks + (k < o.iters % blocks ? 1 : 0);
    mine.push_back(time_block(b, false, calls, world));
    if (o.baseline_mpi) theirs.push_back(time_block(b, true, calls, world));
  }
  *t = perf::median(mine);
  *baseline_t = o.baseline_mpi ? perf::median(theirs) : -1;
}

// The timed loop of a Benchmark at every size, with the baseline, the memory bound (with_bound)
// and the check; 1 when a check found a wrong value.
int run_host(const perf::Options &o, const perf::OpInfo &op, const perf::Context &c,
             bool with_bound, perf::Reporter &report) {
  auto bench = op.make(c);
  size_t total_wrong = 0;
  unsigned round = 0;
  for (size_t requested : perf::sizes_of(o, op.sized)) {
    perf::Row row;
    row.bytes = bench->setup(requested);
    double t = 0, baseline_t = 0;
    time_both(*bench, o, MPI_COMM_WORLD, &t, &baseline_t);
    t /= op.trips_per_call;
    row.us = t * 1e6;
    if (o.baseline_mpi) row.baseline_us = baseline_t / op.trips_per_call * 1e6;
    if (with_bound)
      row.bound_us =
          op.bound_s(perf::measure_memory_rates(row.bytes, MPI_COMM_WORLD), c.size) * 1e6;
    if (o.check) {
      unsigned long long wrong = bench->check(++round);
      perf::mpi_ok(
          MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
      row.wrong = static_cast<size_t>(wrong);
      total_wrong += row.wrong;
    }
    const double algbw = t > 0 ? op.algbw_bytes(row.bytes, c.size) / t / 1e9 : 0;
    row.algbw_gbps = op.sized ? algbw : 0;
    row.busbw_gbps = row.algbw_gbps * op.bus_factor(c.size);
    if (c.rank == 0) report.row(row);
    if (c.rank == 0 && !op.sized && !o.json) {
      char text[160];
      std::snprintf(text, sizeof text, "%s: %.3f ms per call", op.name, row.us / 1e3);
      std::string line = text;
      if (row.baseline_us >= 0) {
        std::snprintf(text, sizeof text, ", MPI baseline %.3f ms", row.baseline_us / 1e3);
        line += text;
      }
      report.note(line);
    }
  }
  return total_wrong == 0 ? 0 : 1;
}

std::string describe_ranks(int size) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::vector<char> all(static_cast<size_t>(size) * sizeof host);
  MPI_Gather(host, sizeof host, MPI_CHAR, all.data(), sizeof host, MPI_CHAR, 0, MPI_COMM_WORLD);
  std::string out;
  for (int r = 0; r < size && r < 8; ++r)
    out += (r ? ", " : "") + std::to_string(r) + "@" + std::string(&all[r * sizeof host]);
  if (size > 8) out += ", ...";
  return out;
}

int run(const perf::Options &o, const perf::OpInfo &op, int rank, int size) {
  perf::Context c;
  c.rank = rank;
  c.size = size;
  c.options = &o;
  perf::ok(mpcomm_group_from_comm(MPI_COMM_WORLD, &c.group), "mpcomm_group_from_comm");
  if (o.message_queue)
    perf::ok(mpcomm_group_enable_message_queue(c.group, 0, 0), "mpcomm_group_enable_message_queue");
  if (o.barrier_first) perf::ok(mpcomm_barrier(c.group, 0), "mpcomm_barrier");
  perf::mpi_ok(MPI_Comm_dup(MPI_COMM_WORLD, &c.baseline_comm), "MPI_Comm_dup");
  // The memory bound models ranks that share one node's memory.
  MPI_Comm node = MPI_COMM_NULL;
  perf::mpi_ok(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
               "MPI_Comm_split_type");
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  const bool with_bound = op.bound_s != nullptr && op.standalone == nullptr &&
                          o.device == perf::Device::Host && node_size == size;
  perf::Reporter report(stdout, o, op, size, with_bound);
  const std::string hosts = describe_ranks(size);
  if (rank == 0) report.header(hosts);
  int rc = 0;
  if (size < op.min_ranks) {
    if (rank == 0)
      report.note(std::string(op.name) + " needs at least " + std::to_string(op.min_ranks) +
                  " ranks; nothing measured");
  } else if (op.standalone != nullptr) {
    rc = op.standalone(c, report);
  } else if (o.device == perf::Device::Cuda) {
    rc = op.device_run(c, report);
  } else {
    rc = run_host(o, op, c, with_bound, report);
  }
  if (rank == 0) report.footer();
  MPI_Comm_free(&c.baseline_comm);
  perf::ok(mpcomm_group_free(&c.group), "mpcomm_group_free");
  return rc;
}

}  // namespace

int main(int argc, char **argv) {
  perf::Options options;
  bool help = false;
  std::string error;
  const bool parsed = perf::parse_options(argc, argv, &options, &help, &error);
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (!parsed || help || options.version) {
    if (rank == 0) {
      if (!parsed)
        std::fprintf(stderr, "mpcomm-perf: %s\nTry 'mpcomm-perf --help' for more information.\n",
                     error.c_str());
      else if (help)
        std::fputs(perf::usage().c_str(), stdout);
      else
        std::printf("mpcomm-perf %s\n", PACKAGE_VERSION);
    }
    MPI_Finalize();
    return parsed ? 0 : 2;
  }
  // The one check that needs the number of ranks.
  if (options.op == "state_create" && size % (options.tp * options.pp) != 0) {
    if (rank == 0)
      std::fprintf(stderr,
                   "mpcomm-perf: --tp %d x --pp %d does not divide the %d ranks\n"
                   "Try 'mpcomm-perf --help' for more information.\n",
                   options.tp, options.pp, size);
    MPI_Finalize();
    return 2;
  }
  int rc = 0;
  try {
    rc = run(options, *perf::find_op(options.op), rank, size);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mpcomm-perf: rank %d: %s\n", rank, e.what());
    // A tool, not the library: the other ranks may wait for this one forever.
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
