// Helpers shared by the tests of the node's shared-memory allreduce (test_shm_allreduce,
// test_mem_alloc): the node's communicator, integer-valued inputs exact in every supported type
// and op with their reference results, and the names in /dev/shm.
#pragma once

#include <dirent.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "mpcomm.h"

namespace shmtest {

struct Node {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  Node() {
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &comm);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
  }
  ~Node() { MPI_Comm_free(&comm); }
};

// Small integers, so that every op is exact in every type (products stay below 2^8 at 4 ranks).
inline double input(int rank, size_t i, mpcomm_op_t op) {
  if (op == MPCOMM_PROD) return 1 + ((i + rank) % 2);
  return static_cast<double>((i * 7 + rank * 3) % 23) - 5;
}

inline double expected(int size, size_t i, mpcomm_op_t op) {
  double acc = input(0, i, op);
  for (int r = 1; r < size; ++r) {
    const double v = input(r, i, op);
    switch (op) {
      case MPCOMM_PROD: acc *= v; break;
      case MPCOMM_MAX: acc = std::max(acc, v); break;
      case MPCOMM_MIN: acc = std::min(acc, v); break;
      default: acc += v;
    }
  }
  return op == MPCOMM_AVG ? acc / size : acc;
}

inline size_t esize_of(mpcomm_datatype_t t) { return t == MPCOMM_FLOAT32 ? 4 : 2; }

inline void store(mpcomm_datatype_t t, char *at, double v) {
  if (t == MPCOMM_FLOAT32) {
    const auto f = static_cast<float>(v);
    std::memcpy(at, &f, 4);
    return;
  }
  const uint16_t h = t == MPCOMM_FLOAT16 ? mpcomm::half::float_to_float16(static_cast<float>(v))
                                         : mpcomm::half::float_to_bfloat16(static_cast<float>(v));
  std::memcpy(at, &h, 2);
}

inline double load(mpcomm_datatype_t t, const char *at) {
  if (t == MPCOMM_FLOAT32) {
    float f;
    std::memcpy(&f, at, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, at, 2);
  return t == MPCOMM_FLOAT16 ? mpcomm::half::float16_to_float(h)
                             : mpcomm::half::bfloat16_to_float(h);
}

inline void fill(mpcomm_datatype_t t, mpcomm_op_t op, int rank, char *send, size_t count) {
  for (size_t i = 0; i < count; ++i) store(t, send + i * esize_of(t), input(rank, i, op));
}

// The number of wrong elements of out after an allreduce of count elements.
inline size_t wrong(mpcomm_datatype_t t, mpcomm_op_t op, int size, const char *out, size_t count) {
  std::vector<char> want(esize_of(t));
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    store(t, want.data(), expected(size, i, op));  // rounded once in the element type
    if (load(t, out + i * esize_of(t)) != load(t, want.data())) ++n;
  }
  return n;
}

// The names in /dev/shm of the segments this process made ("mpcomm-<pid>-..."; each maker
// removes its own, so every rank checking its own covers them all). Only its own: other tests,
// other jobs and, on simulated nodes, the other node make segments in the same /dev/shm at any
// moment.
inline std::set<std::string> dev_shm() {
  const std::string own = "mpcomm-" + std::to_string(getpid()) + "-";
  std::set<std::string> names;
  if (DIR *d = opendir("/dev/shm")) {
    while (dirent *e = readdir(d))
      if (std::string(e->d_name).rfind(own, 0) == 0) names.insert(e->d_name);
    closedir(d);
  }
  return names;
}

}  // namespace shmtest
