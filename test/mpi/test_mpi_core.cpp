// Core conventions under MPI: the log prefix carries the rank, and the harness's agreement
// works (every rank sees the same world).
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

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
