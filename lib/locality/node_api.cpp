// C API of node locality.
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "group/group.hpp"
#include "locality/node.hpp"

extern "C" {

mpcomm_status_t mpcomm_in_the_same_node_as(mpcomm_group_t group, int source_rank, int *flags) {
  return mpcomm::c_boundary("mpcomm_in_the_same_node_as", [&] {
    mpcomm::require_mpi_running();
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(flags, "flags");
    mpcomm::require_arg(source_rank >= 0 && source_rank < g.size(), "source_rank ", source_rank,
                        " is out of range [0, ", g.size(), ")");
    g.run_bounded("mpcomm_in_the_same_node_as", [&] {
      auto answer = mpcomm::locality::same_node_as(g.comm(), source_rank, g.timeout());
      for (size_t i = 0; i < answer.size(); ++i) flags[i] = answer[i];
    });
  });
}

mpcomm_status_t mpcomm_node_count(mpcomm_group_t group, int *count) {
  return mpcomm::c_boundary("mpcomm_node_count", [&] {
    mpcomm::require_mpi_running();
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_not_null(count, "count");
    g.run_bounded("mpcomm_node_count",
                  [&] { *count = mpcomm::locality::node_count(g.comm(), g.timeout()); });
  });
}

}  // extern "C"
