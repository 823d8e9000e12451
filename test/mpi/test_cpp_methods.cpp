// Every method of the C++ API (include/mpcomm.hpp) called at 1, 2 and 4 ranks, with its result
// checked: statuses and version, ParallelConfig, TensorDict, Group (handles, objects, locality,
// DP helpers, every data-plane operation in its typed, range and untyped forms, tensor dicts,
// the GPU calls), State, Span and Tensor. test/tools/cxx-coverage.sh checks that mpcomm.hpp
// calls every C function; this checks that those calls work.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpcomm.hpp"

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Runs body, which must throw mpcomm::Exception with status; returns its message.
template <class Body>
std::string thrown(mpcomm_status_t status, Body &&body) {
  try {
    body();
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), status) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// A port free on 127.0.0.1 when rank 0 asked, shared with every rank.
int shared_free_port() {
  int port = 0;
  if (world_rank() == 0) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
      port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
  }
  MPI_Bcast(&port, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return port;
}

// Element types map to datatypes at compile time.
static_assert(mpcomm::datatype_of<int8_t> == MPCOMM_INT8);
static_assert(mpcomm::datatype_of<uint8_t> == MPCOMM_UINT8);
static_assert(mpcomm::datatype_of<int32_t> == MPCOMM_INT32);
static_assert(mpcomm::datatype_of<const int64_t> == MPCOMM_INT64);
static_assert(mpcomm::datatype_of<mpcomm::float16> == MPCOMM_FLOAT16);
static_assert(mpcomm::datatype_of<mpcomm::bfloat16> == MPCOMM_BFLOAT16);
static_assert(mpcomm::datatype_of<float> == MPCOMM_FLOAT32);
static_assert(mpcomm::datatype_of<double> == MPCOMM_FLOAT64);
static_assert(mpcomm::datatype_of<bool> == MPCOMM_BOOL);
static_assert(mpcomm::datatype_of<int16_t> == MPCOMM_INT16);
static_assert(mpcomm::datatype_of<uint16_t> == MPCOMM_UINT16);
static_assert(mpcomm::datatype_of<uint32_t> == MPCOMM_UINT32);
static_assert(mpcomm::datatype_of<uint64_t> == MPCOMM_UINT64);
static_assert(mpcomm::datatype_of<mpcomm::float8_e4m3fn> == MPCOMM_FLOAT8_E4M3FN);
static_assert(mpcomm::datatype_of<mpcomm::float8_e5m2> == MPCOMM_FLOAT8_E5M2);
static_assert(mpcomm::dl_datatype<bool>().code == 6 && mpcomm::dl_datatype<bool>().bits == 8);
static_assert(mpcomm::dl_datatype<mpcomm::float8_e5m2>().code == 12);
static_assert(mpcomm::dl_datatype<mpcomm::bfloat16>().code == kDLBfloat);
static_assert(mpcomm::dl_datatype<uint8_t>().bits == 8);
static_assert(!std::is_copy_constructible_v<mpcomm::Group>);
static_assert(!std::is_copy_constructible_v<mpcomm::State>);
static_assert(!std::is_copy_constructible_v<mpcomm::TensorDict>);
static_assert(std::is_nothrow_move_constructible_v<mpcomm::Group>);
static_assert(std::is_nothrow_move_constructible_v<mpcomm::State>);
static_assert(std::is_nothrow_move_constructible_v<mpcomm::TensorDict>);

}  // namespace

TEST(CppMethods, StatusesAndVersion) {
  EXPECT_STREQ(mpcomm::status_string(MPCOMM_ERR_TIMEOUT), mpcomm_status_string(MPCOMM_ERR_TIMEOUT));
  const mpcomm::Version v = mpcomm::version();
  EXPECT_EQ(v.major, MPCOMM_VERSION_MAJOR);
  EXPECT_EQ(v.minor, MPCOMM_VERSION_MINOR);
  EXPECT_EQ(v.patch, MPCOMM_VERSION_PATCH);
  const std::string m = thrown(MPCOMM_ERR_INVALID_ARGUMENT, [] { mpcomm::pp_indices(4, 5, 2); });
  EXPECT_EQ(mpcomm::last_error().empty(), false);
  EXPECT_TRUE(contains(m, mpcomm::last_error())) << m;
}

