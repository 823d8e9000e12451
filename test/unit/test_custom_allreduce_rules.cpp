// The custom allreduce rules that need no GPU: algorithm choice and its environment override,
// block counts, scratch size, and the argument checks that run before any launch.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/env.hpp"
#include "core/error.hpp"
#include "device/custom_allreduce_algo.hpp"
#include "kernels/custom_allreduce_rules.h"
#include "scoped_env.hpp"

using namespace mpcomm::kernels;

namespace {

using mpcomm::test::ScopedEnv;

constexpr std::size_t KiB = 1024, MiB = 1024 * 1024;

// Fake device addresses: the checks compare and align them, never dereference them.
template <class T = void>
T *at(std::uintptr_t address) {
  return reinterpret_cast<T *>(address);
}

// A valid world of `world` ranks: inputs, signals and scratch 1 MiB apart.
PeerBuffers fake_peers(int world, std::size_t scratch_bytes = 1 * MiB) {
  PeerBuffers peers;
  for (int r = 0; r < world; ++r) {
    peers.inputs[r] = at(0x10000000 + r * 0x100000);
    peers.signals[r] = at<Signal>(0x20000000 + r * 0x100000);
    peers.scratch[r] = at(0x30000000 + r * 0x100000);
  }
  peers.scratch_bytes = scratch_bytes;
  return peers;
}
void *const kOut = at(0x40000000);

}  // namespace

TEST(CustomAllreduceRules, AlgorithmBySizeAndWorld) {
  for (std::size_t bytes : {16 * KiB, 256 * KiB, 512 * KiB, 8 * MiB, 64 * MiB})
    EXPECT_EQ(choose_algorithm(bytes, 2), Algorithm::OneShot) << bytes;
  EXPECT_EQ(choose_algorithm(16, 4), Algorithm::OneShot);
  EXPECT_EQ(choose_algorithm(512 * KiB - 16, 4), Algorithm::OneShot);
  EXPECT_EQ(choose_algorithm(512 * KiB, 4), Algorithm::TwoShot);
  for (int world : {6, 8}) {
    EXPECT_EQ(choose_algorithm(16, world), Algorithm::OneShot) << world;
    EXPECT_EQ(choose_algorithm(256 * KiB - 16, world), Algorithm::OneShot) << world;
    EXPECT_EQ(choose_algorithm(256 * KiB, world), Algorithm::TwoShot) << world;
    EXPECT_EQ(choose_algorithm(8 * MiB, world), Algorithm::TwoShot) << world;
  }
}

TEST(CustomAllreduceRules, NamesAndParsing) {
  EXPECT_EQ(dtype_size(DType::Float32), 4u);
  EXPECT_EQ(dtype_size(DType::Float16), 2u);
  EXPECT_EQ(dtype_size(DType::BFloat16), 2u);
  EXPECT_EQ(dtype_size(static_cast<DType>(9)), 0u);
  EXPECT_STREQ(dtype_name(DType::BFloat16), "bfloat16");
  EXPECT_STREQ(dtype_name(static_cast<DType>(9)), "unknown");
  EXPECT_STREQ(algorithm_name(Algorithm::OneShot), "oneshot");
  EXPECT_STREQ(algorithm_name(Algorithm::TwoShot), "twoshot");
  Algorithm algo = Algorithm::TwoShot;
  EXPECT_TRUE(parse_algorithm("OneShot", &algo));
  EXPECT_EQ(algo, Algorithm::OneShot);
  EXPECT_TRUE(parse_algorithm("twoshot", &algo));
  EXPECT_EQ(algo, Algorithm::TwoShot);
  for (const char *bad : {"", "1stage", "two-shot", "oneshot "}) {
    EXPECT_FALSE(parse_algorithm(bad, &algo)) << bad;
    EXPECT_EQ(algo, Algorithm::TwoShot) << "a rejected name must leave the value alone";
  }
  for (int w : {2, 4, 6, 8}) EXPECT_TRUE(supported_world_size(w)) << w;
  for (int w : {-2, 0, 1, 3, 5, 7, 9, 16}) EXPECT_FALSE(supported_world_size(w)) << w;
}

