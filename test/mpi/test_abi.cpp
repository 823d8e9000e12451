// The 1.0 C ABI's additions at every rank count: mpcomm_group_comm (a group's communicator, for
// MPI of the program's own on TP/PP/DP groups), the entry points that take a Fortran handle,
// mpcomm_parallel_config_init, the struct_size of mpcomm_group_info_t, and their C++ methods.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <string>
#include <vector>

#include "group_test_util.hpp"
#include "mpcomm.h"
#include "mpcomm.hpp"

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::StateHolder;
using grouptest::world_rank;
using grouptest::world_size;

namespace {

// A configuration over the whole world: TP 2 where the world size is even, PP the rest.
mpcomm_parallel_config_t tp_pp_config() {
  mpcomm_parallel_config_t cfg;
  EXPECT_EQ(mpcomm_parallel_config_init(&cfg), MPCOMM_SUCCESS) << last_error();
  cfg.tensor_parallel_size = world_size() % 2 == 0 ? 2 : 1;
  cfg.pipeline_parallel_size = world_size() / cfg.tensor_parallel_size;
  return cfg;
}

// The failure was `want`, and mpcomm_last_error() contains every piece of `texts`.
void expect_failure(mpcomm_status_t got, mpcomm_status_t want,
                    const std::vector<std::string> &texts) {
  EXPECT_EQ(got, want) << last_error();
  for (const auto &text : texts)
    EXPECT_NE(last_error().find(text), std::string::npos)
        << "no '" << text << "' in '" << last_error() << "'";
}

// Runs the caller's own MPI_Allreduce of the world ranks on group's communicator and checks it
// against the group's members (mpcomm_group_ranks).
void expect_own_allreduce_works(mpcomm_group_t group) {
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(group, &info), MPCOMM_SUCCESS) << last_error();
  MPI_Comm comm = MPI_COMM_NULL;
  ASSERT_EQ(mpcomm_group_comm(group, &comm), MPCOMM_SUCCESS) << last_error();
  ASSERT_NE(comm, MPI_COMM_NULL);
  int size = 0, rank = -1;
  ASSERT_EQ(MPI_Comm_size(comm, &size), MPI_SUCCESS);
  ASSERT_EQ(MPI_Comm_rank(comm, &rank), MPI_SUCCESS);
  EXPECT_EQ(size, info.size);
  EXPECT_EQ(rank, info.rank_in_group);

  std::vector<int> members(static_cast<size_t>(info.size));
  ASSERT_EQ(mpcomm_group_ranks(group, members.data(), members.size()), MPCOMM_SUCCESS);
  int expected = 0;
  for (int m : members) expected += m;
  int sum = world_rank();
  ASSERT_EQ(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_INT, MPI_SUM, comm), MPI_SUCCESS);
  EXPECT_EQ(sum, expected);

  // The group still works after the caller's MPI, and its communicator did not change.
  float x = 1.0f + static_cast<float>(rank);
  ASSERT_EQ(mpcomm_all_reduce(group, &x, &x, 1, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr),
            MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(x, static_cast<float>(size * (size + 1) / 2));
  ASSERT_EQ(mpcomm_barrier(group, 30), MPCOMM_SUCCESS) << last_error();
  MPI_Comm again = MPI_COMM_NULL;
  ASSERT_EQ(mpcomm_group_comm(group, &again), MPCOMM_SUCCESS);
  EXPECT_EQ(again, comm);
}

}  // namespace

