// mpcomm_mem_alloc and mpcomm_mem_free, and the shared-memory allreduce reading its input in
// place from them: exact for every supported type and op, in and out of place, across pieces,
// at offsets, with some ranks' input in the pool and some not, after other allocations were
// freed; a peer that freed the allocation a rank's input lies in makes every rank fail alike;
// every argument error; nothing left in /dev/shm.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "group_test_util.hpp"
#include "host/mem_pool.hpp"
#include "host/shm_allreduce.hpp"
#include "mpcomm.h"
#include "shm_test_util.hpp"

using grouptest::GroupHolder;
using grouptest::last_error;
using grouptest::ScopedEnv;
using mpcomm::host::MemPool;
using mpcomm::host::ShmAllreduce;
using namespace shmtest;

namespace {

// Where a rank's input lies in a case.
enum class Where { kPool, kHeap, kMixed };

}  // namespace

TEST(MemPoolAllreduce, ExactForEveryTypeOpSizeAndPlacement) {
  Node node;
  // 1 KiB halves: 256 float32 or 512 16-bit elements per piece, so most counts take several.
  ShmAllreduce shm(node.comm, 30, 1024);
  MemPool pool;
  constexpr size_t kMaxCount = 4099, kOffset = 3;  // elements: an offset off the cache lines
  char *buffer = static_cast<char *>(pool.allocate(node.comm, (kMaxCount + kOffset) * 4 * 2, 30));
  ASSERT_NE(buffer, nullptr);
  std::vector<char> heap_send(kMaxCount * 4), heap_recv(kMaxCount * 4);
  const mpcomm_datatype_t types[] = {MPCOMM_FLOAT32, MPCOMM_FLOAT16, MPCOMM_BFLOAT16};
  const mpcomm_op_t ops[] = {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG};
  const size_t counts[] = {0, 1, 17, 255, 256, 257, 512, 513, 1000, 4099};
  for (Where where : {Where::kPool, Where::kHeap, Where::kMixed})
    for (size_t offset : {size_t{0}, kOffset})
      for (auto t : types)
        for (auto op : ops)
          for (size_t count : counts)
            for (bool in_place : {false, true}) {
              const bool mine_in_pool =
                  where == Where::kPool || (where == Where::kMixed && node.rank % 2 == 0);
              const size_t es = esize_of(t);
              char *send = mine_in_pool ? buffer + offset * es : heap_send.data();
              // Out of place, recv lies in the pool too when send does (after send).
              char *recv = in_place       ? send
                           : mine_in_pool ? buffer + (kMaxCount + kOffset) * 4
                                          : heap_recv.data();
              fill(t, op, node.rank, send, count);
              const std::string refusal = shm.all_reduce(send, recv, count, t, op, 30, &pool);
              ASSERT_EQ(refusal, "");
              EXPECT_EQ(wrong(t, op, node.size, recv, count), 0u)
                  << "where " << static_cast<int>(where) << " offset " << offset << " type " << t
                  << " op " << op << " count " << count << " in_place " << in_place;
            }
}

TEST(MemPoolAllreduce, InPlaceBackToBack) {
  // Peers read this rank's send where it lies while it writes its result into the same buffer:
  // a fast rank's next call must never meet a slow peer's reads.
  Node node;
  ShmAllreduce shm(node.comm, 30, 4096);
  MemPool pool;
  auto *v = static_cast<float *>(pool.allocate(node.comm, 5000 * sizeof(float), 30));
  for (int call = 0; call < 300; ++call) {
    const size_t n = 1000 + static_cast<size_t>(call % 7) * 571;  // 1 to 4 pieces
    for (size_t i = 0; i < n; ++i)
      v[i] = static_cast<float>(node.rank + call + static_cast<int>(i % 5));
    ASSERT_EQ(shm.all_reduce(v, v, n, MPCOMM_FLOAT32, MPCOMM_SUM, 30, &pool), "");
    for (size_t i = 0; i < n; ++i) {
      float want = 0;
      for (int r = 0; r < node.size; ++r)
        want += static_cast<float>(r + call + static_cast<int>(i % 5));
      ASSERT_EQ(v[i], want) << "call " << call << " element " << i;
    }
  }
}