TEST(CppMethods, ParallelConfig) {
  mpcomm::ParallelConfig cfg;
  EXPECT_EQ(cfg->tensor_parallel_size, 1);
  EXPECT_EQ(cfg.get().struct_size, sizeof(mpcomm_parallel_config_t));
  EXPECT_EQ(mpcomm::parallel_config().pipeline_parallel_size, 1);
  cfg->tensor_parallel_size = 2;
  cfg->pipeline_parallel_size = 2;
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_EQ(cfg.world_size(), 4);
  EXPECT_EQ(cfg.world_size_across_dp(), 4);
  EXPECT_EQ(cfg.hash().size(), 64u);
  const mpcomm::ParallelConfig copy(cfg.get());
  EXPECT_EQ(copy.hash(), cfg.hash());
  const mpcomm::GroupLayout tp = cfg.layout(4, MPCOMM_GROUP_TP);
  EXPECT_EQ(tp.ngroups, 2);
  EXPECT_EQ(tp.group_size, 2);
  EXPECT_EQ(tp.ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(tp.group(1), (std::vector<int>{2, 3}));
  EXPECT_EQ(cfg.layout(4, MPCOMM_GROUP_PP).group(0), (std::vector<int>{0, 2}));
  EXPECT_EQ(mpcomm::pp_indices(8, 1, 2), std::make_pair(4, 8));
  cfg->tensor_parallel_size = 0;
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { cfg.validate(); }),
                       "tensor_parallel_size"));
}

TEST(CppMethods, TensorDict) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  mpcomm::Tensor t(data.data(), {2, 3});
  mpcomm::TensorDict d;
  d.set_tensor("x", t);
  d.set_int("step", 7);
  d.set_double("scale", 0.5);
  d.set_bool("dummy", true);
  d.set_string("name", "layer");
  const char bytes[] = {1, 0, 2};
  d.set_bytes("raw", bytes, sizeof bytes);
  EXPECT_EQ(d.size(), 6u);
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"x", "step", "scale", "dummy", "name", "raw"}));
  EXPECT_EQ(d.key_at(1), "step");
  EXPECT_EQ(d.kind("x"), MPCOMM_VALUE_TENSOR);
  EXPECT_EQ(d.kind("raw"), MPCOMM_VALUE_BYTES);
  EXPECT_EQ(d.get_tensor("x").data, data.data());
  EXPECT_EQ(d.get_tensor("x").shape[1], 3);
  EXPECT_EQ(d.get_int("step"), 7);
  EXPECT_EQ(d.get_double("scale"), 0.5);
  EXPECT_TRUE(d.get_bool("dummy"));
  EXPECT_EQ(d.get_string("name"), "layer");
  EXPECT_EQ(d.get_bytes("raw"), (std::vector<unsigned char>{1, 0, 2}));
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { d.get_int("name"); }), "name"));
  mpcomm::TensorDict moved = std::move(d);
  EXPECT_FALSE(d);
  EXPECT_TRUE(moved);
  mpcomm_tensor_dict_t raw = moved.release();
  mpcomm::TensorDict adopted(raw);
  EXPECT_EQ(adopted.get(), raw);
  adopted.free();
  EXPECT_FALSE(adopted);
  mpcomm::TensorDict other;
  other.reset();
  EXPECT_FALSE(other);
}

