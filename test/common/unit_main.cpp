// main() of the unit tests (no MPI): GoogleTest plus the mpcomm closing line.
#include <gtest/gtest.h>

#include "test_summary.hpp"

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int gtest_status = RUN_ALL_TESTS();  // the counts below decide the exit status
  (void)gtest_status;
  const auto &unit = *::testing::UnitTest::GetInstance();
  mpcomm::test::Counts counts;
  counts.passed = unit.successful_test_count();
  counts.failed = unit.failed_test_count();
  counts.skipped = unit.skipped_test_count();
  if (unit.ad_hoc_test_result().Failed()) counts.failed += 1;
  mpcomm::test::print_summary(counts);
  return mpcomm::test::exit_code(counts);
}
