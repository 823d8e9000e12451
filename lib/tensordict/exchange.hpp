// broadcast, send and recv of tensor dicts over a group, as vLLM's GroupCoordinator does them
// (exchange.cpp says how). The C functions (api/tensor_dict_exchange.cpp) check the caller's
// arguments with the checks below, before any communication, then call the operation.
#pragma once

#include "group/group.hpp"
#include "mpcomm.h"
#include "tensordict/tensor_dict.hpp"

namespace mpcomm::tensordict {

// Error(INVALID_ARGUMENT) naming `name` unless peer is a rank of g.
void require_peer(const mpcomm_group_s &g, int peer, const char *name);

// Whether d can be sent from here: its device tensors need a device plane, and the packing
// limit must be readable (a bad MPCOMM_TENSOR_DICT_PACK_LIMIT is the caller's error, not the
// group's). Local.
void check_sendable(mpcomm_group_s &g, const mpcomm_tensor_dict_s &d);

// The operations, on arguments already checked (a group of more than one member, src and dst
// ranks of it other than the caller's where they must be): *dict at src goes to every other
// member's *dict; d goes to dst; a dict from src lands in *dict. all_gather_group (may be
// NULL) is the sender's or receiver's, as in mpcomm_send_tensor_dict(3).
void broadcast_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, int src);
void send_dict(mpcomm_group_s &g, const mpcomm_tensor_dict_s &d, int dst,
               mpcomm_group_s *all_gather_group);
void recv_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, int src,
               mpcomm_group_s *all_gather_group);

}  // namespace mpcomm::tensordict
