// mpcomm_group_join(3): a group of processes launched separately, met at host:port.
#include "api/entry.hpp"
#include "bootstrap/rendezvous.hpp"
#include "comm/node_rank.hpp"
#include "core/env.hpp"

extern "C" mpcomm_status_t mpcomm_group_join(const char *host, int port, int rank, int world_size,
                                             double timeout_s, mpcomm_group_t *group) {
  return mpcomm::api::entry("mpcomm_group_join", mpcomm::api::kMpi, [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_not_null(host, "host");
    // 0 or less: MPCOMM_TIMEOUT, as for every timeout argument (NaN is refused below).
    const double seconds = timeout_s <= 0 ? mpcomm::default_timeout() : timeout_s;
    mpcomm::rendezvous::Request request{
        host, port, rank, world_size, seconds, mpcomm::env::raw("MPCOMM_JOIN_TOKEN").value_or("")};
    const MPI_Comm joined = mpcomm::rendezvous::join(request);
    int local_rank = -1;
    try {
      local_rank = mpcomm::node_local_rank_in(joined);
    } catch (...) {
      MPI_Comm copy = joined;
      MPI_Comm_free(&copy);
      throw;
    }
    *group = mpcomm::adopt_communicator(joined, local_rank);
  });
}
