// The operations mpcomm-perf measures. Each is a row of a table: how to make a Benchmark for a
// group, and how to turn a time into bandwidths. Adding an operation (all_reduce, the custom
// allreduce...) is adding one entry to all_ops() in ops.cpp.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mpcomm.h"

namespace perf {

// What every benchmark runs on: an mpcomm group over MPI_COMM_WORLD, and a duplicate of
// MPI_COMM_WORLD for the plain MPI baseline.
struct Context {
  mpcomm_group_t group = nullptr;
  MPI_Comm baseline_comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
};

// One operation at one size at one rank.
class Benchmark {
 public:
  virtual ~Benchmark() = default;
  // Allocates and fills the buffers for objects of bytes bytes.
  virtual void setup(size_t bytes) = 0;
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
  const char *type;   // the table's "type" column
  const char *redop;  // the table's "redop" column
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
};

const std::vector<OpInfo> &all_ops();
const OpInfo *find_op(const std::string &name);

// Throws std::runtime_error with mpcomm_last_error() unless status is MPCOMM_SUCCESS.
void ok(mpcomm_status_t status, const char *call);
// Throws std::runtime_error unless rc is MPI_SUCCESS.
void mpi_ok(int rc, const char *call);

}  // namespace perf
