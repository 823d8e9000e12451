// mpcomm_group_join: a group of processes launched separately, met at host:port.
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/rendezvous.hpp"

extern "C" mpcomm_status_t mpcomm_group_join(const char *host, int port, int rank, int world_size,
                                             double timeout_s, mpcomm_group_t *group) {
  return mpcomm::c_boundary("mpcomm_group_join", [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_not_null(host, "host");
    mpcomm::rendezvous::Request request{host, port, rank, world_size, timeout_s};
    *group = mpcomm::adopt_communicator(mpcomm::rendezvous::join(request));
  });
}