TEST(CppMethods, SpanAndTensor) {
  std::vector<int32_t> v = {1, 2, 3};
  mpcomm::Span<const int32_t> s(v);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2], 3);
  EXPECT_EQ(std::accumulate(s.begin(), s.end(), 0), 6);
  std::array<double, 2> a = {1, 2};
  mpcomm::Span<double> sa(a);
  EXPECT_EQ(sa.data(), a.data());
  EXPECT_TRUE(mpcomm::Span<float>().empty());
  mpcomm::Tensor t(v.data(), {3});
  mpcomm::Tensor copy = t;  // the copy's shape is its own
  EXPECT_NE(copy.dl().shape, t.dl().shape);
  EXPECT_EQ(copy.dl().shape[0], 3);
  EXPECT_EQ(copy.numel(), 3);
  const mpcomm::Tensor from_dl(t.dl());
  EXPECT_EQ(from_dl.shape(), std::vector<int64_t>{3});
  EXPECT_EQ(from_dl.dl().dtype.code, kDLInt);
}

TEST(CppMethods, GroupHandles) {
  const int n = world_size(), me = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  EXPECT_TRUE(g.owned());
  EXPECT_EQ(g.rank(), me);
  EXPECT_EQ(g.size(), n);
  EXPECT_EQ(g.info().global_rank, me);
  std::vector<int> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(g.ranks(), all);
  int cmp = MPI_UNEQUAL;
  MPI_Comm_compare(g.comm(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  EXPECT_EQ(MPI_Comm_f2c(g.comm_f()), g.comm());
  g.set_timeout(42);
  EXPECT_EQ(g.timeout(), 42);
  g.barrier(10);

  mpcomm::Group f = mpcomm::Group::from_comm_f(MPI_Comm_c2f(MPI_COMM_WORLD));
  EXPECT_EQ(f.size(), n);
  mpcomm::Group mine = mpcomm::Group::from_ranks(MPI_COMM_WORLD, {me});
  EXPECT_EQ(mine.size(), 1);
  mpcomm::Group mine_f = mpcomm::Group::from_ranks_f(MPI_Comm_c2f(MPI_COMM_WORLD), {me});
  EXPECT_EQ(mine_f.info().global_rank, me);
  const int port = shared_free_port();
  mpcomm::Group joined = mpcomm::Group::join("127.0.0.1", port, me, n, 30);
  EXPECT_EQ(joined.rank(), me);
  EXPECT_TRUE(contains(
      thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { mpcomm::Group::join("127.0.0.1", port, n, n, 1); }),
      "rank"));

  mpcomm::Group borrowed = mpcomm::Group::borrow(g.get());
  EXPECT_FALSE(borrowed.owned());
  borrowed.reset();  // does not free g
  EXPECT_EQ(g.size(), n);
  mpcomm_group_t raw = mine.release();
  EXPECT_FALSE(mine);
  mpcomm::Group adopted(raw);
  adopted.free();
  EXPECT_FALSE(adopted);
  f.reset();
  EXPECT_FALSE(f);
  mpcomm::Group moved;
  moved = std::move(mine_f);
  EXPECT_TRUE(moved);
  EXPECT_FALSE(mine_f);
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [] { mpcomm::Group().barrier(); }),
                       "group must not be NULL"));
}

TEST(CppMethods, ObjectsLocalityAndDpHelpers) {
  const int n = world_size(), me = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(30);
  // Every member sends to the next, then receives from the previous (sends do not wait).
  if (n > 1) {
    const std::string text = "from " + std::to_string(me);
    g.send_object(text.data(), text.size(), (me + 1) % n);
    const std::vector<char> got = g.recv_object((me + n - 1) % n);
    EXPECT_EQ(std::string(got.begin(), got.end()), "from " + std::to_string((me + n - 1) % n));
    g.send_value(mpcomm::Value(me), (me + 1) % n);
    EXPECT_EQ(g.recv_value((me + n - 1) % n).as_int(), (me + n - 1) % n);
  } else {
    thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.send_object("x", 1, 0); });
  }
  const std::vector<char> b = g.broadcast_object({'h', 'i'}, 0);
  EXPECT_EQ(std::string(b.begin(), b.end()), "hi");
  EXPECT_EQ(g.broadcast_value(mpcomm::Value("v"), n - 1).as_string(), "v");
  const auto objects = g.all_gather_object(&me, sizeof me);
  ASSERT_EQ(objects.size(), static_cast<size_t>(n));
  const auto values = g.all_gather_values(mpcomm::Value(me * 10));
  for (int r = 0; r < n; ++r) EXPECT_EQ(values[static_cast<size_t>(r)].as_int(), r * 10);

  if (n > 1) {
    g.enable_message_queue();
    EXPECT_EQ(g.broadcast_object({'q'}, 0), std::vector<char>{'q'});
  }
  EXPECT_EQ(g.in_the_same_node_as(0), std::vector<bool>(static_cast<size_t>(n), true));
  EXPECT_EQ(g.node_count(), 1);
  EXPECT_EQ(g.dp_has_unfinished(me == n - 1), true);
  EXPECT_EQ(g.dp_has_unfinished(false), false);
  EXPECT_EQ(g.dp_sync_kv_cache_memory_size(100 + me), 100);
  EXPECT_EQ(g.dp_sync_kv_cache_memory_size(-1), INT64_MAX);
}

