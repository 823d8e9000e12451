// Handles that are NULL, freed, destroyed or never were: every call answers
// MPCOMM_ERR_INVALID_ARGUMENT naming the argument, and none reads the freed object (these run
// under AddressSanitizer too, which would report a use after free).
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "group_test_util.hpp"
#include "mpcomm.h"

namespace {

using grouptest::last_error;

void expect_dead(mpcomm_status_t got, const std::string &text) {
  EXPECT_EQ(got, MPCOMM_ERR_INVALID_ARGUMENT) << last_error();
  EXPECT_NE(last_error().find(text), std::string::npos) << last_error();
}

TEST(Handles, FreedGroupIsRefusedByEveryKindOfCall) {
  mpcomm_group_t group = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_t dangling = group;
  ASSERT_EQ(mpcomm_group_free(&group), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(group, nullptr);
  const std::string dead = "group is not a live group (freed, or not a group handle)";
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  float x[2] = {1, 2};
  char buf[8] = {};
  size_t len = 0;
  double seconds = 0;
  expect_dead(mpcomm_group_info(dangling, &info), dead);
  expect_dead(mpcomm_group_get_timeout(dangling, &seconds), dead);
  expect_dead(mpcomm_barrier(dangling, 0), dead);
  expect_dead(mpcomm_broadcast_object(dangling, buf, sizeof buf, &len, 0), dead);
  expect_dead(mpcomm_all_reduce(dangling, x, x, 2, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr), dead);
  expect_dead(mpcomm_group_enable_message_queue(dangling, 0, 0), dead);
  expect_dead(mpcomm_group_free(&dangling), "*group is not a live group");
}

TEST(Handles, DestroyedStateAndItsGroups) {
  mpcomm_parallel_config_t cfg;
  ASSERT_EQ(mpcomm_parallel_config_init(&cfg), MPCOMM_SUCCESS);
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_t tp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS) << last_error();
  mpcomm_state_t dangling = state;
  ASSERT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_t again = nullptr;
  expect_dead(mpcomm_state_group(dangling, MPCOMM_GROUP_TP, &again), "state is not a live");
  expect_dead(mpcomm_state_destroy(&dangling), "*state is not a live");
  // The group borrowed from it died with it.
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  expect_dead(mpcomm_group_info(tp, &info), "group is not a live group");
  expect_dead(mpcomm_barrier(tp, 0), "group is not a live group");
}

TEST(Handles, FreedTensorDict) {
  mpcomm_tensor_dict_t dict = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_create(&dict), MPCOMM_SUCCESS) << last_error();
  mpcomm_tensor_dict_t dangling = dict;
  ASSERT_EQ(mpcomm_tensor_dict_free(&dict), MPCOMM_SUCCESS) << last_error();
  size_t size = 0;
  expect_dead(mpcomm_tensor_dict_set_int(dangling, "k", 1), "dict is not a tensor dict");
  expect_dead(mpcomm_tensor_dict_size(dangling, &size), "dict is not a tensor dict");
  expect_dead(mpcomm_tensor_dict_free(&dangling), "*dict is not a tensor dict");
}

TEST(Handles, AHandleOfAnotherKindIsRefused) {
  mpcomm_tensor_dict_t dict = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_create(&dict), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  expect_dead(mpcomm_group_info(reinterpret_cast<mpcomm_group_t>(dict), &info),
              "group is not a live group");
  EXPECT_EQ(mpcomm_tensor_dict_free(&dict), MPCOMM_SUCCESS);
}

TEST(Handles, FreeingNullIsANoOp) {
  mpcomm_group_t group = nullptr;
  mpcomm_state_t state = nullptr;
  mpcomm_tensor_dict_t dict = nullptr;
  EXPECT_EQ(mpcomm_group_free(nullptr), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_group_free(&group), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_state_destroy(nullptr), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_tensor_dict_free(nullptr), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_tensor_dict_free(&dict), MPCOMM_SUCCESS);
}

// Every group of a state knows its node-local rank, from the state's communicator, whatever the
// launcher exports: here a state made over half of the world (not the world itself).
TEST(Handles, StateGroupsKnowTheirLocalRank) {
  const int rank = grouptest::world_rank();
  MPI_Comm half = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half), MPI_SUCCESS);
  MPI_Comm node = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_split_type(half, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), MPI_SUCCESS);
  int expected = -1;
  MPI_Comm_rank(node, &expected);
  MPI_Comm_free(&node);
  mpcomm_parallel_config_t cfg;
  ASSERT_EQ(mpcomm_parallel_config_init(&cfg), MPCOMM_SUCCESS);
  grouptest::StateHolder state;
  ASSERT_EQ(mpcomm_state_create(half, &cfg, &state.s), MPCOMM_SUCCESS) << last_error();
  for (mpcomm_group_kind_t kind : {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_DP}) {
    mpcomm_group_t g = nullptr;
    ASSERT_EQ(mpcomm_state_group(state.s, kind, &g), MPCOMM_SUCCESS) << last_error();
    mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
    ASSERT_EQ(mpcomm_group_info(g, &info), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(info.local_rank, expected) << "group kind " << kind;
  }
  MPI_Comm_free(&half);
}

}  // namespace
