#include "parallel/layout.hpp"

#include <cstdint>

#include "core/error.hpp"
#include "parallel/parallel_config.hpp"

namespace mpcomm::parallel {

namespace {

// A rank's indices in all_ranks[outer][dp][pp][pcp][tp].
struct Coordinates {
  int outer, dp, pp, pcp, tp;
};

}  // namespace

const char *group_kind_name(mpcomm_group_kind_t kind) {
  switch (kind) {
    case MPCOMM_GROUP_WORLD: return "world";
    case MPCOMM_GROUP_TP: return "tp";
    case MPCOMM_GROUP_PP: return "pp";
    case MPCOMM_GROUP_DP: return "dp";
    case MPCOMM_GROUP_EP: return "ep";
    case MPCOMM_GROUP_DCP: return "dcp";
    case MPCOMM_GROUP_PCP: return "pcp";
    case MPCOMM_NUM_GROUP_KINDS: break;
  }
  return "unknown";
}

void require_group_kind(int kind, const char *name) {
  require_arg(kind >= 0 && kind < MPCOMM_NUM_GROUP_KINDS, name, " is not a group kind, got ", kind);
}

Layout::Layout(const mpcomm_parallel_config_t &cfg, int world_size)
    : tp_(cfg.tensor_parallel_size),
      pp_(cfg.pipeline_parallel_size),
      dp_(cfg.data_parallel_size),
      pcp_(cfg.prefill_context_parallel_size),
      dcp_(cfg.decode_context_parallel_size),
      world_(world_size) {
  validate(cfg);  // the arithmetic below divides by these sizes
  require_arg(world_size >= 1, "world_size must be >= 1, got ", world_size);
  const std::int64_t block = static_cast<std::int64_t>(dp_) * pp_ * pcp_ * tp_;
  require_arg(world_size % block == 0, "world_size (", world_size,
              ") is not a multiple of DP*PP*PCP*TP (", block, ")");
}

int Layout::group_size(mpcomm_group_kind_t kind) const {
  switch (kind) {
    case MPCOMM_GROUP_WORLD: return world_;
    case MPCOMM_GROUP_TP: return tp_;
    case MPCOMM_GROUP_PP: return pp_;
    case MPCOMM_GROUP_DP: return dp_;
    case MPCOMM_GROUP_EP: return dp_ * pcp_ * tp_;
    case MPCOMM_GROUP_DCP: return dcp_;
    case MPCOMM_GROUP_PCP: return pcp_;
    case MPCOMM_NUM_GROUP_KINDS: break;
  }
  require_group_kind(kind, "kind");
  return 0;
}

GroupPlace Layout::place(mpcomm_group_kind_t kind, int r) const {
  require_arg(r >= 0 && r < world_, "global rank (", r, ") must be in the range [0, ", world_, ")");
  Coordinates c{};
  c.tp = r % tp_;
  c.pcp = (r / tp_) % pcp_;
  c.pp = (r / (tp_ * pcp_)) % pp_;
  c.dp = (r / (tp_ * pcp_ * pp_)) % dp_;
  c.outer = r / (tp_ * pcp_ * pp_ * dp_);
  // Each kind's groups are the rows of all_ranks with that kind's axis moved last (by the
  // transpose vLLM uses); the group index enumerates the other axes in their new order.
  switch (kind) {
    case MPCOMM_GROUP_WORLD: return {0, r};
    case MPCOMM_GROUP_TP: return {r / tp_, c.tp};        // view(-1, TP)
    case MPCOMM_GROUP_DCP: return {r / dcp_, r % dcp_};  // reshape(-1, DCP)
    case MPCOMM_GROUP_PCP:  // transpose(3, 4): axes outer, dp, pp, tp | pcp
      return {((c.outer * dp_ + c.dp) * pp_ + c.pp) * tp_ + c.tp, c.pcp};
    case MPCOMM_GROUP_PP:  // transpose(2, 4): axes outer, dp, tp, pcp | pp
      return {((c.outer * dp_ + c.dp) * tp_ + c.tp) * pcp_ + c.pcp, c.pp};
    case MPCOMM_GROUP_DP:  // transpose(1, 4): axes outer, tp, pp, pcp | dp
      return {((c.outer * tp_ + c.tp) * pp_ + c.pp) * pcp_ + c.pcp, c.dp};
    case MPCOMM_GROUP_EP:  // transpose(1, 2): axes outer, pp | dp, pcp, tp
      return {c.outer * pp_ + c.pp, (c.dp * pcp_ + c.pcp) * tp_ + c.tp};
    case MPCOMM_NUM_GROUP_KINDS: break;
  }
  require_group_kind(kind, "kind");
  return {};
}

std::vector<std::vector<int>> Layout::groups(mpcomm_group_kind_t kind) const {
  const int size = group_size(kind);
  std::vector<std::vector<int>> out(world_ / size, std::vector<int>(size));
  for (int r = 0; r < world_; ++r) {
    const GroupPlace at = place(kind, r);
    out[at.group][at.position] = r;
  }
  return out;
}

void Layout::fill(mpcomm_group_kind_t kind, int *out) const {
  const std::size_t size = group_size(kind);
  for (int r = 0; r < world_; ++r) {
    const GroupPlace at = place(kind, r);
    out[at.group * size + at.position] = r;
  }
}

}  // namespace mpcomm::parallel
