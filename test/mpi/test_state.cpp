// The parallel state: groups as vLLM lays them out, configuration agreement, coexisting
// states, the default state and the DP helpers.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "mpcomm.h"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// TP = 2 where the world allows, PP takes the rest.
mpcomm_parallel_config_t config_for_world() {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = world_size() % 2 == 0 ? 2 : 1;
  cfg.pipeline_parallel_size = world_size() / cfg.tensor_parallel_size;
  return cfg;
}

std::string error() { return mpcomm_last_error(); }

// How many of the library's shared segments this process has mapped (they are unlinked once
// mapped, so /proc/self/maps, not /dev/shm, shows them).
int shared_segments_mapped() {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.find("/dev/shm/mpcomm-") != std::string::npos) ++n;
  return n;
}

// An object broadcast from src over group, checked at every member.
void expect_broadcast(mpcomm_group_t group, int src, const std::string &what) {
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group, &info), MPCOMM_SUCCESS);
  const std::string sent = what + " from " + std::to_string(src);
  char buf[128] = {};
  size_t len = 0;
  if (info.rank_in_group == src) {
    std::memcpy(buf, sent.data(), sent.size());
    len = sent.size();
  }
  ASSERT_EQ(mpcomm_broadcast_object(group, buf, sizeof buf, &len, src), MPCOMM_SUCCESS)
      << what << ": " << error();
  EXPECT_EQ(std::string(buf, len), sent);
}

}  // namespace

TEST(State, EveryGroupMatchesTheLayout) {
  mpcomm_parallel_config_t cfg = config_for_world();
  cfg.enable_expert_parallel = 1;
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
  const mpcomm_group_kind_t kinds[] = {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_PP,
                                       MPCOMM_GROUP_DP,    MPCOMM_GROUP_EP, MPCOMM_GROUP_DCP,
                                       MPCOMM_GROUP_PCP};
  for (mpcomm_group_kind_t kind : kinds) {
    int ngroups = 0, group_size = 0;
    std::vector<int> layout(static_cast<size_t>(world_size()));
    ASSERT_EQ(mpcomm_layout_group_ranks(&cfg, world_size(), kind, layout.data(), layout.size(),
                                        &ngroups, &group_size),
              MPCOMM_SUCCESS)
        << error();
    // The row of the layout that holds this rank.
    std::vector<int> expected;
    for (int g = 0; g < ngroups; ++g) {
      auto row = layout.begin() + g * group_size;
      if (std::find(row, row + group_size, world_rank()) != row + group_size)
        expected.assign(row, row + group_size);
    }
    mpcomm_group_t group = nullptr;
    ASSERT_EQ(mpcomm_state_group(state, kind, &group), MPCOMM_SUCCESS) << error();
    std::vector<int> ranks(static_cast<size_t>(group_size));
    ASSERT_EQ(mpcomm_group_ranks(group, ranks.data(), ranks.size()), MPCOMM_SUCCESS) << error();
    EXPECT_EQ(ranks, expected) << "kind " << kind;
    mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
    ASSERT_EQ(mpcomm_group_info(group, &info), MPCOMM_SUCCESS);
    EXPECT_EQ(info.global_rank, world_rank());
    EXPECT_EQ(ranks[static_cast<size_t>(info.rank_in_group)], world_rank());
  }
  // A state's group belongs to the state.
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_group_free(&tp), MPCOMM_ERR_INVALID_USAGE);
  EXPECT_NE(tp, nullptr);
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS);
  EXPECT_EQ(state, nullptr);
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS);  // NULL: a no-op
}

