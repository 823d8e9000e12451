// mpcomm_objects(3): objects as bytes, and mpcomm_barrier.
#include "group/objects.hpp"

#include "api/entry.hpp"
#include "group/barrier.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;
using mpcomm::api::kUsable;

extern "C" mpcomm_status_t mpcomm_send_object(mpcomm_group_t group, const void *buf, size_t len,
                                              int dst) {
  return entry("mpcomm_send_object", kUsable, group,
               [&](mpcomm_group_s &g) { mpcomm::send_object(g, buf, len, dst); });
}

extern "C" mpcomm_status_t mpcomm_recv_object(mpcomm_group_t group, void *buf, size_t capacity,
                                              size_t *len, int src) {
  return entry("mpcomm_recv_object", kUsable, group,
               [&](mpcomm_group_s &g) { mpcomm::recv_object(g, buf, capacity, len, src); });
}

extern "C" mpcomm_status_t mpcomm_broadcast_object(mpcomm_group_t group, void *buf, size_t capacity,
                                                   size_t *len, int src) {
  return entry("mpcomm_broadcast_object", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::broadcast_object(g, buf, capacity, len, src); });
}

extern "C" mpcomm_status_t mpcomm_all_gather_object(mpcomm_group_t group, const void *buf,
                                                    size_t len, void *out, size_t capacity,
                                                    size_t *lens) {
  return entry("mpcomm_all_gather_object", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::all_gather_object(g, buf, len, out, capacity, lens);
  });
}

extern "C" mpcomm_status_t mpcomm_barrier(mpcomm_group_t group, double timeout_s) {
  return entry("mpcomm_barrier", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::barrier(g, timeout_s); });
}
