// mpcomm_gpu(3): a group's CUDA device, device context and custom allreduce, and CUDA graph
// capture of a state.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "api/entry.hpp"
#include "core/dtype.hpp"
#include "core/reduce_op.hpp"
#include "device/device_ops.hpp"
#include "state/graph_capture.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;
using mpcomm::api::kMpi;
using mpcomm::api::kNothing;
using mpcomm::api::kUsable;

extern "C" mpcomm_status_t mpcomm_group_set_device(mpcomm_group_t group, int device) {
  return entry("mpcomm_group_set_device", kNothing, group,
               [&](mpcomm_group_s &g) { mpcomm::device::set_device(g, device); });
}

extern "C" mpcomm_status_t mpcomm_group_device_init(mpcomm_group_t group) {
  return entry("mpcomm_group_device_init", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::device::init_context(g); });
}

extern "C" mpcomm_status_t mpcomm_group_set_custom_allreduce(mpcomm_group_t group, int enabled) {
  return entry("mpcomm_group_set_custom_allreduce", kNothing, group, [&](mpcomm_group_s &g) {
    mpcomm::require_arg(enabled == 0 || enabled == 1, "enabled must be 0 or 1, got ", enabled);
    mpcomm::device::set_custom_allreduce(g, enabled != 0);
  });
}

extern "C" mpcomm_status_t mpcomm_group_device_allreduce_path(mpcomm_group_t group, size_t count,
                                                              mpcomm_datatype_t dtype,
                                                              mpcomm_op_t op,
                                                              mpcomm_allreduce_path_t *path,
                                                              char *why, size_t why_len) {
  return entry("mpcomm_group_device_allreduce_path", kUsable, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(path, "path");
    mpcomm::require_arg(why != nullptr || why_len == 0, "why must not be NULL when why_len is ",
                        why_len);
    mpcomm::validate_datatype(dtype, "dtype");
    mpcomm::validate_op(op, "op");
    mpcomm::require_arg(count <= SIZE_MAX / mpcomm::element_size(dtype), "count (", count,
                        ") elements of ", mpcomm::datatype_name(dtype), " overflow size_t");
    const mpcomm::device::AllReduceRoute route =
        mpcomm::device::all_reduce_route(g, count, dtype, op);
    switch (route.path) {
      case mpcomm::device::DevicePath::Copy: *path = MPCOMM_ALLREDUCE_PATH_COPY; break;
      case mpcomm::device::DevicePath::Nccl: *path = MPCOMM_ALLREDUCE_PATH_NCCL; break;
      case mpcomm::device::DevicePath::Custom:
        *path = route.two_shot ? MPCOMM_ALLREDUCE_PATH_CUSTOM_TWOSHOT
                               : MPCOMM_ALLREDUCE_PATH_CUSTOM_ONESHOT;
        break;
    }
    if (why_len > 0) {
      const size_t n = std::min(route.why.size(), why_len - 1);
      std::memcpy(why, route.why.data(), n);
      why[n] = '\0';
    }
  });
}

extern "C" mpcomm_status_t mpcomm_graph_capture_begin(mpcomm_state_t state, void *stream) {
  return entry("mpcomm_graph_capture_begin", kMpi, state, [&](mpcomm_state_s &s) {
    mpcomm::require_arg(stream != nullptr,
                        "stream must not be NULL (the legacy default stream cannot capture)");
    mpcomm::graph_capture_begin(s, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_graph_capture_end(mpcomm_state_t state) {
  return entry("mpcomm_graph_capture_end", kNothing, state,
               [&](mpcomm_state_s &s) { mpcomm::graph_capture_end(s); });
}
