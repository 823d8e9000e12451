// The wait of a node's processes for one another's flags in shared memory, bounded by a
// deadline: the shared-memory allreduce's barrier and the v-collectives' agreement both publish
// a counter and wait until every process's has reached theirs. The waits poll through
// poll_until, which yields the core when the node is oversubscribed.
#pragma once

#include <vector>

#include "core/deadline.hpp"

namespace mpcomm {

// Waits until arrived(r) holds for every r in [0, n) or the deadline passes; returns the r that
// had not arrived then, ascending (empty: every one did).
template <class Arrived>
std::vector<int> wait_for_node(int n, const Deadline &deadline, Arrived &&arrived) {
  std::vector<int> late;
  for (int r = 0; r < n; ++r) {
    if (poll_until(deadline, [&] { return arrived(r); })) continue;
    for (int q = r; q < n; ++q)
      if (!arrived(q)) late.push_back(q);
    if (!late.empty()) break;
  }
  return late;
}

}  // namespace mpcomm
