// host::reduce_rows for float32, the shared-memory allreduce's and reduce_scatterv's kernel:
// a left fold over the rows in rank order, bit for bit, for every op, every length around the
// vector loop's 32-element steps, NaNs from either side, and dst one of the rows (in place).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "host/node_reduce.hpp"

namespace {

float fold(mpcomm_op_t op, float a, float b) {
  switch (op) {
    case MPCOMM_PROD: return a * b;
    case MPCOMM_MAX: return a != a ? a : (a > b ? a : b);
    case MPCOMM_MIN: return a != a ? a : (a < b ? a : b);
    default: return a + b;
  }
}

}  // namespace

TEST(NodeReduce, Float32IsALeftFoldBitForBit) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1000.0f, 1000.0f);
  for (const mpcomm_op_t op : {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN})
    for (const int n : {1, 2, 3, 5})
      for (size_t count = 0; count < 100; count += (count < 70 ? 1 : 13)) {
        std::vector<std::vector<float>> rows(static_cast<size_t>(n), std::vector<float>(count));
        for (auto &row : rows)
          for (auto &v : row) v = dist(rng);
        if (count > 40) {
          rows[0][3] = NAN;
          rows[static_cast<size_t>(n) - 1][37] = NAN;
        }
        std::vector<float> want(count);
        for (size_t i = 0; i < count; ++i) {
          float a = rows[0][i];
          for (int r = 1; r < n; ++r) a = fold(op, a, rows[static_cast<size_t>(r)][i]);
          want[i] = a;
        }
        std::vector<const char *> srcs;
        for (auto &row : rows) srcs.push_back(reinterpret_cast<const char *>(row.data()));
        // In place over the last row, as a rank reduces into its own input.
        char *dst = reinterpret_cast<char *>(rows.back().data());
        mpcomm::host::reduce_rows(MPCOMM_FLOAT32, op, srcs.data(), n, dst, count);
        for (size_t i = 0; i < count; ++i) {
          const float got = rows.back()[i];
          if (std::isnan(want[i]))
            ASSERT_TRUE(std::isnan(got)) << "op " << op << " n " << n << " count " << count;
          else
            ASSERT_EQ(std::memcmp(&got, &want[i], sizeof got), 0)
                << "op " << op << " n " << n << " count " << count << " at " << i << ": " << got
                << " want " << want[i];
        }
      }
}
