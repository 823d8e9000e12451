// An expert-parallel mixture-of-experts layer on mpcomm's C API, checked against one process.
//
// Every rank of MPI_COMM_WORLD is one member of the EP group and holds kExperts / size experts
// (expert e lives on rank e / experts_per_rank) and its own batch of tokens (rank r has 5 + r).
// A fixed router sends each token to its top-2 experts with softmax weights; an expert is a
// two-layer MLP, y = W2 relu(W1 x). The layer runs two ways, as vLLM runs them:
//   dispatch / combine: the routed rows go to their experts' ranks with mpcomm_all_to_allv
//     (the row counts first, with mpcomm_all_to_all), the experts run there, and the results
//     come back with a second mpcomm_all_to_allv, to be summed with the router's weights;
//   naive: every rank all-gathers every token and its routing (mpcomm_all_gatherv), computes its
//     own experts' weighted share for all of them, and mpcomm_reduce_scatterv sums the shares
//     back to the tokens' ranks.
// Each rank computes the same layer for its own tokens alone, as one process would, and checks
// both results against it. Prints MATCH (exit 0) or MISMATCH (exit 1).
#include <mpcomm.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int kExperts = 8, kTopK = 2, kHidden = 6, kFfn = 10;
constexpr int kRow = kHidden + 1;  // a dispatched row: the expert's number, then the token

void check(mpcomm_status_t s, const char *what) {
  if (s == MPCOMM_SUCCESS) return;
  std::fprintf(stderr, "%s: %s\n", what, mpcomm_last_error());
  MPI_Abort(MPI_COMM_WORLD, 2);
}

// Deterministic weights and inputs, small and exact enough for a tight comparison.
double weight(int matrix, int e, int i, int j) {
  return std::sin(0.37 * matrix + 1.3 * e + 0.71 * i + 0.19 * j) * 0.5;
}
double token_value(int rank, int t, int h) { return std::cos(0.9 * rank + 0.43 * t + 0.61 * h); }

// One expert: y = W2 relu(W1 x).
void expert(int e, const double *x, double *y) {
  double hidden[kFfn];
  for (int f = 0; f < kFfn; ++f) {
    double acc = 0;
    for (int h = 0; h < kHidden; ++h) acc += weight(1, e, f, h) * x[h];
    hidden[f] = acc > 0 ? acc : 0;
  }
  for (int h = 0; h < kHidden; ++h) {
    double acc = 0;
    for (int f = 0; f < kFfn; ++f) acc += weight(2, e, h, f) * hidden[f];
    y[h] = acc;
  }
}

// The fixed router: the top-2 of kExperts logits, softmax over the two.
void route(const double *x, int *experts, double *weights) {
  double logits[kExperts];
  for (int e = 0; e < kExperts; ++e) {
    logits[e] = 0;
    for (int h = 0; h < kHidden; ++h) logits[e] += weight(0, 0, e, h) * x[h];
  }
  int order[kExperts];
  for (int e = 0; e < kExperts; ++e) order[e] = e;
  std::stable_sort(order, order + kExperts, [&](int a, int b) { return logits[a] > logits[b]; });
  const double m = logits[order[0]];
  double sum = 0;
  for (int k = 0; k < kTopK; ++k) sum += std::exp(logits[order[k]] - m);
  for (int k = 0; k < kTopK; ++k) {
    experts[k] = order[k];
    weights[k] = std::exp(logits[order[k]] - m) / sum;
  }
}