TEST(CppMethods, DataPlaneInEveryForm) {
  const int n = world_size(), me = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(30);
  const float sum = static_cast<float>(n * (n - 1) / 2);

  std::vector<float> a = {static_cast<float>(me), 1}, b(2);
  g.all_reduce(a, b);
  EXPECT_EQ(b, (std::vector<float>{sum, static_cast<float>(n)}));
  g.all_reduce(a.data(), b.data(), a.size(), MPCOMM_MAX);
  EXPECT_EQ(b[0], static_cast<float>(n - 1));
  std::vector<int64_t> c = {me, 2};
  g.all_reduce_in_place(c, MPCOMM_MIN);
  EXPECT_EQ(c, (std::vector<int64_t>{0, 2}));
  double d = me, e = 0;
  g.all_reduce(&d, &e, 1, MPCOMM_FLOAT64, MPCOMM_SUM);
  EXPECT_EQ(e, sum);
  std::vector<float> short_recv(1);
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.all_reduce(a, short_recv); }),
                       "send has 2 elements, recv has 1"));

  std::array<int32_t, 3> x{};
  if (me == n - 1) x = {7, 8, 9};
  g.broadcast(x, n - 1);
  EXPECT_EQ(x[2], 9);
  int8_t y = me == 0 ? 5 : 0;
  g.broadcast(&y, 1, 0);
  EXPECT_EQ(y, 5);
  uint8_t z = me == 0 ? 6 : 0;
  g.broadcast(static_cast<void *>(&z), 1, MPCOMM_UINT8, 0);
  EXPECT_EQ(z, 6);

  if (n > 1) {
    // Ring: even ranks send first, odd ranks receive first (sends of the data plane block).
    const int next = (me + 1) % n, prev = (me + n - 1) % n;
    std::vector<double> out = {1.0 * me}, in(1);
    float out2 = static_cast<float>(me), in2 = 0;
    int32_t out3 = me, in3 = 0;
    const auto sends = [&] {
      g.send(out);  // MPCOMM_RANK_DEFAULT: the next member
      g.send(&out2, 1, next);
      g.send(&out3, 1, MPCOMM_INT32, next);
    };
    const auto recvs = [&] {
      g.recv(in);  // the previous member
      g.recv(&in2, 1, prev);
      g.recv(&in3, 1, MPCOMM_INT32, prev);
    };
    if (me % 2 == 0) {
      sends();
      recvs();
    } else {
      recvs();
      sends();
    }
    EXPECT_EQ(in[0], 1.0 * prev);
    EXPECT_EQ(in2, static_cast<float>(prev));
    EXPECT_EQ(in3, prev);
  } else {
    std::vector<float> one(1);
    thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.send(one, 0); });
  }

  // Flat ranges and tensors.
  std::vector<int32_t> mine = {me, me}, gathered(2 * static_cast<size_t>(n));
  g.all_gather(mine, gathered);
  for (int r = 0; r < n; ++r) EXPECT_EQ(gathered[2 * static_cast<size_t>(r) + 1], r);
  std::vector<int32_t> piece(2);
  g.reduce_scatter(gathered, piece);
  EXPECT_EQ(piece, (std::vector<int32_t>{n * me, n * me}));
  std::vector<int32_t> at_root(me == 0 ? gathered.size() : 0);
  g.gather(mine, at_root, 0);
  if (me == 0) {
    EXPECT_EQ(at_root, gathered);
  }
  std::vector<float> rows(2 * 3, static_cast<float>(me)), all_rows(2 * 3 * static_cast<size_t>(n));
  mpcomm::Tensor in(rows.data(), {2, 3}), out(all_rows.data(), {2, 3 * static_cast<int64_t>(n)});
  g.all_gather(in, out, 1);
  EXPECT_EQ(all_rows[3 * static_cast<size_t>(n) - 1], static_cast<float>(n - 1));
  std::vector<float> reduced(2 * 3);
  mpcomm::Tensor red(reduced.data(), {2, 3});
  g.reduce_scatter(out, red, 1, MPCOMM_SUM);
  EXPECT_EQ(reduced[0], static_cast<float>(n * me));
  mpcomm::Tensor nothing;
  g.gather(in, me == 0 ? out : nothing, 0, 1);
}

