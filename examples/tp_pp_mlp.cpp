// tp_pp_mlp: a small MLP run the way vLLM runs a model, on mpcomm.
//
//   mpirun -np 4 examples/tp_pp_mlp --tp 2 --pp 2 [--dp D] [--layers 8] [--hidden 64]
//          [--batch 4] [--steps 10]
//
// Written on mpcomm's C++ API (mpcomm.hpp): a failure is an mpcomm::Exception carrying the status
// and the message. The ranks form a parallel state of TP x PP x DP (mpcomm::State::create). The L
// layers are split over the pipeline stages by mpcomm::pp_indices; each layer is a Megatron MLP
// block split over the tensor-parallel ranks: x += W2 relu(W1 x), W1 column-parallel (each TP rank
// owns F/TP of its columns), W2 row-parallel (the matching rows), the partial products summed by an
// all_reduce over the TP group. Activations go from stage to stage as a tensor dict (the hidden
// states and the step number, like vLLM's intermediate tensors) with the TP group as
// all_gather_group: each TP rank sends only its 1/TP slice and the next stage gathers it back.
// Data-parallel replica d runs steps + d batches of its own; replicas that are done keep running
// dummy batches until Group::dp_has_unfinished says every replica is done, as vLLM's DP engines do.
//
// The last stage compares every real output with the same model computed in one process (double
// precision, unsplit weights). Rank 0 prints the layout, the time of each step and the largest
// error, then MATCH or MISMATCH. Exit status: 0 on a match, 1 on a mismatch or failure, 2 for a
// bad command line.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mpcomm.hpp"

namespace {

// ------------------------------------------------------------------ command line

struct Options {
  int tp = 1, pp = 1, dp = 0;  // dp 0: the ranks left over by tp x pp
  int layers = 8;
  int hidden = 64;
  int batch = 4;
  int steps = 10;
  bool inject_error = false;  // perturb one weight of one shard: the check must catch it
};

const char kUsage[] =
    "usage: mpirun -np N tp_pp_mlp [--tp T] [--pp P] [--dp D] [--layers L] [--hidden H]\n"
    "                             [--batch B] [--steps S] [--inject-error]\n"
    "  T x P x D must be N (D defaults to N / (T x P)); H must be divisible by T; L >= P.\n"
    "  Defaults: T 1, P 1, L 8, H 64, B 4, S 10 (replica d runs S + d steps).\n"
    "  --inject-error perturbs one weight of the last TP rank of the first stage, to show that\n"
    "  the comparison catches a wrong shard (MISMATCH, exit 1).\n";

bool parse(int argc, char **argv, Options *o, std::string *error) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--inject-error") {
      o->inject_error = true;
      continue;
    }
    int *target = arg == "--tp"       ? &o->tp
                  : arg == "--pp"     ? &o->pp
                  : arg == "--dp"     ? &o->dp
                  : arg == "--layers" ? &o->layers
                  : arg == "--hidden" ? &o->hidden
                  : arg == "--batch"  ? &o->batch
                  : arg == "--steps"  ? &o->steps
                                      : nullptr;
    if (target == nullptr) {
      *error = "unknown argument '" + arg + "'";
      return false;
    }
    if (i + 1 >= argc) {
      *error = arg + " needs a value";
      return false;
    }
    char *end = nullptr;
    const long v = std::strtol(argv[++i], &end, 10);
    if (*argv[i] == '\0' || *end != '\0' || v < 1 || v > 1 << 20) {
      *error = arg + " takes an integer in [1, 1048576], got '" + argv[i] + "'";
      return false;
    }
    *target = static_cast<int>(v);
  }
  return true;
}

// ------------------------------------------------------------------ failures

[[noreturn]] void die(const std::string &what) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "tp_pp_mlp: rank %d: %s\n", rank, what.c_str());
  // The other ranks may be waiting for this one in a collective.
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

// ------------------------------------------------------------------ the model

