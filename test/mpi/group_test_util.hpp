// Helpers shared by the group tests: world rank and size, a group freed at scope exit, a scoped
// environment variable, deterministic object contents, and a checked object broadcast.
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "mpcomm.h"
#include "scoped_env.hpp"

namespace grouptest {

using mpcomm::test::ScopedEnv;

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
inline int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}
inline std::string last_error() { return mpcomm_last_error(); }

// Frees the group at scope exit.
struct GroupHolder {
  mpcomm_group_t g = nullptr;
  GroupHolder() = default;
  GroupHolder(const GroupHolder &) = delete;
  GroupHolder &operator=(const GroupHolder &) = delete;
  ~GroupHolder() { mpcomm_group_free(&g); }
};

// Destroys the state at scope exit.
struct StateHolder {
  mpcomm_state_t s = nullptr;
  StateHolder() = default;
  StateHolder(const StateHolder &) = delete;
  StateHolder &operator=(const StateHolder &) = delete;
  ~StateHolder() { mpcomm_state_destroy(&s); }
};

// The bytes of object `id` of length len: every byte depends on id and position.
inline std::vector<char> object_bytes(size_t len, unsigned id) {
  std::vector<char> v(len);
  for (size_t i = 0; i < len; ++i) v[i] = static_cast<char>((i * 131 + id * 17 + (i >> 12)) & 0xff);
  return v;
}

// Broadcasts object `id` of len bytes from src (into a larger buffer) and checks every byte.
inline void check_broadcast(mpcomm_group_t g, int rank, int src, size_t len, unsigned id) {
  std::vector<char> buf = rank == src ? object_bytes(len, id) : std::vector<char>(len + 7, 'x');
  size_t got_len = rank == src ? len : 999;
  ASSERT_EQ(mpcomm_broadcast_object(g, buf.data(), buf.size(), &got_len, src), MPCOMM_SUCCESS)
      << last_error();
  ASSERT_EQ(got_len, len);
  buf.resize(len);
  EXPECT_TRUE(buf == object_bytes(len, id)) << "broadcast of " << len << " bytes from " << src;
}

}  // namespace grouptest
