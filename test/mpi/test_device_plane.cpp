// The GPU data plane where there is no GPU (make check's machines): every device call fails
// cleanly with MPCOMM_ERR_NOT_SUPPORTED and a message that says why, arguments are checked first
// where the device code is built, host memory is never taken for device memory, and a parallel
// state hands the custom allreduce to its tensor-parallel group only, and a member late for a
// bounded collective leaves the others a timeout, not an abort. On a machine with a GPU the calls
// that need one are skipped here: test/gpu covers them.
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "core/child_process.hpp"
#include "core/error.hpp"
#include "device/bounded_mpi.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "device/custom_allreduce_choice.hpp"
#include "device/device_ops.hpp"
#include "device/device_state.hpp"
#include "device/p2p_cache.hpp"
#include "device/p2p_check.hpp"
#include "group/group.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"
#include "state/state.hpp"

namespace {

using mpcomm::device::check_group_p2p;
using mpcomm::device::p2p_cache_file_name;
using mpcomm::test::ScopedEnv;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class DevicePlane : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group_), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    gpu_ = mpcomm_group_set_device(group_, -1) == MPCOMM_SUCCESS;
  }
  void TearDown() override { mpcomm_group_free(&group_); }
  mpcomm_group_s &g() { return *group_; }

  mpcomm_group_t group_ = nullptr;
  bool gpu_ = false;
};

// Runs body, which must throw Error(status); returns the message.
template <class Body>
std::string expect_error(mpcomm_status_t status, Body &&body) {
  try {
    body();
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), status) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error, expected " << mpcomm_status_string(status);
  return "";
}

}  // namespace

TEST_F(DevicePlane, HostMemoryIsNotDeviceMemory) {
  std::vector<float> host(16);
  EXPECT_FALSE(mpcomm::device::is_device_pointer(host.data()));
  EXPECT_FALSE(mpcomm::device::is_device_pointer(nullptr));
  int on_stack = 0;
  EXPECT_FALSE(mpcomm::device::is_device_pointer(&on_stack));
}

TEST_F(DevicePlane, EveryOperationIsNotSupportedWithoutAGpu) {
  if (gpu_) GTEST_SKIP() << "a GPU is present: test/gpu covers the device operations";
  using namespace mpcomm::device;
  std::vector<float> a(64), b(64 * 8);
  const int peer = g().size() > 1 ? (g().rank() + 1) % g().size() : 0;
  std::vector<std::string> messages;
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    all_reduce(g(), a.data(), a.data(), a.size(), MPCOMM_FLOAT32, MPCOMM_SUM, nullptr);
  }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    broadcast(g(), a.data(), a.size(), MPCOMM_FLOAT32, 0, nullptr);
  }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    all_gather(g(), a.data(), b.data(), a.size(), MPCOMM_FLOAT32, nullptr);
  }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    reduce_scatter(g(), b.data(), a.data(), 8, MPCOMM_FLOAT32, MPCOMM_MAX, nullptr);
  }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    gather(g(), a.data(), b.data(), a.size(), MPCOMM_FLOAT32, 0, nullptr);
  }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] { init_context(g()); }));
  messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
    time_all_reduce(g(), a.data(), a.data(), a.size(), MPCOMM_FLOAT32, MPCOMM_SUM,
                    AllReduceAlgo::Auto, 1, 1, nullptr, nullptr);
  }));
  if (g().size() > 1) {
    messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
      send(g(), a.data(), a.size(), MPCOMM_FLOAT32, peer, nullptr);
    }));
    messages.push_back(expect_error(MPCOMM_ERR_NOT_SUPPORTED, [&] {
      recv(g(), a.data(), a.size(), MPCOMM_FLOAT32, peer, nullptr);
    }));
  }
  for (const auto &m : messages) {
#ifdef MPCOMM_HAVE_NCCL
    EXPECT_TRUE(contains(m, "no CUDA device is usable")) << m;
#else
    EXPECT_TRUE(contains(m, "built without")) << m;
#endif
  }
  // Nothing was made, and the group still works.
  EXPECT_FALSE(mpcomm::device::device_state(g()).context);
  EXPECT_FALSE(g().broken());
  EXPECT_EQ(mpcomm_barrier(group_, 30.0), MPCOMM_SUCCESS) << mpcomm_last_error();
}