TEST(MemPoolAllreduce, OutOfPlaceBackToBack) {
  // Every rank reduces whole pieces straight from its peers' sends where they lie: a rank that
  // returned and refills its send for the next call must never meet a slow peer's reads.
  Node node;
  ShmAllreduce shm(node.comm, 30, 4096);
  MemPool pool;
  auto *send = static_cast<float *>(pool.allocate(node.comm, 5000 * sizeof(float), 30));
  std::vector<float> recv(5000);
  for (int call = 0; call < 300; ++call) {
    const size_t n = 100 + static_cast<size_t>(call % 7) * 700;  // 1 to 5 pieces
    for (size_t i = 0; i < n; ++i)
      send[i] = static_cast<float>(node.rank + call + static_cast<int>(i % 5));
    ASSERT_EQ(shm.all_reduce(send, recv.data(), n, MPCOMM_FLOAT32, MPCOMM_SUM, 30, &pool), "");
    for (size_t i = 0; i < n; ++i) {
      float want = 0;
      for (int r = 0; r < node.size; ++r)
        want += static_cast<float>(r + call + static_cast<int>(i % 5));
      ASSERT_EQ(recv[i], want) << "call " << call << " element " << i;
    }
  }
}

TEST(MemPoolAllreduce, ABufferAfterAnotherWasFreed) {
  Node node;
  ShmAllreduce shm(node.comm, 30, 1024);
  MemPool pool;
  void *first = pool.allocate(node.comm, 4096, 30);
  auto *second = static_cast<float *>(pool.allocate(node.comm, 4096, 30));
  pool.free(first);
  void *third = pool.allocate(node.comm, 8192, 30);
  EXPECT_EQ(pool.live(), 2u);
  fill(MPCOMM_FLOAT32, MPCOMM_SUM, node.rank, reinterpret_cast<char *>(second), 1000);
  ASSERT_EQ(shm.all_reduce(second, second, 1000, MPCOMM_FLOAT32, MPCOMM_SUM, 30, &pool), "");
  EXPECT_EQ(wrong(MPCOMM_FLOAT32, MPCOMM_SUM, node.size, reinterpret_cast<char *>(second), 1000),
            0u);
  pool.free(third);
  pool.free(second);
  EXPECT_EQ(pool.live(), 0u);
}

TEST(MemPoolAllreduce, APeerThatFreedTheInputsAllocationFailsEveryRankAlike) {
  Node node;
  if (node.size < 2) GTEST_SKIP() << "needs 2 ranks on the node";
  ShmAllreduce shm(node.comm, 30, 1024);
  MemPool pool;
  auto *shared = static_cast<float *>(pool.allocate(node.comm, 4096 * sizeof(float), 30));
  // Rank 1 frees the allocation; rank 0 still reduces from its buffer of it.
  if (node.rank == 1) pool.free(shared);
  std::vector<float> heap(4096, 1.0f);
  float *send = node.rank == 0 ? shared : heap.data();
  const std::string refusal =
      shm.all_reduce(send, send, 4096, MPCOMM_FLOAT32, MPCOMM_SUM, 30, &pool);
  EXPECT_NE(refusal.find("node rank 1 could not read the input of node rank 0"), std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find("had freed"), std::string::npos) << refusal;
  // Still usable, the next call is exact.
  fill(MPCOMM_FLOAT32, MPCOMM_SUM, node.rank, reinterpret_cast<char *>(heap.data()), 4096);
  ASSERT_EQ(shm.all_reduce(heap.data(), heap.data(), 4096, MPCOMM_FLOAT32, MPCOMM_SUM, 30, &pool),
            "");
  EXPECT_EQ(
      wrong(MPCOMM_FLOAT32, MPCOMM_SUM, node.size, reinterpret_cast<char *>(heap.data()), 4096),
      0u);
}

TEST(MemPoolAllreduce, FreeRefusesWhatItDidNotAllocate) {
  Node node;
  MemPool pool;
  char *p = static_cast<char *>(pool.allocate(node.comm, 4096, 30));
  int local = 0;
  for (void *bad : {static_cast<void *>(&local), static_cast<void *>(p + 64)}) {
    try {
      pool.free(bad);
      ADD_FAILURE() << "freed " << bad;
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_NE(std::string(e.what()).find("ptr ("), std::string::npos) << e.what();
    }
  }
  pool.free(p);
  EXPECT_THROW(pool.free(p), mpcomm::Error);  // twice
}

// --------------------------------------------------------------------------------- the C API

