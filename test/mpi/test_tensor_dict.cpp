// Tensor dicts across processes: broadcast from group rank 0 and from the last rank, a send/recv
// ring with the default ranks, every dtype, empty tensors, an 8 MiB tensor in chunks, received
// tensors owned by the library (dtype, shape, kCPU); the all_gather_group path of a TP x PP state
// (each TP rank sends its 1/tp slice, the receivers all-gather); and failures: bad arguments,
// a device tensor without a device plane (refused before any message), malformed metadata sent
// with mpcomm_send_object / mpcomm_broadcast_object (MALFORMED, no crash), slices the receiver
// cannot all-gather, and a sender that never comes (TIMEOUT).
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "group/protocol.hpp"
#include "group_test_util.hpp"
#include "mpcomm.h"

using namespace grouptest;

namespace {

struct DictHolder {
  mpcomm_tensor_dict_t d = nullptr;
  DictHolder() = default;
  DictHolder(const DictHolder &) = delete;
  DictHolder &operator=(const DictHolder &) = delete;
  ~DictHolder() { mpcomm_tensor_dict_free(&d); }
};

struct StateHolder {
  mpcomm_state_t s = nullptr;
  ~StateHolder() { mpcomm_state_destroy(&s); }
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
  void TearDown() override { mpcomm::protocol::set_chunk_bytes_for_testing(0); }
  GroupHolder world;
  int rank = 0, size = 1;
};

TEST_F(TensorDict, BroadcastFromRankZeroAndFromTheLastRank) {
  for (int src : {0, size - 1}) {
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
  // 8 MiB in 1 MiB chunks: the data plane's chunking, and a metadata object that stays eager.
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

// vLLM's hot loop receives the same structure every step into the same dict: the buffers the
// dict owns are reused (same data pointers, fresh contents); a tensor whose shape or dtype
// changed gets a new buffer; a tensor the caller set (borrowed) is never written into.
TEST_F(TensorDict, ReceiveReusesTheBuffersOfTheSameStructure) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  for (size_t count : {size_t{16}, size_t{1} << 18}) {  // small dicts and 1 MiB tensors
    for (bool broadcast : {true, false}) {
      DictHolder got;
      const bool receiver = broadcast ? rank != 0 : rank == 1;
      auto exchange = [&](const ReuseSource &src) {
        if (broadcast) {
          mpcomm_tensor_dict_t *arg =
              rank == 0 ? const_cast<mpcomm_tensor_dict_t *>(&src.dict.d) : &got.d;
          ASSERT_EQ(mpcomm_broadcast_tensor_dict(world.g, arg, 0), MPCOMM_SUCCESS) << last_error();
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
        EXPECT_NE(tensor_of(got.d, "a")->data, a) << "a new dtype: a new buffer";
        a = tensor_of(got.d, "a")->data;
      }
      exchange(reshaped);
      // A tensor the caller set under "b" is borrowed: the library never writes into it.
      std::vector<int64_t> mine(6, -1);
      int64_t shape[2] = {2, 3};
      const DLTensor t = cpu_tensor(mine.data(), shape, 2, kTypes[3]);
      if (receiver) {
        reshaped.expect_in(got.d);
        EXPECT_NE(tensor_of(got.d, "a")->data, a) << "a new shape: a new buffer";
        ASSERT_EQ(mpcomm_tensor_dict_set_tensor(got.d, "b", &t), MPCOMM_SUCCESS);
      }
      exchange(third);
      if (receiver) {
        third.expect_in(got.d);
        EXPECT_EQ(mine, std::vector<int64_t>(6, -1));
        EXPECT_NE(tensor_of(got.d, "b")->data, static_cast<void *>(mine.data()));
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
  mpcomm_group_info_t tpi, ppi;
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
    EXPECT_EQ(mpcomm_broadcast_tensor_dict(world.g, &dict.d, 0), MPCOMM_ERR_NOT_SUPPORTED);
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

// Malformed metadata from a peer: MALFORMED, *dict untouched, the group broken (the peer's
// tensors, if any, can no longer be matched), and the process fine.
TEST_F(TensorDict, MalformedMetadataIsRefused) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  const std::vector<std::string> objects = {
      "\x93\x01\x02",  // an array, not a map
      "\xc1",          // never used by MessagePack
      // a tensor whose map of 4 fields ends after its header
      "\x83\xa6mpcomm\xabtensor_dict\xa7version\x01\xa5items\x81\xa1t\x84",
      "\xdf\xff\xff\xff\xff",  // a map that lies about its size
      "",                      // nothing at all
  };
  for (const std::string &object : objects) {
    GroupHolder g;  // a fresh group each time: a malformed message breaks it
    ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_group_set_timeout(g.g, 20), MPCOMM_SUCCESS);
    if (rank == 0) {
      ASSERT_EQ(mpcomm_send_object(g.g, object.data(), object.size(), 1), MPCOMM_SUCCESS);
    } else if (rank == 1) {
      mpcomm_tensor_dict_t got = nullptr;
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_MALFORMED)
          << last_error();
      EXPECT_NE(last_error().find("mpcomm_recv_tensor_dict: tensor dict metadata: "),
                std::string::npos)
          << last_error();
      EXPECT_EQ(got, nullptr);
      EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_BROKEN);
    }
    ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
  }
  // The same through broadcast: every member but the root gets MALFORMED.
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
  if (rank == 0) {
    std::string garbage = "\x82\xa6mpcomm\xa6pickle";
    size_t len = garbage.size();
    ASSERT_EQ(mpcomm_broadcast_object(g.g, &garbage[0], len, &len, 0), MPCOMM_SUCCESS);
  } else {
    DictHolder got;
    ASSERT_EQ(mpcomm_tensor_dict_create(&got.d), MPCOMM_SUCCESS);
    ASSERT_EQ(mpcomm_tensor_dict_set_int(got.d, "kept", 1), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm_broadcast_tensor_dict(g.g, &got.d, 0), MPCOMM_ERR_MALFORMED) << last_error();
    int64_t kept = 0;
    EXPECT_EQ(mpcomm_tensor_dict_get_int(got.d, "kept", &kept), MPCOMM_SUCCESS);  // untouched
  }
  ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
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

TEST_F(TensorDict, MissingSenderTimesOut) {
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  GroupHolder g;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g.g), MPCOMM_SUCCESS);
  ASSERT_EQ(mpcomm_group_set_timeout(g.g, 1), MPCOMM_SUCCESS);
  if (rank == 1) {
    mpcomm_tensor_dict_t got = nullptr;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(mpcomm_recv_tensor_dict(g.g, &got, 0, nullptr), MPCOMM_ERR_TIMEOUT);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(waited, 10.0);
    EXPECT_NE(last_error().find("recv_tensor_dict timed out after 1 s"), std::string::npos)
        << last_error();
    EXPECT_NE(last_error().find("group rank 0"), std::string::npos) << last_error();
    EXPECT_EQ(got, nullptr);
  }
  ASSERT_EQ(mpcomm_barrier(world.g, 20), MPCOMM_SUCCESS) << last_error();
}

}  // namespace
