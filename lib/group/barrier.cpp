// mpcomm_barrier: every member sends an empty arrival token to every other member and waits for
// theirs, through the object channels between members on one node (protocol::exchange_eager)
// and over MPI between the others (protocol::mpi_barrier, also the barrier of larger groups).
#include "group/barrier.hpp"

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/object_channels.hpp"
#include "group/protocol.hpp"

namespace mpcomm {

void barrier(mpcomm_group_s &g, double timeout_s) {
  const double seconds =
      protocol::timeout_argument(timeout_s, g.timeout(), "timeout_s");  // <= 0: the group's
  g.describe_call_timeout(seconds);
  protocol::run_operation(g, [&] {
    if (g.size() == 1) return;
    const Deadline deadline(seconds);
    using namespace protocol;
    ObjectChannels *channels = collective_channels(g, deadline, "barrier");
    if (channels && g.size() <= kAllToAllBarrierLimit) {
      // Tokens through the channels of the members on the node, over MPI to the others.
      static char token;
      exchange_eager(g, *channels, kTagBarrier, &token, 0, &token, 0, nullptr, deadline, "barrier");
    } else {
      mpi_barrier(g, deadline, "barrier");
    }
  });
}

}  // namespace mpcomm
