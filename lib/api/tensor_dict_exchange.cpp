// mpcomm_broadcast_tensor_dict(3): broadcast, send and recv of tensor dicts in a group. Every
// argument is checked here before the first message; the exchange is in tensordict/exchange.
#include "api/entry.hpp"
#include "tensordict/exchange.hpp"

using mpcomm::api::dict_ref;
using mpcomm::api::entry;
using mpcomm::api::group_ref;
using mpcomm::api::kCollective;
using mpcomm::api::kUsable;
using mpcomm::tensordict::check_sendable;
using mpcomm::tensordict::require_peer;

extern "C" mpcomm_status_t mpcomm_broadcast_tensor_dict(mpcomm_group_t group,
                                                        mpcomm_tensor_dict_t *dict, int src) {
  return entry("mpcomm_broadcast_tensor_dict", kCollective, group, [&](mpcomm_group_s &g) {
    if (src == MPCOMM_RANK_DEFAULT) src = 0;
    g.describe_call({0, -1, -1, src, -1});
    mpcomm::require_not_null(dict, "dict");
    require_peer(g, src, "src");
    if (g.rank() == src) {
      mpcomm::require_arg(*dict != nullptr, "*dict must be a tensor dict at src (group rank ", src,
                          ")");
      check_sendable(g, dict_ref(*dict, "*dict"));
    } else if (*dict != nullptr) {
      dict_ref(*dict, "*dict");
    }
    if (g.size() == 1) return;  // as vLLM: nothing to send, the dict stays the caller's
    mpcomm::tensordict::broadcast_dict(g, dict, src);
  });
}

extern "C" mpcomm_status_t mpcomm_send_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t dict,
                                                   int dst, mpcomm_group_t all_gather_group) {
  return entry("mpcomm_send_tensor_dict", kUsable, group, [&](mpcomm_group_s &g) {
    const auto &d = dict_ref(dict);
    mpcomm_group_s *ag =
        all_gather_group ? &group_ref(all_gather_group, "all_gather_group") : nullptr;
    if (dst == MPCOMM_RANK_DEFAULT) dst = (g.rank() + 1) % g.size();
    require_peer(g, dst, "dst");
    if (g.size() == 1) return;  // as vLLM: no one to send to
    mpcomm::require_arg(dst != g.rank(), "dst must not be the caller's own rank ", dst);
    check_sendable(g, d);
    if (ag) ag->require_usable();
    mpcomm::tensordict::send_dict(g, d, dst, ag);
  });
}

extern "C" mpcomm_status_t mpcomm_recv_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t *dict,
                                                   int src, mpcomm_group_t all_gather_group) {
  return entry("mpcomm_recv_tensor_dict", kUsable, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(dict, "dict");
    if (*dict != nullptr) dict_ref(*dict, "*dict");
    mpcomm_group_s *ag =
        all_gather_group ? &group_ref(all_gather_group, "all_gather_group") : nullptr;
    if (src == MPCOMM_RANK_DEFAULT) src = (g.rank() + g.size() - 1) % g.size();
    require_peer(g, src, "src");
    if (g.size() == 1) return;  // as vLLM: nothing to receive, *dict is left as it is
    mpcomm::require_arg(src != g.rank(), "src must not be the caller's own rank ", src);
    if (ag) ag->require_usable();
    mpcomm::tensordict::recv_dict(g, dict, src, ag);
  });
}
