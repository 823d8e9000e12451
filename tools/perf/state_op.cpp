// state_create: mpcomm_state_create + mpcomm_state_destroy with --tp and --pp (DP takes the
// rest of the ranks). The baseline makes the same communicators with plain MPI: a duplicate of
// the world, then one MPI_Comm_split per group kind with the colours of
// mpcomm_layout_group_ranks, then frees them.
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "mpcomm.h"
#include "perf/ops.hpp"

namespace perf {
namespace {

constexpr mpcomm_group_kind_t kKinds[] = {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP,  MPCOMM_GROUP_PP,
                                          MPCOMM_GROUP_DP,    MPCOMM_GROUP_DCP, MPCOMM_GROUP_PCP};

class StateCreate : public Benchmark {
 public:
  explicit StateCreate(const Context &c) : c_(c) {
    const Options &o = *c.options;
    if (c.size % (o.tp * o.pp) != 0)
      throw std::runtime_error("state_create: --tp " + std::to_string(o.tp) + " x --pp " +
                               std::to_string(o.pp) + " does not divide the " +
                               std::to_string(c.size) + " ranks");
    cfg_.tensor_parallel_size = o.tp;
    cfg_.pipeline_parallel_size = o.pp;
    cfg_.data_parallel_size = c.size / (o.tp * o.pp);
    cfg_.data_parallel_size_local = cfg_.data_parallel_size;
    // The colour of each kind's split at this rank: the index of the group that holds it.
    for (mpcomm_group_kind_t kind : kKinds) {
      int ngroups = 0, group_size = 0;
      mpcomm_layout_group_ranks(&cfg_, c.size, kind, nullptr, 0, &ngroups, &group_size);
      std::vector<int> ranks(static_cast<size_t>(ngroups) * static_cast<size_t>(group_size));
      ok(mpcomm_layout_group_ranks(&cfg_, c.size, kind, ranks.data(), ranks.size(), &ngroups,
                                   &group_size),
         "mpcomm_layout_group_ranks");
      for (size_t i = 0; i < ranks.size(); ++i)
        if (ranks[i] == c.rank) colours_.push_back(static_cast<int>(i) / group_size);
    }
  }
  size_t setup(size_t) override { return 0; }
  void run_once() override {
    mpcomm_state_t state = nullptr;
    ok(mpcomm_state_create(MPI_COMM_WORLD, &cfg_, &state), "mpcomm_state_create");
    ok(mpcomm_state_destroy(&state), "mpcomm_state_destroy");
  }
  void baseline_once() override {
    MPI_Comm world = MPI_COMM_NULL;
    mpi_ok(MPI_Comm_dup(c_.baseline_comm, &world), "MPI_Comm_dup");
    std::vector<MPI_Comm> splits(colours_.size(), MPI_COMM_NULL);
    for (size_t k = 0; k < colours_.size(); ++k)
      mpi_ok(MPI_Comm_split(world, colours_[k], c_.rank, &splits[k]), "MPI_Comm_split");
    for (MPI_Comm &comm : splits) MPI_Comm_free(&comm);
    MPI_Comm_free(&world);
  }
  // Every group of the state has the size and the members the layout gives.
  size_t check(unsigned) override {
    mpcomm_state_t state = nullptr;
    ok(mpcomm_state_create(MPI_COMM_WORLD, &cfg_, &state), "mpcomm_state_create");
    size_t wrong = 0;
    for (mpcomm_group_kind_t kind : kKinds) {
      mpcomm_group_t group = nullptr;
      mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
      int ngroups = 0, group_size = 0;
      ok(mpcomm_state_group(state, kind, &group), "mpcomm_state_group");
      ok(mpcomm_group_info(group, &info), "mpcomm_group_info");
      mpcomm_layout_group_ranks(&cfg_, c_.size, kind, nullptr, 0, &ngroups, &group_size);
      if (info.size != group_size) ++wrong;
    }
    ok(mpcomm_state_destroy(&state), "mpcomm_state_destroy");
    return wrong;
  }

 private:
  Context c_;
  mpcomm_parallel_config_t cfg_ = MPCOMM_PARALLEL_CONFIG_INIT;
  std::vector<int> colours_;
};

}  // namespace

std::unique_ptr<Benchmark> make_state_create(const Context &context) {
  return std::make_unique<StateCreate>(context);
}

}  // namespace perf
