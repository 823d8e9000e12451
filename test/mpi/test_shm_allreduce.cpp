// The shared-memory allreduce: exact for every supported type, op and size (integer-valued
// inputs), in and out of place, across piece boundaries; a missing peer times out; nothing is
// left in /dev/shm.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "host/shm_allreduce.hpp"
#include "shm_test_util.hpp"

using mpcomm::host::ShmAllreduce;
using namespace shmtest;

namespace {

// Runs one allreduce and checks every element; returns the number of wrong ones.
size_t check(ShmAllreduce &shm, const Node &node, mpcomm_datatype_t t, mpcomm_op_t op, size_t count,
             bool in_place) {
  std::vector<char> send(count * esize_of(t) + 1), recv(send.size());
  fill(t, op, node.rank, send.data(), count);
  char *out = in_place ? send.data() : recv.data();
  shm.all_reduce(send.data(), out, count, t, op, 30);
  return wrong(t, op, node.size, out, count);
}

}  // namespace

TEST(ShmAllreduce, ExactForEveryTypeOpAndSize) {
  Node node;
  // A small capacity forces pieces: 1 KiB halves hold 256 float32 or 512 16-bit elements.
  ShmAllreduce shm(node.comm, 30, 1024);
  const mpcomm_datatype_t types[] = {MPCOMM_FLOAT32, MPCOMM_FLOAT16, MPCOMM_BFLOAT16};
  const mpcomm_op_t ops[] = {MPCOMM_SUM, MPCOMM_PROD, MPCOMM_MAX, MPCOMM_MIN, MPCOMM_AVG};
  const size_t counts[] = {0, 1, 3, 15, 16, 17, 255, 256, 257, 511, 512, 513, 1000, 4099};
  for (auto t : types)
    for (auto op : ops)
      for (size_t count : counts)
        for (bool in_place : {false, true})
          EXPECT_EQ(check(shm, node, t, op, count, in_place), 0u)
              << "type " << t << " op " << op << " count " << count << " in_place " << in_place;
}

TEST(ShmAllreduce, LargeCallsWithTheDefaultCapacity) {
  Node node;
  ShmAllreduce shm(node.comm, 30);
  EXPECT_EQ(check(shm, node, MPCOMM_FLOAT32, MPCOMM_SUM, (size_t{3} << 20) + 5, false), 0u);
  EXPECT_EQ(check(shm, node, MPCOMM_BFLOAT16, MPCOMM_SUM, (size_t{3} << 20) + 5, true), 0u);
}

TEST(ShmAllreduce, ManyCallsBackToBack) {
  // Double-buffered halves: a fast rank's next copy-in must never meet a slow rank's reads.
  Node node;
  ShmAllreduce shm(node.comm, 30, 4096);
  for (int call = 0; call < 300; ++call) {
    std::vector<float> v(100 + call % 7, static_cast<float>(node.rank + call));
    shm.all_reduce(v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM, 30);
    float want = 0;
    for (int r = 0; r < node.size; ++r) want += static_cast<float>(r + call);
    for (float x : v) ASSERT_EQ(x, want) << "call " << call;
  }
}

TEST(ShmAllreduce, OneAndTwoBarrierPiecesBackToBack) {
  // At 4 ranks a small piece takes one barrier and a large one two: a fast rank's next piece
  // (its half, its control words) must never meet a slow rank's reads of the one before.
  Node node;
  ShmAllreduce shm(node.comm, 30, size_t{128} << 10);
  for (int call = 0; call < 60; ++call) {
    const size_t count = call % 3 == 0 ? (size_t{96} << 10) + 7 : 100 + static_cast<size_t>(call);
    std::vector<float> v(count, static_cast<float>(node.rank + call));
    shm.all_reduce(v.data(), v.data(), v.size(), MPCOMM_FLOAT32, MPCOMM_SUM, 30);
    float want = 0;
    for (int r = 0; r < node.size; ++r) want += static_cast<float>(r + call);
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(v[i], want) << "call " << call << " at " << i;
  }
}

TEST(ShmAllreduce, RefusesWhatItDoesNotDo) {
  Node node;
  ShmAllreduce shm(node.comm, 30, 4096);
  int32_t x = 1;
  try {
    shm.all_reduce(&x, &x, 1, MPCOMM_INT32, MPCOMM_SUM, 30);
    ADD_FAILURE();
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("int32"), std::string::npos) << e.what();
  }
  float f = 1;
  EXPECT_THROW(shm.all_reduce(&f, &f, 1, MPCOMM_FLOAT32, static_cast<mpcomm_op_t>(99), 30),
               mpcomm::Error);
  EXPECT_THROW(shm.all_reduce(nullptr, &f, 1, MPCOMM_FLOAT32, MPCOMM_SUM, 30), mpcomm::Error);
}

TEST(ShmAllreduce, AMissingPeerTimesOutNamingIt) {
  Node node;
  if (node.size < 2) GTEST_SKIP() << "needs 2 ranks on the node";
  auto held = std::make_unique<ShmAllreduce>(node.comm, 30, 4096);
  ShmAllreduce &shm = *held;
  const int absent = node.size - 1;
  if (node.rank != absent) {
    float v = 1;
    double start = MPI_Wtime();
    try {
      shm.all_reduce(&v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, 1.0);
      ADD_FAILURE() << "no timeout";
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_TIMEOUT);
      EXPECT_NE(std::string(e.what()).find(std::to_string(absent)), std::string::npos) << e.what();
    }
    EXPECT_LT(MPI_Wtime() - start, 2.0);
    // Unusable afterwards, with the cause.
    try {
      shm.all_reduce(&v, &v, 1, MPCOMM_FLOAT32, MPCOMM_SUM, 1.0);
      ADD_FAILURE();
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_BROKEN);
    }
    // Releasing it waits for no one (the absent peer still holds its own).
    start = MPI_Wtime();
    held.reset();
    EXPECT_LT(MPI_Wtime() - start, 0.5);
  }
  MPI_Barrier(node.comm);
}

TEST(ShmAllreduce, LeavesNothingInDevShm) {
  auto before = dev_shm();
  {
    Node node;
    ShmAllreduce shm(node.comm, 30, 1 << 16);
    EXPECT_EQ(check(shm, node, MPCOMM_FLOAT32, MPCOMM_SUM, 1000, false), 0u);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(dev_shm(), before);
}