// Deterministic numbers in [-1, 1): the same on every rank and in the reference.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  float next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(state_ >> 40) / static_cast<float>(1 << 23) - 1.0f;
  }

 private:
  uint64_t state_;
};

// Layer l's weights, whole: W1 is hidden x ffn (row-major), W2 ffn x hidden; scaled by
// 1/sqrt(fan-in) so that activations stay of order one through the layers.
struct Layer {
  std::vector<float> w1, w2;
};

Layer make_layer(int l, int hidden, int ffn) {
  Layer layer;
  Lcg g1(1000u + 2u * static_cast<uint64_t>(l)), g2(1001u + 2u * static_cast<uint64_t>(l));
  layer.w1.resize(static_cast<size_t>(hidden) * ffn);
  layer.w2.resize(static_cast<size_t>(ffn) * hidden);
  const float s1 = 1.0f / std::sqrt(static_cast<float>(hidden));
  const float s2 = 1.0f / std::sqrt(static_cast<float>(ffn));
  for (float &w : layer.w1) w = g1.next() * s1;
  for (float &w : layer.w2) w = g2.next() * s2;
  return layer;
}

// The batch that replica `replica` feeds in at `step`: batch x hidden.
std::vector<float> make_input(int step, int replica, int batch, int hidden) {
  Lcg g(7919u * static_cast<uint64_t>(step) + 104729u * static_cast<uint64_t>(replica) + 17u);
  std::vector<float> x(static_cast<size_t>(batch) * hidden);
  for (float &v : x) v = g.next();
  return x;
}

// One TP rank's part of a layer: columns [c0, c1) of W1 and the same rows of W2.
struct Shard {
  int c0 = 0, c1 = 0;
  std::vector<float> w1;  // hidden x (c1 - c0)
  std::vector<float> w2;  // (c1 - c0) x hidden
};

Shard shard_of(const Layer &layer, int hidden, int ffn, int tp_rank, int tp_size) {
  Shard s;
  const int part = ffn / tp_size;
  s.c0 = tp_rank * part;
  s.c1 = s.c0 + part;
  s.w1.resize(static_cast<size_t>(hidden) * part);
  for (int i = 0; i < hidden; ++i)
    for (int j = 0; j < part; ++j)
      s.w1[static_cast<size_t>(i) * part + j] = layer.w1[static_cast<size_t>(i) * ffn + s.c0 + j];
  s.w2.assign(layer.w2.begin() + static_cast<std::ptrdiff_t>(s.c0) * hidden,
              layer.w2.begin() + static_cast<std::ptrdiff_t>(s.c1) * hidden);
  return s;
}

// partial = relu(x W1[:, c0:c1]) W2[c0:c1, :]: this TP rank's share of the layer's output.
void shard_forward(const Shard &s, const std::vector<float> &x, int batch, int hidden,
                   std::vector<float> *partial) {
  const int part = s.c1 - s.c0;
  std::vector<float> a(static_cast<size_t>(part));
  partial->assign(static_cast<size_t>(batch) * hidden, 0.0f);
  for (int b = 0; b < batch; ++b) {
    const float *xb = &x[static_cast<size_t>(b) * hidden];
    for (int j = 0; j < part; ++j) {
      float acc = 0;
      for (int i = 0; i < hidden; ++i) acc += xb[i] * s.w1[static_cast<size_t>(i) * part + j];
      a[static_cast<size_t>(j)] = acc > 0 ? acc : 0;
    }
    float *pb = &(*partial)[static_cast<size_t>(b) * hidden];
    for (int j = 0; j < part; ++j)
      for (int k = 0; k < hidden; ++k)
        pb[k] += a[static_cast<size_t>(j)] * s.w2[static_cast<size_t>(j) * hidden + k];
  }
}

