// mpcomm_parallel_config_t: the seed's defaults, every rule its ParallelConfig enforces (with
// its words), the header that lets later versions append fields, world sizes and the hash.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <functional>
#include <locale>
#include <string>

#include "mpcomm.h"
#include "parallel/config_hash.hpp"
#include "parallel/parallel_config.hpp"

namespace {

mpcomm_parallel_config_t defaults() {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  return cfg;
}

// Validates a default config changed by `change`; returns the status, message in *message.
mpcomm_status_t validate_with(const std::function<void(mpcomm_parallel_config_t &)> &change,
                              std::string *message = nullptr) {
  mpcomm_parallel_config_t cfg = defaults();
  change(cfg);
  const mpcomm_status_t st = mpcomm_parallel_config_validate(&cfg);
  if (message) *message = mpcomm_last_error();
  return st;
}

// The change is rejected with INVALID_ARGUMENT and a message containing `words`.
void expect_rejected(const std::function<void(mpcomm_parallel_config_t &)> &change,
                     const std::string &words) {
  std::string message;
  EXPECT_EQ(validate_with(change, &message), MPCOMM_ERR_INVALID_ARGUMENT) << words;
  EXPECT_NE(message.find(words), std::string::npos) << "message: " << message;
  EXPECT_EQ(message.rfind("mpcomm_parallel_config_validate: ", 0), 0u) << message;
}

std::string hash_of(const mpcomm_parallel_config_t &cfg) {
  char hex[65];
  std::memset(hex, 'x', sizeof hex);
  EXPECT_EQ(mpcomm_parallel_config_hash(&cfg, hex), MPCOMM_SUCCESS) << mpcomm_last_error();
  return std::string(hex);
}

}  // namespace

// ------------------------------------------------------------------ defaults (seed 002)

TEST(ParallelConfigDefaults, AreTheSeedsDefaults) {
  const mpcomm_parallel_config_t c = defaults();
  EXPECT_EQ(c.struct_size, sizeof(mpcomm_parallel_config_t));
  EXPECT_EQ(c.magic, MPCOMM_PARALLEL_CONFIG_MAGIC);
  EXPECT_EQ(c.version, static_cast<unsigned>(MPCOMM_PARALLEL_CONFIG_VERSION));
  EXPECT_EQ(c.pipeline_parallel_size, 1);
  EXPECT_EQ(c.tensor_parallel_size, 1);
  EXPECT_EQ(c.data_parallel_size, 1);
  EXPECT_EQ(c.data_parallel_size_local, 1);
  EXPECT_EQ(c.data_parallel_rank, 0);
  EXPECT_EQ(c.data_parallel_rank_local, -1);  // None
  EXPECT_STREQ(c.data_parallel_master_ip, "127.0.0.1");
  EXPECT_EQ(c.data_parallel_rpc_port, 29550);
  EXPECT_EQ(c.data_parallel_master_port, 29500);
  EXPECT_EQ(c.data_parallel_backend, MPCOMM_DP_BACKEND_MP);
  EXPECT_EQ(c.data_parallel_external_lb, 0);
  EXPECT_EQ(c.data_parallel_hybrid_lb, 0);
  EXPECT_EQ(c.enable_expert_parallel, 0);
  EXPECT_EQ(c.enable_eplb, 0);
  EXPECT_EQ(c.eplb_config.window_size, 1000);
  EXPECT_EQ(c.eplb_config.step_interval, 3000);
  EXPECT_EQ(c.eplb_config.num_redundant_experts, 0);
  EXPECT_EQ(c.eplb_config.log_balancedness, 0);
  EXPECT_EQ(c.expert_placement_strategy, MPCOMM_EXPERT_PLACEMENT_LINEAR);
  EXPECT_EQ(c.all2all_backend, MPCOMM_ALL2ALL_NONE);
  EXPECT_EQ(c.max_parallel_loading_workers, -1);  // None
  EXPECT_EQ(c.disable_custom_all_reduce, 0);
  EXPECT_EQ(c.enable_dbo, 0);
  EXPECT_EQ(c.dbo_decode_token_threshold, 32);
  EXPECT_EQ(c.dbo_prefill_token_threshold, 512);
  EXPECT_EQ(c.disable_nccl_for_dp_synchronization, 0);
  EXPECT_EQ(c.distributed_executor_backend, MPCOMM_EXECUTOR_NONE);
  EXPECT_EQ(c.rank, 0);
  EXPECT_EQ(c.decode_context_parallel_size, 1);
  EXPECT_EQ(c.prefill_context_parallel_size, 1);
  EXPECT_EQ(c.nnodes, 1);
  EXPECT_EQ(c.node_rank, 0);
  EXPECT_STREQ(c.master_addr, "127.0.0.1");
  EXPECT_EQ(c.master_port, 29501);
}