TEST_F(DevicePlane, CFunctionsWithoutAGpu) {
  if (gpu_) GTEST_SKIP() << "a GPU is present: test/gpu covers the device operations";
  EXPECT_EQ(mpcomm_group_set_device(group_, 0), MPCOMM_ERR_NOT_SUPPORTED);
  EXPECT_TRUE(contains(mpcomm_last_error(), "mpcomm_group_set_device: ")) << mpcomm_last_error();
  EXPECT_EQ(mpcomm_group_device_init(group_), MPCOMM_ERR_NOT_SUPPORTED);
  EXPECT_TRUE(contains(mpcomm_last_error(), "mpcomm_group_device_init: ")) << mpcomm_last_error();

  EXPECT_EQ(mpcomm_group_set_custom_allreduce(group_, 1), MPCOMM_ERR_NOT_SUPPORTED);
  EXPECT_TRUE(contains(mpcomm_last_error(), "mpcomm_group_set_custom_allreduce: "))
      << mpcomm_last_error();
  mpcomm_allreduce_path_t path = MPCOMM_ALLREDUCE_PATH_COPY;
  char why[64] = "untouched";
  EXPECT_EQ(mpcomm_group_device_allreduce_path(group_, 1024, MPCOMM_FLOAT16, MPCOMM_SUM, &path, why,
                                               sizeof why),
            MPCOMM_ERR_NOT_SUPPORTED);
  EXPECT_TRUE(contains(mpcomm_last_error(), "mpcomm_group_device_allreduce_path: "))
      << mpcomm_last_error();
  EXPECT_STREQ(why, "untouched");
  EXPECT_FALSE(g().broken());

  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = g().size();
  mpcomm_state_t state = nullptr;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS)
      << mpcomm_last_error();
  int dummy_stream = 0;
  EXPECT_EQ(mpcomm_graph_capture_begin(state, &dummy_stream), MPCOMM_ERR_NOT_SUPPORTED);
  EXPECT_EQ(mpcomm_graph_capture_begin(state, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(mpcomm_last_error(), "stream must not be NULL")) << mpcomm_last_error();
#ifdef MPCOMM_HAVE_NCCL
  // Bracketing needs no GPU: an end without a begin is a usage error.
  EXPECT_EQ(mpcomm_graph_capture_end(state), MPCOMM_ERR_INVALID_USAGE);
#else
  EXPECT_EQ(mpcomm_graph_capture_end(state), MPCOMM_ERR_NOT_SUPPORTED);
#endif
  EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS);
}

// The custom-allreduce choice and the path query check their arguments before the device.
TEST_F(DevicePlane, CustomAllreduceChoiceAndPathQueryArguments) {
  const auto refused = [](mpcomm_status_t s, const char *part) {
    EXPECT_EQ(s, MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(mpcomm_last_error(), part)) << mpcomm_last_error();
  };
  refused(mpcomm_group_set_custom_allreduce(nullptr, 1), "group must not be NULL");
  refused(mpcomm_group_set_custom_allreduce(group_, 2), "enabled must be 0 or 1, got 2");
  refused(mpcomm_group_set_custom_allreduce(group_, -1), "enabled must be 0 or 1, got -1");
  mpcomm_allreduce_path_t path = MPCOMM_ALLREDUCE_PATH_COPY;
  char why[32];
  refused(mpcomm_group_device_allreduce_path(nullptr, 8, MPCOMM_FLOAT32, MPCOMM_SUM, &path, why,
                                             sizeof why),
          "group must not be NULL");
  refused(mpcomm_group_device_allreduce_path(group_, 8, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr, why,
                                             sizeof why),
          "path");
  refused(
      mpcomm_group_device_allreduce_path(group_, 8, MPCOMM_FLOAT32, MPCOMM_SUM, &path, nullptr, 5),
      "why must not be NULL when why_len is 5");
  refused(mpcomm_group_device_allreduce_path(group_, 8, static_cast<mpcomm_datatype_t>(99),
                                             MPCOMM_SUM, &path, why, sizeof why),
          "dtype");
  refused(mpcomm_group_device_allreduce_path(group_, 8, MPCOMM_FLOAT32,
                                             static_cast<mpcomm_op_t>(42), &path, why, sizeof why),
          "op");
  refused(mpcomm_group_device_allreduce_path(group_, SIZE_MAX / 2, MPCOMM_FLOAT32, MPCOMM_SUM,
                                             &path, why, sizeof why),
          "overflow size_t");
  EXPECT_FALSE(g().broken());
  EXPECT_EQ(mpcomm_barrier(group_, 30.0), MPCOMM_SUCCESS) << mpcomm_last_error();
}

