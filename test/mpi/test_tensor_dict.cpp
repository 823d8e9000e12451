// Tensor dicts across processes, one message per dict (packed) and a message per tensor (the pack
// limit forced to 0): broadcast from group rank 0 and from the last rank, a send/recv ring with
// the default ranks, every dtype, empty tensors among non-empty ones, an 8 MiB tensor in chunks,
// metadata longer than a chunk, received tensors owned by the library (dtype, shape, kCPU, 64-byte
// aligned); reuse of the receiving dict's memory (same pointers for the same structure); the
// packing limit, at and just over it; the all_gather_group path of a TP x PP state (each TP rank
// sends its 1/tp slice, the receivers all-gather); and failures: bad arguments, a device tensor
// without a device plane (refused before any message), malformed messages sent with raw MPI on
// the tensor dict tags (MALFORMED, no crash), slices the receiver cannot all-gather, a sender
// that never comes (TIMEOUT, *dict untouched), and what a receive that fails half-way leaves in
// *dict.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/entry.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"
#include "tensordict/dict_message.hpp"
#include "tensordict/metadata.hpp"
#include "tensordict/tensor_dict.hpp"
#include "tensordict/transfer.hpp"

using namespace grouptest;
namespace td = mpcomm::tensordict;

namespace {

// Whether the tests run in checking mode (MPCOMM_CHECK=1), where a collective's members all fail
// when one fails its own checks.
bool checking() {
  const char *check = std::getenv("MPCOMM_CHECK");
  return check != nullptr && std::string(check) == "1";
}

// The pack limit of the environment (the default), and none: every dict a message per tensor.
constexpr size_t kPackDefault = SIZE_MAX;
constexpr size_t kNeverPack = 0;

struct DictHolder {
  mpcomm_tensor_dict_t d = nullptr;
  DictHolder() = default;
  DictHolder(const DictHolder &) = delete;
  DictHolder &operator=(const DictHolder &) = delete;
  ~DictHolder() { mpcomm_tensor_dict_free(&d); }
};

const DLDataType kTypes[] = {{kDLInt, 8, 1},    {kDLUInt, 8, 1},   {kDLInt, 32, 1},
                             {kDLInt, 64, 1},   {kDLFloat, 16, 1}, {kDLBfloat, 16, 1},
                             {kDLFloat, 32, 1}, {kDLFloat, 64, 1}};

size_t element_bytes(DLDataType t) { return t.bits / 8u; }

DLTensor cpu_tensor(void *data, int64_t *shape, int ndim, DLDataType dtype) {
  DLTensor t{};
  t.data = data;
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = ndim;
  t.shape = shape;
  t.dtype = dtype;
  return t;
}

// The tensors of a test dict and the storage they borrow.
struct Source {
  struct Tensor {
    std::string key;
    std::vector<int64_t> shape;
    DLDataType dtype;
    std::vector<char> bytes;
  };
  std::vector<Tensor> tensors;
  DictHolder dict;
};

size_t numel_of(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t e : shape) n *= static_cast<size_t>(e);
  return n;
}

// Every kind; a tensor of each dtype, an empty one, a scalar, and optionally a large one. The
// contents depend on id, so a dict from the wrong sender shows.
std::unique_ptr<Source> make_source(unsigned id, size_t large_bytes = 0) {
  auto src = std::make_unique<Source>();
  unsigned k = 0;
  for (DLDataType t : kTypes) src->tensors.push_back({"t" + std::to_string(k++), {3, 5}, t, {}});
  src->tensors.push_back({"empty", {0, 4}, kTypes[6], {}});
  src->tensors.push_back({"scalar", {}, kTypes[3], {}});
  if (large_bytes)
    src->tensors.push_back({"large", {static_cast<int64_t>(large_bytes)}, kTypes[1], {}});
  EXPECT_EQ(mpcomm_tensor_dict_create(&src->dict.d), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_tensor_dict_set_int(src->dict.d, "step", 1000 + id), MPCOMM_SUCCESS);
  for (size_t i = 0; i < src->tensors.size(); ++i) {
    auto &t = src->tensors[i];
    t.bytes = object_bytes(numel_of(t.shape) * element_bytes(t.dtype), id + unsigned(i));
    DLTensor dl{};
    dl.data = t.bytes.empty() ? nullptr : t.bytes.data();
    dl.device = DLDevice{kDLCPU, 0};
    dl.ndim = static_cast<int>(t.shape.size());
    dl.dtype = t.dtype;
    dl.shape = t.shape.empty() ? nullptr : t.shape.data();
    EXPECT_EQ(mpcomm_tensor_dict_set_tensor(src->dict.d, t.key.c_str(), &dl), MPCOMM_SUCCESS)
        << last_error();
    if (i == 2) {  // small values between the tensors: the order is the dict's
      EXPECT_EQ(mpcomm_tensor_dict_set_double(src->dict.d, "temperature", 0.5 + id),
                MPCOMM_SUCCESS);
      EXPECT_EQ(mpcomm_tensor_dict_set_bool(src->dict.d, "is_prompt", int(id % 2)), MPCOMM_SUCCESS);
    }
  }
  const std::string name = "request-" + std::to_string(id);
  EXPECT_EQ(mpcomm_tensor_dict_set_string(src->dict.d, "name", name.c_str()), MPCOMM_SUCCESS);
  EXPECT_EQ(mpcomm_tensor_dict_set_bytes(src->dict.d, "blob", name.data(), name.size()),
            MPCOMM_SUCCESS);
  return src;
}