TEST(ParallelConfigInit, IsTheMacro) {
  mpcomm_parallel_config_t cfg;
  std::memset(&cfg, 0xab, sizeof cfg);
  ASSERT_EQ(mpcomm_parallel_config_init(&cfg), MPCOMM_SUCCESS) << last_error();
  const mpcomm_parallel_config_t macro = MPCOMM_PARALLEL_CONFIG_INIT;
  EXPECT_EQ(std::memcmp(&cfg, &macro, sizeof cfg), 0);
  EXPECT_EQ(cfg.struct_size, sizeof(mpcomm_parallel_config_t));
  EXPECT_EQ(cfg.magic, MPCOMM_PARALLEL_CONFIG_MAGIC);
  EXPECT_EQ(cfg.version, static_cast<unsigned>(MPCOMM_PARALLEL_CONFIG_VERSION));
  EXPECT_EQ(cfg.distributed_executor_backend, MPCOMM_EXECUTOR_NONE);
  EXPECT_STREQ(cfg.master_addr, "127.0.0.1");
  EXPECT_EQ(mpcomm_parallel_config_validate(&cfg), MPCOMM_SUCCESS) << last_error();
  expect_failure(mpcomm_parallel_config_init(nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_parallel_config_init: cfg must not be NULL"});
}

TEST(ParallelConfigInit, EnumMembersAreInt32) {
  const mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  static_assert(sizeof cfg.data_parallel_backend == 4, "int32_t");
  static_assert(sizeof cfg.expert_placement_strategy == 4, "int32_t");
  static_assert(sizeof cfg.all2all_backend == 4, "int32_t");
  static_assert(sizeof cfg.distributed_executor_backend == 4, "int32_t");
  // Any int32_t value can be stored; an unknown one is refused by name and value.
  mpcomm_parallel_config_t bad = cfg;
  bad.all2all_backend = 1000;
  expect_failure(mpcomm_parallel_config_validate(&bad), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"all2all_backend is not a known value, got 1000"});
}

TEST(GroupInfo, StructSize) {
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();

  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(h.g, &info), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(info.struct_size, sizeof(mpcomm_group_info_t));
  EXPECT_EQ(info.size, world_size());
  EXPECT_EQ(info.rank_in_group, world_rank());
  EXPECT_EQ(info.global_rank, world_rank());

  // Too small (an uninitialised or zeroed struct): refused, naming the size; nothing written.
  for (size_t bad : {size_t{0}, size_t{8}, sizeof(mpcomm_group_info_t) - 1}) {
    mpcomm_group_info_t small{};
    small.struct_size = bad;
    small.size = -7;
    expect_failure(mpcomm_group_info(h.g, &small), MPCOMM_ERR_INVALID_ARGUMENT,
                   {"mpcomm_group_info: info->struct_size (" + std::to_string(bad) + ")",
                    "sizeof(mpcomm_group_info_t)"});
    EXPECT_EQ(small.size, -7);
    EXPECT_EQ(small.struct_size, bad);
  }

  // A caller built with a newer, larger struct: the fields this library knows are filled, the
  // rest is left as the caller set it, and struct_size stays the caller's.
  struct Newer {
    mpcomm_group_info_t v1;
    int later[4];
  } newer;
  std::memset(&newer, 0x5a, sizeof newer);
  newer.v1.struct_size = sizeof newer;
  ASSERT_EQ(mpcomm_group_info(h.g, &newer.v1), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(newer.v1.struct_size, sizeof newer);
  EXPECT_EQ(newer.v1.size, world_size());
  EXPECT_EQ(newer.v1.is_last_rank, world_rank() == world_size() - 1 ? 1 : 0);
  for (int later : newer.later) EXPECT_EQ(later, 0x5a5a5a5a);

  expect_failure(mpcomm_group_info(h.g, nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"info must not be NULL"});
}

TEST(GroupComm, CallersOwnMpiOnEveryGroupOfAState) {
  const mpcomm_parallel_config_t cfg = tp_pp_config();
  StateHolder state;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state.s), MPCOMM_SUCCESS) << last_error();
  for (mpcomm_group_kind_t kind :
       {MPCOMM_GROUP_TP, MPCOMM_GROUP_PP, MPCOMM_GROUP_DP, MPCOMM_GROUP_WORLD}) {
    SCOPED_TRACE("group kind " + std::to_string(kind));
    mpcomm_group_t group = nullptr;
    ASSERT_EQ(mpcomm_state_group(state.s, kind, &group), MPCOMM_SUCCESS) << last_error();
    expect_own_allreduce_works(group);
  }
  // The TP group of a state is the TP group of the layout: consecutive world ranks.
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state.s, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  MPI_Comm tp_comm = MPI_COMM_NULL;
  ASSERT_EQ(mpcomm_group_comm(tp, &tp_comm), MPCOMM_SUCCESS);
  int first = world_rank();
  ASSERT_EQ(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, tp_comm), MPI_SUCCESS);
  EXPECT_EQ(first, world_rank() - world_rank() % cfg.tensor_parallel_size);
}

