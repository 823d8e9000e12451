// mpcomm_graph_capture_begin(3) and _end: before a CUDA graph capture every group of the state
// gets its device context (kinds in a fixed order, so every process runs the same collectives in
// the same order), since nothing may be allocated or agreed on while a stream captures.
#pragma once

#include "state/state.hpp"

namespace mpcomm {

void graph_capture_begin(mpcomm_state_s &state, void *stream);
void graph_capture_end(mpcomm_state_s &state);

}  // namespace mpcomm
