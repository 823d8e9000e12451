// mpcomm_pp_indices: vLLM's get_pp_indices, its MPCOMM_PP_LAYER_PARTITION override (read at
// each call, so the tests set and unset it between calls) with its three errors, and divide().
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "mpcomm.h"
#include "parallel/divide.hpp"
#include "parallel/pp_indices.hpp"

namespace {

constexpr const char *kVar = "MPCOMM_PP_LAYER_PARTITION";

// Sets (or with nullptr unsets) the override for one test, and unsets it afterwards.
class ScopedPartition {
 public:
  explicit ScopedPartition(const char *value) {
    if (value)
      setenv(kVar, value, 1);
    else
      unsetenv(kVar);
  }
  ~ScopedPartition() { unsetenv(kVar); }
};

std::pair<int, int> indices(int layers, int rank, int size) {
  int start = -1, end = -1;
  EXPECT_EQ(mpcomm_pp_indices(layers, rank, size, &start, &end), MPCOMM_SUCCESS)
      << mpcomm_last_error();
  return {start, end};
}

// The partition as the layer counts of every stage, through the C API.
std::vector<int> partition(int layers, int size) {
  std::vector<int> counts;
  for (int r = 0; r < size; ++r) {
    auto range = indices(layers, r, size);
    counts.push_back(range.second - range.first);
  }
  return counts;
}

std::string failure(int layers, int rank, int size) {
  int start = -7, end = -7;
  EXPECT_EQ(mpcomm_pp_indices(layers, rank, size, &start, &end), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(start, -7);
  EXPECT_EQ(end, -7);
  return mpcomm_last_error();
}

}  // namespace

// ------------------------------------------------------------------ the even split

TEST(PpIndices, EvenSplit) {
  ScopedPartition none(nullptr);
  EXPECT_EQ(indices(8, 0, 4), std::make_pair(0, 2));
  EXPECT_EQ(indices(8, 3, 4), std::make_pair(6, 8));
  EXPECT_EQ(indices(7, 0, 1), std::make_pair(0, 7));
}

TEST(PpIndices, RemainderGoesToTheStagesBeforeTheLast) {
  ScopedPartition none(nullptr);
  // Values from the seed's Python for the same arguments.
  EXPECT_EQ(partition(10, 4), (std::vector<int>{2, 3, 3, 2}));
  EXPECT_EQ(partition(11, 4), (std::vector<int>{3, 3, 3, 2}));
  EXPECT_EQ(partition(3, 4), (std::vector<int>{1, 1, 1, 0}));
  EXPECT_EQ(partition(0, 3), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(partition(5, 2), (std::vector<int>{3, 2}));
  EXPECT_EQ(partition(61, 8), (std::vector<int>{7, 7, 8, 8, 8, 8, 8, 7}));
  EXPECT_EQ(partition(32, 5), (std::vector<int>{6, 6, 7, 7, 6}));
  EXPECT_EQ(indices(10, 1, 4), std::make_pair(2, 5));
  EXPECT_EQ(indices(10, 2, 4), std::make_pair(5, 8));
}

TEST(PpIndices, StagesTileTheLayersForManySizes) {
  ScopedPartition none(nullptr);
  for (int size = 1; size <= 12; ++size)
    for (int layers = 0; layers <= 40; ++layers) {
      int expected_start = 0;
      for (int r = 0; r < size; ++r) {
        const auto range = indices(layers, r, size);
        ASSERT_EQ(range.first, expected_start) << layers << " layers, stage " << r << "/" << size;
        const int count = range.second - range.first;
        ASSERT_GE(count, layers / size);
        ASSERT_LE(count, layers / size + 1);
        if (r == size - 1) {
          ASSERT_EQ(count, layers / size);  // the last stage never gets extra
        }
        expected_start = range.second;
      }
      ASSERT_EQ(expected_start, layers);
    }
}

// ------------------------------------------------------------------ the override

TEST(PpIndicesOverride, IsHonoured) {
  ScopedPartition p("4,6,6,4");
  EXPECT_EQ(partition(20, 4), (std::vector<int>{4, 6, 6, 4}));
  EXPECT_EQ(indices(20, 2, 4), std::make_pair(10, 16));
}

TEST(PpIndicesOverride, AllowsBlanksAndZeros) {
  ScopedPartition p(" 5, 0 ,5");
  EXPECT_EQ(partition(10, 3), (std::vector<int>{5, 0, 5}));
}

TEST(PpIndicesOverride, IsReadAtEachCall) {
  ScopedPartition none(nullptr);
  EXPECT_EQ(partition(8, 2), (std::vector<int>{4, 4}));
  setenv(kVar, "1,7", 1);
  EXPECT_EQ(partition(8, 2), (std::vector<int>{1, 7}));
  setenv(kVar, "", 1);  // empty is unset
  EXPECT_EQ(partition(8, 2), (std::vector<int>{4, 4}));
}

TEST(PpIndicesOverride, NotIntegers) {
  for (const char *bad : {"a,b", "4,x", "4,,4", "4;4", "1.5,6.5", "4,4,"}) {
    ScopedPartition p(bad);
    const std::string message = failure(8, 0, 2);
    EXPECT_NE(message.find(std::string("Invalid partition string: ") + bad), std::string::npos)
        << message;
    EXPECT_NE(message.find(kVar), std::string::npos) << message;
  }
}

TEST(PpIndicesOverride, NegativeCountsAreRejected) {
  ScopedPartition p("-1,9");
  const std::string message = failure(8, 0, 2);
  EXPECT_NE(message.find("Invalid partition string: -1,9"), std::string::npos) << message;
  EXPECT_NE(message.find("layer counts must be >= 0, got -1"), std::string::npos) << message;
}

TEST(PpIndicesOverride, WrongCount) {
  ScopedPartition p("4,4,4");
  EXPECT_EQ(failure(12, 0, 2),
            "mpcomm_pp_indices: MPCOMM_PP_LAYER_PARTITION='4,4,4': len(partitions)=3 does not "
            "match pp_size=2.");
}

TEST(PpIndicesOverride, WrongSum) {
  ScopedPartition p("4,5");
  EXPECT_EQ(failure(8, 1, 2),
            "mpcomm_pp_indices: MPCOMM_PP_LAYER_PARTITION='4,5': sum(partitions)=9 does not match "
            "num_hidden_layers=8.");
}

TEST(PpIndicesOverride, SumThatOverflowsIsAWrongSum) {
  ScopedPartition p("9223372036854775807,1");
  const std::string message = failure(8, 0, 2);
  EXPECT_NE(message.find("sum(partitions)=(overflow) does not match num_hidden_layers=8."),
            std::string::npos)
      << message;
}

TEST(PpIndicesOverride, ValueBeyondLongIsNotAnInteger) {
  ScopedPartition p("99999999999999999999999,1");
  EXPECT_NE(failure(8, 0, 2).find("Invalid partition string"), std::string::npos);
}

// ------------------------------------------------------------------ bad arguments

TEST(PpIndicesErrors, ArgumentsAreNamed) {
  ScopedPartition none(nullptr);
  EXPECT_EQ(failure(8, 0, 0), "mpcomm_pp_indices: pp_size must be >= 1, got 0");
  EXPECT_EQ(failure(8, 0, -2), "mpcomm_pp_indices: pp_size must be >= 1, got -2");
  EXPECT_EQ(failure(8, 4, 4), "mpcomm_pp_indices: pp_rank (4) must be in the range [0, 4)");
  EXPECT_EQ(failure(8, -1, 4), "mpcomm_pp_indices: pp_rank (-1) must be in the range [0, 4)");
  EXPECT_EQ(failure(-1, 0, 4), "mpcomm_pp_indices: num_layers must be >= 0, got -1");
  int value = 0;
  EXPECT_EQ(mpcomm_pp_indices(8, 0, 2, nullptr, &value), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_pp_indices: start must not be NULL");
  EXPECT_EQ(mpcomm_pp_indices(8, 0, 2, &value, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_pp_indices: end must not be NULL");
}

// ------------------------------------------------------------------ divide

TEST(Divide, ExactQuotient) {
  EXPECT_EQ(mpcomm::parallel::divide(12, 4), 3);
  EXPECT_EQ(mpcomm::parallel::divide(0L, 5L), 0L);
  EXPECT_NO_THROW(mpcomm::parallel::ensure_divisibility(9, 3));
}

TEST(Divide, InexactOrZeroIsAnError) {
  try {
    mpcomm::parallel::divide(7, 2);
    ADD_FAILURE() << "7 / 2 did not throw";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(e.what(), "7 is not divisible by 2");
  }
  EXPECT_THROW(mpcomm::parallel::ensure_divisibility(1, 0), mpcomm::Error);
}