TEST(GroupComm, IsThePrivateDuplicateOfAGroupFromComm) {
  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &h.g), MPCOMM_SUCCESS) << last_error();
  MPI_Comm comm = MPI_COMM_NULL;
  ASSERT_EQ(mpcomm_group_comm(h.g, &comm), MPCOMM_SUCCESS) << last_error();
  int result = MPI_UNEQUAL;
  ASSERT_EQ(MPI_Comm_compare(comm, MPI_COMM_WORLD, &result), MPI_SUCCESS);
  EXPECT_EQ(result, MPI_CONGRUENT);
  expect_own_allreduce_works(h.g);

  // The caller's point-to-point between the group's own object calls.
  const int n = world_size(), r = world_rank();
  if (n > 1) {
    int token = r, got = -1;
    ASSERT_EQ(MPI_Sendrecv(&token, 1, MPI_INT, (r + 1) % n, 99, &got, 1, MPI_INT, (r + n - 1) % n,
                           99, comm, MPI_STATUS_IGNORE),
              MPI_SUCCESS);
    EXPECT_EQ(got, (r + n - 1) % n);
  }
  char buf[16] = "from rank 0";
  size_t len = r == 0 ? std::strlen(buf) + 1 : 0;
  ASSERT_EQ(mpcomm_broadcast_object(h.g, buf, sizeof buf, &len, 0), MPCOMM_SUCCESS) << last_error();
  EXPECT_STREQ(buf, "from rank 0");
}

TEST(GroupComm, BadArguments) {
  MPI_Comm comm = MPI_COMM_SELF;
  expect_failure(mpcomm_group_comm(nullptr, &comm), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_comm: group must not be NULL"});
  EXPECT_EQ(comm, MPI_COMM_SELF);  // untouched on failure

  GroupHolder h;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &h.g), MPCOMM_SUCCESS) << last_error();
  expect_failure(mpcomm_group_comm(h.g, nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_comm: comm must not be NULL"});

  // A handle that is not a group: zeroed memory.
  alignas(64) static unsigned char not_a_group[4096] = {};
  expect_failure(mpcomm_group_comm(reinterpret_cast<mpcomm_group_t>(not_a_group), &comm),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"group is not a live group"});
  EXPECT_EQ(comm, MPI_COMM_SELF);

  // A freed handle: refused without reading the freed group (core/live_handles.hpp).
  mpcomm_group_t freed = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &freed), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_t dangling = freed;
  ASSERT_EQ(mpcomm_group_free(&freed), MPCOMM_SUCCESS);
  expect_failure(mpcomm_group_comm(dangling, &comm), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"group is not a live group (freed, or not a group handle)"});
  EXPECT_EQ(comm, MPI_COMM_SELF);
}