// Every kind of group works from its first call, whichever call that is: a broadcast from rank 0
// (which makes the TP and DCP groups' message queue), from the last rank, an all-gather, an
// allreduce (the groups of one are duplicates of MPI_COMM_SELF).
TEST(State, EveryGroupWorksFromItsFirstCall) {
  mpcomm_parallel_config_t cfg = config_for_world();
  cfg.enable_expert_parallel = 1;
  const mpcomm_group_kind_t kinds[] = {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_PP,
                                       MPCOMM_GROUP_DP,    MPCOMM_GROUP_EP, MPCOMM_GROUP_DCP,
                                       MPCOMM_GROUP_PCP};
  for (int first = 0; first < 4; ++first) {
    mpcomm_state_t state = nullptr;
    ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
    for (mpcomm_group_kind_t kind : kinds) {
      mpcomm_group_t group = nullptr;
      ASSERT_EQ(mpcomm_state_group(state, kind, &group), MPCOMM_SUCCESS) << error();
      mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
      ASSERT_EQ(mpcomm_group_info(group, &info), MPCOMM_SUCCESS);
      const std::string what = "kind " + std::to_string(kind);
      for (int call = 0; call < 4; ++call) {
        switch ((first + call) % 4) {
          case 0: expect_broadcast(group, 0, what); break;
          case 1: expect_broadcast(group, info.size - 1, what); break;
          case 2: {
            const int32_t mine = info.global_rank;
            std::vector<int32_t> all(static_cast<size_t>(info.size));
            std::vector<size_t> lens(static_cast<size_t>(info.size));
            ASSERT_EQ(mpcomm_all_gather_object(group, &mine, sizeof mine, all.data(),
                                               all.size() * sizeof mine, lens.data()),
                      MPCOMM_SUCCESS)
                << what << ": " << error();
            EXPECT_EQ(all[static_cast<size_t>(info.rank_in_group)], info.global_rank) << what;
            break;
          }
          default: {
            int32_t one = 1, total = 0;
            ASSERT_EQ(mpcomm_all_reduce(group, &one, &total, 1, MPCOMM_INT32, MPCOMM_SUM, nullptr),
                      MPCOMM_SUCCESS)
                << what << ": " << error();
            EXPECT_EQ(total, info.size) << what;
          }
        }
      }
    }
    EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS) << error();
  }
}

// Creating a state maps only the PP group's object channels (its members pass objects point to
// point, which never makes them): the TP group's are made by its first collective object call,
// and its message queue by its first broadcast from rank 0, on every member, not by a broadcast
// from another rank.
TEST(State, TheMessageQueueWaitsForTheFirstBroadcastFromRankZero) {
  int before = shared_segments_mapped();
  mpcomm_parallel_config_t cfg = config_for_world();
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
  const int pp = static_cast<int>(cfg.pipeline_parallel_size);
  EXPECT_EQ(shared_segments_mapped(), before + (pp > 1 ? pp : 0));
  before += pp > 1 ? pp : 0;
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(tp, &info), MPCOMM_SUCCESS);
  expect_broadcast(tp, info.size - 1, "from the last rank");
  // The channels: each member's segment, mapped by every member (the test runs on one node).
  const int channels = info.size > 1 ? info.size : 0;
  EXPECT_EQ(shared_segments_mapped(), before + channels);
  expect_broadcast(tp, 0, "first from rank 0");
  // One ring per TP group of more than one (mapped by the writer and its local readers).
  EXPECT_EQ(shared_segments_mapped(), before + channels + (info.size > 1 ? 1 : 0));
  expect_broadcast(tp, 0, "second from rank 0");
  EXPECT_EQ(shared_segments_mapped(), before + channels + (info.size > 1 ? 1 : 0));
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(shared_segments_mapped(), before - (pp > 1 ? pp : 0));
}

// The PP group's channels carry its point-to-point objects from the first send: both stages
// send first, then receive, objects below and above a slot, then the state frees everything.
TEST(State, ThePipelineGroupPassesObjectsThroughItsChannels) {
  const int before = shared_segments_mapped();
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.pipeline_parallel_size = world_size();
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(shared_segments_mapped(), before + (world_size() > 1 ? world_size() : 0));
  mpcomm_group_t pp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_PP, &pp), MPCOMM_SUCCESS);
  const int n = world_size(), me = world_rank();
  if (n > 1) {
    const int next = (me + 1) % n, prev = (me + n - 1) % n;
    for (size_t bytes : {size_t{1}, size_t{512}, size_t{5000}}) {
      std::vector<char> out(bytes, static_cast<char>('a' + me)), in(bytes + 1);
      ASSERT_EQ(mpcomm_send_object(pp, out.data(), bytes, next), MPCOMM_SUCCESS) << error();
      size_t len = 0;
      ASSERT_EQ(mpcomm_recv_object(pp, in.data(), in.size(), &len, prev), MPCOMM_SUCCESS)
          << error();
      ASSERT_EQ(len, bytes);
      EXPECT_EQ(in[0], static_cast<char>('a' + prev));
      EXPECT_EQ(in[bytes - 1], static_cast<char>('a' + prev));
    }
  }
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(shared_segments_mapped(), before);
}

