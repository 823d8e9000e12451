// soak [OPS] [SEED]: OPS mixed operations (default 1000000) on every rank of MPI_COMM_WORLD,
// each checked: objects (broadcast, all-gather, a ring of send/recv), host collectives
// (all_reduce, broadcast, all_to_allv, all_gatherv), tensor dicts (broadcast) and groups made and
// freed. The kind and sizes of each operation come from one generator seeded alike on every rank,
// so every rank agrees on the sequence without talking; every byte received is compared with what
// its sender made. Prints "soak: ops=N mismatches=M seconds=S" at rank 0; exits 1 on a mismatch or
// a failed call. make check runs 10^4 operations at 4 ranks (soak.sh); README.md gives the long
// run.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mpcomm.h"

namespace {

int rank = 0, size = 1;
uint64_t mismatches = 0;

[[noreturn]] void fail(const char *what, mpcomm_status_t s, uint64_t op) {
  std::fprintf(stderr, "soak: rank %d: op %" PRIu64 ": %s failed (%s): %s\n", rank, op, what,
               mpcomm_status_string(s), mpcomm_last_error());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

#define CALL(op, expr)                             \
  do {                                             \
    const mpcomm_status_t s_ = (expr);             \
    if (s_ != MPCOMM_SUCCESS) fail(#expr, s_, op); \
  } while (0)

void mismatch(uint64_t op, const char *what, size_t at) {
  if (mismatches++ < 10)
    std::fprintf(stderr, "soak: rank %d: op %" PRIu64 ": %s differs at %zu\n", rank, op, what, at);
}

// The byte i of the object that `from` makes for operation op.
unsigned char byte_of(uint64_t op, int from, size_t i) {
  uint64_t x = op * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(from) * 0xbf58476d1ce4e5b9ULL + i;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  return static_cast<unsigned char>(x >> 56);
}

std::vector<unsigned char> object_of(uint64_t op, int from, size_t len) {
  std::vector<unsigned char> out(len);
  for (size_t i = 0; i < len; ++i) out[i] = byte_of(op, from, i);
  return out;
}

void check_object(uint64_t op, const char *what, const unsigned char *got, size_t len, int from) {
  for (size_t i = 0; i < len; ++i)
    if (got[i] != byte_of(op, from, i)) return mismatch(op, what, i);
}

// A size: mostly small, sometimes past the eager limit (8 KiB), rarely large.
size_t random_size(std::mt19937_64 &rng) {
  const unsigned pick = rng() % 100;
  if (pick < 85) return rng() % 1025;
  if (pick < 98) return rng() % 32769;
  return rng() % (1u << 20);
}

void broadcast_object(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const int src = static_cast<int>(rng() % static_cast<unsigned>(size));
  const size_t len = random_size(rng);
  std::vector<unsigned char> buf =
      rank == src ? object_of(op, src, len) : std::vector<unsigned char>(len);
  size_t got = len;
  CALL(op, mpcomm_broadcast_object(g, buf.data(), buf.size(), &got, src));
  if (got != len) return mismatch(op, "broadcast_object length", got);
  check_object(op, "broadcast_object", buf.data(), len, src);
}

void all_gather_object(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  std::vector<size_t> lens(static_cast<size_t>(size));
  size_t total = 0;
  for (auto &l : lens) total += (l = random_size(rng) / 4);
  const auto mine = object_of(op, rank, lens[static_cast<size_t>(rank)]);
  std::vector<unsigned char> out(total);
  std::vector<size_t> got(static_cast<size_t>(size));
  CALL(op,
       mpcomm_all_gather_object(g, mine.data(), mine.size(), out.data(), out.size(), got.data()));
  size_t at = 0;
  for (int r = 0; r < size; ++r) {
    if (got[static_cast<size_t>(r)] != lens[static_cast<size_t>(r)])
      return mismatch(op, "all_gather_object length", static_cast<size_t>(r));
    check_object(op, "all_gather_object", out.data() + at, lens[static_cast<size_t>(r)], r);
    at += lens[static_cast<size_t>(r)];
  }
}

// Each rank sends to the next and receives from the previous; even ranks send first.
void ring_objects(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  std::vector<size_t> lens(static_cast<size_t>(size));
  for (auto &l : lens) l = random_size(rng);
  if (size == 1) return;
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  const auto mine = object_of(op, rank, lens[static_cast<size_t>(rank)]);
  std::vector<unsigned char> in(lens[static_cast<size_t>(prev)]);
  size_t got = 0;
  auto send = [&] { CALL(op, mpcomm_send_object(g, mine.data(), mine.size(), next)); };
  auto recv = [&] { CALL(op, mpcomm_recv_object(g, in.data(), in.size(), &got, prev)); };
  if (rank % 2 == 0) {
    send();
    recv();
  } else {
    recv();
    send();
  }
  if (got != in.size()) return mismatch(op, "recv_object length", got);
  check_object(op, "recv_object", in.data(), in.size(), prev);
}

// Small integers, so that float sums are exact in any order.
int32_t element(uint64_t op, int from, size_t i) {
  return static_cast<int32_t>(byte_of(op, from, i) % 64) - 32;
}

void all_reduce(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const size_t count = random_size(rng) / 4 + 1;
  const unsigned kind = static_cast<unsigned>(rng() % 3);
  std::vector<double> expect(count, 0);
  for (int r = 0; r < size; ++r)
    for (size_t i = 0; i < count; ++i) expect[i] += element(op, r, i);
  auto check = [&](auto *got) {
    for (size_t i = 0; i < count; ++i)
      if (static_cast<double>(got[i]) != expect[i]) return mismatch(op, "all_reduce", i);
  };
  if (kind == 0) {
    std::vector<float> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = static_cast<float>(element(op, rank, i));
    CALL(op, mpcomm_all_reduce(g, v.data(), v.data(), count, MPCOMM_FLOAT32, MPCOMM_SUM, nullptr));
    check(v.data());
  } else if (kind == 1) {
    std::vector<int32_t> in(count), out(count);
    for (size_t i = 0; i < count; ++i) in[i] = element(op, rank, i);
    CALL(op, mpcomm_all_reduce(g, in.data(), out.data(), count, MPCOMM_INT32, MPCOMM_SUM, nullptr));
    check(out.data());
  } else {
    std::vector<double> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = element(op, rank, i);
    CALL(op, mpcomm_all_reduce(g, v.data(), v.data(), count, MPCOMM_FLOAT64, MPCOMM_SUM, nullptr));
    check(v.data());
  }
}

void broadcast(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const int src = static_cast<int>(rng() % static_cast<unsigned>(size));
  const size_t count = random_size(rng) / 4 + 1;
  std::vector<int32_t> v(count, -1);
  if (rank == src)
    for (size_t i = 0; i < count; ++i) v[i] = element(op, src, i);
  CALL(op, mpcomm_broadcast(g, v.data(), count, MPCOMM_INT32, src, nullptr));
  for (size_t i = 0; i < count; ++i)
    if (v[i] != element(op, src, i)) return mismatch(op, "broadcast", i);
}

// Every pair of ranks exchanges its own random count of int32 (0 included), from one matrix
// of counts that every rank draws alike.
void all_to_allv(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const auto n = static_cast<size_t>(size), me = static_cast<size_t>(rank);
  std::vector<size_t> matrix(n * n);  // matrix[i * n + j]: elements from rank i to rank j
  for (auto &c : matrix) c = random_size(rng) / 16;
  std::vector<size_t> send_counts(n), send_displs(n), recv_counts(n), recv_displs(n);
  size_t sent = 0, received = 0;
  for (size_t j = 0; j < n; ++j) {
    send_counts[j] = matrix[me * n + j];
    send_displs[j] = sent;
    sent += send_counts[j];
    recv_counts[j] = matrix[j * n + me];
    recv_displs[j] = received;
    received += recv_counts[j];
  }
  // The block from rank i to rank j holds element(op, i * n + j, k): distinct per pair.
  std::vector<int32_t> send(sent), recv(received, -99);
  for (size_t j = 0; j < n; ++j)
    for (size_t k = 0; k < send_counts[j]; ++k)
      send[send_displs[j] + k] = element(op, static_cast<int>(me * n + j), k);
  CALL(op, mpcomm_all_to_allv(g, send.data(), send_counts.data(), send_displs.data(), recv.data(),
                              recv_counts.data(), recv_displs.data(), MPCOMM_INT32, nullptr));
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < recv_counts[i]; ++k)
      if (recv[recv_displs[i] + k] != element(op, static_cast<int>(i * n + me), k))
        return mismatch(op, "all_to_allv", recv_displs[i] + k);
}

// Rows of float32 gathered along dim 0, each rank with its own random number of rows (0
// included), of a width every rank draws alike.
void all_gatherv(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const int64_t width = static_cast<int64_t>(rng() % 16 + 1);
  std::vector<size_t> sizes(static_cast<size_t>(size));
  size_t total = 0;
  for (auto &rows : sizes) total += (rows = random_size(rng) % 65);
  const size_t mine = sizes[static_cast<size_t>(rank)];
  std::vector<float> in(mine * static_cast<size_t>(width)),
      out(total * static_cast<size_t>(width), -99);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(element(op, rank, i));
  int64_t in_shape[2] = {static_cast<int64_t>(mine), width};
  int64_t out_shape[2] = {static_cast<int64_t>(total), width};
  DLTensor t_in{}, t_out{};
  t_in.data = in.data();
  t_out.data = out.data();
  t_in.device = t_out.device = DLDevice{kDLCPU, 0};
  t_in.ndim = t_out.ndim = 2;
  t_in.dtype = t_out.dtype = DLDataType{kDLFloat, 32, 1};
  t_in.shape = in_shape;
  t_out.shape = out_shape;
  CALL(op, mpcomm_all_gatherv(g, &t_in, &t_out, sizes.data(), 0, nullptr));
  size_t at = 0;
  for (int r = 0; r < size; ++r) {
    const size_t n = sizes[static_cast<size_t>(r)] * static_cast<size_t>(width);
    for (size_t i = 0; i < n; ++i)
      if (out[at + i] != static_cast<float>(element(op, r, i)))
        return mismatch(op, "all_gatherv", at + i);
    at += n;
  }
}

void broadcast_tensor_dict(mpcomm_group_t g, std::mt19937_64 &rng, uint64_t op) {
  const int src = static_cast<int>(rng() % static_cast<unsigned>(size));
  int64_t shape[2] = {static_cast<int64_t>(rng() % 64), static_cast<int64_t>(rng() % 64 + 1)};
  const size_t numel = static_cast<size_t>(shape[0] * shape[1]);
  const size_t blob = random_size(rng) % 2048;
  mpcomm_tensor_dict_t dict = nullptr;
  std::vector<float> data(numel);
  if (rank == src) {
    for (size_t i = 0; i < numel; ++i) data[i] = static_cast<float>(element(op, src, i));
    DLTensor t{};
    t.data = data.data();
    t.device = DLDevice{kDLCPU, 0};
    t.ndim = 2;
    t.dtype = DLDataType{kDLFloat, 32, 1};
    t.shape = shape;
    CALL(op, mpcomm_tensor_dict_create(&dict));
    CALL(op, mpcomm_tensor_dict_set_tensor(dict, "weight", &t));
    CALL(op, mpcomm_tensor_dict_set_int(dict, "op", static_cast<int64_t>(op)));
    const auto bytes = object_of(op, src, blob);
    CALL(op, mpcomm_tensor_dict_set_bytes(dict, "blob", bytes.data(), bytes.size()));
  }
  CALL(op, mpcomm_broadcast_tensor_dict(g, &dict, src));
  if (rank != src) {
    const DLTensor *t = nullptr;
    int64_t got_op = -1;
    const void *bytes = nullptr;
    size_t len = 0;
    CALL(op, mpcomm_tensor_dict_get_tensor(dict, "weight", &t));
    CALL(op, mpcomm_tensor_dict_get_int(dict, "op", &got_op));
    CALL(op, mpcomm_tensor_dict_get_bytes(dict, "blob", &bytes, &len));
    if (got_op != static_cast<int64_t>(op)) mismatch(op, "tensor dict int", 0);
    if (t->ndim != 2 || t->shape[0] != shape[0] || t->shape[1] != shape[1])
      mismatch(op, "tensor dict shape", 0);
    else
      for (size_t i = 0; i < numel; ++i)
        if (static_cast<const float *>(t->data)[i] != static_cast<float>(element(op, src, i)))
          return mismatch(op, "tensor dict tensor", i);
    if (len != blob)
      mismatch(op, "tensor dict bytes length", len);
    else
      check_object(op, "tensor dict bytes", static_cast<const unsigned char *>(bytes), len, src);
  }
  CALL(op, mpcomm_tensor_dict_free(&dict));
}

// A group of a random subset of the ranks (in a random order), used once and freed.
void group_create_free(std::mt19937_64 &rng, uint64_t op) {
  std::vector<int> ranks(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) ranks[static_cast<size_t>(r)] = r;
  std::shuffle(ranks.begin(), ranks.end(), rng);
  const int n = 1 + static_cast<int>(rng() % static_cast<unsigned>(size));
  int mine = -1;
  for (int i = 0; i < n; ++i)
    if (ranks[static_cast<size_t>(i)] == rank) mine = i;
  if (mine < 0) return;
  mpcomm_group_t sub = nullptr;
  CALL(op, mpcomm_group_from_ranks(MPI_COMM_WORLD, ranks.data(), n, &sub));
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  CALL(op, mpcomm_group_info(sub, &info));
  if (info.size != n || info.rank_in_group != mine) mismatch(op, "group info", 0);
  int one = 1, sum = 0;
  CALL(op, mpcomm_all_reduce(sub, &one, &sum, 1, MPCOMM_INT32, MPCOMM_SUM, nullptr));
  if (sum != n) mismatch(op, "group all_reduce", 0);
  CALL(op, mpcomm_group_free(&sub));
}

}  // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const uint64_t ops = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261204;
  mpcomm_group_t world = nullptr;
  CALL(0, mpcomm_group_from_comm(MPI_COMM_WORLD, &world));
  std::mt19937_64 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  uint64_t counts[9] = {0};
  for (uint64_t op = 0; op < ops; ++op) {
    const unsigned pick = static_cast<unsigned>(rng() % 100);
    const int kind = pick < 18   ? 0
                     : pick < 31 ? 1
                     : pick < 44 ? 2
                     : pick < 62 ? 3
                     : pick < 74 ? 4
                     : pick < 82 ? 5
                     : pick < 90 ? 6
                     : pick < 98 ? 7
                                 : 8;
    ++counts[kind];
    switch (kind) {
      case 0: broadcast_object(world, rng, op); break;
      case 1: all_gather_object(world, rng, op); break;
      case 2: ring_objects(world, rng, op); break;
      case 3: all_reduce(world, rng, op); break;
      case 4: broadcast(world, rng, op); break;
      case 5: all_to_allv(world, rng, op); break;
      case 6: all_gatherv(world, rng, op); break;
      case 7: broadcast_tensor_dict(world, rng, op); break;
      default: group_create_free(rng, op); break;
    }
    if (rank == 0 && ops >= 100000 && (op + 1) % 100000 == 0)
      std::printf("soak: %" PRIu64 " ops\n", op + 1), std::fflush(stdout);
  }
  CALL(ops, mpcomm_barrier(world, 0));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t total = 0;
  MPI_Allreduce(&mismatches, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf("soak: ops=%" PRIu64 " mismatches=%" PRIu64 " seconds=%.1f ranks=%d seed=%" PRIu64
                " (objects: %" PRIu64 " broadcast, %" PRIu64 " all_gather, %" PRIu64
                " send/recv; host: %" PRIu64 " all_reduce, %" PRIu64 " broadcast, %" PRIu64
                " all_to_allv, %" PRIu64 " all_gatherv; %" PRIu64 " tensor dicts; %" PRIu64
                " groups)\n",
                ops, total, seconds, size, seed, counts[0], counts[1], counts[2], counts[3],
                counts[4], counts[5], counts[6], counts[7], counts[8]);
  CALL(ops, mpcomm_group_free(&world));
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