TEST(CustomAllreduceRules, PacksBlocksAndScratch) {
  EXPECT_EQ(pack_count(DType::Float32, 4), 1u);
  EXPECT_EQ(pack_count(DType::Float32, 3), 0u);
  EXPECT_EQ(pack_count(DType::Float16, 8), 1u);
  EXPECT_EQ(pack_count(DType::BFloat16, 24), 3u);
  EXPECT_EQ(pack_count(DType::Float32, std::numeric_limits<std::size_t>::max()), 0u);

  EXPECT_EQ(blocks_per_rank(0), 1);
  EXPECT_EQ(blocks_per_rank(1), 1);
  EXPECT_EQ(blocks_per_rank(kThreadsPerBlock), 1);
  EXPECT_EQ(blocks_per_rank(kThreadsPerBlock + 1), 2);
  EXPECT_EQ(blocks_per_rank(8 * MiB / kPackBytes), kMaxBlocksPerRank);

  // 132 SMs x 2 blocks: 8 ranks fit 33 blocks each.
  EXPECT_EQ(simulated_blocks_per_rank(8 * MiB / kPackBytes, 8, 264), 33);
  EXPECT_EQ(simulated_blocks_per_rank(8 * MiB / kPackBytes, 2, 264), kMaxBlocksPerRank);
  EXPECT_EQ(simulated_blocks_per_rank(1, 8, 264), 1);
  EXPECT_EQ(simulated_blocks_per_rank(8 * MiB / kPackBytes, 6, 20), 3);
  EXPECT_EQ(simulated_blocks_per_rank(1, 8, 7), 0) << "not even one block per rank fits";
  EXPECT_EQ(simulated_blocks_per_rank(1, 8, 0), 0);

  // The last rank takes the remainder: 10 packs over 4 ranks are 2, 2, 2, 4.
  EXPECT_EQ(two_shot_scratch_bytes(10 * kPackBytes, 4), 4 * kPackBytes);
  EXPECT_EQ(two_shot_scratch_bytes(8 * kPackBytes, 4), 2 * kPackBytes);
  EXPECT_EQ(two_shot_scratch_bytes(1 * kPackBytes, 8), 1 * kPackBytes);
  EXPECT_EQ(two_shot_scratch_bytes(8 * MiB, 6), (8 * MiB / 16 / 6 + 8 * MiB / 16 % 6) * 16);
}

TEST(CustomAllreduceRules, SignalLayout) {
  EXPECT_EQ(kSignalAlignment, 128u);
  EXPECT_EQ(sizeof(Signal) % 128, 0u);
  EXPECT_GE(sizeof(Signal), 2 * kMaxBlocksPerRank * kMaxRanks * 4 + kMaxBlocksPerRank * 4);
}

TEST(CustomAllreduceRules, ValidArgumentsPass) {
  for (int world : {2, 4, 6, 8})
    for (Algorithm algo : {Algorithm::OneShot, Algorithm::TwoShot})
      for (int rank = 0; rank < world; ++rank) {
        EXPECT_EQ(
            check_allreduce_args(DType::Float16, algo, world, rank, fake_peers(world), kOut, 1024),
            "");
        EXPECT_EQ(
            check_allreduce_args(DType::Float32, algo, world, rank, fake_peers(world), kOut, 0), "")
            << "count 0 is a valid no-op";
      }
  // One-shot needs no scratch at all.
  PeerBuffers no_scratch = fake_peers(4, 0);
  for (auto &s : no_scratch.scratch) s = nullptr;
  EXPECT_EQ(check_allreduce_args(DType::BFloat16, Algorithm::OneShot, 4, 1, no_scratch, kOut, 8),
            "");
}

// Runs the check and expects a message containing every one of `words`.
void expect_rejected(const std::string &message, std::initializer_list<const char *> words) {
  EXPECT_FALSE(message.empty());
  for (const char *w : words) EXPECT_NE(message.find(w), std::string::npos) << message;
}

TEST(CustomAllreduceRules, BadArgumentsAreNamed) {
  const PeerBuffers ok = fake_peers(4);
  const auto one = Algorithm::OneShot, two = Algorithm::TwoShot;
  expect_rejected(check_allreduce_args(static_cast<DType>(7), one, 4, 0, ok, kOut, 8),
                  {"dtype", "7"});
  expect_rejected(
      check_allreduce_args(DType::Float32, static_cast<Algorithm>(5), 4, 0, ok, kOut, 8),
      {"algorithm", "5"});
  for (int world : {-1, 0, 1, 3, 5, 7, 9})
    expect_rejected(check_allreduce_args(DType::Float32, one, world, 0, ok, kOut, 8),
                    {"world_size", std::to_string(world).c_str()});
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, -1, ok, kOut, 8), {"rank", "-1"});
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 4, ok, kOut, 8), {"rank", "4"});
  // 7 float16 are 14 bytes, 3 float32 are 12: not whole packs.
  expect_rejected(check_allreduce_args(DType::Float16, one, 4, 0, ok, kOut, 7),
                  {"multiple of 16", "14"});
  expect_rejected(check_allreduce_args(DType::Float32, two, 4, 0, ok, kOut, 3),
                  {"multiple of 16", "12"});
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, ok, kOut,
                                       std::numeric_limits<std::size_t>::max() / 2),
                  {"overflows"});
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, ok, nullptr, 8), {"out", "NULL"});
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, ok, at(0x40000008), 8),
                  {"out", "aligned"});

  PeerBuffers p = ok;
  p.inputs[3] = nullptr;
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, p, kOut, 8),
                  {"inputs[3]", "NULL"});
  p = ok;
  p.inputs[2] = at(0x10200004);
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, p, kOut, 8),
                  {"inputs[2]", "aligned"});
  p = ok;
  p.signals[1] = nullptr;
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, p, kOut, 8),
                  {"signals[1]", "NULL"});
  p = ok;
  p.signals[1] = at<Signal>(0x20100040);
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, p, kOut, 8),
                  {"signals[1]", "128-byte"});
  p = ok;
  p.scratch[0] = nullptr;
  expect_rejected(check_allreduce_args(DType::Float32, two, 4, 0, p, kOut, 8),
                  {"scratch[0]", "NULL"});
  p = ok;
  p.scratch[1] = at(0x30100008);
  expect_rejected(check_allreduce_args(DType::Float32, two, 4, 0, p, kOut, 8),
                  {"scratch[1]", "aligned"});
  // 40 float32 = 10 packs over 4 ranks: the last rank's slice needs 64 bytes.
  p = fake_peers(4, 48);
  expect_rejected(check_allreduce_args(DType::Float32, two, 4, 0, p, kOut, 40),
                  {"scratch_bytes", "64", "48"});
  EXPECT_EQ(check_allreduce_args(DType::Float32, two, 4, 0, fake_peers(4, 64), kOut, 40), "");
}

