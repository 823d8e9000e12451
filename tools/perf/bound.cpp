#include "perf/bound.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "perf/ops.hpp"

namespace perf {

namespace {

constexpr int kRepeats = 5;
// Peers' data crosses between cores in pieces that stay in the caches (the shared-memory
// allreduce's are 256 KiB), not through memory at the whole call's size.
constexpr size_t kPeerPiece = size_t{256} << 10;

// Seconds per call of body: every rank starts together after prepare, the median of kRepeats
// timed calls (after one that faults the pages in), the maximum over ranks.
template <class Prepare, class Body>
double timed(MPI_Comm world, Prepare &&prepare, Body &&body) {
  prepare();
  body();
  std::vector<double> t;
  for (int k = 0; k < kRepeats; ++k) {
    prepare();
    mpi_ok(MPI_Barrier(world), "MPI_Barrier");
    const double t0 = MPI_Wtime();
    body();
    t.push_back(MPI_Wtime() - t0);
  }
  double mine = median(t);
  mpi_ok(MPI_Allreduce(MPI_IN_PLACE, &mine, 1, MPI_DOUBLE, MPI_MAX, world), "MPI_Allreduce");
  return mine;
}

// Each rank's block of a shared window on world's node, and its next rank's.
struct PeerBuffers {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Win win = MPI_WIN_NULL;
  char *mine = nullptr;
  const char *next = nullptr;
  PeerBuffers(MPI_Comm world, size_t bytes) {
    mpi_ok(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
           "MPI_Comm_split_type");
    int rank = 0, size = 1;
    MPI_Comm_rank(node, &rank);
    MPI_Comm_size(node, &size);
    mpi_ok(
        MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes), 1, MPI_INFO_NULL, node, &mine, &win),
        "MPI_Win_allocate_shared");
    MPI_Aint got = 0;
    int unit = 0;
    char *peer = nullptr;
    mpi_ok(MPI_Win_shared_query(win, (rank + 1) % size, &got, &unit, &peer),
           "MPI_Win_shared_query");
    next = peer;
  }
  ~PeerBuffers() {
    MPI_Win_free(&win);
    MPI_Comm_free(&node);
  }
  PeerBuffers(const PeerBuffers &) = delete;
  PeerBuffers &operator=(const PeerBuffers &) = delete;
};

}  // namespace

MemoryRates measure_memory_rates(size_t bytes, MPI_Comm world) {
  MemoryRates rates;
  rates.bytes = bytes;
  const size_t count = std::max<size_t>(bytes / sizeof(float), 1);
  const size_t size = count * sizeof(float);
  std::vector<float> a(count, 1.0f), b(count, 2.0f), c(count, 0.0f);
  const auto nothing = [] {};
  rates.copy_s = timed(world, nothing, [&] { std::memcpy(c.data(), a.data(), size); });
  // The next rank writes a piece; this one copies it out, as it copies its peers' results.
  const size_t piece = std::min(size, kPeerPiece);
  PeerBuffers peers(world, piece);
  rates.peer_copy_s = timed(
                          world,
                          [&] {
                            std::memcpy(peers.mine, b.data(), piece);
                            mpi_ok(MPI_Barrier(world), "MPI_Barrier");
                          },
                          [&] { std::memcpy(c.data(), peers.next, piece); }) *
                      static_cast<double>(size) / static_cast<double>(piece);
  if (c[piece / sizeof(float) - 1] != 2.0f)
    throw std::runtime_error("the peer-copy benchmark copied wrongly");
  return rates;
}

double all_reduce_bound_s(const MemoryRates &rates, int np) {
  if (np <= 1) return rates.copy_s;  // a copy of the input into the output
  const double n = np;
  return rates.copy_s + 2 * (n - 1) / n * rates.peer_copy_s;
}

}  // namespace perf
