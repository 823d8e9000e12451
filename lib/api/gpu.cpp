// mpcomm_gpu(3): a group's CUDA device and device context, and CUDA graph capture of a state.
#include "api/entry.hpp"
#include "device/device_ops.hpp"
#include "state/graph_capture.hpp"

using mpcomm::api::entry;
using mpcomm::api::kCollective;
using mpcomm::api::kMpi;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_group_set_device(mpcomm_group_t group, int device) {
  return entry("mpcomm_group_set_device", kNothing, group,
               [&](mpcomm_group_s &g) { mpcomm::device::set_device(g, device); });
}

extern "C" mpcomm_status_t mpcomm_group_device_init(mpcomm_group_t group) {
  return entry("mpcomm_group_device_init", kCollective, group,
               [&](mpcomm_group_s &g) { mpcomm::device::init_context(g); });
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