// The variable-size and all-to-all collectives in their typed and range forms (test_cpp_api
// has the DLTensor and untyped ones).
TEST(CppMethods, MemAllocAndFree) {
  const int n = world_size(), me = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(30);
  auto *v = static_cast<float *>(g.mem_alloc(1000 * sizeof(float)));
  ASSERT_NE(v, nullptr);
  for (int i = 0; i < 1000; ++i) v[i] = static_cast<float>(me + i);
  g.all_reduce(v, v, 1000);
  EXPECT_EQ(v[999], static_cast<float>(n * (n - 1) / 2 + n * 999));
  g.mem_free(v);
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.mem_free(v); }), "ptr ("));
  EXPECT_EQ(g.mem_alloc(0), nullptr);

  // The owned, typed form: a buffer to the typed methods, freed at the end of its scope.
  float *freed = nullptr;
  {
    mpcomm::SharedArray<float> a = g.shared_array<float>(1000);
    ASSERT_EQ(a.size(), 1000u);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(me) + static_cast<float>(i);
    mpcomm::SharedArray<float> b = std::move(a);  // moves ownership: a frees nothing
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.data(), nullptr);
    g.all_reduce(b, b);
    EXPECT_EQ(b[999], static_cast<float>(n * (n - 1) / 2 + n * 999));
    freed = b.data();
  }
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.mem_free(freed); }), "ptr ("));
  mpcomm::SharedArray<int64_t> c = g.shared_array<int64_t>(16);
  c.free();
  EXPECT_EQ(c.data(), nullptr);
  EXPECT_TRUE(g.shared_array<double>(0).empty());
  EXPECT_TRUE(
      contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.shared_array<double>(SIZE_MAX / 4); }),
               "do not fit in size_t"));
  // An array that outlives its group frees nothing and does not crash: the group freed it.
  mpcomm::Group h = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  mpcomm::SharedArray<float> orphan = h.shared_array<float>(8);
  h.free();
  orphan.reset();
}

