#include "perf/bound.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "perf/ops.hpp"

namespace perf {

namespace {

constexpr int kRepeats = 5;

// Seconds per call of body: every rank starts together, the median of kRepeats timed calls
// (after one that faults the pages in), the maximum over ranks.
template <class Body>
double timed(MPI_Comm world, Body &&body) {
  body();
  std::vector<double> t;
  for (int k = 0; k < kRepeats; ++k) {
    mpi_ok(MPI_Barrier(world), "MPI_Barrier");
    const double t0 = MPI_Wtime();
    body();
    t.push_back(MPI_Wtime() - t0);
  }
  double mine = median(t);
  mpi_ok(MPI_Allreduce(MPI_IN_PLACE, &mine, 1, MPI_DOUBLE, MPI_MAX, world), "MPI_Allreduce");
  return mine;
}

}  // namespace

MemoryRates measure_memory_rates(size_t bytes, MPI_Comm world) {
  MemoryRates rates;
  rates.bytes = bytes;
  const size_t count = std::max<size_t>(bytes / sizeof(float), 1);
  std::vector<float> a(count, 1.0f), b(count, 2.0f), c(count, 0.0f);
  rates.copy_s = timed(world, [&] { std::memcpy(c.data(), a.data(), count * sizeof(float)); });
  // Through volatile-free pointers the loop vectorises; c feeds the next call's check below so
  // that the compiler keeps the stores.
  rates.add_s = timed(world, [&] {
    const float *x = a.data(), *y = b.data();
    float *z = c.data();
    for (size_t i = 0; i < count; ++i) z[i] = x[i] + y[i];
  });
  if (c[count - 1] != 3.0f) throw std::runtime_error("the memory-rate benchmark added wrongly");
  return rates;
}

double all_reduce_bound_s(const MemoryRates &rates, int np) {
  if (np <= 1) return rates.copy_s;  // a copy of the input into the output
  const double n = np;
  return 2 * (n - 1) / n * rates.copy_s + (n + 1) / (3 * n) * rates.add_s;
}

}  // namespace perf
