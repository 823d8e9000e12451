// How a tensor dict's tensors move: host memory over the group's own MPI point-to-point traffic,
// every wait bounded by the group's timeout (a missing peer is MPCOMM_ERR_TIMEOUT and a broken
// group, as on the control plane); CUDA memory through the device data plane (NCCL, on the
// legacy default stream). Tags 40 to 44 on a group's communicator belong to tensor dicts: 40 to
// 42 carry tensor data (and metadata that follows in chunks), 43 and 44 a dict's first message
// (dict_message.hpp).
#pragma once

#include <cstddef>

#include "group/group.hpp"
#include "group/protocol.hpp"
#include "mpcomm.h"

namespace mpcomm::tensordict {

constexpr auto kTagSendData = static_cast<protocol::Tag>(40);
constexpr auto kTagBroadcastData = static_cast<protocol::Tag>(41);
constexpr auto kTagAllGatherData = static_cast<protocol::Tag>(42);

// count elements of dtype at data, in host or in CUDA memory.
struct Piece {
  void *data = nullptr;
  size_t count = 0;
  mpcomm_datatype_t dtype = MPCOMM_UINT8;
  bool on_device = false;
  size_t bytes() const;
};

void send_piece(mpcomm_group_s &g, const Piece &piece, int dst);
void recv_piece(mpcomm_group_s &g, const Piece &piece, int src);
// piece at root is copied into piece at every other member.
void broadcast_piece(mpcomm_group_s &g, const Piece &piece, int root);
// In place: `whole` holds size * slice_count elements, the caller's slice at rank * slice_count;
// afterwards every slice is every member's. Collective over g.
void all_gather_in_place(mpcomm_group_s &g, const Piece &whole, size_t slice_count);

}  // namespace mpcomm::tensordict
