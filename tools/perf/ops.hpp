// The operations mpcomm-perf measures. Each is a row of a table: how to make a Benchmark for a
// group, and how to turn a time into bandwidths. Adding an operation is adding one entry to
// all_ops() in ops.cpp.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mpcomm.h"
#include "perf/bound.hpp"
#include "perf/options.hpp"

namespace perf {

class Reporter;

// What every benchmark runs on: an mpcomm group over MPI_COMM_WORLD, a duplicate of
// MPI_COMM_WORLD for the plain MPI baseline, and the command line (-d, -o, --tp ...).
struct Context {
  mpcomm_group_t group = nullptr;
  MPI_Comm baseline_comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  const Options *options = nullptr;
};

// One operation at one size at one rank.
class Benchmark {
 public:
  virtual ~Benchmark() = default;
  // Allocates and fills the buffers for objects of about bytes bytes, and returns the size the
  // row reports (typed operations round down to whole elements per rank, at least one).
  virtual size_t setup(size_t bytes) = 0;
  // One call of the mpcomm operation (timed in a loop).
  virtual void run_once() = 0;
  // One call of the plain MPI equivalent (timed in a loop).
  virtual void baseline_once() = 0;
  // Runs the operation once on fresh contents and returns the number of wrong bytes seen at
  // this rank (0 when correct).
  virtual size_t check(unsigned round) = 0;
};

struct OpInfo {
  const char *name;
  const char *type;   // the table's "type" column; nullptr: typed, the -d type
  const char *redop;  // the table's "redop" column; nullptr: reduces, the -o operator
  int root;           // the table's "root" column (-1: none)
  bool sized;         // false: one row, size 0 (barrier)
  int min_ranks;
  // A timed call moves this many one-way trips (ping-pong: 2); the time reported is per trip.
  int trips_per_call;
  // Bytes of algorithm bandwidth per call for objects of bytes bytes on np ranks.
  double (*algbw_bytes)(size_t bytes, int np);
  // busbw = algbw * bus_factor(np), as nccl-tests defines it.
  double (*bus_factor)(int np);
  std::unique_ptr<Benchmark> (*make)(const Context &context);
  // Instead of the timed loop of Benchmarks: a mode that measures in its own way (CUDA events)
  // and reports through the Reporter; returns the exit status. device_run serves --device cuda
  // (nullptr: host buffers only); standalone, when set, always replaces the loop.
  int (*device_run)(const Context &context, Reporter &report) = nullptr;
  int (*standalone)(const Context &context, Reporter &report) = nullptr;
  // The memory bound of one call on np ranks of one node (nullptr: none is modelled).
  double (*bound_s)(const MemoryRates &rates, int np) = nullptr;

  bool typed() const { return type == nullptr; }
  bool reduces() const { return redop == nullptr; }
  bool on_device() const { return device_run != nullptr; }
};

const std::vector<OpInfo> &all_ops();

// The sizes of a run: min, min * factor, ... up to max ({0} for an unsized operation).
std::vector<size_t> sizes_of(const Options &options, bool sized);

// The operations of the other files, for all_ops().
std::unique_ptr<Benchmark> make_all_reduce(const Context &context);
std::unique_ptr<Benchmark> make_all_gather(const Context &context);
std::unique_ptr<Benchmark> make_reduce_scatter(const Context &context);
std::unique_ptr<Benchmark> make_broadcast(const Context &context);
std::unique_ptr<Benchmark> make_sendrecv(const Context &context);
std::unique_ptr<Benchmark> make_all_gatherv(const Context &context);
std::unique_ptr<Benchmark> make_reduce_scatterv(const Context &context);
std::unique_ptr<Benchmark> make_all_to_all(const Context &context);
std::unique_ptr<Benchmark> make_all_to_allv(const Context &context);
std::unique_ptr<Benchmark> make_tensor_dict(const Context &context);
std::unique_ptr<Benchmark> make_state_create(const Context &context);
int run_device_all_reduce(const Context &context, Reporter &report);
int run_custom_allreduce_sim(const Context &context, Reporter &report);
const OpInfo *find_op(const std::string &name);

// The median of v (the mean of the middle two for an even count); v is not empty.
double median(std::vector<double> v);

// Throws std::runtime_error with mpcomm_last_error() unless status is MPCOMM_SUCCESS.
void ok(mpcomm_status_t status, const char *call);
// Throws std::runtime_error unless rc is MPI_SUCCESS.
void mpi_ok(int rc, const char *call);

}  // namespace perf
