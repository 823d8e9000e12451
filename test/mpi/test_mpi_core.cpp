// Core conventions under MPI: the log prefix carries the rank, the harness's agreement works
// (every rank sees the same world), and a parked collective's memory is released only once the
// collective has completed.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/abandoned.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"

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

// MPCOMM_MPI_CHECK names the failed function and MPI's reason; the source place is for the log.
TEST(MpiCore, CheckMacroNamesTheCallAndMpisReason) {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  int value = 0;
  try {
    MPCOMM_MPI_CHECK(MPI_Send(&value, -1, MPI_INT, 0, 0, comm));
    ADD_FAILURE() << "a negative count was accepted";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_MPI);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("MPI_Send failed: ", 0), 0u) << what;
    EXPECT_GT(what.size(), std::string("MPI_Send failed: ").size()) << what;
    EXPECT_EQ(what.find("test_mpi_core"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(MPCOMM_MPI_CHECK(MPI_Barrier(comm)));
  MPI_Comm_free(&comm);
}

namespace {

std::string read_and_remove(const std::string &path) {
  std::stringstream text;
  {
    std::ifstream in(path);
    text << in.rdbuf();
  }
  std::remove(path.c_str());
  return text.str();
}

}  // namespace

// At INFO the path a group's host all_reduce takes is logged once (by group rank 0); at TRACE
// every call with its sizes and path, filtered by MPCOMM_DEBUG_SUBSYS.
TEST(MpiCore, DataPlanePathsAreLoggedByLevelAndSubsystem) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string path = "/tmp/mpcomm-test-paths." + std::to_string(getpid());
  std::remove(path.c_str());
  {
    mpcomm::test::ScopedEnv level("MPCOMM_DEBUG", "TRACE");
    mpcomm::test::ScopedEnv subsys("MPCOMM_DEBUG_SUBSYS", "COLL");
    mpcomm::test::ScopedEnv file("MPCOMM_DEBUG_FILE", path.c_str());
    mpcomm_group_t group = nullptr;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    float data[4] = {1, 2, 3, 4};
    for (int i = 0; i < 2; ++i)
      ASSERT_EQ(mpcomm_all_reduce(group, data, data, 4, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
                MPCOMM_SUCCESS)
          << mpcomm_last_error();
    int peer_value = rank;
    if (size > 1) {  // P2P is not chosen: no line for these
      if (rank == 0)
        mpcomm_send(group, &peer_value, 1, MPCOMM_INT32, 1, nullptr);
      else if (rank == 1)
        mpcomm_recv(group, &peer_value, 1, MPCOMM_INT32, 0, nullptr);
    }
    mpcomm_group_free(&group);
  }
  const std::string text = read_and_remove(path);
  const std::string call = "mpcomm TRACE [COLL] all_reduce group of " + std::to_string(size) +
                           " [0" + (size > 1 ? " 1" : "");
  const size_t first = text.find(call);
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_NE(text.find(call, first + 1), std::string::npos) << "one TRACE line per call:\n" << text;
  EXPECT_NE(text.find(": 4 x float32 (16 bytes), host, "), std::string::npos) << text;
  EXPECT_EQ(text.find("[P2P]"), std::string::npos) << text;
  if (size > 1) {
    const std::string chosen = "mpcomm INFO [COLL] group of " + std::to_string(size);
    const size_t info = text.find(chosen);
    EXPECT_EQ(info != std::string::npos, rank == 0) << text;
    if (info != std::string::npos) {
      const size_t takes = text.find("host all_reduce takes shared memory", info);
      EXPECT_NE(takes, std::string::npos) << text;
      EXPECT_EQ(text.find("host all_reduce takes", takes + 1), std::string::npos)
          << "logged more than once:\n"
          << text;
    }
  } else {
    EXPECT_NE(text.find("(16 bytes), host, local copy"), std::string::npos) << text;
  }
}
