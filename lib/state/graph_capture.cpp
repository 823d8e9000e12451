#include "state/graph_capture.hpp"

#include "core/error.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"

namespace mpcomm {
namespace {

constexpr mpcomm_group_kind_t kCaptureOrder[] = {
    MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP,  MPCOMM_GROUP_PP, MPCOMM_GROUP_DP,
    MPCOMM_GROUP_EP,    MPCOMM_GROUP_DCP, MPCOMM_GROUP_PCP};

}  // namespace

void graph_capture_begin(mpcomm_state_s &state, void *stream) {
  require(!state.graph_capturing(), MPCOMM_ERR_INVALID_USAGE,
          "mpcomm_graph_capture_begin was already called; call mpcomm_graph_capture_end first");
  device::prepare_capture(stream);
  // A group of one gets its context too: a capture may not make one, and its calls need it.
  for (mpcomm_group_kind_t kind : kCaptureOrder) {
    if (kind == MPCOMM_GROUP_EP && !state.config().enable_expert_parallel) continue;
    device::init_context(*state.group(kind));
  }
  state.set_graph_capturing(true);
}

void graph_capture_end(mpcomm_state_s &state) {
  device::require_capture_built();
  require(state.graph_capturing(), MPCOMM_ERR_INVALID_USAGE,
          "mpcomm_graph_capture_end without mpcomm_graph_capture_begin");
  state.set_graph_capturing(false);
}

}  // namespace mpcomm