// mpcomm_group_set_custom_allreduce's choice is agreed on when the context is made: members
// that chose differently (some would build the IPC buffers, the others not, and hang) fail
// alike; an explicit choice wins over the group maker's reason.
TEST_F(DevicePlane, MembersAgreeOnTheCustomAllreduceChoice) {
  using mpcomm::device::agreed_custom_allreduce_choice;
  using mpcomm::device::custom_allreduce_off_reason;
  using mpcomm::device::CustomAllreduceChoice;
  auto &state = mpcomm::device::device_state(g());
  state.custom_allreduce_choice = CustomAllreduceChoice::Disabled;
  EXPECT_EQ(agreed_custom_allreduce_choice(g()), CustomAllreduceChoice::Disabled);
  state.custom_allreduce_off = "only the tensor-parallel group uses it";
  EXPECT_EQ(custom_allreduce_off_reason(state, CustomAllreduceChoice::Default),
            "only the tensor-parallel group uses it");
  EXPECT_EQ(custom_allreduce_off_reason(state, CustomAllreduceChoice::Enabled), "");
  EXPECT_TRUE(contains(custom_allreduce_off_reason(state, CustomAllreduceChoice::Disabled),
                       "mpcomm_group_set_custom_allreduce"));
  if (g().size() > 1) {
    const bool first = g().rank() == 0;
    state.custom_allreduce_choice =
        first ? CustomAllreduceChoice::Enabled : CustomAllreduceChoice::Default;
    const std::string m =
        expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] { agreed_custom_allreduce_choice(g()); });
    EXPECT_TRUE(contains(m, "must be the same on every member")) << m;
    EXPECT_TRUE(
        contains(m, first ? "this member has enabled" : "this member has the group's default"))
        << m;
    EXPECT_FALSE(g().broken()) << "a disagreement is an argument error, not a broken group";
  }
  state.custom_allreduce_choice = CustomAllreduceChoice::Default;
  state.custom_allreduce_off.clear();
  EXPECT_EQ(mpcomm_barrier(group_, 30.0), MPCOMM_SUCCESS) << mpcomm_last_error();
}

TEST_F(DevicePlane, NullHandles) {
  EXPECT_EQ(mpcomm_group_set_device(nullptr, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(mpcomm_last_error(), "group must not be NULL")) << mpcomm_last_error();
  EXPECT_EQ(mpcomm_group_device_init(nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  int dummy_stream = 0;
  EXPECT_EQ(mpcomm_graph_capture_begin(nullptr, &dummy_stream), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(mpcomm_last_error(), "state must not be NULL")) << mpcomm_last_error();
  EXPECT_EQ(mpcomm_graph_capture_end(nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
}

#ifdef MPCOMM_HAVE_NCCL
// Where the device code is built, arguments are refused before anything touches CUDA.
TEST_F(DevicePlane, ArgumentsAreCheckedFirst) {
  using namespace mpcomm::device;
  std::vector<float> a(64);
  std::string m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] {
    all_reduce(g(), a.data(), a.data(), a.size(), static_cast<mpcomm_datatype_t>(99), MPCOMM_SUM,
               nullptr);
  });
  EXPECT_TRUE(contains(m, "99")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] {
    all_reduce(g(), nullptr, a.data(), a.size(), MPCOMM_FLOAT32, MPCOMM_SUM, nullptr);
  });
  EXPECT_TRUE(contains(m, "send must not be NULL")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] {
    broadcast(g(), a.data(), a.size(), MPCOMM_FLOAT32, g().size(), nullptr);
  });
  EXPECT_TRUE(contains(m, "root must be a rank in the group")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT,
                   [&] { send(g(), a.data(), a.size(), MPCOMM_FLOAT32, g().rank(), nullptr); });
  EXPECT_TRUE(contains(m, "dst must be another member")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT,
                   [&] { recv(g(), a.data(), a.size(), MPCOMM_FLOAT32, -1, nullptr); });
  EXPECT_TRUE(contains(m, "src must be a rank in the group")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT,
                   [&] { all_gather(g(), a.data(), a.data(), 10, MPCOMM_FLOAT32, nullptr, 3); });
  EXPECT_TRUE(contains(m, "outer (3) must divide count_per_rank (10)")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] {
    reduce_scatter(g(), a.data(), a.data(), 8, MPCOMM_FLOAT32, static_cast<mpcomm_op_t>(-1),
                   nullptr);
  });
  EXPECT_TRUE(contains(m, "op")) << m;
  m = expect_error(MPCOMM_ERR_INVALID_ARGUMENT,
                   [&] { gather(g(), a.data(), a.data(), 8, MPCOMM_FLOAT32, 0, nullptr, 0); });
  EXPECT_TRUE(contains(m, "outer must be >= 1")) << m;
  EXPECT_FALSE(g().broken());
}

