// mpcomm_barrier: every member sends an empty arrival token to every other member and waits for
// theirs. One message latency for small groups, and on a timeout each rank knows exactly which
// members had not arrived. Groups above kAllToAllLimit use a dissemination barrier instead
// (log2(n) rounds), where a timeout names the member each round waited for.
#include "group/barrier.hpp"

#include <cmath>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"

namespace mpcomm {
namespace {

using namespace protocol;

constexpr int kAllToAllLimit = 32;

void all_to_all_barrier(mpcomm_group_s &g, const Deadline &deadline) {
  // Zero-byte messages never touch their buffers; MPI only wants a valid address.
  static char token;
  Requests &requests = g.requests();
  for (int peer : g.peers()) requests.recv(&token, 0, peer, kTagBarrier, g.comm());
  for (int peer : g.peers()) Requests::post_token(peer, kTagBarrier, g.comm());
  finish(g, deadline, "barrier");
}

void dissemination_barrier(mpcomm_group_s &g, const Deadline &deadline) {
  static char token;
  const int n = g.size(), me = g.rank();
  Requests &requests = g.requests();
  for (int distance = 1; distance < n; distance *= 2) {
    requests.recv(&token, 0, (me - distance + n) % n, kTagBarrier, g.comm());
    Requests::post_token((me + distance) % n, kTagBarrier, g.comm());
    finish(g, deadline, "barrier (the named rank or one it waited for)");
  }
}

}  // namespace

void barrier(mpcomm_group_s &g, double timeout_s) {
  const double seconds =
      protocol::timeout_argument(timeout_s, g.timeout(), "timeout_s");  // <= 0: the group's
  g.describe_call_timeout(seconds);
  protocol::run_operation(g, [&] {
    if (g.size() == 1) return;
    const Deadline deadline(seconds);
    if (g.size() <= kAllToAllLimit)
      all_to_all_barrier(g, deadline);
    else
      dissemination_barrier(g, deadline);
  });
}

}  // namespace mpcomm