// got holds exactly what make_source(id) put in, in the same order, with kCPU tensors that are
// the library's (64-byte aligned) when `received`.
void expect_dict(mpcomm_tensor_dict_t got, const Source &want, unsigned id, bool received = true) {
  ASSERT_NE(got, nullptr);
  size_t n = 0, want_n = 0;
  ASSERT_EQ(mpcomm_tensor_dict_size(got, &n), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_size(want.dict.d, &want_n), MPCOMM_SUCCESS);
  ASSERT_EQ(n, want_n);
  for (size_t i = 0; i < n; ++i) {
    const char *a = nullptr, *b = nullptr;
    ASSERT_EQ(mpcomm_tensor_dict_key_at(got, i, &a), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_key_at(want.dict.d, i, &b), MPCOMM_SUCCESS);
    EXPECT_STREQ(a, b) << "key " << i;
  }
  int64_t step = 0;
  double temperature = 0;
  int flag = -1;
  const char *name = nullptr;
  const void *blob = nullptr;
  size_t blob_len = 0;
  EXPECT_EQ(mpcomm_tensor_dict_get_int(got, "step", &step), MPCOMM_SUCCESS);
  EXPECT_EQ(step, 1000 + id);
  EXPECT_EQ(mpcomm_tensor_dict_get_double(got, "temperature", &temperature), MPCOMM_SUCCESS);
  EXPECT_EQ(temperature, 0.5 + id);
  EXPECT_EQ(mpcomm_tensor_dict_get_bool(got, "is_prompt", &flag), MPCOMM_SUCCESS);
  EXPECT_EQ(flag, int(id % 2));
  const std::string want_name = "request-" + std::to_string(id);
  EXPECT_EQ(mpcomm_tensor_dict_get_string(got, "name", &name), MPCOMM_SUCCESS);
  EXPECT_EQ(std::string(name ? name : ""), want_name);
  EXPECT_EQ(mpcomm_tensor_dict_get_bytes(got, "blob", &blob, &blob_len), MPCOMM_SUCCESS);
  EXPECT_EQ(std::string(static_cast<const char *>(blob), blob_len), want_name);
  for (const auto &t : want.tensors) {
    const DLTensor *dl = nullptr;
    ASSERT_EQ(mpcomm_tensor_dict_get_tensor(got, t.key.c_str(), &dl), MPCOMM_SUCCESS)
        << last_error();
    EXPECT_EQ(dl->device.device_type, kDLCPU);
    EXPECT_EQ(dl->dtype.code, t.dtype.code) << t.key;
    EXPECT_EQ(dl->dtype.bits, t.dtype.bits) << t.key;
    EXPECT_EQ(dl->dtype.lanes, 1);
    ASSERT_EQ(dl->ndim, static_cast<int>(t.shape.size())) << t.key;
    EXPECT_EQ(std::vector<int64_t>(dl->shape, dl->shape + dl->ndim), t.shape) << t.key;
    EXPECT_EQ(dl->strides, nullptr);
    if (t.bytes.empty()) continue;
    ASSERT_NE(dl->data, nullptr) << t.key;
    if (received) {
      EXPECT_NE(dl->data, static_cast<const void *>(t.bytes.data()));  // the library's memory
      EXPECT_EQ(reinterpret_cast<uintptr_t>(dl->data) % 64, 0u);
    }
    EXPECT_EQ(std::memcmp(static_cast<const char *>(dl->data) + dl->byte_offset, t.bytes.data(),
                          t.bytes.size()),
              0)
        << "tensor " << t.key << " differs";
  }
}

class TensorDict : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &world.g), MPCOMM_SUCCESS) << last_error();
    ASSERT_EQ(mpcomm_group_set_timeout(world.g, 20), MPCOMM_SUCCESS);
    rank = world_rank();
    size = world_size();
  }
  void TearDown() override {
    mpcomm::protocol::set_chunk_bytes_for_testing(0);
    td::set_pack_limit_for_testing(kPackDefault);
  }
  GroupHolder world;
  int rank = 0, size = 1;
};

TEST_F(TensorDict, BroadcastFromRankZeroAndFromTheLastRank) {
  for (size_t limit : {kPackDefault, kNeverPack})
    for (int src : {0, size - 1}) {
      td::set_pack_limit_for_testing(limit);
      const unsigned id = 10u + unsigned(src);
      auto want = make_source(id);
      DictHolder got;
      mpcomm_tensor_dict_t *arg = rank == src ? &want->dict.d : &got.d;
      ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, src), MPCOMM_SUCCESS) << last_error();
      if (rank == src) {
        expect_dict(want->dict.d, *want, id, false);  // the root's dict is its own, untouched
      } else {
        expect_dict(got.d, *want, id);
      }
    }
}

TEST_F(TensorDict, BroadcastReplacesAnExistingDictAndDefaultsToRankZero) {
  auto want = make_source(77);
  DictHolder got;
  ASSERT_EQ(mpcomm_tensor_dict_create(&got.d), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_string(got.d, "stale", "old"), MPCOMM_SUCCESS);
  const mpcomm_tensor_dict_t before = got.d;
  mpcomm_tensor_dict_t *arg = rank == 0 ? &want->dict.d : &got.d;
  ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, MPCOMM_RANK_DEFAULT), MPCOMM_SUCCESS)
      << last_error();
  if (rank != 0) {
    EXPECT_EQ(got.d, before);  // the same handle, new contents
    expect_dict(got.d, *want, 77);
    mpcomm_value_kind_t kind;
    EXPECT_EQ(mpcomm_tensor_dict_get_kind(got.d, "stale", &kind), MPCOMM_ERR_INVALID_ARGUMENT);
  }
}

TEST_F(TensorDict, SendRecvRingWithDefaultRanksAndALargeTensor) {
  // 8 MiB in 1 MiB chunks: the data plane's chunking (a chunk also caps the packed message).
  mpcomm::protocol::set_chunk_bytes_for_testing(size_t{1} << 20);
  auto mine = make_source(100u + unsigned(rank), size_t{8} << 20);
  auto want = make_source(100u + unsigned((rank + size - 1) % size), size_t{8} << 20);
  DictHolder got;
  auto send = [&] {
    ASSERT_EQ(mpcomm_send_tensor_dict(world.g, mine->dict.d, MPCOMM_RANK_DEFAULT, nullptr),
              MPCOMM_SUCCESS)
        << last_error();
  };
  auto recv = [&] {
    ASSERT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, MPCOMM_RANK_DEFAULT, nullptr),
              MPCOMM_SUCCESS)
        << last_error();
  };
  // Even ranks send first, odd ranks receive first (the world sizes tested are 1, 2 and 4).
  if (rank % 2 == 0) {
    send();
    recv();
  } else {
    recv();
    send();
  }
  if (size == 1) {
    EXPECT_EQ(got.d, nullptr);  // as vLLM: a group of one neither sends nor receives
  } else {
    expect_dict(got.d, *want, 100u + unsigned((rank + size - 1) % size));
  }
}