TEST(MemAlloc, AllReduceFromPoolMemoryThroughTheApi) {
  ScopedEnv shm("MPCOMM_HOST_ALLREDUCE", "shm");
  GroupHolder group;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group.g), MPCOMM_SUCCESS) << last_error();
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const size_t count = (size_t{1} << 18) + 77;  // more than one piece of the default capacity
  for (auto t : {MPCOMM_FLOAT32, MPCOMM_BFLOAT16, MPCOMM_FLOAT16}) {
    const size_t bytes = count * esize_of(t);
    char *in = nullptr, *out = nullptr;
    ASSERT_EQ(mpcomm_mem_alloc(group.g, bytes, reinterpret_cast<void **>(&in)), MPCOMM_SUCCESS)
        << last_error();
    ASSERT_EQ(mpcomm_mem_alloc(group.g, bytes, reinterpret_cast<void **>(&out)), MPCOMM_SUCCESS)
        << last_error();
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(in) % 4096, 0u);
    EXPECT_EQ(in[0], 0);
    EXPECT_EQ(in[bytes - 1], 0);
    fill(t, MPCOMM_SUM, rank, in, count);
    ASSERT_EQ(mpcomm_all_reduce(group.g, in, out, count, t, MPCOMM_SUM, nullptr), MPCOMM_SUCCESS)
        << last_error();
    EXPECT_EQ(wrong(t, MPCOMM_SUM, size, out, count), 0u) << "type " << t;
    ASSERT_EQ(mpcomm_all_reduce(group.g, in, in, count, t, MPCOMM_SUM, nullptr), MPCOMM_SUCCESS)
        << last_error();
    EXPECT_EQ(wrong(t, MPCOMM_SUM, size, in, count), 0u) << "type " << t << " in place";
    EXPECT_EQ(mpcomm_mem_free(group.g, in), MPCOMM_SUCCESS) << last_error();
    EXPECT_EQ(mpcomm_mem_free(group.g, out), MPCOMM_SUCCESS) << last_error();
  }
}

TEST(MemAlloc, FreedByAPeerIsInvalidUsageOnEveryMemberAndTheGroupStaysUsable) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) GTEST_SKIP() << "needs 2 ranks";
  ScopedEnv shm("MPCOMM_HOST_ALLREDUCE", "shm");
  GroupHolder group;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group.g), MPCOMM_SUCCESS) << last_error();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  float *buf = nullptr;
  ASSERT_EQ(mpcomm_mem_alloc(group.g, 1024 * sizeof(float), reinterpret_cast<void **>(&buf)),
            MPCOMM_SUCCESS)
      << last_error();
  if (rank != 0) {
    ASSERT_EQ(mpcomm_mem_free(group.g, buf), MPCOMM_SUCCESS) << last_error();
  }
  std::vector<float> heap(1024, 1.0f);
  float *send = rank == 0 ? buf : heap.data();
  // The members on rank 0's node fail; on other nodes the call completes (recv undefined).
  Node node;
  int with_rank0 = 0, is_rank0 = rank == 0 ? 1 : 0;
  MPI_Allreduce(&is_rank0, &with_rank0, 1, MPI_INT, MPI_MAX, node.comm);
  const mpcomm_status_t status =
      mpcomm_all_reduce(group.g, send, send, 1024, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr);
  if (with_rank0 && node.size > 1) {
    EXPECT_EQ(status, MPCOMM_ERR_INVALID_USAGE);
    EXPECT_NE(last_error().find("had freed"), std::string::npos) << last_error();
  } else {
    EXPECT_EQ(status, MPCOMM_SUCCESS) << last_error();
  }
  std::fill(heap.begin(), heap.end(), 1.0f);
  EXPECT_EQ(mpcomm_all_reduce(group.g, heap.data(), heap.data(), 1024, MPCOMM_FLOAT32, MPCOMM_SUM,
                              nullptr),
            MPCOMM_SUCCESS)
      << last_error();
  EXPECT_EQ(heap[1023], static_cast<float>(size));
}

