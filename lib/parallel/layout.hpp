// The rank layout of vLLM's initialize_model_parallel: which global ranks form each TP, PP,
// DP, EP, DCP and PCP group. vLLM arranges the world as an array
//   all_ranks = arange(world).reshape(-1, DP, PP, PCP, TP)
// and reads each kind's groups off a transpose of it; here the same answer comes from index
// arithmetic on a rank's coordinates, so that one rank can find its own groups in O(1).
// Pure: no MPI. Later layers build communicators from place() with MPI_Comm_split.
#pragma once

#include <vector>

#include "mpcomm.h"

namespace mpcomm::parallel {

// "world", "tp", "pp", "dp", "ep", "dcp", "pcp".
const char *group_kind_name(mpcomm_group_kind_t kind);

// Throws Error(MPCOMM_ERR_INVALID_ARGUMENT) naming `name` unless kind is a group kind.
void require_group_kind(int kind, const char *name);

// Where a global rank sits in one kind of group: the group's index among the groups of that
// kind (in vLLM's order) and the rank's position within it (its rank in the group).
struct GroupPlace {
  int group = 0;
  int position = 0;
};

class Layout {
 public:
  // cfg must pass validate() and world_size must be a positive multiple of DP*PP*PCP*TP, the
  // leading axis taking the rest; throws Error(MPCOMM_ERR_INVALID_ARGUMENT) otherwise.
  Layout(const mpcomm_parallel_config_t &cfg, int world_size);

  int world_size() const { return world_; }
  int group_size(mpcomm_group_kind_t kind) const;
  int num_groups(mpcomm_group_kind_t kind) const { return world_ / group_size(kind); }

  // The group and position of global_rank (0 <= global_rank < world_size).
  GroupPlace place(mpcomm_group_kind_t kind, int global_rank) const;

  // Every group of the kind, in vLLM's order, each listing its ranks by position.
  std::vector<std::vector<int>> groups(mpcomm_group_kind_t kind) const;

  // The same lists row-major into out[num_groups * group_size] (which the caller sized).
  void fill(mpcomm_group_kind_t kind, int *out) const;

 private:
  int tp_, pp_, dp_, pcp_, dcp_, world_;
};

}  // namespace mpcomm::parallel
