// The C functions of the GPU data plane (mpcomm_gpu(3)); the work is in device_ops.
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"
#include "state/state.hpp"

extern "C" mpcomm_status_t mpcomm_group_set_device(mpcomm_group_t group, int device) {
  return mpcomm::c_boundary("mpcomm_group_set_device",
                            [&] { mpcomm::device::set_device(mpcomm::group_ref(group), device); });
}

extern "C" mpcomm_status_t mpcomm_group_device_init(mpcomm_group_t group) {
  return mpcomm::c_boundary("mpcomm_group_device_init", [&] {
    auto &g = mpcomm::group_ref(group);
    mpcomm::require_mpi_running();
    mpcomm::device::init_context(g);
  });
}

extern "C" mpcomm_status_t mpcomm_graph_capture_begin(mpcomm_state_t state, void *stream) {
  return mpcomm::c_boundary("mpcomm_graph_capture_begin", [&] {
    auto &s = mpcomm::state_ref(state);
    mpcomm::require_arg(stream != nullptr,
                        "stream must not be NULL (the legacy default stream cannot capture)");
    mpcomm::require_mpi_running();
    mpcomm::device::graph_capture_begin(s, stream);
  });
}

extern "C" mpcomm_status_t mpcomm_graph_capture_end(mpcomm_state_t state) {
  return mpcomm::c_boundary("mpcomm_graph_capture_end",
                            [&] { mpcomm::device::graph_capture_end(mpcomm::state_ref(state)); });
}