TEST(ParallelConfigDefaults, AreValid) {
  const mpcomm_parallel_config_t c = defaults();
  EXPECT_EQ(mpcomm_parallel_config_validate(&c), MPCOMM_SUCCESS) << mpcomm_last_error();
}

TEST(ParallelConfigDefaults, LibraryDefaultsEqualTheMacro) {
  const mpcomm_parallel_config_t a = defaults();
  const mpcomm_parallel_config_t b = mpcomm::parallel::default_config();
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
}

// ------------------------------------------------------------------ the seed's rules

TEST(ParallelConfigValidate, LocalDataParallelSizeAboveDataParallelSize) {
  expect_rejected([](auto &c) { c.data_parallel_size_local = 2; },
                  "data_parallel_size_local (2) must be <= data_parallel_size (1)");
  EXPECT_EQ(validate_with([](auto &c) {
              c.data_parallel_size = 4;
              c.data_parallel_size_local = 4;
            }),
            MPCOMM_SUCCESS);
  // 0 local ranks is meaningful to vLLM (a node without local DP ranks).
  EXPECT_EQ(validate_with([](auto &c) { c.data_parallel_size_local = 0; }), MPCOMM_SUCCESS);
  expect_rejected([](auto &c) { c.data_parallel_size_local = -1; },
                  "data_parallel_size_local must be >= 0, got -1");
}

TEST(ParallelConfigValidate, ExternalLoadBalancerNeedsDataParallelism) {
  expect_rejected([](auto &c) { c.data_parallel_external_lb = 1; },
                  "data_parallel_external_lb can only be set when data_parallel_size > 1");
  EXPECT_EQ(validate_with([](auto &c) {
              c.data_parallel_external_lb = 1;
              c.data_parallel_size = 2;
            }),
            MPCOMM_SUCCESS);
}

TEST(ParallelConfigValidate, EplbNeedsExpertParallelism) {
  expect_rejected(
      [](auto &c) {
        c.enable_eplb = 1;
        c.tensor_parallel_size = 2;
      },
      "enable_expert_parallel must be True to use EPLB.");
}

TEST(ParallelConfigValidate, EplbNeedsMoreThanOneRank) {
  expect_rejected(
      [](auto &c) {
        c.enable_eplb = 1;
        c.enable_expert_parallel = 1;
      },
      "EPLB requires tensor_parallel_size or data_parallel_size to be greater than 1, but got "
      "TP=1,DP=1.");
  for (auto sizes : {std::make_pair(2, 1), std::make_pair(1, 2)}) {
    EXPECT_EQ(validate_with([&](auto &c) {
                c.enable_eplb = 1;
                c.enable_expert_parallel = 1;
                c.tensor_parallel_size = sizes.first;
                c.data_parallel_size = sizes.second;
                c.eplb_config.num_redundant_experts = 4;
              }),
              MPCOMM_SUCCESS)
        << mpcomm_last_error();
  }
}

TEST(ParallelConfigValidate, RedundantExpertsNeedEplb) {
  expect_rejected([](auto &c) { c.eplb_config.num_redundant_experts = 2; },
                  "num_redundant_experts is set to 2 but EPLB is not enabled. Either enable EPLB "
                  "or unset num_redundant_experts.");
  expect_rejected(
      [](auto &c) {
        c.enable_eplb = 1;
        c.enable_expert_parallel = 1;
        c.tensor_parallel_size = 2;
        c.eplb_config.num_redundant_experts = -1;
      },
      "eplb_config.num_redundant_experts must be >= 0, got -1");
}

TEST(ParallelConfigValidate, DataParallelRankOutOfRange) {
  expect_rejected(
      [](auto &c) {
        c.data_parallel_size = 2;
        c.data_parallel_rank = 2;
      },
      "data_parallel_rank (2) must be in the range [0, 2)");
  expect_rejected([](auto &c) { c.data_parallel_rank = -1; },
                  "data_parallel_rank (-1) must be in the range [0, 1)");
  EXPECT_EQ(validate_with([](auto &c) {
              c.data_parallel_size = 2;
              c.data_parallel_rank = 1;
            }),
            MPCOMM_SUCCESS);
}

