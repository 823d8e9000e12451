// The host data plane's MPI calls bounded by a deadline (the form MPCOMM_HOST_BOUNDED=1 gives a
// group): correct with every rank present, on the one-call paths and past the per-call count
// limit; and with rank 1 absent, a TIMEOUT naming the MPI call on the others, not a hang.
// Runs at 1, 2 and 4 ranks (1 rank: skipped, a bounded call needs peers).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "expect_error.hpp"
#include "group_test_util.hpp"
#include "host/host_collectives.hpp"
#include "host/mpi_count.hpp"

namespace {

using namespace mpcomm;
using namespace mpcomm::host;
using mpcomm::test::expect_error;

using grouptest::world_rank;
using grouptest::world_size;

// The arguments of the v-collectives at this rank: rank r gives r + 2 elements to all_gatherv
// and gets block r of reduce_scatterv with as many; all_to_allv sends i + j + 1 elements from
// rank i to rank j, so the counts pair up.
struct VArgs {
  VArgs() : size(world_size()), rank(world_rank()) {
    for (int r = 0; r < size; ++r) {
      counts.push_back(static_cast<size_t>(r) + 2);
      displs.push_back(total);
      total += counts.back();
      send_counts.push_back(static_cast<size_t>(rank + r) + 1);
      send_displs.push_back(sent);
      sent += send_counts.back();
    }
    recv_counts = send_counts;  // i + j + 1 either way round
    recv_displs = send_displs;
  }
  int size, rank;
  size_t total = 0, sent = 0;
  std::vector<size_t> counts, displs, send_counts, send_displs, recv_counts, recv_displs;
};

int32_t to_peer(int from, int to, size_t i) {
  return static_cast<int32_t>(1000 * from + 10 * to + static_cast<int>(i));
}

void check_v_collectives(const Deadline &deadline) {
  const VArgs a;
  const int size = a.size, rank = a.rank;
  // all_gatherv: element i of rank r's block is 100 r + i.
  std::vector<int32_t> in(a.counts[static_cast<size_t>(rank)]), out(a.total, -1);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int32_t>(100 * rank + i);
  checked::all_gatherv(MPI_COMM_WORLD, size, rank, in.data(), out.data(), a.counts.data(),
                       a.displs.data(), MPCOMM_INT32, &deadline);
  for (int r = 0; r < size; ++r)
    for (size_t i = 0; i < a.counts[static_cast<size_t>(r)]; ++i)
      ASSERT_EQ(out[a.displs[static_cast<size_t>(r)] + i], 100 * r + static_cast<int>(i));
  // reduce_scatterv: element j of every rank's input is rank + j.
  std::vector<int32_t> whole(a.total), block(a.counts[static_cast<size_t>(rank)], -1);
  for (size_t j = 0; j < a.total; ++j) whole[j] = static_cast<int32_t>(rank + static_cast<int>(j));
  checked::reduce_scatterv(MPI_COMM_WORLD, size, whole.data(), block.data(), a.counts.data(),
                           a.displs.data(), MPCOMM_INT32, MPCOMM_SUM, &deadline);
  for (size_t i = 0; i < block.size(); ++i)
    ASSERT_EQ(block[i], static_cast<int32_t>(size * (a.displs[static_cast<size_t>(rank)] + i) +
                                             size * (size - 1) / 2));
  // all_to_all: 3 elements to and from each rank.
  constexpr size_t kCount = 3;
  std::vector<int32_t> send(kCount * static_cast<size_t>(size)), recv(send.size(), -1);
  for (int p = 0; p < size; ++p)
    for (size_t i = 0; i < kCount; ++i)
      send[static_cast<size_t>(p) * kCount + i] = to_peer(rank, p, i);
  checked::all_to_all(MPI_COMM_WORLD, send.data(), recv.data(), kCount, MPCOMM_INT32, &deadline);
  for (int q = 0; q < size; ++q)
    for (size_t i = 0; i < kCount; ++i)
      ASSERT_EQ(recv[static_cast<size_t>(q) * kCount + i], to_peer(q, rank, i));
  // all_to_allv.
  std::vector<int32_t> vsend(a.sent), vrecv(a.sent, -1);
  for (int p = 0; p < size; ++p)
    for (size_t i = 0; i < a.send_counts[static_cast<size_t>(p)]; ++i)
      vsend[a.send_displs[static_cast<size_t>(p)] + i] = to_peer(rank, p, i);
  checked::all_to_allv(MPI_COMM_WORLD, size, rank, vsend.data(), a.send_counts.data(),
                       a.send_displs.data(), vrecv.data(), a.recv_counts.data(),
                       a.recv_displs.data(), MPCOMM_INT32, &deadline);
  for (int q = 0; q < size; ++q)
    for (size_t i = 0; i < a.recv_counts[static_cast<size_t>(q)]; ++i)
      ASSERT_EQ(vrecv[a.recv_displs[static_cast<size_t>(q)] + i], to_peer(q, rank, i));
}

TEST(BoundedPlane, VariableSizeCollectivesAreCorrectWithEveryRank) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const Deadline deadline(60);
  check_v_collectives(deadline);
  {
    SCOPED_TRACE("past the per-call count limit");
    const CountLimitForTesting small(2);
    check_v_collectives(deadline);
  }
}