TEST(CppMethods, VariableSizeAndAllToAllTyped) {
  const int n = world_size(), me = world_rank();
  const size_t un = static_cast<size_t>(n), ume = static_cast<size_t>(me);
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(30);
  // Member r has r + 1 elements, all r.
  std::vector<size_t> sizes(un);
  for (size_t r = 0; r < un; ++r) sizes[r] = r + 1;
  const size_t total = un * (un + 1) / 2;
  std::vector<uint16_t> mine(ume + 1, static_cast<uint16_t>(me)), all(total);
  g.all_gatherv(mine, all, sizes);
  size_t at = 0;
  for (size_t r = 0; r < un; ++r)
    for (size_t i = 0; i <= r; ++i) EXPECT_EQ(all[at++], r);
  std::vector<uint16_t> back(ume + 1);
  g.reduce_scatterv(all, back, sizes, MPCOMM_MAX);
  EXPECT_EQ(back, mine);

  // Two elements to each member: 100 * sender + receiver, then its negation.
  std::vector<int16_t> to(2 * un), from(2 * un);
  for (size_t j = 0; j < un; ++j) {
    to[2 * j] = static_cast<int16_t>(100 * me + static_cast<int>(j));
    to[2 * j + 1] = static_cast<int16_t>(-to[2 * j]);
  }
  g.all_to_all(to, from);
  for (size_t j = 0; j < un; ++j) EXPECT_EQ(from[2 * j], 100 * static_cast<int>(j) + me);
  std::fill(from.begin(), from.end(), 0);
  g.all_to_all(to.data(), from.data(), 2);
  EXPECT_EQ(from[1], -me);
  std::vector<int16_t> odd(2 * un + 1), odd_out(2 * un + 1);
  if (n > 1) {
    EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.all_to_all(odd, odd_out); }),
                         "blocks of equal length"));
  }

  // all_to_allv: only the first of each pair goes, into reversed blocks.
  std::vector<size_t> ones(un, 1), evens(un), reversed(un);
  for (size_t j = 0; j < un; ++j) {
    evens[j] = 2 * j;
    reversed[j] = un - 1 - j;
  }
  std::vector<int16_t> got(un);
  g.all_to_allv(to.data(), ones, evens, got.data(), ones, reversed);
  for (size_t j = 0; j < un; ++j) EXPECT_EQ(got[un - 1 - j], 100 * static_cast<int>(j) + me);
  std::vector<size_t> too_many(un + 1, 1);
  EXPECT_TRUE(contains(
      thrown(MPCOMM_ERR_INVALID_ARGUMENT,
             [&] { g.all_to_allv(to.data(), too_many, evens, got.data(), ones, reversed); }),
      "send_counts has " + std::to_string(un + 1) + " entries"));
  EXPECT_TRUE(
      contains(thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { g.reduce_scatterv(all, back, too_many); }),
               "sizes has"));
}

TEST(CppMethods, TensorDictExchange) {
  const int n = world_size(), me = world_rank();
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  g.set_timeout(30);
  std::vector<float> data(4, static_cast<float>(me));
  mpcomm::TensorDict d;
  d.set_tensor("h", mpcomm::Tensor(data.data(), {4}));
  d.set_int("from", me);
  mpcomm::TensorDict b;
  if (me == 0) b = std::move(d);
  g.broadcast_tensor_dict(b, 0);
  EXPECT_EQ(b.get_int("from"), 0);
  EXPECT_EQ(static_cast<const float *>(b.get_tensor("h").data)[3], 0.0f);
  if (n == 1) return;
  mpcomm::TensorDict mine;
  mine.set_int("from", me);
  mine.set_tensor("h", mpcomm::Tensor(data.data(), {4}));
  // Even ranks send first (a tensor send waits for its receiver). The all-gather group of one
  // member: the whole tensor is the slice.
  const mpcomm::Group alone = mpcomm::Group::from_ranks(MPI_COMM_WORLD, {me});
  mpcomm::TensorDict got(nullptr), into;
  const auto send = [&] { g.send_tensor_dict(mine, MPCOMM_RANK_DEFAULT, &alone); };
  const auto recv = [&] {
    if (me % 2 == 0)
      got = g.recv_tensor_dict(MPCOMM_RANK_DEFAULT, &alone);
    else
      g.recv_tensor_dict(into, (me + n - 1) % n, &alone);
  };
  if (me % 2 == 0) {
    send();
    recv();
  } else {
    recv();
    send();
  }
  const mpcomm::TensorDict &r = me % 2 == 0 ? got : into;
  EXPECT_EQ(r.get_int("from"), (me + n - 1) % n);
  EXPECT_EQ(static_cast<const float *>(r.get_tensor("h").data)[0],
            static_cast<float>((me + n - 1) % n));
}