// MPCOMM_CUSTOM_ALLREDUCE_ALGO is read once per group and agreed on: members with different
// values (one-shot kernels paired with two-shot ones) or an invalid value on one member (its
// peers' kernels would spin forever) fail on every member, naming the values.
TEST_F(DevicePlane, MembersAgreeOnTheCustomAllreduceAlgorithm) {
  using mpcomm::device::agreed_custom_allreduce_algo;
  using mpcomm::device::AlgoSetting;
  const bool first = g().rank() == 0;
  {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", "twoshot");
    EXPECT_EQ(agreed_custom_allreduce_algo(g()), AlgoSetting::TwoShot);
  }
  if (g().size() == 1) return;
  {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", first ? "oneshot" : "auto");
    const std::string m =
        expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] { agreed_custom_allreduce_algo(g()); });
    EXPECT_TRUE(contains(m, "must be the same on every member")) << m;
    EXPECT_TRUE(contains(m, first ? "this member has oneshot" : "this member has auto")) << m;
  }
  {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", first ? "3shot" : "oneshot");
    const std::string m =
        expect_error(MPCOMM_ERR_INVALID_ARGUMENT, [&] { agreed_custom_allreduce_algo(g()); });
    EXPECT_TRUE(contains(m, first ? "'3shot'" : "MPCOMM_CUSTOM_ALLREDUCE_ALGO is invalid on")) << m;
  }
  EXPECT_FALSE(g().broken()) << "a disagreement is an argument error, not a broken group";
  EXPECT_EQ(mpcomm_barrier(group_, 30.0), MPCOMM_SUCCESS) << mpcomm_last_error();
}