// A first broadcast whose members disagree fails on all of them before the queue is made
// (checking mode), and the next one makes it and works.
TEST(State, AMismatchedFirstBroadcastLeavesTheQueueToTheNext) {
  const char *check = std::getenv("MPCOMM_CHECK");
  if (world_size() < 2 || check == nullptr || std::string(check) != "1")
    GTEST_SKIP() << "needs 2 ranks and MPCOMM_CHECK=1";
  mpcomm_parallel_config_t cfg = config_for_world();
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
  const int before = shared_segments_mapped();  // the PP group's channels are made already
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(tp, &info), MPCOMM_SUCCESS);
  char buf[16] = "x";
  size_t len = 1;
  const int src = info.rank_in_group == info.size - 1 ? info.size - 1 : 0;
  EXPECT_EQ(mpcomm_broadcast_object(tp, buf, sizeof buf, &len, src), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(shared_segments_mapped(), before);
  expect_broadcast(tp, 0, "after the mismatch");
  EXPECT_EQ(shared_segments_mapped(), before + 1);
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS) << error();
}

TEST(State, NoExpertGroupUnlessEnabled) {
  mpcomm_parallel_config_t cfg = config_for_world();
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << error();
  mpcomm_group_t ep = nullptr;
  EXPECT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_EP, &ep), MPCOMM_ERR_INVALID_USAGE);
  EXPECT_NE(error().find("enable_expert_parallel"), std::string::npos) << error();
  EXPECT_EQ(mpcomm_state_group(state, static_cast<mpcomm_group_kind_t>(42), &ep),
            MPCOMM_ERR_INVALID_ARGUMENT);
  mpcomm_state_destroy(&state);
}

TEST(State, DifferentConfigurationsAreRefusedEverywhere) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  mpcomm_parallel_config_t cfg = config_for_world();
  if (world_rank() == world_size() - 1) cfg.enable_expert_parallel = 1;
  mpcomm_state_t state = nullptr;
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(state, nullptr);
  EXPECT_NE(error().find("rank " + std::to_string(world_size() - 1) + " passed a different"),
            std::string::npos)
      << error();
}

// Each field that shapes the groups, changed on the last rank alone to a value valid on its
// own, fails every rank naming the field; DCP and PCP are outside vLLM's hash, so before they
// were compared one by one, ranks with DCP 2 and DCP 1 both got a state with different groups.
TEST(State, EveryFieldThatShapesTheGroupsIsCompared) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  struct Change {
    const char *field;
    void (*apply)(mpcomm_parallel_config_t &);
  };
  const Change changes[] = {
      {"pipeline_parallel_size",
       [](mpcomm_parallel_config_t &c) { c.pipeline_parallel_size *= 2; }},
      {"tensor_parallel_size", [](mpcomm_parallel_config_t &c) { c.tensor_parallel_size *= 2; }},
      {"data_parallel_size", [](mpcomm_parallel_config_t &c) { c.data_parallel_size = 2; }},
      {"prefill_context_parallel_size",
       [](mpcomm_parallel_config_t &c) { c.prefill_context_parallel_size = 2; }},
      {"decode_context_parallel_size",
       [](mpcomm_parallel_config_t &c) { c.decode_context_parallel_size = 2; }},
      {"enable_expert_parallel", [](mpcomm_parallel_config_t &c) { c.enable_expert_parallel = 1; }},
      {"disable_custom_all_reduce",
       [](mpcomm_parallel_config_t &c) { c.disable_custom_all_reduce = 1; }},
  };
  for (const Change &change : changes) {
    SCOPED_TRACE(change.field);
    // TP 2 over the world's pairs, so that DCP 2 divides it.
    mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
    cfg.tensor_parallel_size = 2;
    cfg.pipeline_parallel_size = world_size() / 2;
    if (world_rank() == world_size() - 1) change.apply(cfg);
    ASSERT_EQ(mpcomm_parallel_config_validate(&cfg), MPCOMM_SUCCESS) << error();
    mpcomm_state_t state = nullptr;
    EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(state, nullptr);
    mpcomm_state_destroy(&state);
    EXPECT_NE(error().find("rank " + std::to_string(world_size() - 1) + " passed a different"),
              std::string::npos)
        << error();
    EXPECT_NE(error().find(change.field), std::string::npos) << error();
  }
}