TEST(CppMethods, GpuCalls) {
  mpcomm::Group g = mpcomm::Group::from_comm(MPI_COMM_WORLD);
  bool gpu = true;
  try {
    g.set_custom_allreduce(false);
  } catch (const mpcomm::Exception &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_NOT_SUPPORTED) << e.what();
    gpu = false;
  }
  if (!gpu) {
    thrown(MPCOMM_ERR_NOT_SUPPORTED, [&] { g.set_device(0); });
    thrown(MPCOMM_ERR_NOT_SUPPORTED, [&] { g.device_init(); });
    thrown(MPCOMM_ERR_NOT_SUPPORTED, [&] { g.device_allreduce_path<float>(1024); });
    thrown(MPCOMM_ERR_NOT_SUPPORTED, [&] { g.device_allreduce_path(8, MPCOMM_FLOAT16); });
    return;
  }
  g.set_device(-1);
  const mpcomm::AllReducePath p = g.device_allreduce_path<mpcomm::float16>(1024);
  EXPECT_EQ(p.path, g.size() == 1 ? MPCOMM_ALLREDUCE_PATH_COPY : MPCOMM_ALLREDUCE_PATH_NCCL)
      << p.why;
  EXPECT_FALSE(p.why.empty());
  g.device_init();
  thrown(MPCOMM_ERR_INVALID_USAGE, [&] { g.set_custom_allreduce(true); });
}

TEST(CppMethods, State) {
  const int n = world_size();
  mpcomm::ParallelConfig cfg;
  cfg->tensor_parallel_size = n;
  mpcomm::State s = mpcomm::State::create(MPI_COMM_WORLD, cfg);
  EXPECT_TRUE(s.owned());
  mpcomm::Group tp = s.group(MPCOMM_GROUP_TP);
  EXPECT_FALSE(tp.owned());
  EXPECT_EQ(tp.size(), n);
  tp.free();  // borrowed: nothing is freed
  EXPECT_EQ(s.group(MPCOMM_GROUP_TP).size(), n);
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_USAGE, [&] { s.group(MPCOMM_GROUP_EP); }),
                       "enable_expert_parallel"));
  bool gpu = false;
  {
    mpcomm::Group probe = mpcomm::Group::from_comm(MPI_COMM_SELF);
    gpu = mpcomm_group_set_device(probe.get(), -1) == MPCOMM_SUCCESS;
  }
  s.set_default();
  mpcomm::State d = mpcomm::State::default_state();
  EXPECT_EQ(d.get(), s.get());
  EXPECT_FALSE(d.owned());
  d.reset();  // borrowed: s lives on
  EXPECT_EQ(s.group(MPCOMM_GROUP_WORLD).size(), n);
  mpcomm::State::clear_default();
  EXPECT_TRUE(contains(thrown(MPCOMM_ERR_INVALID_USAGE, [] { mpcomm::State::default_state(); }),
                       "no default state"));
  int dummy_stream = 0;
  if (!gpu) thrown(MPCOMM_ERR_NOT_SUPPORTED, [&] { s.graph_capture_begin(&dummy_stream); });
  thrown(MPCOMM_ERR_INVALID_ARGUMENT, [&] { s.graph_capture_begin(nullptr); });
  try {
    s.graph_capture_end();  // without a begin
    ADD_FAILURE() << "graph_capture_end without a begin succeeded";
  } catch (const mpcomm::Exception &e) {
    EXPECT_TRUE(e.status() == MPCOMM_ERR_INVALID_USAGE || e.status() == MPCOMM_ERR_NOT_SUPPORTED)
        << e.what();
  }
  mpcomm::State f = mpcomm::State::create_f(MPI_Comm_c2f(MPI_COMM_WORLD), cfg);
  mpcomm_state_t raw = f.release();
  mpcomm::State adopted(raw);
  adopted.destroy();
  EXPECT_FALSE(adopted);
  mpcomm::State moved = std::move(s);
  EXPECT_FALSE(s);
  moved.destroy();
}
