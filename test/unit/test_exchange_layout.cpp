// The v-collectives' layouts in the shared-memory exchange (host/exchange_collectives.hpp), on a
// model of the members in one process: each member's put writes no byte past what its *_bytes
// announces (the size checked against the half's capacity; a put past it would write into the
// next half or past the segment), and every member's take from the members' halves gives the
// collective's result, for 1 to 4 members, every rank, zero-size blocks, and several slabs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "host/exchange_collectives.hpp"
#include "host/tensor.hpp"
#include "host/tensor_collectives.hpp"

namespace {

using namespace mpcomm::host;

constexpr size_t kGuard = 64;
constexpr unsigned char kFill = 0xA5;

// A member's half: `bytes` announced, then a guard.
struct Half {
  std::vector<char> mem;
  size_t bytes;
  explicit Half(size_t b) : mem(b + kGuard, static_cast<char>(kFill)), bytes(b) {}
  bool guard_intact() const {
    for (size_t i = bytes; i < mem.size(); ++i)
      if (static_cast<unsigned char>(mem[i]) != kFill) return false;
    return true;
  }
};

std::vector<const char *> views(const std::vector<Half> &halves) {
  std::vector<const char *> v;
  for (const Half &h : halves) v.push_back(h.mem.data());
  return v;
}

// A float32 tensor view over `data` with `shape`.
TensorView view(std::vector<float> &data, const std::vector<int64_t> &shape) {
  TensorView t;
  t.data = reinterpret_cast<unsigned char *>(data.data());
  t.dtype = MPCOMM_FLOAT32;
  t.ndim = static_cast<int>(shape.size());
  t.shape = shape.data();
  t.numel = data.size();
  t.nbytes = data.size() * sizeof(float);
  return t;
}

// Member r's block j of all_to_all, element i.
int32_t a2a(int r, int j, size_t i) { return r * 10000 + j * 100 + static_cast<int32_t>(i); }

TEST(ExchangeLayout, AllToAll) {
  for (int n = 1; n <= 4; ++n)
    for (size_t count : {size_t{0}, size_t{1}, size_t{7}}) {
      const size_t block = count * sizeof(int32_t);
      std::vector<std::vector<int32_t>> send(static_cast<size_t>(n));
      std::vector<Half> halves;
      for (int r = 0; r < n; ++r) {
        auto &s = send[static_cast<size_t>(r)];
        for (int j = 0; j < n; ++j)
          for (size_t i = 0; i < count; ++i) s.push_back(a2a(r, j, i));
        halves.emplace_back(all_to_all_bytes(block, n));
        all_to_all_put(s.data(), block, n, r, halves.back().mem.data());
        EXPECT_TRUE(halves.back().guard_intact()) << n << " members, rank " << r;
      }
      const auto v = views(halves);
      for (int r = 0; r < n; ++r) {
        std::vector<int32_t> recv(count * static_cast<size_t>(n), -1);
        all_to_all_take(v.data(), n, r, send[static_cast<size_t>(r)].data(), recv.data(), block);
        for (int from = 0; from < n; ++from)
          for (size_t i = 0; i < count; ++i)
            ASSERT_EQ(recv[static_cast<size_t>(from) * count + i], a2a(from, r, i))
                << n << " members, rank " << r << " from " << from;
      }
    }
}

TEST(ExchangeLayout, AllToAllV) {
  for (int n = 1; n <= 4; ++n) {
    const size_t un = static_cast<size_t>(n);
    // Member r sends (r + 2j) % 3 elements to j (zeros included), with a gap of one between
    // blocks in reverse order.
    const auto count = [](int r, int j) { return static_cast<size_t>((r + 2 * j) % 3); };
    std::vector<std::vector<int32_t>> send(un);
    std::vector<std::vector<size_t>> sc(un, std::vector<size_t>(un)), sd = sc;
    std::vector<Half> halves;
    for (int r = 0; r < n; ++r) {
      size_t at = 0;
      for (int j = n - 1; j >= 0; --j) {
        sc[r][j] = count(r, j), sd[r][j] = at, at += sc[r][j] + 1;
      }
      send[r].assign(at, -7);
      for (int j = 0; j < n; ++j)
        for (size_t i = 0; i < sc[r][j]; ++i) send[r][sd[r][j] + i] = a2a(r, j, i);
      halves.emplace_back(all_to_allv_bytes(sc[r].data(), n, r, sizeof(int32_t)));
      all_to_allv_put(send[r].data(), sc[r].data(), sd[r].data(), n, r, sizeof(int32_t),
                      halves.back().mem.data());
      EXPECT_TRUE(halves.back().guard_intact()) << n << " members, rank " << r;
    }
    const auto v = views(halves);
    for (int r = 0; r < n; ++r) {
      std::vector<size_t> rc(un), rd(un);
      size_t at = 0;
      for (int j = 0; j < n; ++j) rc[j] = count(j, r), rd[j] = at, at += rc[j];
      std::vector<int32_t> recv(at, -1);
      all_to_allv_take(v.data(), n, r, send[r].data(), sd[r].data(), recv.data(), rc.data(),
                       rd.data(), sizeof(int32_t));
      for (int from = 0; from < n; ++from)
        for (size_t i = 0; i < rc[from]; ++i)
          ASSERT_EQ(recv[rd[from] + i], a2a(from, r, i)) << n << " members, rank " << r;
    }
  }
  const size_t huge[2] = {SIZE_MAX / 2, SIZE_MAX / 2};
  EXPECT_EQ(all_to_allv_bytes(huge, 2, 1, 4), SIZE_MAX) << "overflow fits nowhere";
}

// [outer, sizes, 3] tensors along dim 1: all_gatherv and reduce_scatterv.
TEST(ExchangeLayout, AllGatherVAndReduceScatterV) {
  for (int n = 1; n <= 4; ++n)
    for (int64_t outer : {1, 2}) {
      const size_t un = static_cast<size_t>(n);
      std::vector<size_t> sizes(un);
      int64_t total = 0;
      for (size_t r = 0; r < un; ++r) sizes[r] = r == 1 ? 0 : r % 3 + 1, total += sizes[r];
      const int64_t row = 3;
      const auto value = [&](size_t r, size_t i) { return static_cast<float>(r * 1000 + i); };

      // all_gatherv: member r's in is [outer, sizes[r], row].
      std::vector<std::vector<float>> ins(un);
      std::vector<std::vector<int64_t>> in_shapes(un);
      std::vector<Half> halves;
      for (size_t r = 0; r < un; ++r) {
        in_shapes[r] = {outer, static_cast<int64_t>(sizes[r]), row};
        ins[r].resize(static_cast<size_t>(outer) * sizes[r] * row);
        for (size_t i = 0; i < ins[r].size(); ++i) ins[r][i] = value(r, i);
        const TensorView in = view(ins[r], in_shapes[r]);
        halves.emplace_back(in.nbytes);
        all_gatherv_put(in, halves.back().mem.data());
        EXPECT_TRUE(halves.back().guard_intact());
      }
      const auto v = views(halves);
      const std::vector<int64_t> out_shape = {outer, total, row};
      std::vector<float> out_data(static_cast<size_t>(outer * total * row), -1);
      const TensorView out = view(out_data, out_shape);
      all_gatherv_take(v.data(), n, out, v_layout(out, 1, sizes.data(), n));
      for (int64_t o = 0; o < outer; ++o) {
        int64_t at = 0;
        for (size_t r = 0; r < un; ++r)
          for (size_t x = 0; x < sizes[r]; ++x, ++at)
            for (int64_t c = 0; c < row; ++c)
              ASSERT_EQ(out_data[static_cast<size_t>((o * total + at) * row + c)],
                        value(r, static_cast<size_t>((o * static_cast<int64_t>(sizes[r]) +
                                                      static_cast<int64_t>(x)) *
                                                         row +
                                                     c)))
                  << n << " members, outer " << outer;
      }

      // reduce_scatterv (sum): every member's in is [outer, total, row].
      std::vector<std::vector<float>> whole(un);
      std::vector<Half> rs_halves;
      for (size_t r = 0; r < un; ++r) {
        whole[r].resize(static_cast<size_t>(outer * total * row));
        for (size_t i = 0; i < whole[r].size(); ++i) whole[r][i] = value(r, i);
        const TensorView in = view(whole[r], out_shape);
        const VLayout &l = v_layout(in, 1, sizes.data(), n);
        rs_halves.emplace_back(reduce_scatterv_bytes(in));
        reduce_scatterv_put(in, l, static_cast<int>(r), rs_halves.back().mem.data());
        EXPECT_TRUE(rs_halves.back().guard_intact());
      }
      const auto rv = views(rs_halves);
      for (size_t r = 0; r < un; ++r) {
        const TensorView in = view(whole[r], out_shape);
        const std::vector<int64_t> mine = {outer, static_cast<int64_t>(sizes[r]), row};
        std::vector<float> got(static_cast<size_t>(outer) * sizes[r] * row, -1);
        const TensorView o_view = view(got, mine);
        const VLayout &l = v_layout(in, 1, sizes.data(), n);
        reduce_scatterv_take(rv.data(), n, static_cast<int>(r), in, o_view, l, MPCOMM_SUM);
        size_t before = 0;
        for (size_t q = 0; q < r; ++q) before += sizes[q];
        for (int64_t o = 0; o < outer; ++o)
          for (size_t x = 0; x < sizes[r]; ++x)
            for (int64_t c = 0; c < row; ++c) {
              const auto i =
                  static_cast<size_t>((o * total + static_cast<int64_t>(before + x)) * row + c);
              float want = 0;
              for (size_t q = 0; q < un; ++q) want += value(q, i);
              ASSERT_EQ(
                  got[static_cast<size_t>(
                      (o * static_cast<int64_t>(sizes[r]) + static_cast<int64_t>(x)) * row + c)],
                  want)
                  << n << " members, rank " << r << ", outer " << outer;
            }
      }
    }
}

}  // namespace