// Every bounded call, with rank 1 absent: the others time out, and the message names the MPI
// call. Each case runs on its own duplicate of MPI_COMM_WORLD, which the abandoned operation
// keeps (it is never used or freed again), and on buffers that live to the end of the process,
// since MPI may still write into them.
TEST(BoundedPlane, ARankThatNeverComesIsATimeoutNamingTheCall) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  static const VArgs a;
  static std::vector<int32_t> send(4 * a.total * static_cast<size_t>(a.size) + 64),
      recv(send.size());
  const int size = a.size, rank = a.rank;
  struct Case {
    const char *call;
    size_t limit;    // the per-call count limit (0: INT_MAX)
    bool root_only;  // only the root (rank 0) must wait for rank 1; the others may finish
    std::function<void(MPI_Comm, const Deadline *)> run;
  };
  const Case cases[] = {
      {"MPI_Allreduce", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_reduce(c, size, send.data(), recv.data(), 8, MPCOMM_INT32, MPCOMM_SUM, d);
       }},
      {"MPI_Bcast", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::broadcast(c, recv.data(), 8, MPCOMM_INT32, 1, d);
       }},
      {"MPI_Allgather", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_gather(c, send.data(), recv.data(), 8, MPCOMM_INT32, d);
       }},
      {"MPI_Reduce_scatter_block", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::reduce_scatter(c, size, send.data(), recv.data(), 8, MPCOMM_INT32, MPCOMM_SUM, d);
       }},
      {"MPI_Gather", 0, true,
       [&](MPI_Comm c, const Deadline *d) {
         checked::gather(c, rank == 0, send.data(), recv.data(), 8, MPCOMM_INT32, 0, d);
       }},
      {"MPI_Allgatherv", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_gatherv(c, size, rank, send.data(), recv.data(), a.counts.data(),
                              a.displs.data(), MPCOMM_INT32, d);
       }},
      {"MPI_Bcast", 2, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_gatherv(c, size, rank, send.data(), recv.data(), a.counts.data(),
                              a.displs.data(), MPCOMM_INT32, d);
       }},
      {"MPI_Reduce_scatter", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::reduce_scatterv(c, size, send.data(), recv.data(), a.counts.data(),
                                  a.displs.data(), MPCOMM_INT32, MPCOMM_SUM, d);
       }},
      {"MPI_Reduce", 2, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::reduce_scatterv(c, size, send.data(), recv.data(), a.counts.data(),
                                  a.displs.data(), MPCOMM_INT32, MPCOMM_SUM, d);
       }},
      {"MPI_Alltoall", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_to_all(c, send.data(), recv.data(), 3, MPCOMM_INT32, d);
       }},
      {"MPI_Alltoallv", 0, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_to_allv(c, size, rank, send.data(), a.send_counts.data(),
                              a.send_displs.data(), recv.data(), a.recv_counts.data(),
                              a.recv_displs.data(), MPCOMM_INT32, d);
       }},
      {"MPI_Alltoallv", 2, false,
       [&](MPI_Comm c, const Deadline *d) {
         checked::all_to_allv(c, size, rank, send.data(), a.send_counts.data(),
                              a.send_displs.data(), recv.data(), a.recv_counts.data(),
                              a.recv_displs.data(), MPCOMM_INT32, d);
       }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::string(c.call) + (c.limit ? ", past the count limit" : ""));
    MPI_Comm comm = MPI_COMM_NULL;
    ASSERT_EQ(MPI_Comm_dup(MPI_COMM_WORLD, &comm), MPI_SUCCESS);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    if (rank != 1) {
      const CountLimitForTesting limit(c.limit);
      const Deadline deadline(0.3);
      if (c.root_only && rank != 0) {
        try {
          c.run(comm, &deadline);
        } catch (const Error &e) {
          EXPECT_EQ(e.status(), MPCOMM_ERR_TIMEOUT) << e.what();
        }
      } else {
        expect_error([&] { c.run(comm, &deadline); }, MPCOMM_ERR_TIMEOUT,
                     {"timed out after 0.3 s in ", c.call});
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

}  // namespace
