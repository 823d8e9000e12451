// The C functions of the data plane on groups (mpcomm_all_reduce(3), mpcomm_all_gather(3)); the
// dispatch and the work are in group_ops.
#include "core/error.hpp"
#include "dataplane/group_ops.hpp"
#include "group/group.hpp"

extern "C" mpcomm_status_t mpcomm_all_reduce(mpcomm_group_t group, const void *send, void *recv,
                                             size_t count, mpcomm_datatype_t dtype, mpcomm_op_t op,
                                             void *stream) {
  return mpcomm::c_boundary("mpcomm_all_reduce", [&] {
    mpcomm::dataplane::group_all_reduce(mpcomm::group_ref(group), send, recv, count, dtype, op,
                                        stream);
  });
}

extern "C" mpcomm_status_t mpcomm_broadcast(mpcomm_group_t group, void *buf, size_t count,
                                            mpcomm_datatype_t dtype, int src, void *stream) {
  return mpcomm::c_boundary("mpcomm_broadcast", [&] {
    mpcomm::dataplane::group_broadcast(mpcomm::group_ref(group), buf, count, dtype, src, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_send(mpcomm_group_t group, const void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int dst, void *stream) {
  return mpcomm::c_boundary("mpcomm_send", [&] {
    mpcomm::dataplane::group_send(mpcomm::group_ref(group), buf, count, dtype, dst, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_recv(mpcomm_group_t group, void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int src, void *stream) {
  return mpcomm::c_boundary("mpcomm_recv", [&] {
    mpcomm::dataplane::group_recv(mpcomm::group_ref(group), buf, count, dtype, src, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_all_gather(mpcomm_group_t group, const DLTensor *in,
                                             DLTensor *out, int dim, void *stream) {
  return mpcomm::c_boundary("mpcomm_all_gather", [&] {
    mpcomm::dataplane::group_all_gather(mpcomm::group_ref(group), in, out, dim, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_reduce_scatter(mpcomm_group_t group, const DLTensor *in,
                                                 DLTensor *out, int dim, mpcomm_op_t op,
                                                 void *stream) {
  return mpcomm::c_boundary("mpcomm_reduce_scatter", [&] {
    mpcomm::dataplane::group_reduce_scatter(mpcomm::group_ref(group), in, out, dim, op, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_gather(mpcomm_group_t group, const DLTensor *in, DLTensor *out,
                                         int dst, int dim, void *stream) {
  return mpcomm::c_boundary("mpcomm_gather", [&] {
    mpcomm::dataplane::group_gather(mpcomm::group_ref(group), in, out, dst, dim, stream);
  });
}