TEST(ParallelConfigValidate, TensorParallelMustBeDivisibleByDecodeContextParallel) {
  expect_rejected(
      [](auto &c) {
        c.tensor_parallel_size = 4;
        c.decode_context_parallel_size = 3;
      },
      "tensor_parallel_size (4) must be divisible by decode_context_parallel_size (3)");
  EXPECT_EQ(validate_with([](auto &c) {
              c.tensor_parallel_size = 4;
              c.decode_context_parallel_size = 2;
            }),
            MPCOMM_SUCCESS);
}

TEST(ParallelConfigValidate, EverySizeBelowOneIsRejected) {
  const std::pair<const char *, int mpcomm_parallel_config_t::*> sizes[] = {
      {"pipeline_parallel_size", &mpcomm_parallel_config_t::pipeline_parallel_size},
      {"tensor_parallel_size", &mpcomm_parallel_config_t::tensor_parallel_size},
      {"data_parallel_size", &mpcomm_parallel_config_t::data_parallel_size},
      {"decode_context_parallel_size", &mpcomm_parallel_config_t::decode_context_parallel_size},
      {"prefill_context_parallel_size", &mpcomm_parallel_config_t::prefill_context_parallel_size},
      {"nnodes", &mpcomm_parallel_config_t::nnodes},
  };
  for (const auto &size : sizes)
    for (int bad : {0, -1, INT_MIN})
      expect_rejected([&](auto &c) { c.*size.second = bad; },
                      std::string(size.first) + " must be >= 1, got " + std::to_string(bad));
}

// ------------------------------------------------------------------ values a C struct can hold

TEST(ParallelConfigValidate, OutOfRangeValuesNameTheFieldAndValue) {
  expect_rejected([](auto &c) { c.data_parallel_rank_local = -2; },
                  "data_parallel_rank_local must be >= 0, or -1 for None, got -2");
  expect_rejected([](auto &c) { c.max_parallel_loading_workers = -5; },
                  "max_parallel_loading_workers must be >= 0, or -1 for None, got -5");
  expect_rejected([](auto &c) { c.rank = -1; }, "rank must be >= 0, got -1");
  expect_rejected(
      [](auto &c) {
        c.nnodes = 2;
        c.node_rank = 2;
      },
      "node_rank (2) must be in the range [0, 2)");
  expect_rejected([](auto &c) { c.data_parallel_rpc_port = 0; },
                  "data_parallel_rpc_port must be a port in [1, 65535], got 0");
  expect_rejected([](auto &c) { c.data_parallel_master_port = 65536; },
                  "data_parallel_master_port must be a port in [1, 65535], got 65536");
  expect_rejected([](auto &c) { c.master_port = -3; },
                  "master_port must be a port in [1, 65535], got -3");
  expect_rejected([](auto &c) { c.data_parallel_backend = (mpcomm_data_parallel_backend_t)2; },
                  "data_parallel_backend is not a known value, got 2");
  expect_rejected(
      [](auto &c) { c.expert_placement_strategy = (mpcomm_expert_placement_strategy_t)-1; },
      "expert_placement_strategy is not a known value, got -1");
  expect_rejected([](auto &c) { c.all2all_backend = (mpcomm_all2all_backend_t)7; },
                  "all2all_backend is not a known value, got 7");
  expect_rejected(
      [](auto &c) { c.distributed_executor_backend = (mpcomm_distributed_executor_backend_t)9; },
      "distributed_executor_backend is not a known value, got 9");
  expect_rejected([](auto &c) { std::memset(c.master_addr, 'a', sizeof c.master_addr); },
                  "master_addr is not NUL-terminated within its 256 bytes");
  expect_rejected(
      [](auto &c) {
        std::memset(c.data_parallel_master_ip, 'a', sizeof c.data_parallel_master_ip);
      },
      "data_parallel_master_ip is not NUL-terminated within its 256 bytes");
}

