// mpcomm_layout_group_ranks: vLLM's worked 8-rank example literally, a property test over many
// random configurations against an independent reference, and every error case.
//
// The library computes groups by index arithmetic on each rank's coordinates. The reference
// here does what vLLM's code does instead: it materialises arange(world) as an N-d array,
// reshapes it, transposes two axes (copying the data into the new order) and cuts the rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mpcomm.h"
#include "parallel/layout.hpp"
#include "parallel/parallel_config.hpp"

namespace {

using Groups = std::vector<std::vector<int>>;

// A dense row-major N-d array of ints, like a contiguous torch tensor.
class NdArray {
 public:
  static NdArray arange(int n) {
    NdArray a;
    a.shape_ = {n};
    a.data_.resize(n);
    std::iota(a.data_.begin(), a.data_.end(), 0);
    return a;
  }

  // One dimension may be -1: it takes what the others leave.
  NdArray reshape(std::vector<int> shape) const {
    int known = 1, unknown = -1;
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] == -1)
        unknown = static_cast<int>(i);
      else
        known *= shape[i];
    if (unknown >= 0) shape[unknown] = static_cast<int>(data_.size()) / known;
    NdArray a = *this;
    a.shape_ = shape;
    return a;
  }

  // Swaps two axes and copies the elements into the new row-major order.
  NdArray transpose(size_t x, size_t y) const {
    std::vector<int> new_shape = shape_;
    std::swap(new_shape[x], new_shape[y]);
    NdArray out;
    out.shape_ = new_shape;
    out.data_.resize(data_.size());
    std::vector<int> index(new_shape.size(), 0);  // index into the output
    for (size_t flat = 0; flat < data_.size(); ++flat) {
      std::vector<int> source = index;
      std::swap(source[x], source[y]);
      out.data_[flat] = at(source);
      for (int d = static_cast<int>(index.size()) - 1; d >= 0; --d) {  // odometer step
        if (++index[d] < new_shape[d]) break;
        index[d] = 0;
      }
    }
    return out;
  }

  // The rows of a 2-d array.
  Groups rows() const {
    Groups out(shape_[0]);
    for (int r = 0; r < shape_[0]; ++r)
      out[r].assign(data_.begin() + r * shape_[1], data_.begin() + (r + 1) * shape_[1]);
    return out;
  }

 private:
  int at(const std::vector<int> &index) const {
    size_t flat = 0;
    for (size_t d = 0; d < shape_.size(); ++d) flat = flat * shape_[d] + index[d];
    return data_[flat];
  }

  std::vector<int> shape_;
  std::vector<int> data_;
};

struct Sizes {
  int tp = 1, pp = 1, dp = 1, pcp = 1, dcp = 1;
};

// vLLM's initialize_model_parallel, step by step.
Groups reference_groups(const Sizes &s, int world, mpcomm_group_kind_t kind) {
  const NdArray all = NdArray::arange(world).reshape({-1, s.dp, s.pp, s.pcp, s.tp});
  switch (kind) {
    case MPCOMM_GROUP_WORLD: return all.reshape({1, world}).rows();
    case MPCOMM_GROUP_TP: return all.reshape({-1, s.tp}).rows();
    case MPCOMM_GROUP_DCP: return all.reshape({-1, s.dcp}).rows();
    case MPCOMM_GROUP_PCP: return all.transpose(3, 4).reshape({-1, s.pcp}).rows();
    case MPCOMM_GROUP_PP: return all.transpose(2, 4).reshape({-1, s.pp}).rows();
    case MPCOMM_GROUP_DP: return all.transpose(1, 4).reshape({-1, s.dp}).rows();
    case MPCOMM_GROUP_EP: return all.transpose(1, 2).reshape({-1, s.dp * s.pcp * s.tp}).rows();
    default: return {};
  }
}

