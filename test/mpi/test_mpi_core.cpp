// Core conventions under MPI: the log prefix carries the rank, the harness's agreement works
// (every rank sees the same world), and a parked collective's memory is released only once the
// collective has completed.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "core/abandoned.hpp"
#include "core/log.hpp"

TEST(MpiCore, LogPrefixNamesTheWorldRank) {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string prefix = mpcomm::log::line_prefix();
  EXPECT_NE(prefix.find("[" + std::to_string(rank) + "]"), std::string::npos) << prefix;
}

TEST(MpiCore, EveryRankRunsTheSameTests) {
  int size = 0, sum = 0, one = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(sum, size);
}

namespace {

void count_release(void *counter) { ++*static_cast<int *>(counter); }

// Parks finished (null) requests until `released` reaches `want` or `tries` calls were made.
void park_until(const int &released, int want, int tries) {
  static int finished = 0;
  for (int i = 0; i < tries && released < want; ++i)
    mpcomm::keep_until_done(MPI_REQUEST_NULL, &finished, count_release);
}

}  // namespace

TEST(MpiCore, ParkedMemoryIsReleasedOnlyOnceItsCollectiveCompleted) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  static int released = 0;
  released = 0;
  if (rank == 0) {
    // The others enter the barrier only after the world barrier below.
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_Ibarrier(comm, &request);
    mpcomm::keep_until_done(request, &released, count_release);
    if (size > 1) {
      park_until(released, 1, 100);
      EXPECT_EQ(released, 0) << "released while the barrier was pending";
    }
    MPI_Barrier(MPI_COMM_WORLD);
    park_until(released, 1, 1000000);
    EXPECT_EQ(released, 1);
  } else {
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Request request = MPI_REQUEST_NULL;  // a blocking barrier would not match rank 0's
    MPI_Ibarrier(comm, &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  }
  MPI_Comm_free(&comm);
}
