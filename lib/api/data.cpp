// mpcomm_all_reduce(3) and mpcomm_all_gather(3): the data plane on groups. The dispatch to the
// host or device plane and the work are in group/dispatch.
#include "api/entry.hpp"
#include "group/dispatch.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;
using mpcomm::api::kUsable;

extern "C" mpcomm_status_t mpcomm_all_reduce(mpcomm_group_t group, const void *send, void *recv,
                                             size_t count, mpcomm_datatype_t dtype, mpcomm_op_t op,
                                             void *stream) {
  return entry("mpcomm_all_reduce", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_all_reduce(g, send, recv, count, dtype, op, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_broadcast(mpcomm_group_t group, void *buf, size_t count,
                                            mpcomm_datatype_t dtype, int src, void *stream) {
  return entry("mpcomm_broadcast", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_broadcast(g, buf, count, dtype, src, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_send(mpcomm_group_t group, const void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int dst, void *stream) {
  return entry("mpcomm_send", kUsable, group,
               [&](mpcomm_group_s &g) { mpcomm::group_send(g, buf, count, dtype, dst, stream); });
}

extern "C" mpcomm_status_t mpcomm_recv(mpcomm_group_t group, void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int src, void *stream) {
  return entry("mpcomm_recv", kUsable, group,
               [&](mpcomm_group_s &g) { mpcomm::group_recv(g, buf, count, dtype, src, stream); });
}

extern "C" mpcomm_status_t mpcomm_all_gather(mpcomm_group_t group, const DLTensor *in,
                                             DLTensor *out, int dim, void *stream) {
  return entry("mpcomm_all_gather", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::group_all_gather(g, in, out, dim, stream); });
}

extern "C" mpcomm_status_t mpcomm_reduce_scatter(mpcomm_group_t group, const DLTensor *in,
                                                 DLTensor *out, int dim, mpcomm_op_t op,
                                                 void *stream) {
  return entry("mpcomm_reduce_scatter", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_reduce_scatter(g, in, out, dim, op, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_gather(mpcomm_group_t group, const DLTensor *in, DLTensor *out,
                                         int dst, int dim, void *stream) {
  return entry("mpcomm_gather", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::group_gather(g, in, out, dst, dim, stream); });
}