// vLLM's hash itself stays vLLM's: the context-parallel sizes do not change it.
TEST(State, TheConfigurationHashStaysVllms) {
  mpcomm_parallel_config_t a = MPCOMM_PARALLEL_CONFIG_INIT, b = MPCOMM_PARALLEL_CONFIG_INIT;
  b.tensor_parallel_size = 2;
  b.decode_context_parallel_size = 2;
  b.prefill_context_parallel_size = 2;
  a.tensor_parallel_size = 2;
  char ha[65], hb[65];
  ASSERT_EQ(mpcomm_parallel_config_hash(&a, ha), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_parallel_config_hash(&b, hb), MPCOMM_SUCCESS);
  EXPECT_STREQ(ha, hb);
}

TEST(State, AnInvalidConfigurationOnOneRankFailsAllRanks) {
  mpcomm_parallel_config_t cfg = config_for_world();
  if (world_rank() == 0) cfg.data_parallel_rank = 7;  // outside [0, data_parallel_size)
  mpcomm_state_t state = nullptr;
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_ERR_INVALID_ARGUMENT);
  if (world_rank() == 0)
    EXPECT_NE(error().find("data_parallel_rank"), std::string::npos) << error();
  else
    EXPECT_NE(error().find("rank 0 passed an invalid"), std::string::npos) << error();
}

TEST(State, AWorldThatDoesNotFitIsRefusedWithTheNumbers) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = 3;
  mpcomm_state_t state = nullptr;
  if (world_size() % 3 == 0) GTEST_SKIP();
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find(std::to_string(world_size())), std::string::npos) << error();
  EXPECT_NE(error().find("3"), std::string::npos) << error();
}