TEST_F(TensorDict, OnlyEmptyTensorsAndNoEntries) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  DictHolder dict;
  ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
  int64_t shape[3] = {2, 0, 7};
  DLTensor empty{};
  empty.device = DLDevice{kDLCPU, 0};
  empty.ndim = 3;
  empty.shape = shape;
  empty.dtype = kTypes[5];
  for (int round = 0; round < 2; ++round) {
    // Round 0: a dict with no entries; round 1: empty tensors only (metadata, no data).
    if (round == 1) {
      ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "a", &empty), MPCOMM_SUCCESS);
      ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "b", &empty), MPCOMM_SUCCESS);
    }
    if (rank == 0) {
      ASSERT_EQ(mpcomm_send_tensor_dict(world.g, dict.d, 1, nullptr), MPCOMM_SUCCESS)
          << last_error();
    } else if (rank == 1) {
      DictHolder got;
      ASSERT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, 0, nullptr), MPCOMM_SUCCESS)
          << last_error();
      size_t n = 9;
      ASSERT_EQ(mpcomm_tensor_dict_size(got.d, &n), MPCOMM_SUCCESS);
      ASSERT_EQ(n, round == 0 ? 0u : 2u);
      if (round == 1) {
        const DLTensor *t = nullptr;
        ASSERT_EQ(mpcomm_tensor_dict_get_tensor(got.d, "b", &t), MPCOMM_SUCCESS);
        EXPECT_EQ(t->ndim, 3);
        EXPECT_EQ(t->shape[2], 7);
        EXPECT_EQ(t->dtype.code, kDLBfloat);
      }
    }
  }
}

// The tensors of one key of a received dict.
const DLTensor *tensor_of(mpcomm_tensor_dict_t d, const char *key) {
  const DLTensor *t = nullptr;
  EXPECT_EQ(mpcomm_tensor_dict_get_tensor(d, key, &t), MPCOMM_SUCCESS)
      << key << ": " << last_error();
  return t;
}

// A dict of `count` float32 "a" (values from `seed`), an int64 [2, 3] "b" and an int "step".
struct ReuseSource {
  std::vector<float> a;
  std::vector<int64_t> b = std::vector<int64_t>(6);
  int64_t a_shape[1] = {0}, b_shape[2] = {2, 3};
  DictHolder dict;
  ReuseSource(size_t count, unsigned seed, DLDataType a_type = kTypes[6]) : a(count) {
    for (size_t i = 0; i < count; ++i) a[i] = static_cast<float>(seed * 1000 + i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<int64_t>(seed) * 7 + int64_t(i);
    a_shape[0] = static_cast<int64_t>(a_type.bits == 32 ? count : count / 2);
    EXPECT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
    const DLTensor ta = cpu_tensor(a.data(), a_shape, 1, a_type);
    const DLTensor tb = cpu_tensor(b.data(), b_shape, 2, kTypes[3]);
    EXPECT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "a", &ta), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "b", &tb), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm_tensor_dict_set_int(dict.d, "step", seed), MPCOMM_SUCCESS);
  }
  // got holds this source's values.
  void expect_in(mpcomm_tensor_dict_t got) const {
    const DLTensor *ta = tensor_of(got, "a"), *tb = tensor_of(got, "b");
    ASSERT_TRUE(ta && tb);
    ASSERT_EQ(ta->shape[0], a_shape[0]);
    EXPECT_EQ(std::memcmp(ta->data, a.data(), a.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(tb->data, b.data(), b.size() * sizeof(int64_t)), 0);
  }
};

// vLLM's hot loop receives the same structure every step into the same dict: its memory is
// reused (same data pointers, fresh contents). A message per tensor: a tensor whose shape or
// dtype changed gets a new buffer. One message: the tensors stay in the dict's receive block,
// each at the same place while the structure is the same. Either way a tensor the caller set
// (borrowed) is never written into.
TEST_F(TensorDict, ReceiveReusesTheBuffersOfTheSameStructure) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  for (size_t limit : {kPackDefault, kNeverPack})
    for (size_t count : {size_t{16}, size_t{1} << 18}) {  // small dicts and 1 MiB tensors
      td::set_pack_limit_for_testing(limit);
      const bool packed = limit != kNeverPack;
      for (bool broadcast : {true, false}) {
        DictHolder got;
        const bool receiver = broadcast ? rank != 0 : rank == 1;
        auto exchange = [&](const ReuseSource &src) {
          if (broadcast) {
            mpcomm_tensor_dict_t *arg =
                rank == 0 ? const_cast<mpcomm_tensor_dict_t *>(&src.dict.d) : &got.d;
            ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, 0), MPCOMM_SUCCESS)
                << last_error();
          } else if (rank == 0) {
            ASSERT_EQ(mpcomm_send_tensor_dict(world.g, src.dict.d, 1, nullptr), MPCOMM_SUCCESS)
                << last_error();
          } else if (rank == 1) {
            ASSERT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, 0, nullptr), MPCOMM_SUCCESS)
                << last_error();
          }
        };
        ReuseSource first(count, 1), second(count, 2), third(count, 3);
        ReuseSource retyped(count, 4, kTypes[7]);  // "a" as float64 of half the elements
        ReuseSource reshaped(count * 2, 5);
        exchange(first);
        const void *a = nullptr, *b = nullptr;
        if (receiver) {
          first.expect_in(got.d);
          a = tensor_of(got.d, "a")->data;
          b = tensor_of(got.d, "b")->data;
        }
        exchange(second);
        if (receiver) {
          second.expect_in(got.d);
          EXPECT_EQ(tensor_of(got.d, "a")->data, a) << "same structure: the buffer is reused";
          EXPECT_EQ(tensor_of(got.d, "b")->data, b);
        }
        exchange(retyped);
        if (receiver) {
          retyped.expect_in(got.d);
          EXPECT_EQ(tensor_of(got.d, "a")->dtype.bits, 64);
          if (!packed) {
            EXPECT_NE(tensor_of(got.d, "a")->data, a) << "a new dtype: a new buffer";
          }
          a = tensor_of(got.d, "a")->data;
        }
        exchange(reshaped);
        // A tensor the caller set under "b" is borrowed: the library never writes into it.
        std::vector<int64_t> mine(6, -1);
        int64_t shape[2] = {2, 3};
        const DLTensor t = cpu_tensor(mine.data(), shape, 2, kTypes[3]);
        if (receiver) {
          reshaped.expect_in(got.d);
          if (!packed) {
            EXPECT_NE(tensor_of(got.d, "a")->data, a) << "a new shape: a new buffer";
          }
          ASSERT_EQ(mpcomm_tensor_dict_set_tensor(got.d, "b", &t), MPCOMM_SUCCESS);
        }
        exchange(third);
        if (receiver) {
          third.expect_in(got.d);
          EXPECT_EQ(mine, std::vector<int64_t>(6, -1));
          EXPECT_NE(tensor_of(got.d, "b")->data, static_cast<void *>(mine.data()));
          for (const char *key : {"a", "b"})
            EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor_of(got.d, key)->data) % 64, 0u) << key;
        }
      }
    }
}

