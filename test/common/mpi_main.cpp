// main() of the MPI tests. Every rank runs every test; after each test the ranks agree on its
// outcome (a failure on any rank fails it everywhere), rank 0 names the failing ranks, and all
// ranks exit with the same status. Ranks other than 0 print only their own failures, each
// line prefixed with the rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "test_summary.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace {

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// Prints this rank's failures as they happen, so a rank's assertion text is never lost.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult &r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
    std::fflush(stderr);
  }

 private:
  int rank_;
};

// Agrees on each test's outcome across ranks and counts the agreed results.
class AgreementListener : public ::testing::EmptyTestEventListener {
 public:
  explicit AgreementListener(int rank) : rank_(rank) {}
  void OnTestEnd(const ::testing::TestInfo &info) override {
    const auto *result = info.result();
    int mine[2] = {result->Failed() ? 1 : 0, result->Skipped() ? 1 : 0};
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    std::vector<int> all(2 * size);
    MPI_Allgather(mine, 2, MPI_INT, all.data(), 2, MPI_INT, MPI_COMM_WORLD);
    std::string failed_ranks;
    bool skipped = false;
    for (int r = 0; r < size; ++r) {
      if (all[2 * r]) failed_ranks += (failed_ranks.empty() ? "" : ",") + std::to_string(r);
      if (all[2 * r + 1]) skipped = true;
    }
    if (!failed_ranks.empty()) {
      counts_.failed++;
      if (rank_ == 0)
        std::printf("[  FAILED  ] %s.%s on rank(s) %s of %d\n", info.test_suite_name(), info.name(),
                    failed_ranks.c_str(), size);
    } else if (skipped) {
      counts_.skipped++;
    } else {
      counts_.passed++;
    }
  }
  const mpcomm::test::Counts &counts() const { return counts_; }

 private:
  int rank_;
  mpcomm::test::Counts counts_;
};

}  // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int rank = world_rank();
  auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  auto *agreement = new AgreementListener(rank);
  listeners.Append(agreement);

  const int gtest_status = RUN_ALL_TESTS();  // the counts below decide the exit status
  (void)gtest_status;
  mpcomm::test::Counts counts = agreement->counts();
  if (rank == 0) mpcomm::test::print_summary(counts);
  MPI_Barrier(MPI_COMM_WORLD);
#if defined(__SANITIZE_ADDRESS__)
  // Check for leaks while MPI's components are still loaded: after MPI_Finalize unloads them,
  // their intentional leaks have no module name to suppress (test/lsan.supp). This check
  // replaces the one at exit.
  __lsan_do_leak_check();
#endif
  MPI_Finalize();
  return mpcomm::test::exit_code(counts);
}
