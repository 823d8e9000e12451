#include "group/mem_alloc.hpp"

#include <cstdint>
#include <string>

#include "comm/bounded.hpp"
#include "core/error.hpp"
#include "host/host_allreduce.hpp"
#include "locality/node_cpus.hpp"

namespace mpcomm {

void *group_mem_alloc(mpcomm_group_s &g, size_t bytes) {
  // Larger than any object may be (pointer differences must fit in ptrdiff_t).
  require_arg(bytes <= static_cast<size_t>(PTRDIFF_MAX), "bytes (", bytes,
              ") is larger than a buffer can be (PTRDIFF_MAX, ", PTRDIFF_MAX, ")");
  void *ptr = nullptr;
  // Host plane: an MPI failure or a timeout breaks the group; a segment that could not be made
  // fails alike on every member of the node, so nothing is out of step.
  g.run(Plane::kHost, [&] {
    host::HostAllreduce &host = host::host_allreduce(g, locality::node_oversubscribed);
    if (host.nodes() == 1) {
      ptr = host.mem_alloc(bytes, g.timeout());
      return;
    }
    // Each node agrees on its own buffers; across nodes the members agree here, so that every
    // member has its buffer, or none has.
    int made = 1;
    std::string why;
    try {
      ptr = host.mem_alloc(bytes, g.timeout());
    } catch (const Error &e) {
      if (e.status() != MPCOMM_ERR_SYSTEM) throw;
      made = 0;
      why = e.what();
    }
    if (bounded_min(g.comm(), made, g.timeout(), "mpcomm_mem_alloc") == 1) return;
    if (ptr != nullptr) host.mem_free(ptr);
    ptr = nullptr;
    throw Error(
        MPCOMM_ERR_SYSTEM,
        made ? "mpcomm_mem_alloc: the buffers could not be made or mapped on another node" : why);
  });
  return ptr;
}

void group_mem_free(mpcomm_group_s &g, void *ptr) {
  if (ptr == nullptr) return;  // as free(NULL)
  host::HostState *state = g.find<host::HostState>();
  require_arg(state != nullptr && state->allreduce != nullptr, "ptr (", ptr,
              ") is not a buffer mpcomm_mem_alloc returned for this group: it has none");
  state->allreduce->mem_free(ptr);
}

}  // namespace mpcomm