// vLLM's send-allgather between pipeline stages: stage 0 sends to stage 1 over the PP group with
// the TP group as all_gather_group. Each sender fills only its own slice correctly, so the
// receivers' tensors are right only if the slices went to the right places and were gathered.
TEST_F(TensorDict, AllGatherGroupBetweenPipelineStages) {
  if (size != 2 && size != 4) GTEST_SKIP() << "a TP x PP state of 2 stages needs 2 or 4 ranks";
  const int tp_size = size / 2;
  // 16-byte chunks: the slices travel, and are all-gathered, in several steps.
  mpcomm::protocol::set_chunk_bytes_for_testing(16);
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = tp_size;
  cfg.pipeline_parallel_size = 2;
  StateHolder state;
  ASSERT_EQ(mpcomm_state_create(MPI_COMM_WORLD, &cfg, &state.s), MPCOMM_SUCCESS) << last_error();
  mpcomm_group_t tp = nullptr, pp = nullptr;
  ASSERT_EQ(mpcomm_state_group(state.s, MPCOMM_GROUP_TP, &tp), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_state_group(state.s, MPCOMM_GROUP_PP, &pp), MPCOMM_SUCCESS);
  mpcomm_group_info_t tpi = MPCOMM_GROUP_INFO_INIT, ppi = MPCOMM_GROUP_INFO_INIT;
  ASSERT_EQ(mpcomm_group_info(tp, &tpi), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_info(pp, &ppi), MPCOMM_SUCCESS);
  ASSERT_EQ(tpi.size, tp_size);

  // hidden: 4 x 6 float32 (divisible by tp: sliced); odd: 3 int32 (whole unless tp == 1 or 3);
  // none: empty.
  std::vector<float> hidden(24);
  std::vector<int32_t> odd = {7, -8, 9};
  const size_t slice = hidden.size() / static_cast<size_t>(tp_size);
  for (size_t i = 0; i < hidden.size(); ++i) {
    const bool mine = i / slice == static_cast<size_t>(tpi.rank_in_group);
    hidden[i] = mine ? 0.25f * static_cast<float>(i) : -1e9f;  // others' slices are garbage
  }
  int64_t hidden_shape[2] = {4, 6}, odd_shape[1] = {3}, none_shape[2] = {0, 6};
  const DLTensor h = cpu_tensor(hidden.data(), hidden_shape, 2, kTypes[6]);
  const DLTensor o = cpu_tensor(odd.data(), odd_shape, 1, kTypes[2]);
  const DLTensor z = cpu_tensor(nullptr, none_shape, 2, kTypes[6]);

  if (ppi.rank_in_group == 0) {
    DictHolder dict;
    ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "hidden", &h), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "odd", &o), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "none", &z), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_int(dict.d, "tp_rank", tpi.rank_in_group), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_send_tensor_dict(pp, dict.d, MPCOMM_RANK_DEFAULT, tp), MPCOMM_SUCCESS)
        << last_error();
  } else {
    DictHolder got;
    ASSERT_EQ(mpcomm_recv_tensor_dict(pp, &got.d, MPCOMM_RANK_DEFAULT, tp), MPCOMM_SUCCESS)
        << last_error();
    int64_t sender_tp = -1;
    ASSERT_EQ(mpcomm_tensor_dict_get_int(got.d, "tp_rank", &sender_tp), MPCOMM_SUCCESS);
    EXPECT_EQ(sender_tp, tpi.rank_in_group);  // the PP peer holds the same TP rank
    const DLTensor *t = nullptr;
    ASSERT_EQ(mpcomm_tensor_dict_get_tensor(got.d, "hidden", &t), MPCOMM_SUCCESS);
    ASSERT_EQ(t->ndim, 2);
    EXPECT_EQ(t->shape[0], 4);
    EXPECT_EQ(t->shape[1], 6);
    const auto *values = static_cast<const float *>(t->data);
    for (size_t i = 0; i < hidden.size(); ++i)
      ASSERT_EQ(values[i], 0.25f * static_cast<float>(i)) << "element " << i;
    ASSERT_EQ(mpcomm_tensor_dict_get_tensor(got.d, "odd", &t), MPCOMM_SUCCESS);
    EXPECT_EQ(std::memcmp(t->data, odd.data(), sizeof(int32_t) * 3), 0);
    ASSERT_EQ(mpcomm_tensor_dict_get_tensor(got.d, "none", &t), MPCOMM_SUCCESS);
    EXPECT_EQ(t->shape[0], 0);
  }
}

TEST_F(TensorDict, BadArguments) {
  auto src = make_source(1);
  DictHolder got;
  EXPECT_EQ(mpcomm_send_tensor_dict(nullptr, src->dict.d, 0, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_send_tensor_dict(world.g, nullptr, 0, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("dict must not be NULL"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_recv_tensor_dict(world.g, nullptr, 0, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_broadcast_tensor_dict(world.g, nullptr, 0), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_send_tensor_dict(world.g, src->dict.d, size, nullptr),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("dst must be a rank in the group"), std::string::npos);
  EXPECT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, -2, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("got -2"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_broadcast_tensor_dict(world.g, &got.d, size), MPCOMM_ERR_INVALID_ARGUMENT);
  // At src, *dict must be a dict (checked before any message).
  mpcomm_tensor_dict_t none = nullptr;
  EXPECT_EQ(mpcomm_broadcast_tensor_dict(world.g, &none, rank), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("*dict must be a tensor dict at src"), std::string::npos);
  // A bad all_gather_group handle.
  alignas(64) unsigned char zeros[1024] = {};
  mpcomm_group_t not_a_group = reinterpret_cast<mpcomm_group_t>(zeros);
  EXPECT_EQ(mpcomm_send_tensor_dict(world.g, src->dict.d, 0, not_a_group),
            MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("all_gather_group"), std::string::npos) << last_error();
  if (size > 1) {
    EXPECT_EQ(mpcomm_send_tensor_dict(world.g, src->dict.d, rank, nullptr),
              MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("own rank"), std::string::npos) << last_error();
    EXPECT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, rank, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  }
  // Nothing was sent: the group is still in step.
  EXPECT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
}

TEST_F(TensorDict, DeviceTensorWithoutADevicePlaneIsRefusedBeforeAnyMessage) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder self;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_SELF, &self.g), MPCOMM_SUCCESS);
  if (mpcomm_group_device_init(self.g) != MPCOMM_ERR_NOT_SUPPORTED)
    GTEST_SKIP() << "this machine has a device plane";
  float x = 1;
  int64_t one = 1;
  DLTensor cuda{};
  cuda.data = &x;  // never touched: refused first
  cuda.device = DLDevice{kDLCUDA, 0};
  cuda.ndim = 1;
  cuda.shape = &one;
  cuda.dtype = kTypes[6];
  DictHolder dict;
  ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "cuda", &cuda), MPCOMM_SUCCESS);
  if (rank == 0) {
    EXPECT_EQ(mpcomm_send_tensor_dict(world.g, dict.d, 1, nullptr), MPCOMM_ERR_NOT_SUPPORTED);
    EXPECT_NE(last_error().find("mpcomm_send_tensor_dict: "), std::string::npos);
  }
  // A collective: in checking mode every member takes part and the others fail with the root
  // (INVALID_ARGUMENT naming its error); without it only the root calls, and fails alone.
  if (rank == 0 || checking()) {
    EXPECT_EQ(mpcomm_broadcast_tensor_dict(world.g, &dict.d, 0),
              rank == 0 ? MPCOMM_ERR_NOT_SUPPORTED : MPCOMM_ERR_INVALID_ARGUMENT)
        << last_error();
  }
  // No message went out and the group is usable: a host dict follows.
  auto src = make_source(5);
  if (rank == 0) {
    ASSERT_EQ(mpcomm_send_tensor_dict(world.g, src->dict.d, 1, nullptr), MPCOMM_SUCCESS)
        << last_error();
  } else if (rank == 1) {
    DictHolder got;
    ASSERT_EQ(mpcomm_recv_tensor_dict(world.g, &got.d, 0, nullptr), MPCOMM_SUCCESS) << last_error();
    expect_dict(got.d, *src, 5);
  }
}