// A member that comes after rank 0 gave up on a bounded collective: rank 0 gets a timeout and a
// broken group, the late member its answer (rank 0's collective stays pending, parked, never
// freed: MPI forbids freeing it and Open MPI aborts), and every process finalizes normally.
TEST_F(DevicePlane, ALateMemberTimesOutTheOthersAndStillGetsItsAnswer) {
  if (g().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  using mpcomm::device::bounded_min;
  if (g().rank() == 0) {
    ASSERT_EQ(mpcomm_group_set_timeout(group_, 0.5), MPCOMM_SUCCESS);
    const std::string m =
        expect_error(MPCOMM_ERR_TIMEOUT, [&] { bounded_min(g(), 7, "the test's minimum"); });
    EXPECT_TRUE(contains(m, "timed out after 0.5 s in the test's minimum")) << m;
    EXPECT_TRUE(g().broken());
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(mpcomm_group_set_timeout(group_, 30.0), MPCOMM_SUCCESS);
    EXPECT_EQ(bounded_min(g(), 10 + g().rank(), "the test's minimum"), 7);
    EXPECT_FALSE(g().broken());
  }
  // Rank 0 waits here, which progresses its parked collective so that the others complete.
  MPI_Barrier(MPI_COMM_WORLD);
}

// The group's P2P verdict without a GPU: rank 0 runs a stand-in for mpcomm-p2p-check (a shell
// script), caches its answer for the node, and every member gets the same verdict.
class GroupP2p : public DevicePlane {
 protected:
  void SetUp() override {
    DevicePlane::SetUp();
    char dir[] = "/tmp/mpcomm-p2p-test-XXXXXX";
    if (g().rank() == 0) {
      ASSERT_NE(mkdtemp(dir), nullptr);
    }
    dir_ = dir;
    cache_ = std::make_unique<ScopedEnv>("XDG_CACHE_HOME", dir_.c_str());
  }
  void TearDown() override {
    cache_.reset();
    // Not system(): no fork in an MPI process.
    if (g().rank() == 0) mpcomm::run_child("/bin/rm", {"-rf", dir_}, 30);
    DevicePlane::TearDown();
  }
  // A program that answers 1 for every pair but those from `refused` (0 with a reason).
  std::string fake_program(const std::string &refused) {
    const std::string path = dir_ + "/fake-p2p-check";
    if (g().rank() == 0) {
      std::ofstream(path) << "#!/bin/sh\nfor a; do for b; do test \"$a\" = \"$b\" && continue\n"
                          << "  if test \"$a\" = '" << refused
                          << "'; then echo \"$a $b 0 dropped writes\"; else echo \"$a $b 1\"; fi\n"
                          << "done; done\n";
      EXPECT_EQ(chmod(path.c_str(), 0755), 0);
    }
    return path;
  }
  // Each member on a GPU of its own.
  std::vector<std::string> gpus() const {
    std::vector<std::string> ids;
    for (int r = 0; r < group_->size(); ++r) ids.push_back("0000:0" + std::to_string(r) + ":00.0");
    return ids;
  }

  std::string dir_;
  std::unique_ptr<ScopedEnv> cache_;
};

TEST_F(GroupP2p, MembersOnOneGpuNeedNoCheck) {
  ScopedEnv program("MPCOMM_P2P_CHECK_PROGRAM", "/nowhere/mpcomm-p2p-check");
  const auto verdict = check_group_p2p(
      g(), std::vector<std::string>(static_cast<size_t>(g().size()), "0000:01:00.0"));
  EXPECT_TRUE(verdict.ok) << verdict.problem;
}

TEST_F(GroupP2p, TheProgramsAnswerIsSharedAndCached) {
  if (g().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  {
    ScopedEnv program("MPCOMM_P2P_CHECK_PROGRAM", fake_program("none").c_str());
    const auto verdict = check_group_p2p(g(), gpus());
    EXPECT_TRUE(verdict.ok) << verdict.problem;
  }
  if (g().rank() == 0) {
    struct stat st {};
    EXPECT_EQ(stat((dir_ + "/mpcomm/" + p2p_cache_file_name(gpus())).c_str(), &st), 0);
  }
  // The cached answer holds without the program.
  ScopedEnv program("MPCOMM_P2P_CHECK_PROGRAM", "/nowhere/mpcomm-p2p-check");
  const auto verdict = check_group_p2p(g(), gpus());
  EXPECT_TRUE(verdict.ok) << verdict.problem;
  EXPECT_FALSE(g().broken());
}

TEST_F(GroupP2p, ARefusedPairDisablesItOnEveryMember) {
  if (g().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const std::string refused = gpus().back();
  ScopedEnv program("MPCOMM_P2P_CHECK_PROGRAM", fake_program(refused).c_str());
  const auto verdict = check_group_p2p(g(), gpus());
  EXPECT_FALSE(verdict.ok);
  EXPECT_EQ(verdict.problem,
            "from the GPU " + refused + " to the GPU " + gpus().front() + ": dropped writes");
}

TEST_F(GroupP2p, AMissingProgramLeavesP2pUnverifiedOnEveryMember) {
  if (g().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv program("MPCOMM_P2P_CHECK_PROGRAM", "/nowhere/mpcomm-p2p-check");
  const auto verdict = check_group_p2p(g(), gpus());
  EXPECT_FALSE(verdict.ok);
  EXPECT_TRUE(contains(verdict.problem,
                       "P2P could not be verified: /nowhere/mpcomm-p2p-check "
                       "could not be started"))
      << verdict.problem;
  EXPECT_TRUE(contains(verdict.problem, "MPCOMM_SKIP_P2P_CHECK=1")) << verdict.problem;
  EXPECT_FALSE(g().broken());
}
#endif

// vLLM gives the custom allreduce to the TP group only, and disable_custom_all_reduce turns
// it off there too.
TEST(DevicePlaneState, OnlyTheTensorParallelGroupMayUseTheCustomAllreduce) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int disable : {0, 1}) {
    mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
    cfg.tensor_parallel_size = size;
    cfg.disable_custom_all_reduce = disable;
    mpcomm_state_t state = nullptr;
    ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state), MPCOMM_SUCCESS)
        << mpcomm_last_error();
    for (mpcomm_group_kind_t kind : {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_PP,
                                     MPCOMM_GROUP_DP, MPCOMM_GROUP_DCP, MPCOMM_GROUP_PCP}) {
      mpcomm_group_t group = nullptr;
      ASSERT_EQ(mpcomm_state_group(state, kind, &group), MPCOMM_SUCCESS);
      const std::string off = mpcomm::device::device_state(*group).custom_allreduce_off;
      if (kind == MPCOMM_GROUP_TP && !disable) {
        EXPECT_EQ(off, "");
      } else if (kind == MPCOMM_GROUP_TP) {
        EXPECT_EQ(off, "disable_custom_all_reduce is set");
      } else {
        EXPECT_TRUE(contains(off, "only the tensor-parallel group")) << kind << ": " << off;
      }
    }
    EXPECT_EQ(mpcomm_state_destroy(&state), MPCOMM_SUCCESS);
  }
}