TEST(ParallelConfigValidate, WorldSizeThatOverflowsIsRejected) {
  expect_rejected(
      [](auto &c) {
        c.tensor_parallel_size = 65536;
        c.pipeline_parallel_size = 65536;
      },
      "world size PP*TP*PCP exceeds INT_MAX");
  expect_rejected(
      [](auto &c) {
        c.tensor_parallel_size = 65536;
        c.data_parallel_size = 65536;
        c.data_parallel_size_local = 1;
      },
      "world_size_across_dp exceeds INT_MAX");
}

// ------------------------------------------------------------------ the header

TEST(ParallelConfigHeader, NullIsRejected) {
  EXPECT_EQ(mpcomm_parallel_config_validate(nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_parallel_config_validate: cfg must not be NULL");
}

TEST(ParallelConfigHeader, UninitialisedConfigIsRejected) {
  mpcomm_parallel_config_t c;
  std::memset(&c, 0, sizeof c);
  EXPECT_EQ(mpcomm_parallel_config_validate(&c), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(
      std::string(mpcomm_last_error()).find("not initialised with MPCOMM_PARALLEL_CONFIG_INIT"),
      std::string::npos)
      << mpcomm_last_error();
}

TEST(ParallelConfigHeader, SizeSmallerThanTheFirstVersionIsRejected) {
  std::string message;
  EXPECT_EQ(validate_with([](auto &c) { c.struct_size = 16; }, &message),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("cfg->struct_size (16) is smaller than the first version"),
            std::string::npos)
      << message;
}

TEST(ParallelConfigHeader, SizeLargerThanThisLibraryKnowsIsRejected) {
  std::string message;
  EXPECT_EQ(validate_with([](auto &c) { c.struct_size += 8; }, &message),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("built with a newer mpcomm.h"), std::string::npos) << message;
}

TEST(ParallelConfigHeader, UnknownVersionIsRejected) {
  std::string message;
  for (unsigned v : {0u, MPCOMM_PARALLEL_CONFIG_VERSION + 1u}) {
    EXPECT_EQ(validate_with([&](auto &c) { c.version = v; }, &message),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(message.find("cfg->version (" + std::to_string(v) + ") is not in [1, 1]"),
              std::string::npos)
        << message;
  }
}

// The struct placed flush against an inaccessible page: reading one byte past struct_size
// would crash the test.
TEST(ParallelConfigHeader, NoByteBeyondStructSizeIsRead) {
  const long page = sysconf(_SC_PAGESIZE);
  ASSERT_GE(page, static_cast<long>(sizeof(mpcomm_parallel_config_t)));
  void *mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  char *guard = static_cast<char *>(mem) + page;
  ASSERT_EQ(mprotect(guard, page, PROT_NONE), 0);
  auto *cfg =
      reinterpret_cast<mpcomm_parallel_config_t *>(guard - sizeof(mpcomm_parallel_config_t));
  *cfg = defaults();
  cfg->tensor_parallel_size = 2;
  EXPECT_EQ(mpcomm_parallel_config_validate(cfg), MPCOMM_SUCCESS) << mpcomm_last_error();
  int world = 0;
  EXPECT_EQ(mpcomm_parallel_config_world_size(cfg, &world), MPCOMM_SUCCESS);
  EXPECT_EQ(world, 2);
  char hex[65];
  EXPECT_EQ(mpcomm_parallel_config_hash(cfg, hex), MPCOMM_SUCCESS);
  int ranks[2], ngroups = 0, group_size = 0;
  EXPECT_EQ(mpcomm_layout_group_ranks(cfg, 2, MPCOMM_GROUP_TP, ranks, 2, &ngroups, &group_size),
            MPCOMM_SUCCESS);
  munmap(mem, 2 * page);
}

TEST(ParallelConfigHeader, ReadConfigKeepsFieldsAndNormalisesTheSize) {
  mpcomm_parallel_config_t c = defaults();
  c.tensor_parallel_size = 8;
  std::strcpy(c.master_addr, "node001");
  const mpcomm_parallel_config_t copy = mpcomm::parallel::read_config(&c, "cfg");
  EXPECT_EQ(copy.tensor_parallel_size, 8);
  EXPECT_STREQ(copy.master_addr, "node001");
  EXPECT_EQ(copy.struct_size, sizeof(mpcomm_parallel_config_t));
}

// ------------------------------------------------------------------ world sizes

TEST(ParallelConfigWorldSize, IsPipelineTimesTensorTimesPrefillContext) {
  mpcomm_parallel_config_t c = defaults();
  int world = -1, across = -1;
  EXPECT_EQ(mpcomm_parallel_config_world_size(&c, &world), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_parallel_config_world_size_across_dp(&c, &across), MPCOMM_SUCCESS);
  EXPECT_EQ(world, 1);
  EXPECT_EQ(across, 1);
  c.pipeline_parallel_size = 3;
  c.tensor_parallel_size = 2;
  c.prefill_context_parallel_size = 2;
  c.data_parallel_size = 4;
  c.decode_context_parallel_size = 2;  // reuses the TP ranks: no effect on the world
  EXPECT_EQ(mpcomm_parallel_config_world_size(&c, &world), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_parallel_config_world_size_across_dp(&c, &across), MPCOMM_SUCCESS);
  EXPECT_EQ(world, 12);
  EXPECT_EQ(across, 48);
}

TEST(ParallelConfigWorldSize, ExternalLauncherCountsDataParallelRanks) {
  mpcomm_parallel_config_t c = defaults();
  c.tensor_parallel_size = 2;
  c.data_parallel_size = 4;
  c.distributed_executor_backend = MPCOMM_EXECUTOR_EXTERNAL_LAUNCHER;
  int world = -1, across = -1;
  EXPECT_EQ(mpcomm_parallel_config_world_size(&c, &world), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_parallel_config_world_size_across_dp(&c, &across), MPCOMM_SUCCESS);
  EXPECT_EQ(world, 8);    // as vLLM's __post_init__: world_size *= data_parallel_size
  EXPECT_EQ(across, 32);  // and world_size_across_dp multiplies again
}

TEST(ParallelConfigWorldSize, BadArgumentsAreNamed) {
  mpcomm_parallel_config_t c = defaults();
  int world = 7;
  EXPECT_EQ(mpcomm_parallel_config_world_size(&c, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(),
               "mpcomm_parallel_config_world_size: world_size must not be NULL");
  EXPECT_EQ(mpcomm_parallel_config_world_size_across_dp(&c, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(),
               "mpcomm_parallel_config_world_size_across_dp: world_size must not be NULL");
  EXPECT_EQ(mpcomm_parallel_config_world_size(nullptr, &world), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_parallel_config_world_size_across_dp(nullptr, &world),
            MPCOMM_ERR_INVALID_ARGUMENT);
  c.tensor_parallel_size = 0;
  EXPECT_EQ(mpcomm_parallel_config_world_size(&c, &world), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("tensor_parallel_size must be >= 1, got 0"),
            std::string::npos);
  EXPECT_EQ(world, 7);  // untouched on failure
}

// ------------------------------------------------------------------ hash

// Pinned: any change to the factors or their encoding shows here. The values are what
// Python's hashlib.sha256(str(factors).encode()).hexdigest() gives, i.e. vLLM's compute_hash.
TEST(ParallelConfigHash, DefaultIsPinned) {
  EXPECT_EQ(mpcomm::parallel::hash_factors(defaults()), "[1, 1, False, 1, None, False]");
  EXPECT_EQ(hash_of(defaults()),
            "f3d5bc03e0e11aea1211f9ea0893cd6d6f03a8768ad4916935be82657fdca618");
}

TEST(ParallelConfigHash, EqualsVllmsForTheSameFactors) {
  mpcomm_parallel_config_t c = defaults();
  c.pipeline_parallel_size = 2;
  c.tensor_parallel_size = 4;
  c.enable_expert_parallel = 1;
  c.data_parallel_size = 2;
  c.all2all_backend = MPCOMM_ALL2ALL_ALLGATHER_REDUCESCATTER;
  EXPECT_EQ(mpcomm::parallel::hash_factors(c), "[2, 4, True, 2, 'allgather_reducescatter', False]");
  EXPECT_EQ(hash_of(c), "e507a838ee03151a9b77d4bbeb3a1354ac093b8913143063e0176ddc27982366");

  c.all2all_backend = MPCOMM_ALL2ALL_DEEPEP_LOW_LATENCY;
  c.enable_eplb = 1;
  c.eplb_config.log_balancedness = 1;
  c.eplb_config.num_redundant_experts = 8;
  EXPECT_EQ(mpcomm::parallel::hash_factors(c),
            "[2, 4, True, 2, 'deepep_low_latency', True, True, 1000, 3000, 8]");
  EXPECT_EQ(hash_of(c), "c4515b9fd791eadf7b2be2a8e710c28ba5585e1bab5ef6cf8ad89ccbbbade149");

  mpcomm_parallel_config_t d = defaults();
  d.tensor_parallel_size = 2;
  d.enable_expert_parallel = 1;
  d.enable_eplb = 1;
  d.eplb_config.window_size = 500;
  d.eplb_config.step_interval = 2000;
  EXPECT_EQ(hash_of(d), "714cc11883d908381e6c5edde121bfde047be30632fab813aebe2a40865331eb");
}

TEST(ParallelConfigHash, EveryAll2AllBackendHasVllmsName) {
  using mpcomm::parallel::all2all_backend_name;
  EXPECT_EQ(all2all_backend_name(MPCOMM_ALL2ALL_NONE), nullptr);
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_NAIVE), "naive");
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_PPLX), "pplx");
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_DEEPEP_HIGH_THROUGHPUT),
               "deepep_high_throughput");
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_DEEPEP_LOW_LATENCY), "deepep_low_latency");
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_ALLGATHER_REDUCESCATTER),
               "allgather_reducescatter");
  EXPECT_STREQ(all2all_backend_name(MPCOMM_ALL2ALL_FLASHINFER_ALL2ALLV), "flashinfer_all2allv");
}