TEST(State, BadArguments) {
  mpcomm_parallel_config_t cfg = config_for_world();
  mpcomm_state_t state = nullptr;
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("state"), std::string::npos);
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_NULL, &cfg, &state), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("MPI_COMM_NULL"), std::string::npos);
  EXPECT_EQ(mpcomm_state_create(MPI_COMM_WORLD, nullptr, &state), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("cfg"), std::string::npos) << error();
  mpcomm_group_t g = nullptr;
  EXPECT_EQ(mpcomm_state_group(nullptr, MPCOMM_GROUP_TP, &g), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_default_state_get(nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
}

TEST(State, StatesCoexist) {
  // The target model with TP over the world, a draft model with TP 1 (vLLM's
  // patch_tensor_parallel_group): both work, in any order of use and destruction.
  mpcomm_parallel_config_t target = MPCOMM_PARALLEL_CONFIG_INIT;
  target.tensor_parallel_size = world_size();
  mpcomm_parallel_config_t draft = MPCOMM_PARALLEL_CONFIG_INIT;
  draft.pipeline_parallel_size = world_size();
  mpcomm_state_t a = nullptr, b = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &target, &a), MPCOMM_SUCCESS) << error();
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &draft, &b), MPCOMM_SUCCESS) << error();
  mpcomm_group_t tp_a = nullptr, tp_b = nullptr;
  ASSERT_EQ(mpcomm_state_group(a, MPCOMM_GROUP_TP, &tp_a), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_state_group(b, MPCOMM_GROUP_TP, &tp_b), MPCOMM_SUCCESS);
  mpcomm_group_info_t ia = MPCOMM_GROUP_INFO_INIT, ib = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(tp_a, &ia), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_info(tp_b, &ib), MPCOMM_SUCCESS);
  EXPECT_EQ(ia.size, world_size());
  EXPECT_EQ(ib.size, 1);
  // Both groups communicate: an any-of over each.
  int any = 0;
  EXPECT_EQ(mpcomm_dp_has_unfinished(tp_a, world_rank() == 0, &any), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(any, 1);
  EXPECT_EQ(mpcomm_state_destroy(&a), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_dp_has_unfinished(tp_b, world_rank() == 0, &any), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(any, world_rank() == 0 ? 1 : 0);
  EXPECT_EQ(mpcomm_state_destroy(&b), MPCOMM_SUCCESS);
}

TEST(State, DefaultStateFollowsEnsureModelParallelInitialized) {
  mpcomm_state_t none = nullptr;
  EXPECT_EQ(mpcomm_default_state_get(&none), MPCOMM_ERR_INVALID_USAGE);
  EXPECT_EQ(none, nullptr);

  mpcomm_parallel_config_t cfg = config_for_world();
  mpcomm_state_t a = nullptr, same = nullptr, other = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &a), MPCOMM_SUCCESS) << error();
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &same), MPCOMM_SUCCESS) << error();
  mpcomm_parallel_config_t flipped = MPCOMM_PARALLEL_CONFIG_INIT;
  flipped.pipeline_parallel_size = world_size();
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &flipped, &other), MPCOMM_SUCCESS) << error();

  ASSERT_EQ(mpcomm_default_state_set(a), MPCOMM_SUCCESS);
  mpcomm_state_t got = nullptr;
  ASSERT_EQ(mpcomm_default_state_get(&got), MPCOMM_SUCCESS);
  EXPECT_EQ(got, a);
  if (flipped.pipeline_parallel_size != cfg.pipeline_parallel_size) {
    EXPECT_EQ(mpcomm_default_state_set(other), MPCOMM_ERR_INVALID_USAGE);
    EXPECT_NE(error().find("unexpected size"), std::string::npos) << error();
    ASSERT_EQ(mpcomm_default_state_get(&got), MPCOMM_SUCCESS);
    EXPECT_EQ(got, a);
  }
  EXPECT_EQ(mpcomm_default_state_set(same), MPCOMM_SUCCESS) << error();
  ASSERT_EQ(mpcomm_default_state_get(&got), MPCOMM_SUCCESS);
  EXPECT_EQ(got, same);
  // Destroying the default state clears the default.
  mpcomm_state_destroy(&same);
  EXPECT_EQ(mpcomm_default_state_get(&got), MPCOMM_ERR_INVALID_USAGE);
  EXPECT_EQ(mpcomm_default_state_set(nullptr), MPCOMM_SUCCESS);
  mpcomm_state_destroy(&a);
  mpcomm_state_destroy(&other);
}

TEST(DpHelpers, HasUnfinishedIsAnyAndKvCacheIsMin) {
  mpcomm_group_t world = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world), MPCOMM_SUCCESS);
  int any = -1;
  ASSERT_EQ(mpcomm_dp_has_unfinished(world, 0, &any), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(any, 0);
  ASSERT_EQ(mpcomm_dp_has_unfinished(world, world_rank() == world_size() - 1 ? 5 : 0, &any),
            MPCOMM_SUCCESS);
  EXPECT_EQ(any, 1);

  int64_t min = 0;
  ASSERT_EQ(mpcomm_dp_sync_kv_cache_memory_size(world, -1, &min), MPCOMM_SUCCESS) << error();
  EXPECT_EQ(min, INT64_MAX);
  int64_t mine = world_rank() == 0 ? -1 : (int64_t{1} << 40) + world_rank();
  ASSERT_EQ(mpcomm_dp_sync_kv_cache_memory_size(world, mine, &min), MPCOMM_SUCCESS);
  EXPECT_EQ(min, world_size() == 1 ? INT64_MAX : (int64_t{1} << 40) + 1);

  EXPECT_EQ(mpcomm_dp_sync_kv_cache_memory_size(world, -2, &min), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("-2"), std::string::npos);
  EXPECT_EQ(mpcomm_dp_has_unfinished(world, 1, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_dp_has_unfinished(nullptr, 1, &any), MPCOMM_ERR_INVALID_ARGUMENT);
  mpcomm_group_free(&world);
}