TEST(FortranHandles, GroupFromCommF) {
  // The world, through its Fortran handle.
  GroupHolder world;
  ASSERT_EQ(mpcomm_group_from_comm_f(MPI_Comm_c2f(MPI_COMM_WORLD), &world.g), MPCOMM_SUCCESS)
      << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(world.g, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.size, world_size());
  EXPECT_EQ(info.rank_in_group, world_rank());

  // A communicator of the caller's (even and odd world ranks), through its Fortran handle.
  MPI_Comm half = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_split(MPI_COMM_WORLD, world_rank() % 2, world_rank(), &half), MPI_SUCCESS);
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm_f(MPI_Comm_c2f(half), &g.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_info(g.g, &info), MPCOMM_SUCCESS);
  int half_size = 0;
  MPI_Comm_size(half, &half_size);
  EXPECT_EQ(info.size, half_size);
  EXPECT_EQ(info.rank_in_group, world_rank() / 2);
  expect_own_allreduce_works(g.g);
  MPI_Comm_free(&half);  // the group made its own duplicate

  // Bad handles: named with their value; *group is cleared.
  mpcomm_group_t bad = reinterpret_cast<mpcomm_group_t>(&info);
  expect_failure(mpcomm_group_from_comm_f(-1, &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_from_comm_f: comm is not a Fortran communicator handle, got -1"});
  EXPECT_EQ(bad, nullptr);
  expect_failure(mpcomm_group_from_comm_f(MPI_Comm_c2f(MPI_COMM_NULL), &bad),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"mpcomm_group_from_comm_f: comm (Fortran handle"});
  expect_failure(mpcomm_group_from_comm_f(1 << 30, &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"comm (Fortran handle 1073741824) is MPI_COMM_NULL or not a communicator"});
  expect_failure(mpcomm_group_from_comm_f(MPI_Comm_c2f(MPI_COMM_WORLD), nullptr),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"mpcomm_group_from_comm_f: group must not be NULL"});
}

TEST(FortranHandles, StateCreateF) {
  const mpcomm_parallel_config_t cfg = tp_pp_config();
  StateHolder state;
  ASSERT_EQ(mpcomm_state_create_f(MPI_Comm_c2f(MPI_COMM_WORLD), &cfg, &state.s), MPCOMM_SUCCESS)
      << last_error();
  mpcomm_group_t tp = nullptr, pp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state.s, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_state_group(state.s, MPCOMM_GROUP_PP, &pp), MPCOMM_SUCCESS);
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(tp, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.size, cfg.tensor_parallel_size);
  ASSERT_EQ(mpcomm_group_info(pp, &info), MPCOMM_SUCCESS);
  EXPECT_EQ(info.size, cfg.pipeline_parallel_size);
  expect_own_allreduce_works(tp);

  mpcomm_state_t bad = reinterpret_cast<mpcomm_state_t>(&info);
  expect_failure(mpcomm_state_create_f(-5, &cfg, &bad), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_state_create_f: comm is not a Fortran communicator handle, got -5"});
  EXPECT_EQ(bad, nullptr);
  expect_failure(mpcomm_state_create_f(MPI_Comm_c2f(MPI_COMM_NULL), &cfg, &bad),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"is MPI_COMM_NULL or not a communicator"});
  expect_failure(mpcomm_state_create_f(MPI_Comm_c2f(MPI_COMM_WORLD), &cfg, nullptr),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"mpcomm_state_create_f: state must not be NULL"});
}