TEST(ParallelConfigHash, OnlyTheFactorsMatter) {
  const std::string base = hash_of(defaults());
  // Fields outside compute_hash's factors leave the hash as it is.
  mpcomm_parallel_config_t c = defaults();
  c.data_parallel_master_port = 12345;
  std::strcpy(c.data_parallel_master_ip, "10.0.0.1");
  c.disable_custom_all_reduce = 1;
  c.prefill_context_parallel_size = 2;
  c.eplb_config.window_size = 77;  // EPLB fields count only with EPLB on
  EXPECT_EQ(hash_of(c), base);
  // Each factor changes it.
  const std::function<void(mpcomm_parallel_config_t &)> changes[] = {
      [](auto &x) { x.pipeline_parallel_size = 2; },
      [](auto &x) { x.tensor_parallel_size = 2; },
      [](auto &x) { x.enable_expert_parallel = 1; },
      [](auto &x) { x.data_parallel_size = 2; },
      [](auto &x) { x.all2all_backend = MPCOMM_ALL2ALL_NAIVE; },
  };
  for (const auto &change : changes) {
    mpcomm_parallel_config_t x = defaults();
    change(x);
    EXPECT_NE(hash_of(x), base);
  }
  // A boolean is a boolean: any non-zero int is True.
  mpcomm_parallel_config_t one = defaults(), many = defaults();
  one.enable_expert_parallel = 1;
  many.enable_expert_parallel = 42;
  EXPECT_EQ(hash_of(one), hash_of(many));
}