mpcomm_parallel_config_t config_of(const Sizes &s) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = s.tp;
  cfg.pipeline_parallel_size = s.pp;
  cfg.data_parallel_size = s.dp;
  cfg.data_parallel_size_local = s.dp;
  cfg.prefill_context_parallel_size = s.pcp;
  cfg.decode_context_parallel_size = s.dcp;
  return cfg;
}

// The library's answer through the C API, as a list of groups.
Groups library_groups(const Sizes &s, int world, mpcomm_group_kind_t kind) {
  const mpcomm_parallel_config_t cfg = config_of(s);
  std::vector<int> ranks(world, -1);
  int ngroups = -1, group_size = -1;
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, world, kind, ranks.data(), ranks.size(), &ngroups,
                                      &group_size),
            MPCOMM_SUCCESS)
      << mpcomm_last_error();
  EXPECT_EQ(static_cast<long>(ngroups) * group_size, world);
  Groups out(ngroups);
  for (int g = 0; g < ngroups; ++g)
    out[g].assign(ranks.begin() + g * group_size, ranks.begin() + (g + 1) * group_size);
  return out;
}

const mpcomm_group_kind_t kAllKinds[] = {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_PP,
                                         MPCOMM_GROUP_DP,    MPCOMM_GROUP_EP, MPCOMM_GROUP_DCP,
                                         MPCOMM_GROUP_PCP};