// ------------------------------------------------------------------ raw messages

// A dict's first message as dict_message.hpp lays it out: the header h, then body.
std::vector<char> first_message(const td::MessageHeader &h, const std::string &body) {
  std::vector<char> m(td::kHeaderBytes + body.size(), 0);
  std::memcpy(m.data(), &h, sizeof h);
  if (!body.empty()) std::memcpy(m.data() + td::kHeaderBytes, body.data(), body.size());
  return m;
}

td::MessageHeader header(uint32_t flags, uint64_t tensor_bytes, uint64_t metadata_bytes,
                         uint32_t magic = td::kMessageMagic) {
  return td::MessageHeader{magic, flags, tensor_bytes, metadata_bytes};
}

td::TensorMeta tensor_meta(mpcomm_datatype_t dtype, std::vector<int64_t> shape,
                           bool on_device = false, int64_t slices = 1) {
  td::TensorMeta t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.on_device = on_device;
  t.slices = slices;
  return t;
}

std::string metadata_of(const std::vector<td::MetaItem> &items) {
  const std::vector<char> bytes = td::encode_metadata(items);
  return std::string(bytes.begin(), bytes.end());
}

void send_raw(mpcomm_group_t g, const std::vector<char> &bytes, int dst, int tag) {
  ASSERT_EQ(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dst, tag, g->comm()),
            MPI_SUCCESS);
}