DLTensor host_tensor(double *data, int64_t *shape) {
  DLTensor t{};
  t.data = data;
  t.device = {kDLCPU, 0};
  t.ndim = 2;
  t.dtype = {kDLFloat, 64, 1};
  t.shape = shape;
  return t;
}

}  // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (kExperts % size != 0) {
    if (rank == 0) std::fprintf(stderr, "the %d experts must divide over the ranks\n", kExperts);
    MPI_Finalize();
    return 2;
  }
  const int per_rank = kExperts / size;
  const auto owner = [&](int e) { return e / per_rank; };
  mpcomm_group_t ep = nullptr;
  check(mpcomm_group_from_comm(MPI_COMM_WORLD, &ep), "mpcomm_group_from_comm");

  // This rank's tokens, their routing, and the layer as one process computes it.
  const int tokens = 5 + rank;
  std::vector<double> x(static_cast<size_t>(tokens) * kHidden), reference(x.size(), 0.0);
  std::vector<int> chosen(static_cast<size_t>(tokens) * kTopK);
  std::vector<double> gates(chosen.size());
  for (int t = 0; t < tokens; ++t) {
    for (int h = 0; h < kHidden; ++h) x[t * kHidden + h] = token_value(rank, t, h);
    route(&x[t * kHidden], &chosen[t * kTopK], &gates[t * kTopK]);
    for (int k = 0; k < kTopK; ++k) {
      double y[kHidden];
      expert(chosen[t * kTopK + k], &x[t * kHidden], y);
      for (int h = 0; h < kHidden; ++h) reference[t * kHidden + h] += gates[t * kTopK + k] * y[h];
    }
  }

  // ---- dispatch / combine with all_to_allv.
  const size_t n = static_cast<size_t>(size);
  std::vector<size_t> send_rows(n, 0), recv_rows(n, 0);
  for (int c : chosen) ++send_rows[owner(c)];
  check(mpcomm_all_to_all(ep, send_rows.data(), recv_rows.data(), 1, MPCOMM_UINT64, nullptr),
        "mpcomm_all_to_all (row counts)");
  std::vector<size_t> sc(n), sd(n), rc(n), rd(n), placed(n, 0);
  size_t sent = 0, received = 0;
  for (size_t j = 0; j < n; ++j) {
    sc[j] = send_rows[j] * kRow, sd[j] = sent, sent += sc[j];
    rc[j] = recv_rows[j] * kRow, rd[j] = received, received += rc[j];
  }
  // Rows grouped by destination, in token order within each; where each (token, k) went.
  std::vector<double> dispatch(sent);
  std::vector<size_t> slot(chosen.size());
  for (size_t i = 0; i < chosen.size(); ++i) {
    const int dst = owner(chosen[i]);
    const size_t row = sd[dst] / kRow + placed[dst]++;
    slot[i] = row;
    dispatch[row * kRow] = chosen[i];
    std::copy_n(&x[(i / kTopK) * kHidden], kHidden, &dispatch[row * kRow + 1]);
  }
  std::vector<double> routed(received);
  check(mpcomm_all_to_allv(ep, dispatch.data(), sc.data(), sd.data(), routed.data(), rc.data(),
                           rd.data(), MPCOMM_FLOAT64, nullptr),
        "mpcomm_all_to_allv (dispatch)");
  // The local experts, row by row; the results go back where the rows came from.
  const size_t rows_here = received / kRow;
  std::vector<double> results(rows_here * kHidden);
  for (size_t row = 0; row < rows_here; ++row) {
    const int e = static_cast<int>(routed[row * kRow]);
    if (owner(e) != rank) {
      std::fprintf(stderr, "rank %d: received a row for expert %d\n", rank, e);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    expert(e, &routed[row * kRow + 1], &results[row * kHidden]);
  }
  std::vector<size_t> bsc(n), bsd(n), brc(n), brd(n);
  for (size_t j = 0; j < n; ++j) {
    bsc[j] = rc[j] / kRow * kHidden, bsd[j] = rd[j] / kRow * kHidden;
    brc[j] = sc[j] / kRow * kHidden, brd[j] = sd[j] / kRow * kHidden;
  }
  std::vector<double> combined_rows(sent / kRow * kHidden);
  check(mpcomm_all_to_allv(ep, results.data(), bsc.data(), bsd.data(), combined_rows.data(),
                           brc.data(), brd.data(), MPCOMM_FLOAT64, nullptr),
        "mpcomm_all_to_allv (combine)");
  std::vector<double> out_a2a(x.size(), 0.0);
  for (size_t i = 0; i < chosen.size(); ++i)
    for (int h = 0; h < kHidden; ++h)
      out_a2a[(i / kTopK) * kHidden + h] += gates[i] * combined_rows[slot[i] * kHidden + h];

  // ---- naive: all_gatherv every token and its routing, reduce_scatterv the experts' shares.
  std::vector<size_t> sizes(n);
  for (int r = 0; r < size; ++r) sizes[r] = static_cast<size_t>(5 + r);
  size_t all_tokens = 0;
  for (size_t s : sizes) all_tokens += s;
  std::vector<double> routing(static_cast<size_t>(tokens) * 2 * kTopK);
  for (size_t i = 0; i < chosen.size(); ++i) {
    routing[(i / kTopK) * 2 * kTopK + i % kTopK] = chosen[i];
    routing[(i / kTopK) * 2 * kTopK + kTopK + i % kTopK] = gates[i];
  }
  std::vector<double> all_x(all_tokens * kHidden), all_routing(all_tokens * 2 * kTopK);
  int64_t x_shape[2] = {tokens, kHidden},
          all_x_shape[2] = {static_cast<int64_t>(all_tokens), kHidden};
  int64_t r_shape[2] = {tokens, 2 * kTopK},
          all_r_shape[2] = {static_cast<int64_t>(all_tokens), 2 * kTopK};
  DLTensor tx = host_tensor(x.data(), x_shape), tall_x = host_tensor(all_x.data(), all_x_shape);
  DLTensor tr = host_tensor(routing.data(), r_shape);
  DLTensor tall_r = host_tensor(all_routing.data(), all_r_shape);
  check(mpcomm_all_gatherv(ep, &tx, &tall_x, sizes.data(), 0, nullptr), "mpcomm_all_gatherv (x)");
  check(mpcomm_all_gatherv(ep, &tr, &tall_r, sizes.data(), 0, nullptr),
        "mpcomm_all_gatherv (routing)");
  std::vector<double> shares(all_tokens * kHidden, 0.0), out_naive(x.size());
  for (size_t t = 0; t < all_tokens; ++t)
    for (int k = 0; k < kTopK; ++k) {
      const int e = static_cast<int>(all_routing[t * 2 * kTopK + k]);
      if (owner(e) != rank) continue;
      double y[kHidden];
      expert(e, &all_x[t * kHidden], y);
      for (int h = 0; h < kHidden; ++h)
        shares[t * kHidden + h] += all_routing[t * 2 * kTopK + kTopK + k] * y[h];
    }
  DLTensor tshares = host_tensor(shares.data(), all_x_shape);
  DLTensor tout = host_tensor(out_naive.data(), x_shape);
  check(mpcomm_reduce_scatterv(ep, &tshares, &tout, sizes.data(), 0, MPCOMM_SUM, nullptr),
        "mpcomm_reduce_scatterv");

  // ---- both against one process.
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, std::fabs(out_a2a[i] - reference[i]));
    worst = std::max(worst, std::fabs(out_naive[i] - reference[i]));
  }
  int bad = worst > 1e-12 ? 1 : 0, any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf(
        "moe_ep: %d ranks, %d experts (%d per rank), top-%d; all_to_allv and "
        "all_gatherv/reduce_scatterv vs one process: %s\n",
        size, kExperts, per_rank, kTopK, any_bad ? "MISMATCH" : "MATCH");
  if (bad) std::fprintf(stderr, "rank %d: largest difference %g\n", rank, worst);
  check(mpcomm_group_free(&ep), "mpcomm_group_free");
  MPI_Finalize();
  return any_bad ? 1 : 0;
}