// The whole model in one process, in double precision.
std::vector<double> reference_forward(const std::vector<Layer> &layers, std::vector<float> input,
                                      int batch, int hidden, int ffn) {
  std::vector<double> x(input.begin(), input.end()), a(static_cast<size_t>(ffn));
  for (const Layer &layer : layers)
    for (int b = 0; b < batch; ++b) {
      double *xb = &x[static_cast<size_t>(b) * hidden];
      for (int j = 0; j < ffn; ++j) {
        double acc = 0;
        for (int i = 0; i < hidden; ++i) acc += xb[i] * layer.w1[static_cast<size_t>(i) * ffn + j];
        a[static_cast<size_t>(j)] = acc > 0 ? acc : 0;
      }
      std::vector<double> y(static_cast<size_t>(hidden), 0.0);
      for (int j = 0; j < ffn; ++j)
        for (int k = 0; k < hidden; ++k)
          y[static_cast<size_t>(k)] +=
              a[static_cast<size_t>(j)] * layer.w2[static_cast<size_t>(j) * hidden + k];
      for (int k = 0; k < hidden; ++k) xb[k] += y[static_cast<size_t>(k)];
    }
  return x;
}

// ------------------------------------------------------------------ activations between stages

// The tensor dict a stage sends to the next: "hidden_states" (batch x hidden float32), "step"
// (the step number) and "dummy" (1 for a dummy batch). Each TP rank sends its 1/TP slice and the
// next stage's TP ranks gather it back (tp is the all_gather_group).
void send_activations(const mpcomm::Group &pp, const mpcomm::Group &tp, int dst,
                      std::vector<float> &x, int batch, int hidden, int step, bool dummy) {
  mpcomm::TensorDict dict;
  dict.set_tensor("hidden_states", mpcomm::Tensor(x.data(), {batch, hidden}));
  dict.set_int("step", step);
  dict.set_int("dummy", dummy ? 1 : 0);
  pp.send_tensor_dict(dict, dst, &tp);
}

void recv_activations(const mpcomm::Group &pp, const mpcomm::Group &tp, int src,
                      std::vector<float> *x, int batch, int hidden, int step, bool dummy) {
  const mpcomm::TensorDict dict = pp.recv_tensor_dict(src, &tp);
  const int64_t got_step = dict.get_int("step"), got_dummy = dict.get_int("dummy");
  if (got_step != step || got_dummy != (dummy ? 1 : 0))
    die("stage expected step " + std::to_string(step) + (dummy ? " (dummy)" : "") + ", got step " +
        std::to_string(got_step) + (got_dummy ? " (dummy)" : ""));
  const DLTensor &t = dict.get_tensor("hidden_states");
  const DLDataType f32 = mpcomm::dl_datatype<float>();
  if (t.ndim != 2 || t.shape[0] != batch || t.shape[1] != hidden || t.dtype.code != f32.code ||
      t.dtype.bits != f32.bits)
    die("hidden_states arrived with the wrong shape or type");
  x->resize(static_cast<size_t>(batch) * hidden);
  std::memcpy(x->data(), static_cast<const char *>(t.data) + t.byte_offset,
              x->size() * sizeof(float));
}

// ------------------------------------------------------------------ layout

std::string groups_text(const mpcomm::ParallelConfig &cfg, int world, mpcomm_group_kind_t kind) {
  const mpcomm::GroupLayout layout = cfg.layout(world, kind);
  std::string out;
  for (int g = 0; g < layout.ngroups; ++g) {
    out += g ? " [" : "[";
    const std::vector<int> ranks = layout.group(g);
    for (size_t i = 0; i < ranks.size(); ++i) out += (i ? " " : "") + std::to_string(ranks[i]);
    out += "]";
  }
  return out;
}

// ------------------------------------------------------------------ the run

