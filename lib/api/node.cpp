// mpcomm_in_the_same_node_as(3): which members of a group share a node, and how many nodes the
// group spans. The work is in locality/node and comm/node_count.
#include "locality/node.hpp"

#include <cstddef>

#include "api/entry.hpp"
#include "comm/node_count.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;

extern "C" mpcomm_status_t mpcomm_in_the_same_node_as(mpcomm_group_t group, int source_rank,
                                                      int *flags) {
  return entry("mpcomm_in_the_same_node_as", kCollective, group, [&](mpcomm_group_s &g) {
    g.describe_call({0, -1, -1, source_rank, -1});
    mpcomm::require_not_null(flags, "flags");
    mpcomm::require_arg(source_rank >= 0 && source_rank < g.size(), "source_rank ", source_rank,
                        " is out of range [0, ", g.size(), ")");
    g.run_bounded("mpcomm_in_the_same_node_as", [&] {
      auto answer = mpcomm::locality::same_node_as(g.comm(), source_rank, g.timeout());
      for (size_t i = 0; i < answer.size(); ++i) flags[i] = answer[i];
    });
  });
}

extern "C" mpcomm_status_t mpcomm_node_count(mpcomm_group_t group, int *count) {
  return entry("mpcomm_node_count", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(count, "count");
    g.run_bounded("mpcomm_node_count", [&] { *count = mpcomm::node_count(g.comm(), g.timeout()); });
  });
}