TEST(CustomAllreduceRules, OutputMustNotOverlapAnotherBuffer) {
  const PeerBuffers ok = fake_peers(4);
  const auto one = Algorithm::OneShot, two = Algorithm::TwoShot;
  // In place (out == own input) is refused: peers read the input while out is written.
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 2, ok, ok.inputs[2], 64),
                  {"overlaps inputs[2]", "out of place"});
  // A partial overlap with a peer's input, 16 bytes into a 256-byte buffer.
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, ok, at(0x10100000 - 16), 64),
                  {"overlaps inputs[1]"});
  EXPECT_EQ(check_allreduce_args(DType::Float32, one, 4, 0, ok, at(0x10100000 - 256), 64), "")
      << "ends exactly where inputs[1] begins";
  expect_rejected(check_allreduce_args(DType::Float32, one, 4, 0, ok, ok.signals[3], 64),
                  {"overlaps signals[3]"});
  expect_rejected(check_allreduce_args(DType::Float32, two, 4, 0, ok, ok.scratch[0], 64),
                  {"overlaps scratch[0]"});
}

namespace {

// The algorithm a call of `bytes` on `world` ranks takes under the variable's current value.
Algorithm chosen(size_t bytes, int world) {
  return mpcomm::device::choose_custom_allreduce_algorithm(
      mpcomm::device::custom_allreduce_algo_setting(), bytes, world);
}

}  // namespace

TEST(CustomAllreduceAlgoEnv, UnsetOrAutoFollowsTheRule) {
  for (const char *value : {static_cast<const char *>(nullptr), "", "auto", "AUTO"}) {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", value);
    EXPECT_EQ(chosen(8 * MiB, 8), Algorithm::TwoShot);
    EXPECT_EQ(chosen(8 * MiB, 2), Algorithm::OneShot);
    EXPECT_EQ(chosen(4 * KiB, 8), Algorithm::OneShot);
  }
}

TEST(CustomAllreduceAlgoEnv, ForcesOneAlgorithmAtEverySize) {
  {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", "oneshot");
    EXPECT_EQ(chosen(8 * MiB, 8), Algorithm::OneShot);
  }
  {
    ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", "TwoShot");
    EXPECT_EQ(chosen(16, 2), Algorithm::TwoShot);
    EXPECT_EQ(chosen(4 * KiB, 8), Algorithm::TwoShot);
  }
}

TEST(CustomAllreduceAlgoEnv, MalformedValueIsAnErrorNamingIt) {
  ScopedEnv env("MPCOMM_CUSTOM_ALLREDUCE_ALGO", "2stage");
  try {
    mpcomm::device::custom_allreduce_algo_setting();
    FAIL() << "expected an error";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    const std::string what = e.what();
    EXPECT_NE(what.find("MPCOMM_CUSTOM_ALLREDUCE_ALGO"), std::string::npos) << what;
    EXPECT_NE(what.find("2stage"), std::string::npos) << what;
    EXPECT_NE(what.find("oneshot"), std::string::npos) << what;
  }
}

TEST(CustomAllreduceAlgoEnv, VariableIsRegistered) {
  bool found = false;
  for (const auto &v : mpcomm::env::variables())
    if (std::string(v.name) == "MPCOMM_CUSTOM_ALLREDUCE_ALGO") {
      found = true;
      EXPECT_STREQ(v.default_value, "auto");
    }
  EXPECT_TRUE(found);
}