int run(const Options &o, int rank, int world) {
  const int ffn = 4 * o.hidden;
  mpcomm::ParallelConfig cfg;
  cfg->tensor_parallel_size = o.tp;
  cfg->pipeline_parallel_size = o.pp;
  cfg->data_parallel_size = o.dp;
  cfg->data_parallel_size_local = o.dp;
  const double t_state = MPI_Wtime();
  mpcomm::State state = mpcomm::State::create(MPI_COMM_WORLD, cfg);
  const double state_ms = (MPI_Wtime() - t_state) * 1e3;
  // Borrowed from the state: valid until it is destroyed.
  const mpcomm::Group tp = state.group(MPCOMM_GROUP_TP), pp = state.group(MPCOMM_GROUP_PP),
                      dp = state.group(MPCOMM_GROUP_DP);
  const int tp_rank = tp.rank(), pp_rank = pp.rank(), dp_rank = dp.rank();
  const auto [first, last] = mpcomm::pp_indices(o.layers, pp_rank, o.pp);
  const bool first_stage = pp_rank == 0, last_stage = pp_rank == o.pp - 1;

  // The layout, as rank 0 sees every rank.
  int mine[5] = {tp_rank, pp_rank, dp_rank, first, last};
  std::vector<int> all(5 * static_cast<size_t>(world));
  MPI_Gather(mine, 5, MPI_INT, all.data(), 5, MPI_INT, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf(
        "tp_pp_mlp: %d ranks = TP %d x PP %d x DP %d; %d layers, hidden %d, ffn %d, "
        "batch %d, %d steps (replica d runs %d + d)\n",
        world, o.tp, o.pp, o.dp, o.layers, o.hidden, ffn, o.batch, o.steps, o.steps);
    std::printf("parallel state made in %.2f ms\n", state_ms);
    std::printf("TP groups: %s\n", groups_text(cfg, world, MPCOMM_GROUP_TP).c_str());
    std::printf("PP groups: %s\n", groups_text(cfg, world, MPCOMM_GROUP_PP).c_str());
    std::printf("DP groups: %s\n", groups_text(cfg, world, MPCOMM_GROUP_DP).c_str());
    for (int r = 0; r < world; ++r) {
      const int *p = &all[5 * static_cast<size_t>(r)];
      std::printf("rank %d: tp %d/%d, pp %d/%d (layers %d-%d), dp %d/%d\n", r, p[0], o.tp, p[1],
                  o.pp, p[3], p[4] - 1, p[2], o.dp);
    }
    std::fflush(stdout);
  }

  // This rank's shard of each of its stage's layers; the last stage also keeps the whole model
  // for the reference.
  std::vector<Shard> shards;
  for (int l = first; l < last; ++l)
    shards.push_back(shard_of(make_layer(l, o.hidden, ffn), o.hidden, ffn, tp_rank, o.tp));
  if (o.inject_error && tp_rank == o.tp - 1 && first_stage && !shards.empty())
    shards.front().w2.front() += 0.5f;
  std::vector<Layer> model;
  if (last_stage)
    for (int l = 0; l < o.layers; ++l) model.push_back(make_layer(l, o.hidden, ffn));

  const int my_steps = o.steps + dp_rank;
  const size_t n = static_cast<size_t>(o.batch) * o.hidden;
  std::vector<float> x, partial, y(n);
  std::vector<double> step_seconds;
  double max_error = 0, max_value = 0;
  int real_steps = 0, dummy_steps = 0;
  for (int step = 0;; ++step) {
    // vLLM's DP loop: go on while any replica has work; a finished one runs a dummy batch.
    const bool has_work = step < my_steps;
    if (!dp.dp_has_unfinished(has_work)) break;
    const bool dummy = !has_work;
    const double t0 = MPI_Wtime();
    if (first_stage)
      x = dummy ? std::vector<float>(n, 0.0f) : make_input(step, dp_rank, o.batch, o.hidden);
    else
      recv_activations(pp, tp, pp_rank - 1, &x, o.batch, o.hidden, step, dummy);
    for (const Shard &s : shards) {
      shard_forward(s, x, o.batch, o.hidden, &partial);
      tp.all_reduce(partial, y);  // float32 from the element type, MPCOMM_SUM
      for (size_t i = 0; i < n; ++i) x[i] += y[i];
    }
    if (!last_stage) send_activations(pp, tp, pp_rank + 1, x, o.batch, o.hidden, step, dummy);
    step_seconds.push_back(MPI_Wtime() - t0);
    (dummy ? dummy_steps : real_steps)++;
    if (last_stage && !dummy) {
      const std::vector<double> want = reference_forward(
          model, make_input(step, dp_rank, o.batch, o.hidden), o.batch, o.hidden, ffn);
      for (size_t i = 0; i < n; ++i) {
        max_error = std::max(max_error, std::fabs(static_cast<double>(x[i]) - want[i]));
        max_value = std::max(max_value, std::fabs(want[i]));
      }
    }
  }

  // Every rank ran the same number of steps (the DP loop ends for all at once); each step's
  // time is the slowest rank's.
  const int steps_run = static_cast<int>(step_seconds.size());
  MPI_Allreduce(MPI_IN_PLACE, step_seconds.data(), steps_run, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double errors[2] = {max_error, max_value};
  MPI_Allreduce(MPI_IN_PLACE, errors, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int counts[2] = {real_steps, dummy_steps};
  std::vector<int> all_counts(2 * static_cast<size_t>(world));
  MPI_Gather(counts, 2, MPI_INT, all_counts.data(), 2, MPI_INT, 0, MPI_COMM_WORLD);
  // float32 against double: a few units in the last place of the largest value, per layer.
  const double tolerance = 1e-5 * std::max(1.0, errors[1]) * o.layers;
  const bool match = errors[0] <= tolerance && std::isfinite(errors[0]);
  if (rank == 0) {
    for (int s = 0; s < steps_run; ++s)
      std::printf("step %2d: %8.3f ms%s\n", s, step_seconds[static_cast<size_t>(s)] * 1e3,
                  s >= o.steps ? " (some replicas run dummy batches)" : "");
    std::vector<double> sorted = step_seconds;
    std::sort(sorted.begin(), sorted.end());
    double total = 0;
    for (double t : step_seconds) total += t;
    std::printf("time per step: mean %.3f ms, median %.3f ms over %d steps\n",
                total / steps_run * 1e3, sorted[sorted.size() / 2] * 1e3, steps_run);
    for (int r = 0; r < world; ++r) {
      const int *p = &all[5 * static_cast<size_t>(r)];  // the first rank of each replica
      if (p[0] == 0 && p[1] == 0)
        std::printf("replica %d: %d real batches, %d dummy batches\n", p[2],
                    all_counts[2 * static_cast<size_t>(r)],
                    all_counts[2 * static_cast<size_t>(r) + 1]);
    }
    std::printf(
        "max abs error vs the single-process reference: %.3g (largest value %.3g, "
        "tolerance %.3g)\n",
        errors[0], errors[1], tolerance);
    std::printf("%s\n", match ? "MATCH" : "MISMATCH");
    std::fflush(stdout);
  }
  state.destroy();
  return match ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, world = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  Options o;
  std::string error;
  bool ok = parse(argc, argv, &o, &error);
  if (ok && o.dp == 0) o.dp = world / (o.tp * o.pp);
  if (ok && static_cast<long>(o.tp) * o.pp * o.dp != world)
    error = "TP " + std::to_string(o.tp) + " x PP " + std::to_string(o.pp) + " x DP " +
            std::to_string(o.dp) + " is not the " + std::to_string(world) + " ranks",
    ok = false;
  if (ok && o.hidden % o.tp != 0)
    error =
        "hidden " + std::to_string(o.hidden) + " is not divisible by TP " + std::to_string(o.tp),
    ok = false;
  if (ok && o.layers < o.pp)
    error = std::to_string(o.layers) + " layers cannot fill " + std::to_string(o.pp) + " stages",
    ok = false;
  if (!ok) {
    if (rank == 0) std::fprintf(stderr, "tp_pp_mlp: %s\n%s", error.c_str(), kUsage);
    MPI_Finalize();
    return 2;
  }
  int rc = 1;
  try {
    rc = run(o, rank, world);
  } catch (const mpcomm::Exception &e) {
    die(std::string("mpcomm: ") + e.what());
  }
  MPI_Finalize();
  return rc;
}