TEST(MemAlloc, ZeroBytesAndUnevenSizes) {
  GroupHolder group;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group.g), MPCOMM_SUCCESS) << last_error();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  void *p = reinterpret_cast<void *>(1);
  ASSERT_EQ(mpcomm_mem_alloc(group.g, 0, &p), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(p, nullptr);
  EXPECT_EQ(mpcomm_mem_free(group.g, nullptr), MPCOMM_SUCCESS);
  // Rank 0 asks for nothing, the others for different sizes.
  const size_t bytes = static_cast<size_t>(rank) * 10000;
  ASSERT_EQ(mpcomm_mem_alloc(group.g, bytes, &p), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(p == nullptr, rank == 0);
  if (p != nullptr) std::memset(p, 1, bytes);
  EXPECT_EQ(mpcomm_mem_free(group.g, p), MPCOMM_SUCCESS) << last_error();
}

TEST(MemAlloc, ArgumentErrorsNameTheArgument) {
  GroupHolder group, other;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &group.g), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &other.g), MPCOMM_SUCCESS) << last_error();
  void *p = nullptr;
  EXPECT_EQ(mpcomm_mem_alloc(group.g, 64, nullptr), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ptr"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_mem_alloc(nullptr, 64, &p), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("group"), std::string::npos) << last_error();
  // Larger than any object may be: refused before anything is made (every rank alike here).
  p = reinterpret_cast<void *>(1);
  EXPECT_EQ(mpcomm_mem_alloc(group.g, SIZE_MAX, &p), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(last_error().find("bytes (" + std::to_string(SIZE_MAX) + ")"), std::string::npos)
      << last_error();
  // A size no segment can have: SYSTEM on every rank, the group still usable.
  EXPECT_EQ(mpcomm_mem_alloc(group.g, static_cast<size_t>(PTRDIFF_MAX), &p), MPCOMM_ERR_SYSTEM);
  EXPECT_NE(last_error().find("mpcomm_mem_alloc"), std::string::npos) << last_error();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // Only the last rank asks for too much: every rank fails alike.
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const size_t uneven = rank == size - 1 ? static_cast<size_t>(PTRDIFF_MAX) : 4096;
  EXPECT_EQ(mpcomm_mem_alloc(group.g, uneven, &p), MPCOMM_ERR_SYSTEM);
  EXPECT_EQ(p, nullptr);

  ASSERT_EQ(mpcomm_mem_alloc(group.g, 4096, &p), MPCOMM_SUCCESS) << last_error();
  int local = 0;
  EXPECT_EQ(mpcomm_mem_free(group.g, &local), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ptr ("), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_mem_free(group.g, static_cast<char *>(p) + 8), MPCOMM_ERR_INVALID_ARGUMENT);
  // A buffer of another group.
  EXPECT_EQ(mpcomm_mem_free(other.g, p), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("this group"), std::string::npos) << last_error();
  EXPECT_EQ(mpcomm_mem_free(nullptr, p), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mpcomm_mem_free(group.g, p), MPCOMM_SUCCESS) << last_error();
  EXPECT_EQ(mpcomm_mem_free(group.g, p), MPCOMM_ERR_INVALID_ARGUMENT);  // twice
  EXPECT_NE(last_error().find("freed"), std::string::npos) << last_error();
  // The group is not broken by any of it.
  EXPECT_EQ(mpcomm_barrier(group.g, 0), MPCOMM_SUCCESS) << last_error();
}

TEST(MemAlloc, GroupFreeFreesWhatIsLeftAndDevShmStaysClean) {
  MPI_Barrier(MPI_COMM_WORLD);
  const auto before = dev_shm();
  mpcomm_group_t g = nullptr;
  ASSERT_EQ(mpcomm_group_from_comm(MPI_COMM_WORLD, &g), MPCOMM_SUCCESS) << last_error();
  void *a = nullptr, *b = nullptr;
  ASSERT_EQ(mpcomm_mem_alloc(g, 1 << 20, &a), MPCOMM_SUCCESS) << last_error();
  ASSERT_EQ(mpcomm_mem_alloc(g, 1 << 16, &b), MPCOMM_SUCCESS) << last_error();
  // Each name goes as soon as every member mapped it (its owner removes it on the way out).
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(dev_shm(), before);
  EXPECT_EQ(mpcomm_mem_free(g, b), MPCOMM_SUCCESS) << last_error();
  const mpcomm_group_t dead = g;
  ASSERT_EQ(mpcomm_group_free(&g), MPCOMM_SUCCESS) << last_error();
  // After the group is freed its handle is refused, never followed.
  EXPECT_EQ(mpcomm_mem_free(dead, a), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not a live group"), std::string::npos) << last_error();
  void *p = nullptr;
  EXPECT_EQ(mpcomm_mem_alloc(dead, 64, &p), MPCOMM_ERR_INVALID_ARGUMENT);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(dev_shm(), before);
}
