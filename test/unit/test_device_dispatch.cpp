// The GPU data plane's dispatch rules as functions of the facts they read: why a group may not
// use the custom allreduce (vLLM's checks in vLLM's order), whether one call qualifies
// (should_custom_ar), the size limit from MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE, and the path an
// all_reduce takes (_all_reduce: custom, else NCCL; a group of one copies).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "comm/comm.hpp"
#include "core/error.hpp"
#include "device/custom_allreduce_eligibility.hpp"
#include "scoped_env.hpp"

using namespace mpcomm::device;

namespace {

using mpcomm::test::ScopedEnv;

constexpr size_t MiB = size_t{1} << 20;

// Facts of a group that passes every check: 4 GPUs on one node, all NVLink, P2P verified.
EligibilityFacts good_facts(int world_size = 4) {
  EligibilityFacts f;
  f.library_available = true;
  f.single_node = true;
  f.world_size = world_size;
  f.fully_nvlink = true;
  f.nvml_available = true;
  f.p2p_ok = true;
  return f;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Eligibility, EligibleGroup) {
  for (int ws : {2, 4, 6, 8}) {
    Eligibility e = check_eligibility(good_facts(ws));
    EXPECT_TRUE(e.eligible) << ws;
    EXPECT_EQ(e.reason, "");
  }
}

TEST(Eligibility, MissingLibraryComesFirst) {
  EligibilityFacts f = good_facts();
  f.library_available = false;
  f.single_node = false;
  f.world_size = 3;
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(e.worth_logging);
  EXPECT_TRUE(contains(e.reason, "missing custom allreduce library")) << e.reason;
}

TEST(Eligibility, ConfigurationTurnsItOff) {
  EligibilityFacts f = good_facts();
  f.disabled_by_config = "disable_custom_all_reduce is set";
  f.single_node = false;  // the configuration is checked before the node
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(contains(e.reason, "disabled by configuration: disable_custom_all_reduce is set"))
      << e.reason;
}

TEST(Eligibility, SpansNodes) {
  EligibilityFacts f = good_facts();
  f.single_node = false;
  f.world_size = 5;  // the node check comes before the world size
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(contains(e.reason, "spans across nodes")) << e.reason;
}

TEST(Eligibility, GroupOfOneIsQuiet) {
  Eligibility e = check_eligibility(good_facts(1));
  EXPECT_FALSE(e.eligible);
  EXPECT_FALSE(e.worth_logging);  // vLLM logs nothing for a single GPU
  EXPECT_FALSE(e.reason.empty());
}

TEST(Eligibility, UnsupportedWorldSizes) {
  for (int ws : {3, 5, 7, 9, 16}) {
    EligibilityFacts f = good_facts(ws);
    Eligibility e = check_eligibility(f);
    EXPECT_FALSE(e.eligible) << ws;
    EXPECT_TRUE(contains(e.reason, "unsupported world size: " + std::to_string(ws)) &&
                contains(e.reason, "[2, 4, 6, 8]"))
        << e.reason;
  }
}

TEST(Eligibility, MoreThanTwoGpusNeedFullNvlink) {
  EligibilityFacts f = good_facts(4);
  f.fully_nvlink = false;
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(contains(e.reason, "more than two PCIe-only GPUs")) << e.reason;
  EXPECT_TRUE(contains(e.reason, "without NVLink")) << e.reason;

  // Two GPUs need no NVLink (PCIe P2P is enough), as in vLLM.
  f.world_size = 2;
  EXPECT_TRUE(check_eligibility(f).eligible);
}

TEST(Eligibility, WithoutNvmlNvlinkIsNotAssumed) {
  EligibilityFacts f = good_facts(8);
  f.fully_nvlink = false;
  f.nvml_available = false;
  f.nvml_unavailable_reason = "libnvidia-ml.so.1: cannot open shared object file";
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(contains(e.reason, "NVML is not available (libnvidia-ml.so.1")) << e.reason;
}

TEST(Eligibility, P2pFailureNamesTheProblem) {
  EligibilityFacts f = good_facts(2);
  f.p2p_ok = false;
  f.p2p_problem = "CUDA reports no peer access from device 0 to 1";
  Eligibility e = check_eligibility(f);
  EXPECT_FALSE(e.eligible);
  EXPECT_TRUE(contains(e.reason, "lacks GPU P2P capability or P2P test failed")) << e.reason;
  EXPECT_TRUE(contains(e.reason, "no peer access from device 0 to 1")) << e.reason;
}

TEST(ShouldCustomAr, TheSeedsRules) {
  const size_t max = 8 * MiB;
  // 16-byte multiples below max_size, contiguous, sum of a supported type: yes.
  EXPECT_TRUE(should_custom_ar(16, true, max, 2, false, MPCOMM_FLOAT16, MPCOMM_SUM));
  EXPECT_TRUE(should_custom_ar(max - 16, true, max, 4, true, MPCOMM_BFLOAT16, MPCOMM_SUM));
  EXPECT_TRUE(should_custom_ar(4096, true, max, 8, true, MPCOMM_FLOAT32, MPCOMM_SUM));
  EXPECT_TRUE(should_custom_ar(0, true, max, 2, false, MPCOMM_FLOAT32, MPCOMM_SUM));
  // Strictly below max_size.
  EXPECT_FALSE(should_custom_ar(max, true, max, 2, true, MPCOMM_FLOAT32, MPCOMM_SUM));
  // Not a multiple of 16 bytes.
  EXPECT_FALSE(should_custom_ar(8, true, max, 2, true, MPCOMM_FLOAT32, MPCOMM_SUM));
  EXPECT_FALSE(should_custom_ar(4098, true, max, 2, true, MPCOMM_FLOAT16, MPCOMM_SUM));
  // Not contiguous.
  EXPECT_FALSE(should_custom_ar(4096, false, max, 2, true, MPCOMM_FLOAT32, MPCOMM_SUM));
  // More than two GPUs without full NVLink: never.
  EXPECT_FALSE(should_custom_ar(4096, true, max, 4, false, MPCOMM_FLOAT32, MPCOMM_SUM));
  // Types and operations the kernels do not have.
  for (mpcomm_datatype_t t :
       {MPCOMM_INT8, MPCOMM_UINT8, MPCOMM_INT32, MPCOMM_INT64, MPCOMM_FLOAT64})
    EXPECT_FALSE(should_custom_ar(4096, true, max, 2, true, t, MPCOMM_SUM)) << t;
  for (mpcomm_op_t op : {MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG})
    EXPECT_FALSE(should_custom_ar(4096, true, max, 2, true, MPCOMM_FLOAT32, op)) << op;
}

TEST(MaxSize, DefaultAndOverride) {
  {
    ScopedEnv unset("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", nullptr);
    EXPECT_EQ(custom_allreduce_max_size(), 8 * MiB);
  }
  {
    ScopedEnv set("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", "1048576");
    EXPECT_EQ(custom_allreduce_max_size(), MiB);
  }
  {
    ScopedEnv set("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", "16");
    EXPECT_EQ(custom_allreduce_max_size(), 16u);
  }
}

TEST(MaxSize, MalformedValuesNameTheVariable) {
  for (const char *bad : {"abc", "0", "-16", "8", "24", "4294967296", "1e6"}) {
    ScopedEnv set("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", bad);
    try {
      custom_allreduce_max_size();
      ADD_FAILURE() << bad << " was accepted";
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT) << bad;
      EXPECT_TRUE(contains(e.what(), "MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE")) << e.what();
      EXPECT_TRUE(contains(e.what(), bad)) << e.what();
    }
  }
}

