// Helpers shared by the group tests: world rank and size, a group freed at scope exit, a scoped
// environment variable, and deterministic object contents.
#pragma once

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

}  // namespace grouptest
