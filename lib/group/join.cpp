// mpcomm_group_join: a group of processes launched separately, met at host:port.
#include "core/env.hpp"
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/rendezvous.hpp"

extern "C" mpcomm_status_t mpcomm_group_join(const char *host, int port, int rank, int world_size,
                                             double timeout_s, mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_join", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_not_null(host, "host");
    // 0 or less: MPCOMM_TIMEOUT, as for every timeout argument (NaN is refused below).
    const double seconds = timeout_s <= 0 ? mpcomm::default_object_timeout() : timeout_s;
    mpcomm::rendezvous::Request request{
        host, port, rank, world_size, seconds, mpcomm::env::raw("MPCOMM_JOIN_TOKEN").value_or("")};
    *group = mpcomm::adopt_communicator(mpcomm::rendezvous::join(request));
  });
}