// Malformed first messages from a peer, sent with raw MPI on the tensor dict tags: MALFORMED
// naming the fault, *dict untouched, the group broken (what follows from the peer can no longer
// be matched), and the process fine.
TEST_F(TensorDict, MalformedMessagesAreRefused) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  const std::string t16 = metadata_of({{"t", tensor_meta(MPCOMM_FLOAT32, {4})}});
  const std::string cuda16 = metadata_of({{"t", tensor_meta(MPCOMM_FLOAT32, {4}, true)}});
  const std::string sliced16 = metadata_of({{"t", tensor_meta(MPCOMM_FLOAT32, {4}, false, 2)}});
  const std::string garbage = "\x92\x01\x02";  // an array, not a map
  const std::string cut = t16.substr(0, t16.size() - 3);
  const std::string zeros16(16, '\0'), zeros8(8, '\0'), zeros80(80, '\0');
  struct Bad {
    std::vector<char> bytes;
    std::string piece;
  };
  const std::vector<Bad> bad = {
      {{}, "a tensor dict message of 0 bytes is shorter than its 64-byte header"},
      {std::vector<char>(10, 'x'), "of 10 bytes is shorter"},
      {first_message(header(0, 0, t16.size(), 0x12345678), t16), "not a tensor dict"},
      {first_message(header(4, 0, t16.size()), t16), "unknown flags 4"},
      {first_message(header(td::kPacked | td::kMetadataFollows, 0, 0), ""), "unknown flags 3"},
      {first_message(header(0, 0, t16.size() + 1), t16), "announces 0 bytes of tensors and"},
      {first_message(header(0, 16, t16.size()), zeros16 + t16), "in a message that is not packed"},
      {first_message(header(td::kMetadataFollows, 0, 100), "x"), "follows comes with 1 more bytes"},
      {first_message(header(0, 0, garbage.size()), garbage),
       "tensor dict metadata: the message "
       "is a array, not a map"},
      {first_message(header(td::kPacked, 16, cut.size()), zeros16 + cut), "tensor dict metadata"},
      {first_message(header(td::kPacked, 8, t16.size()), zeros8 + t16), "lies beyond"},
      {first_message(header(td::kPacked, 80, t16.size()), zeros80 + t16),
       "its tensors end at 16 of its 80 bytes"},
      {first_message(header(td::kPacked, 16, cuda16.size()), zeros16 + cuda16),
       "tensor 't' of a packed dict is in CUDA memory"},
      {first_message(header(td::kPacked, 16, sliced16.size()), zeros16 + sliced16),
       "tensor 't' of a packed dict comes in slices"},
  };
  for (const Bad &b : bad) {
    GroupHolder g;  // a fresh group each time: a malformed message breaks it
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    if (rank == 0) {
      send_raw(g.g, b.bytes, 1, td::kTagSendMessage);
    } else if (rank == 1) {
      mpcomm_tensor_dict_t got = nullptr;
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_MALFORMED)
          << b.piece << ": " << last_error();
      EXPECT_NE(last_error().find("mpcomm_recv_tensor_dict: "), std::string::npos);
      EXPECT_NE(last_error().find(b.piece), std::string::npos) << last_error();
      EXPECT_EQ(got, nullptr);
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_BROKEN);
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
  // The same through broadcast, where slices are malformed too: every member but the root gets
  // MALFORMED, and its dict keeps what it held. The root sends raw bytes instead of calling the
  // broadcast, so there is no call to agree with: without checking mode.
  ScopedEnv check("MPCOMM_CHECK", "0");
  for (const std::string &body : {garbage, sliced16}) {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    const std::vector<char> msg = first_message(header(0, 0, body.size()), body);
    if (rank == 0) {
      for (int r = 1; r < size; ++r) send_raw(g.g, msg, r, td::kTagBroadcastMessage);
    } else {
      DictHolder got;
      ASSERT_EQ(mpcomm_tensor_dict_create(&got.d), MPCOMM_SUCCESS);
      ASSERT_EQ(mpcomm_tensor_dict_set_int(got.d, "kept", 1), MPCOMM_SUCCESS);
      EXPECT_EQ(mpcomm_broadcast_tensor_dict(g.g, &got.d, 0), MPCOMM_ERR_MALFORMED) << last_error();
      if (body == sliced16) {
        EXPECT_NE(last_error().find("tensor 't' of a broadcast comes in slices"), std::string::npos)
            << last_error();
      }
      int64_t kept = 0;
      EXPECT_EQ(mpcomm_tensor_dict_get_int(got.d, "kept", &kept), MPCOMM_SUCCESS);  // untouched
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
}

// The packing limit: a dict whose one message is exactly the limit travels as that message; one
// byte more, and its first message holds only the header and the metadata.
TEST_F(TensorDict, OneMessageAtAndJustOverTheLimit) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  constexpr size_t kLimit = 40000;
  td::set_pack_limit_for_testing(kLimit);
  std::vector<float> a(5000);
  std::vector<uint8_t> b(77);
  for (size_t i = 0; i < a.size(); ++i) a[i] = 0.5f * static_cast<float>(i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(200 - i);
  int64_t a_shape[1] = {5000}, b_shape[1] = {77};
  const DLTensor ta = cpu_tensor(a.data(), a_shape, 1, kTypes[6]);
  const DLTensor tb = cpu_tensor(b.data(), b_shape, 1, kTypes[1]);
  for (size_t over : {0, 1}) {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    // Every rank makes the same dict: a bytes value pads its message to the size wanted.
    DictHolder dict;
    ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "a", &ta), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "b", &tb), MPCOMM_SUCCESS);
    std::string pad;
    for (int k = 0; k < 8; ++k) {
      ASSERT_EQ(mpcomm_tensor_dict_set_bytes(dict.d, "pad", pad.data(), pad.size()),
                MPCOMM_SUCCESS);
      const size_t now = td::packed_message_bytes(mpcomm::api::dict_ref(dict.d));
      if (now == kLimit + over) break;
      pad.resize(pad.size() + (kLimit + over - now), 'p');
    }
    ASSERT_EQ(td::packed_message_bytes(mpcomm::api::dict_ref(dict.d)), kLimit + over);
    if (rank == 0) {
      ASSERT_EQ(mpcomm_send_tensor_dict(g.g, dict.d, 1, nullptr), MPCOMM_SUCCESS) << last_error();
    } else if (rank == 1) {
      // The first message, seen before it is received.
      MPI_Status status;
      int found = 0;
      const auto start = std::chrono::steady_clock::now();
      while (!found && std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
        MPI_Iprobe(0, td::kTagSendMessage, g.g->comm(), &found, &status);
      ASSERT_TRUE(found);
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      const size_t metadata = td::encode_metadata(mpcomm::api::dict_ref(dict.d)).size();
      EXPECT_EQ(static_cast<size_t>(count), over ? td::kHeaderBytes + metadata : kLimit);
      DictHolder got;
      ASSERT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_SUCCESS) << last_error();
      const DLTensor *ga = tensor_of(got.d, "a"), *gb = tensor_of(got.d, "b");
      ASSERT_TRUE(ga && gb);
      EXPECT_EQ(std::memcmp(ga->data, a.data(), a.size() * sizeof(float)), 0);
      EXPECT_EQ(std::memcmp(gb->data, b.data(), b.size()), 0);
      const void *got_pad = nullptr;
      size_t pad_len = 0;
      ASSERT_EQ(mpcomm_tensor_dict_get_bytes(got.d, "pad", &got_pad, &pad_len), MPCOMM_SUCCESS);
      EXPECT_EQ(std::string(static_cast<const char *>(got_pad), pad_len), pad);
      if (!over) {  // one block: "b" follows "a" at the next multiple of 64 bytes
        EXPECT_EQ(static_cast<const char *>(gb->data) - static_cast<const char *>(ga->data), 20032);
      }
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
}