std::vector<int> divisors(int n) {
  std::vector<int> out;
  for (int d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

}  // namespace

// ------------------------------------------------------------------ the worked example

TEST(Layout, VllmsEightRankExample) {
  Sizes s;
  s.dp = 2;
  s.pp = 2;
  s.tp = 2;
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_TP), (Groups{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_PP), (Groups{{0, 2}, {1, 3}, {4, 6}, {5, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_DP), (Groups{{0, 4}, {2, 6}, {1, 5}, {3, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_EP), (Groups{{0, 1, 4, 5}, {2, 3, 6, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_WORLD), (Groups{{0, 1, 2, 3, 4, 5, 6, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_DCP),
            (Groups{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_PCP),
            (Groups{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}));
}

TEST(Layout, ContextParallelGroups) {
  Sizes s;
  s.tp = 4;
  s.dcp = 2;
  EXPECT_EQ(library_groups(s, 4, MPCOMM_GROUP_DCP), (Groups{{0, 1}, {2, 3}}));
  Sizes p;
  p.tp = 2;
  p.pcp = 2;
  p.pp = 2;
  // all_ranks (1,1,2,2,2): PCP pairs ranks that differ in the PCP coordinate (stride TP).
  EXPECT_EQ(library_groups(p, 8, MPCOMM_GROUP_PCP), (Groups{{0, 2}, {1, 3}, {4, 6}, {5, 7}}));
  EXPECT_EQ(library_groups(p, 8, MPCOMM_GROUP_PP), (Groups{{0, 4}, {2, 6}, {1, 5}, {3, 7}}));
  EXPECT_EQ(library_groups(p, 8, MPCOMM_GROUP_EP), (Groups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
}

TEST(Layout, LeadingAxisTakesTheRestOfTheWorld) {
  Sizes s;
  s.tp = 2;
  s.pp = 2;
  // world 8 = 2 blocks of PP*TP: the PP groups repeat in the second block.
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_PP), (Groups{{0, 2}, {1, 3}, {4, 6}, {5, 7}}));
  EXPECT_EQ(library_groups(s, 8, MPCOMM_GROUP_EP), (Groups{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
}

TEST(Layout, ReferenceReproducesTheWorkedExample) {
  // The reference itself is checked against vLLM's hand-checked lists.
  Sizes s;
  s.dp = 2;
  s.pp = 2;
  s.tp = 2;
  EXPECT_EQ(reference_groups(s, 8, MPCOMM_GROUP_DP), (Groups{{0, 4}, {2, 6}, {1, 5}, {3, 7}}));
  EXPECT_EQ(reference_groups(s, 8, MPCOMM_GROUP_EP), (Groups{{0, 1, 4, 5}, {2, 3, 6, 7}}));
}

// ------------------------------------------------------------------ property test

TEST(LayoutProperty, RandomConfigurationsMatchTheReference) {
  std::mt19937 rng(20251016);
  auto pick = [&](const std::vector<int> &from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  };
  int checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int world = std::uniform_int_distribution<int>(1, 1024)(rng);
    // Factor the world into outer x DP x PP x PCP x TP by random divisors.
    int rest = world;
    Sizes s;
    s.tp = pick(divisors(rest));
    rest /= s.tp;
    s.pcp = pick(divisors(rest));
    rest /= s.pcp;
    s.pp = pick(divisors(rest));
    rest /= s.pp;
    s.dp = pick(divisors(rest));
    s.dcp = pick(divisors(s.tp));
    SCOPED_TRACE("world " + std::to_string(world) + " tp " + std::to_string(s.tp) + " pcp " +
                 std::to_string(s.pcp) + " pp " + std::to_string(s.pp) + " dp " +
                 std::to_string(s.dp) + " dcp " + std::to_string(s.dcp));
    const mpcomm_parallel_config_t cfg = config_of(s);
    const mpcomm::parallel::Layout layout(cfg, world);
    for (mpcomm_group_kind_t kind : kAllKinds) {
      const Groups got = library_groups(s, world, kind);
      ASSERT_EQ(got, reference_groups(s, world, kind)) << "kind " << kind;
      // Every kind partitions the world: each rank exactly once.
      std::vector<int> seen(world, 0);
      for (const auto &g : got)
        for (int r : g) {
          ASSERT_GE(r, 0);
          ASSERT_LT(r, world);
          ++seen[r];
        }
      ASSERT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
      // place() agrees with the lists for every rank.
      for (size_t g = 0; g < got.size(); ++g)
        for (size_t p = 0; p < got[g].size(); ++p) {
          const auto at = layout.place(kind, got[g][p]);
          ASSERT_EQ(at.group, static_cast<int>(g));
          ASSERT_EQ(at.position, static_cast<int>(p));
        }
      ASSERT_EQ(layout.groups(kind), got);
    }
    // TP groups are contiguous runs of ranks.
    const Groups tp = library_groups(s, world, MPCOMM_GROUP_TP);
    for (size_t g = 0; g < tp.size(); ++g)
      for (int p = 0; p < s.tp; ++p) ASSERT_EQ(tp[g][p], static_cast<int>(g) * s.tp + p);
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

// ------------------------------------------------------------------ errors

TEST(LayoutErrors, NullPointersAreNamed) {
  const mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  int ranks[4], ngroups = 0, size = 0;
  EXPECT_EQ(mpcomm_layout_group_ranks(nullptr, 4, MPCOMM_GROUP_TP, ranks, 4, &ngroups, &size),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_layout_group_ranks: cfg must not be NULL");
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 4, MPCOMM_GROUP_TP, ranks, 4, nullptr, &size),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_layout_group_ranks: ngroups must not be NULL");
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 4, MPCOMM_GROUP_TP, ranks, 4, &ngroups, nullptr),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_layout_group_ranks: group_size must not be NULL");
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 4, MPCOMM_GROUP_TP, nullptr, 4, &ngroups, &size),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(),
               "mpcomm_layout_group_ranks: ranks must not be NULL when capacity (4) is not 0");
}

TEST(LayoutErrors, WorldSizeMustBeAPositiveMultipleOfTheBlock) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = 2;
  cfg.pipeline_parallel_size = 2;
  int ranks[16], ngroups = -1, size = -1;
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 6, MPCOMM_GROUP_TP, ranks, 16, &ngroups, &size),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(),
               "mpcomm_layout_group_ranks: world_size (6) is not a multiple of DP*PP*PCP*TP (4)");
  for (int bad : {0, -4, INT_MIN}) {
    EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, bad, MPCOMM_GROUP_TP, ranks, 16, &ngroups, &size),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(mpcomm_last_error()),
              "mpcomm_layout_group_ranks: world_size must be >= 1, got " + std::to_string(bad));
  }
  EXPECT_EQ(ngroups, -1);  // untouched when the arguments are bad
}

TEST(LayoutErrors, UnknownKindIsNamed) {
  const mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  int ranks[4], ngroups = 0, size = 0;
  for (int bad : {-1, 7, 1000}) {
    EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 4, static_cast<mpcomm_group_kind_t>(bad), ranks, 4,
                                        &ngroups, &size),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(mpcomm_last_error()),
              "mpcomm_layout_group_ranks: kind is not a group kind, got " + std::to_string(bad));
  }
}

TEST(LayoutErrors, InvalidConfigIsRejected) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = 4;
  cfg.decode_context_parallel_size = 3;
  int ranks[4], ngroups = 0, size = 0;
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 4, MPCOMM_GROUP_DCP, ranks, 4, &ngroups, &size),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("must be divisible by decode_context"),
            std::string::npos);
}

