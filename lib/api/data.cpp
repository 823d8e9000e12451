// mpcomm_all_reduce(3), mpcomm_all_gather(3), mpcomm_all_gatherv(3) and mpcomm_all_to_all(3):
// the data plane on groups. The dispatch to the
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

extern "C" mpcomm_status_t mpcomm_all_gatherv(mpcomm_group_t group, const DLTensor *in,
                                              DLTensor *out, const size_t *sizes, int dim,
                                              void *stream) {
  return entry("mpcomm_all_gatherv", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_all_gatherv(g, in, out, sizes, dim, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_reduce_scatterv(mpcomm_group_t group, const DLTensor *in,
                                                  DLTensor *out, const size_t *sizes, int dim,
                                                  mpcomm_op_t op, void *stream) {
  return entry("mpcomm_reduce_scatterv", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_reduce_scatterv(g, in, out, sizes, dim, op, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_all_to_all(mpcomm_group_t group, const void *send, void *recv,
                                             size_t count, mpcomm_datatype_t dtype, void *stream) {
  return entry("mpcomm_all_to_all", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_all_to_all(g, send, recv, count, dtype, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_all_to_allv(mpcomm_group_t group, const void *send,
                                              const size_t *send_counts, const size_t *send_displs,
                                              void *recv, const size_t *recv_counts,
                                              const size_t *recv_displs, mpcomm_datatype_t dtype,
                                              void *stream) {
  return entry("mpcomm_all_to_allv", kCollective, group, [&](mpcomm_group_s &g) {
    mpcomm::group_all_to_allv(g, send, send_counts, send_displs, recv, recv_counts, recv_displs,
                              dtype, stream);
  });
}