// A bad MPCOMM_TENSOR_DICT_PACK_LIMIT is the sender's INVALID_ARGUMENT, before any message: the
// group stays in step, and the variable is read again at the next send; a valid one is obeyed.
TEST_F(TensorDict, ABadPackLimitIsRefusedBeforeAnyMessage) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
  ReuseSource src(1000, 8);  // a message of about 4 KiB
  for (const char *bad : {"lots", "-1", "2000000000"}) {
    ScopedEnv env("MPCOMM_TENSOR_DICT_PACK_LIMIT", bad);
    if (rank == 0) {
      EXPECT_EQ(mpcomm_send_tensor_dict(g.g, src.dict.d, 1, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_NE(last_error().find("MPCOMM_TENSOR_DICT_PACK_LIMIT"), std::string::npos)
          << last_error();
    }
    // A collective: in checking mode every member calls and fails with the root.
    if (rank == 0 || checking()) {
      EXPECT_EQ(mpcomm_broadcast_tensor_dict(g.g, &src.dict.d, 0), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_NE(last_error().find("MPCOMM_TENSOR_DICT_PACK_LIMIT"), std::string::npos)
          << last_error();
    }
  }
  // 100 bytes: too few to pack this dict, so its first message holds the metadata only.
  ScopedEnv env("MPCOMM_TENSOR_DICT_PACK_LIMIT", "100");
  if (rank == 0) {
    ASSERT_EQ(mpcomm_send_tensor_dict(g.g, src.dict.d, 1, nullptr), MPCOMM_SUCCESS) << last_error();
  } else if (rank == 1) {
    MPI_Status status;
    int found = 0, count = 0;
    const auto start = std::chrono::steady_clock::now();
    while (!found && std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
      MPI_Iprobe(0, td::kTagSendMessage, g.g->comm(), &found, &status);
    ASSERT_TRUE(found);
    MPI_Get_count(&status, MPI_BYTE, &count);
    EXPECT_LT(count, 1000);  // packed, it would be over 4000
    DictHolder got;
    ASSERT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_SUCCESS) << last_error();
    src.expect_in(got.d);
  }
  ASSERT_EQ(mpcomm_barrier(g.g, 20), MPCOMM_SUCCESS) << last_error();
}

// Empty tensors travel as metadata only, between non-empty ones of odd sizes, both ways; a second
// dict of the same structure lands at the same places.
TEST_F(TensorDict, EmptyAndNonEmptyTensorsMixed) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  struct T {
    const char *key;
    DLDataType dtype;
    std::vector<int64_t> shape;
  };
  const std::vector<T> layout = {{"e0", kTypes[6], {0}},    {"a", kTypes[1], {3}},
                                 {"e1", kTypes[3], {2, 0}}, {"b", kTypes[7], {5}},
                                 {"e2", kTypes[5], {0, 7}}, {"c", kTypes[0], {1}},
                                 {"scalar", kTypes[2], {}}, {"e3", kTypes[4], {4, 0, 2}}};
  for (size_t limit : {kPackDefault, kNeverPack}) {
    td::set_pack_limit_for_testing(limit);
    DictHolder got;
    std::vector<const void *> first_places;
    for (unsigned round = 0; round < 2; ++round) {
      std::vector<std::vector<char>> storage;
      std::vector<std::vector<int64_t>> shapes;
      DictHolder dict;
      ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
      for (size_t i = 0; i < layout.size(); ++i) {
        shapes.push_back(layout[i].shape);
        storage.push_back(object_bytes(numel_of(layout[i].shape) * element_bytes(layout[i].dtype),
                                       round * 10 + unsigned(i)));
        const DLTensor t = cpu_tensor(storage.back().empty() ? nullptr : storage.back().data(),
                                      shapes.back().empty() ? nullptr : shapes.back().data(),
                                      static_cast<int>(shapes.back().size()), layout[i].dtype);
        ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, layout[i].key, &t), MPCOMM_SUCCESS)
            << last_error();
        if (i == 3) {
          ASSERT_EQ(mpcomm_tensor_dict_set_string(dict.d, "s", "between"), MPCOMM_SUCCESS);
        }
      }
      mpcomm_tensor_dict_t *arg = rank == 0 ? &dict.d : &got.d;
      ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, 0), MPCOMM_SUCCESS) << last_error();
      if (rank == 0) continue;
      std::vector<const void *> places;
      for (size_t i = 0; i < layout.size(); ++i) {
        const DLTensor *t = tensor_of(got.d, layout[i].key);
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(std::vector<int64_t>(t->shape, t->shape + t->ndim), layout[i].shape);
        EXPECT_EQ(t->dtype.code, layout[i].dtype.code);
        EXPECT_EQ(t->dtype.bits, layout[i].dtype.bits);
        places.push_back(t->data);
        if (storage[i].empty()) continue;
        ASSERT_NE(t->data, nullptr) << layout[i].key;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % 64, 0u) << layout[i].key;
        EXPECT_EQ(std::memcmp(t->data, storage[i].data(), storage[i].size()), 0) << layout[i].key;
      }
      const char *s = nullptr;
      ASSERT_EQ(mpcomm_tensor_dict_get_string(got.d, "s", &s), MPCOMM_SUCCESS);
      EXPECT_STREQ(s, "between");
      if (round == 0)
        first_places = places;
      else
        EXPECT_EQ(places, first_places) << "the same structure lands at the same places";
    }
  }
}

// Metadata longer than a chunk follows the first message in chunks, as do the tensors.
TEST_F(TensorDict, MetadataLongerThanAChunkFollowsInChunks) {
  mpcomm::protocol::set_chunk_bytes_for_testing(256);
  auto want = make_source(42);
  std::string long_name(3000, 'n');
  ASSERT_EQ(mpcomm_tensor_dict_set_string(want->dict.d, "long", long_name.c_str()), MPCOMM_SUCCESS);
  ASSERT_GT(td::encode_metadata(mpcomm::api::dict_ref(want->dict.d)).size(), size_t{3000});
  DictHolder got;
  mpcomm_tensor_dict_t *arg = rank == 0 ? &want->dict.d : &got.d;
  ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, 0), MPCOMM_SUCCESS) << last_error();
  if (rank == 0) return;
  const char *s = nullptr;
  ASSERT_EQ(mpcomm_tensor_dict_get_string(got.d, "long", &s), MPCOMM_SUCCESS);
  EXPECT_EQ(std::string(s), long_name);
}