TEST(LayoutErrors, SmallBufferIsTruncatedButSizesAreSet) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = 2;
  int ranks[7], ngroups = -1, size = -1;
  std::fill(std::begin(ranks), std::end(ranks), -9);
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 8, MPCOMM_GROUP_TP, ranks, 7, &ngroups, &size),
            MPCOMM_ERR_TRUNCATED);
  EXPECT_EQ(ngroups, 4);
  EXPECT_EQ(size, 2);
  EXPECT_STREQ(mpcomm_last_error(),
               "mpcomm_layout_group_ranks: capacity (7) is smaller than ngroups*group_size "
               "(4*2 = 8) for kind tp");
  EXPECT_TRUE(std::all_of(std::begin(ranks), std::end(ranks), [](int r) { return r == -9; }));
  // The query form: no buffer at all.
  ngroups = size = -1;
  EXPECT_EQ(mpcomm_layout_group_ranks(&cfg, 8, MPCOMM_GROUP_EP, nullptr, 0, &ngroups, &size),
            MPCOMM_ERR_TRUNCATED);
  EXPECT_EQ(ngroups, 4);
  EXPECT_EQ(size, 2);
}

TEST(LayoutErrors, HugeWorldIsSizedWithoutBeingBuilt) {
  const mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  int ngroups = -1, size = -1;
  EXPECT_EQ(
      mpcomm_layout_group_ranks(&cfg, INT_MAX, MPCOMM_GROUP_WORLD, nullptr, 0, &ngroups, &size),
      MPCOMM_ERR_TRUNCATED);
  EXPECT_EQ(ngroups, 1);
  EXPECT_EQ(size, INT_MAX);
}

TEST(LayoutErrors, PlaceRejectsRanksOutsideTheWorld) {
  const mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  const mpcomm::parallel::Layout layout(cfg, 4);
  for (int bad : {-1, 4}) {
    try {
      layout.place(MPCOMM_GROUP_TP, bad);
      ADD_FAILURE() << "no error for rank " << bad;
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(std::string(e.what()),
                "global rank (" + std::to_string(bad) + ") must be in the range [0, 4)");
    }
  }
}

TEST(LayoutNames, EveryKindHasVllmsName) {
  using mpcomm::parallel::group_kind_name;
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_WORLD), "world");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_TP), "tp");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_PP), "pp");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_DP), "dp");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_EP), "ep");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_DCP), "dcp");
  EXPECT_STREQ(group_kind_name(MPCOMM_GROUP_PCP), "pcp");
  EXPECT_STREQ(group_kind_name(static_cast<mpcomm_group_kind_t>(99)), "unknown");
}

TEST(LayoutErrors, CppLayoutValidatesItsConfig) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = 0;  // would divide by zero if it were not checked
  try {
    mpcomm::parallel::Layout layout(cfg, 4);
    ADD_FAILURE() << "no error for tensor_parallel_size 0";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(e.what(), "tensor_parallel_size must be >= 1, got 0");
  }
}