TEST(FortranHandles, GroupCommF) {
  // The handle is the group's own communicator: MPI_Comm_f2c gives back mpcomm_group_comm's.
  GroupHolder world;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS) << last_error();
  MPI_Fint f = -1;
  ASSERT_EQ(mpcomm_group_comm_f(world.g, &f), MPCOMM_SUCCESS) << last_error();
  MPI_Comm c = MPI_COMM_NULL;
  ASSERT_EQ(mpcomm_group_comm(world.g, &c), MPCOMM_SUCCESS);
  EXPECT_EQ(MPI_Comm_f2c(f), c);
  EXPECT_NE(f, MPI_Comm_c2f(MPI_COMM_WORLD));  // a duplicate, not the caller's
  expect_own_allreduce_works(world.g);

  f = 7;
  expect_failure(mpcomm_group_comm_f(nullptr, &f), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_comm_f: group must not be NULL"});
  EXPECT_EQ(f, 7);  // untouched on failure
  expect_failure(mpcomm_group_comm_f(world.g, nullptr), MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_comm_f: comm must not be NULL"});
}

TEST(FortranHandles, GroupFromRanksF) {
  // The even world ranks, in reverse order, from the world's Fortran handle.
  std::vector<int> evens;
  for (int r = world_size() - 1; r >= 0; --r)
    if (r % 2 == 0) evens.push_back(r);
  if (world_rank() % 2 == 0) {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_ranks_f(MPI_Comm_c2f(MPI_COMM_WORLD), evens.data(),
                                        static_cast<int>(evens.size()), &g.g),
              MPCOMM_SUCCESS)
        << last_error();
    std::vector<int> members(evens.size());
    ASSERT_EQ(mpcomm_group_ranks(g.g, members.data(), members.size()), MPCOMM_SUCCESS);
    EXPECT_EQ(members, evens);
    expect_own_allreduce_works(g.g);
  }

  mpcomm_group_t bad = reinterpret_cast<mpcomm_group_t>(&evens);
  const int self = world_rank();
  expect_failure(
      mpcomm_group_from_ranks_f(-3, &self, 1, &bad), MPCOMM_ERR_INVALID_ARGUMENT,
      {"mpcomm_group_from_ranks_f: parent is not a Fortran communicator handle, got -3"});
  EXPECT_EQ(bad, nullptr);
  expect_failure(mpcomm_group_from_ranks_f(MPI_Comm_c2f(MPI_COMM_WORLD), &self, 0, &bad),
                 MPCOMM_ERR_INVALID_ARGUMENT, {"mpcomm_group_from_ranks_f: n must be >= 1, got 0"});
  expect_failure(mpcomm_group_from_ranks_f(MPI_Comm_c2f(MPI_COMM_WORLD), &self, 1, nullptr),
                 MPCOMM_ERR_INVALID_ARGUMENT,
                 {"mpcomm_group_from_ranks_f: group must not be NULL"});

  // The C++ methods over them.
  mpcomm::Group cpp = mpcomm::Group::from_ranks_f(MPI_Comm_c2f(MPI_COMM_SELF), {0});
  EXPECT_EQ(cpp.size(), 1);
  EXPECT_EQ(MPI_Comm_f2c(cpp.comm_f()), cpp.comm());
}

TEST(CppApi, AbiAdditions) {
  const mpcomm_parallel_config_t macro = MPCOMM_PARALLEL_CONFIG_INIT;
  mpcomm_parallel_config_t cfg = mpcomm::parallel_config();
  EXPECT_EQ(std::memcmp(&cfg, &macro, sizeof cfg), 0);
  cfg.tensor_parallel_size = world_size() % 2 == 0 ? 2 : 1;
  cfg.pipeline_parallel_size = world_size() / cfg.tensor_parallel_size;

  mpcomm::State state = mpcomm::State::create_f(MPI_Comm_c2f(MPI_COMM_WORLD), cfg);
  ASSERT_TRUE(state);
  mpcomm::Group tp = state.group(MPCOMM_GROUP_TP);
  EXPECT_EQ(tp.size(), cfg.tensor_parallel_size);
  int sum = 1;
  ASSERT_EQ(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_INT, MPI_SUM, tp.comm()), MPI_SUCCESS);
  EXPECT_EQ(sum, cfg.tensor_parallel_size);
  tp.reset();  // borrowed: does not free
  EXPECT_EQ(state.group(MPCOMM_GROUP_PP).size(), cfg.pipeline_parallel_size);
  mpcomm::State moved = std::move(state);
  EXPECT_FALSE(state);
  moved.reset();
  EXPECT_FALSE(moved);

  mpcomm::State direct = mpcomm::State::create(MPI_COMM_WORLD, cfg);
  EXPECT_EQ(direct.group(MPCOMM_GROUP_WORLD).size(), world_size());

  mpcomm::Group g = mpcomm::Group::from_comm_f(MPI_Comm_c2f(MPI_COMM_WORLD));
  EXPECT_EQ(g.size(), world_size());
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(g.comm(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  try {
    mpcomm::Group::from_comm_f(-1);
    FAIL() << "no exception";
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("got -1"), std::string::npos) << e.what();
  }
  try {
    mpcomm::Group().comm();
    FAIL() << "no exception";
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
  }
}