TEST(ParallelConfigHash, IgnoresTheGlobalLocale) {
  // A locale that groups digits ("1,000") must not leak into the canonical text.
  struct Grouping : std::numpunct<char> {
    char do_thousands_sep() const override { return ','; }
    std::string do_grouping() const override { return "\3"; }
  };
  const std::locale previous =
      std::locale::global(std::locale(std::locale::classic(), new Grouping));
  mpcomm_parallel_config_t c = defaults();
  c.tensor_parallel_size = 2;
  c.enable_expert_parallel = 1;
  c.enable_eplb = 1;
  const std::string text = mpcomm::parallel::hash_factors(c);
  std::locale::global(previous);
  EXPECT_EQ(text, "[1, 2, True, 1, None, True, False, 1000, 3000, 0]");
}

TEST(ParallelConfigHash, BadArgumentsAreNamed) {
  mpcomm_parallel_config_t c = defaults();
  char hex[65] = "untouched";
  EXPECT_EQ(mpcomm_parallel_config_hash(&c, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_parallel_config_hash: hex must not be NULL");
  EXPECT_EQ(mpcomm_parallel_config_hash(nullptr, hex), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_parallel_config_hash: cfg must not be NULL");
  c.eplb_config.num_redundant_experts = 3;  // invalid without EPLB
  EXPECT_EQ(mpcomm_parallel_config_hash(&c, hex), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("num_redundant_experts is set to 3"),
            std::string::npos);
  EXPECT_STREQ(hex, "untouched");
}