// What a receive that fails after its first message arrived leaves in *dict: the tensors whose
// memory it had begun to overwrite are gone; every other entry is as it was.
TEST_F(TensorDict, AFailedReceiveDropsOnlyTheTensorsItOverwrote) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  std::vector<int64_t> mine = {4, 5, 6};
  int64_t mine_shape[1] = {3};
  const DLTensor borrowed = cpu_tensor(mine.data(), mine_shape, 1, kTypes[3]);
  // One message: a malformed one lands in the dict's receive block, where "a" and "b" lie.
  {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    ReuseSource first(256, 1);
    DictHolder got;
    const std::string garbage = "\x93\x01\x02";
    if (rank == 0) {
      ASSERT_EQ(mpcomm_send_tensor_dict(g.g, first.dict.d, 1, nullptr), MPCOMM_SUCCESS);
      send_raw(g.g, first_message(header(td::kPacked, 0, garbage.size()), garbage), 1,
               td::kTagSendMessage);
    } else if (rank == 1) {
      ASSERT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_SUCCESS) << last_error();
      first.expect_in(got.d);
      ASSERT_EQ(mpcomm_tensor_dict_set_tensor(got.d, "mine", &borrowed), MPCOMM_SUCCESS);
      ASSERT_EQ(mpcomm_tensor_dict_set_string(got.d, "note", "kept"), MPCOMM_SUCCESS);
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_ERR_MALFORMED);
      mpcomm_value_kind_t kind;
      EXPECT_EQ(mpcomm_tensor_dict_get_kind(got.d, "a", &kind), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(mpcomm_tensor_dict_get_kind(got.d, "b", &kind), MPCOMM_ERR_INVALID_ARGUMENT);
      int64_t step = 0;
      EXPECT_EQ(mpcomm_tensor_dict_get_int(got.d, "step", &step), MPCOMM_SUCCESS);
      EXPECT_EQ(step, 1);
      const char *note = nullptr;
      EXPECT_EQ(mpcomm_tensor_dict_get_string(got.d, "note", &note), MPCOMM_SUCCESS);
      EXPECT_EQ(tensor_of(got.d, "mine")->data, static_cast<void *>(mine.data()));
      EXPECT_EQ(mine, (std::vector<int64_t>{4, 5, 6}));
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
  // A message per tensor: the sender stops after the first of two reused tensors. "x" was
  // overwritten and "y" was in transfer (its buffer abandoned): both leave; "z", "n" and the
  // caller's "mine" stay, "z" with its data.
  {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    td::set_pack_limit_for_testing(kNeverPack);
    std::vector<float> x(1000, 1.0f), y(1000, 2.0f), z(10, 3.0f);
    int64_t big[1] = {1000}, small[1] = {10};
    DictHolder dict, got;
    ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
    const DLTensor tx = cpu_tensor(x.data(), big, 1, kTypes[6]);
    const DLTensor ty = cpu_tensor(y.data(), big, 1, kTypes[6]);
    const DLTensor tz = cpu_tensor(z.data(), small, 1, kTypes[6]);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "x", &tx), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "y", &ty), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "z", &tz), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_int(dict.d, "n", 9), MPCOMM_SUCCESS);
    const std::string meta = metadata_of(
        {{"x", tensor_meta(MPCOMM_FLOAT32, {1000})}, {"y", tensor_meta(MPCOMM_FLOAT32, {1000})}});
    if (rank == 0) {
      ASSERT_EQ(mpcomm_send_tensor_dict(g.g, dict.d, 1, nullptr), MPCOMM_SUCCESS) << last_error();
      send_raw(g.g, first_message(header(0, 0, meta.size()), meta), 1, td::kTagSendMessage);
      std::vector<char> x_bytes(4000, 7);
      send_raw(g.g, x_bytes, 1, td::kTagSendData);
    } else if (rank == 1) {
      ASSERT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_SUCCESS) << last_error();
      ASSERT_EQ(mpcomm_tensor_dict_set_tensor(got.d, "mine", &borrowed), MPCOMM_SUCCESS);
      const void *z_data = tensor_of(got.d, "z")->data;
      ASSERT_EQ(mpcomm_group_set_timeout(g.g, 1), MPCOMM_SUCCESS);
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got.d, 0, nullptr), MPCOMM_ERR_TIMEOUT);
      EXPECT_NE(last_error().find("recv_tensor_dict timed out after 1 s: group rank 0"),
                std::string::npos)
          << last_error();
      mpcomm_value_kind_t kind;
      EXPECT_EQ(mpcomm_tensor_dict_get_kind(got.d, "x", &kind), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(mpcomm_tensor_dict_get_kind(got.d, "y", &kind), MPCOMM_ERR_INVALID_ARGUMENT);
      const DLTensor *t = tensor_of(got.d, "z");
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->data, z_data);
      EXPECT_EQ(std::memcmp(t->data, z.data(), z.size() * sizeof(float)), 0);
      int64_t n = 0;
      EXPECT_EQ(mpcomm_tensor_dict_get_int(got.d, "n", &n), MPCOMM_SUCCESS);
      EXPECT_EQ(n, 9);
      EXPECT_EQ(tensor_of(got.d, "mine")->data, static_cast<void *>(mine.data()));
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
}

// A sender that sliced for an all_gather_group of 2 and a receiver that has none: refused with
// INVALID_USAGE before any tensor is received.
TEST_F(TensorDict, SlicesTheReceiverCannotGather) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder g, pair;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &pair.g), MPCOMM_SUCCESS);
  float data[4] = {1, 2, 3, 4};
  int64_t shape[1] = {4};
  const DLTensor t = cpu_tensor(data, shape, 1, kTypes[6]);
  DictHolder dict;
  ASSERT_EQ(mpcomm_tensor_dict_create(&dict.d), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_tensor_dict_set_tensor(dict.d, "t", &t), MPCOMM_SUCCESS);
  if (rank == 0) {
    // The world as all_gather_group: this rank's slice, the first 4 / size elements, goes out.
    const mpcomm_status_t s = mpcomm_send_tensor_dict(g.g, dict.d, 1, pair.g);
    EXPECT_TRUE(s == MPCOMM_SUCCESS || s == MPCOMM_ERR_TIMEOUT) << last_error();
  } else if (rank == 1) {
    mpcomm_tensor_dict_t got = nullptr;
    EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_INVALID_USAGE);
    EXPECT_NE(last_error().find("tensor 't' was sent in " + std::to_string(size) + " slices"),
              std::string::npos)
        << last_error();
    EXPECT_NE(last_error().find("all_gather_group is NULL"), std::string::npos);
    EXPECT_EQ(got, nullptr);
  }
  ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
}

// A sender that never comes: a bounded TIMEOUT naming it, and *dict as it was (NULL stays NULL;
// a received dict keeps its tensors, where they were).
TEST_F(TensorDict, MissingSenderTimesOut) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ReuseSource first(64, 3);
  DictHolder kept;
  {
    mpcomm_tensor_dict_t *arg = rank == 0 ? &first.dict.d : &kept.d;
    ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, 0), MPCOMM_SUCCESS) << last_error();
  }
  // Without checking mode: its agreement, not the exchange, would be what times out.
  ScopedEnv check("MPCOMM_CHECK", "0");
  for (bool broadcast : {false, true}) {
    GroupHolder g;
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 1), MPCOMM_SUCCESS);
    if (rank == 0) {
      ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
      continue;  // never sends
    }
    const void *a = tensor_of(kept.d, "a")->data;
    mpcomm_tensor_dict_t none = nullptr;
    mpcomm_tensor_dict_t *arg = broadcast || rank == 1 ? &kept.d : &none;
    const auto start = std::chrono::steady_clock::now();
    const mpcomm_status_t s = broadcast ? mpcomm_broadcast_tensor_dict(g.g, arg, 0)
                                        : mpcomm_recv_tensor_dict(g.g, arg, 0, nullptr);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(s, MPCOMM_ERR_TIMEOUT);
    EXPECT_LT(waited, 10.0);
    EXPECT_NE(last_error().find(broadcast ? "broadcast_tensor_dict timed out after 1 s"
                                          : "recv_tensor_dict timed out after 1 s"),
              std::string::npos)
        << last_error();
    EXPECT_NE(last_error().find("group rank 0"), std::string::npos) << last_error();
    EXPECT_EQ(none, nullptr);
    first.expect_in(kept.d);
    EXPECT_EQ(tensor_of(kept.d, "a")->data, a);
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
}

}  // namespace