TEST(Dispatch, AutoFollowsAllReduce) {
  // _all_reduce: the custom allreduce when the group is eligible and the call qualifies.
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Auto, 4, true, true, ""), DevicePath::Custom);
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Auto, 4, true, false, "too big"),
            DevicePath::Nccl);
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Auto, 4, false, false, "spans nodes"),
            DevicePath::Nccl);
  // A group of one copies, whatever else holds.
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Auto, 1, false, false, "one"), DevicePath::Copy);
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Nccl, 1, false, false, "one"), DevicePath::Copy);
}

TEST(Dispatch, ForcedPaths) {
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Nccl, 2, true, true, ""), DevicePath::Nccl);
  EXPECT_EQ(choose_all_reduce_path(AllReduceAlgo::Custom, 2, true, true, ""), DevicePath::Custom);
  try {
    choose_all_reduce_path(AllReduceAlgo::Custom, 4, false, false,
                           "custom allreduce is disabled because this process group spans "
                           "across nodes");
    ADD_FAILURE() << "a forced custom allreduce on an ineligible group was accepted";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_NOT_SUPPORTED);
    EXPECT_TRUE(contains(e.what(), "spans across nodes")) << e.what();
  }
  try {
    choose_all_reduce_path(AllReduceAlgo::Custom, 1, false, false, "x");
    ADD_FAILURE() << "a forced custom allreduce on a group of one was accepted";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_NOT_SUPPORTED);
    EXPECT_TRUE(contains(e.what(), "group of one")) << e.what();
  }
}

TEST(Dispatch, Names) {
  EXPECT_STREQ(device_path_name(DevicePath::Copy), "copy");
  EXPECT_STREQ(device_path_name(DevicePath::Custom), "custom");
  EXPECT_STREQ(device_path_name(DevicePath::Nccl), "nccl");
  AllReduceAlgo a = AllReduceAlgo::Auto;
  EXPECT_TRUE(parse_all_reduce_algo("NCCL", &a));
  EXPECT_EQ(a, AllReduceAlgo::Nccl);
  EXPECT_TRUE(parse_all_reduce_algo("custom", &a));
  EXPECT_EQ(a, AllReduceAlgo::Custom);
  EXPECT_TRUE(parse_all_reduce_algo("Auto", &a));
  EXPECT_EQ(a, AllReduceAlgo::Auto);
  EXPECT_FALSE(parse_all_reduce_algo("mpi", &a));
  EXPECT_FALSE(parse_all_reduce_algo("", &a));
}

// Which failures break the group on the device plane (comm/comm.hpp's rule): NCCL errors and
// timeouts on any path, every failure once the members committed to the custom allreduce (their
// kernels pair up by call count), nothing else.
TEST(FailureRule, TheCustomPathBreaksOnAnyFailure) {
  using mpcomm::breaks_comm;
  using mpcomm::Plane;
  for (mpcomm_status_t status : {MPCOMM_ERR_CUDA, MPCOMM_ERR_INTERNAL, MPCOMM_ERR_NO_MEMORY,
                                 MPCOMM_ERR_NCCL, MPCOMM_ERR_TIMEOUT})
    EXPECT_TRUE(breaks_comm(Plane::kPairedKernels, status)) << status;
  EXPECT_TRUE(breaks_comm(Plane::kDevice, MPCOMM_ERR_NCCL));
  EXPECT_TRUE(breaks_comm(Plane::kDevice, MPCOMM_ERR_TIMEOUT));
  EXPECT_FALSE(breaks_comm(Plane::kDevice, MPCOMM_ERR_CUDA));
  EXPECT_FALSE(breaks_comm(Plane::kDevice, MPCOMM_ERR_NOT_SUPPORTED));
  EXPECT_FALSE(breaks_comm(Plane::kDevice, MPCOMM_ERR_INVALID_ARGUMENT));
}
