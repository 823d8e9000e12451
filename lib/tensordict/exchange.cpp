// broadcast, send and recv of tensor dicts, as vLLM's GroupCoordinator does them: each dict starts
// with one message on the operation's own tag (dict_message.hpp) that carries the metadata and,
// for a small host-only dict, the tensors too; otherwise each non-empty tensor follows, in key
// order, on the data plane (transfer.hpp). Everything the caller passed is checked before the
// first message; receivers land the dict in the caller's dict as receive.hpp describes.
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "dataplane/dtype.hpp"
#include "dataplane/tensor.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"
#include "tensordict/dict_message.hpp"
#include "tensordict/receive.hpp"
#include "tensordict/tensor_dict.hpp"
#include "tensordict/transfer.hpp"
#include "tensordict/workspace.hpp"

namespace mpcomm::tensordict {

namespace {

void require_peer(const mpcomm_group_s &g, int peer, const char *name) {
  require_arg(peer >= 0 && peer < g.size(), name, " must be a rank in the group [0, ", g.size(),
              ") or MPCOMM_RANK_DEFAULT, got ", peer);
}

// The piece of a dict entry's tensor to send: the whole tensor, or slice `part` of `slices`.
Piece piece_of(const TensorValue &t, int64_t slices, int part) {
  Piece p;
  p.dtype = t.dtype;
  p.on_device = dataplane::on_cuda_device(t.tensor);
  p.count = t.nbytes / dataplane::kElementSize[t.dtype] / static_cast<size_t>(slices);
  p.data = static_cast<char *>(t.tensor.data) + t.tensor.byte_offset +
           static_cast<size_t>(part) * p.count * dataplane::kElementSize[t.dtype];
  return p;
}

// Before any communication: device tensors need a device plane here, and the packing limit
// must be readable (a bad MPCOMM_TENSOR_DICT_PACK_LIMIT is the caller's error, not the group's).
void check_sendable(mpcomm_group_s &g, const mpcomm_tensor_dict_s &d) {
  for (size_t i = 0; i < d.size(); ++i) {
    const auto *t = std::get_if<TensorValue>(&d.at(i).value);
    if (t && t->nbytes > 0 && dataplane::on_cuda_device(t->tensor)) device::require_available();
  }
  static_cast<void>(pack_limit(g));
}

}  // namespace

}  // namespace mpcomm::tensordict

extern "C" mpcomm_status_t mpcomm_broadcast_tensor_dict(mpcomm_group_t group,
                                                        mpcomm_tensor_dict_t *dict, int src) {
  return mpcomm::c_boundary("mpcomm_broadcast_tensor_dict", [&] {
    using namespace mpcomm;
    using namespace mpcomm::tensordict;
    auto &g = group_ref(group);
    require_not_null(dict, "dict");
    if (src == MPCOMM_RANK_DEFAULT) src = 0;
    require_peer(g, src, "src");
    const bool root = g.rank() == src;
    if (root) {
      require_arg(*dict != nullptr, "*dict must be a tensor dict at src (group rank ", src, ")");
      check_sendable(g, dict_ref(*dict, "*dict"));
    } else if (*dict != nullptr) {
      dict_ref(*dict, "*dict");
    }
    if (g.size() == 1) return;  // as vLLM: nothing to send, the dict stays the caller's
    require_mpi_running();
    protocol::run_operation(g, [&] {
      const char *what = "broadcast_tensor_dict";
      if (root) {
        const mpcomm_tensor_dict_s &d = **dict;
        const OutgoingDict out(g, d, nullptr);
        const std::vector<int> &peers = g.peer_list();
        out.send(g, peers.data(), peers.size(), kTagBroadcastMessage, kTagBroadcastData,
                 Deadline(g.timeout()), what);
        if (out.packed()) return;
        for (size_t i = 0; i < d.size(); ++i) {
          const auto *t = std::get_if<TensorValue>(&d.at(i).value);
          if (t && t->nbytes > 0) broadcast_piece(g, piece_of(*t, 1, 0), src);
        }
        return;
      }
      ReceiveSpec spec;
      spec.src = src;
      spec.tag = kTagBroadcastMessage;
      spec.data_tag = kTagBroadcastData;
      spec.what = what;
      spec.broadcast = true;
      auto receive = [&](const Piece &whole, const TensorMetaView &) {
        broadcast_piece(g, whole, src);
      };
      receive_dict(g, dict, spec, TensorSink(receive));
    });
  });
}

extern "C" mpcomm_status_t mpcomm_send_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t dict,
                                                   int dst, mpcomm_group_t all_gather_group) {
  return mpcomm::c_boundary("mpcomm_send_tensor_dict", [&] {
    using namespace mpcomm;
    using namespace mpcomm::tensordict;
    auto &g = group_ref(group);
    const auto &d = dict_ref(dict);
    mpcomm_group_s *ag =
        all_gather_group ? &group_ref(all_gather_group, "all_gather_group") : nullptr;
    if (dst == MPCOMM_RANK_DEFAULT) dst = (g.rank() + 1) % g.size();
    require_peer(g, dst, "dst");
    if (g.size() == 1) return;  // as vLLM: no one to send to
    require_arg(dst != g.rank(), "dst must not be the caller's own rank ", dst);
    check_sendable(g, d);
    if (ag) ag->require_usable();
    require_mpi_running();
    protocol::run_operation(g, [&] {
      // As vLLM: with an all_gather_group of n, a tensor whose element count n divides travels
      // as the caller's 1/n part (row ag rank of tensor.reshape(n, -1)).
      const int64_t n = ag ? ag->size() : 1;
      const int part = ag ? ag->rank() : 0;
      const int64_t *slices = nullptr;
      if (n > 1) {
        std::vector<int64_t> &per_entry = workspace(g).slices;
        per_entry.assign(d.size(), 1);
        for (size_t i = 0; i < d.size(); ++i)
          if (const auto *t = std::get_if<TensorValue>(&d.at(i).value)) {
            const size_t numel = t->nbytes / dataplane::kElementSize[t->dtype];
            if (numel > 0 && numel % static_cast<size_t>(n) == 0) per_entry[i] = n;
          }
        slices = per_entry.data();
      }
      const OutgoingDict out(g, d, slices);
      out.send(g, &dst, 1, kTagSendMessage, kTagSendData, Deadline(g.timeout()),
               "send_tensor_dict");
      if (out.packed()) return;
      for (size_t i = 0; i < d.size(); ++i) {
        const auto *t = std::get_if<TensorValue>(&d.at(i).value);
        if (t == nullptr || t->nbytes == 0) continue;
        const int64_t s = slices ? slices[i] : 1;
        send_piece(g, piece_of(*t, s, s > 1 ? part : 0), dst);
      }
    });
  });
}

extern "C" mpcomm_status_t mpcomm_recv_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t *dict,
                                                   int src, mpcomm_group_t all_gather_group) {
  return mpcomm::c_boundary("mpcomm_recv_tensor_dict", [&] {
    using namespace mpcomm;
    using namespace mpcomm::tensordict;
    auto &g = group_ref(group);
    require_not_null(dict, "dict");
    if (*dict != nullptr) dict_ref(*dict, "*dict");
    mpcomm_group_s *ag =
        all_gather_group ? &group_ref(all_gather_group, "all_gather_group") : nullptr;
    if (src == MPCOMM_RANK_DEFAULT) src = (g.rank() + g.size() - 1) % g.size();
    require_peer(g, src, "src");
    if (g.size() == 1) return;  // as vLLM: nothing to receive, *dict is left as it is
    require_arg(src != g.rank(), "src must not be the caller's own rank ", src);
    if (ag) ag->require_usable();
    require_mpi_running();
    protocol::run_operation(g, [&] {
      ReceiveSpec spec;
      spec.src = src;
      spec.tag = kTagSendMessage;
      spec.data_tag = kTagSendData;
      spec.what = "recv_tensor_dict";
      spec.all_gather_group = ag;
      auto receive = [&](const Piece &whole, const TensorMetaView &meta) {
        if (meta.slices == 1) return recv_piece(g, whole, src);
        // This member's slice from the sender, then the others' from the all_gather_group.
        const size_t slice_count = whole.count / static_cast<size_t>(meta.slices);
        Piece mine = whole;
        mine.count = slice_count;
        mine.data = static_cast<char *>(whole.data) + static_cast<size_t>(ag->rank()) *
                                                          slice_count *
                                                          dataplane::element_size(whole.dtype);
        recv_piece(g, mine, src);
        protocol::run_operation(*ag, [&] { all_gather_in_place(*ag, whole, slice_count); });
      };
      receive_dict(g, dict, spec, TensorSink(receive));
    });
  });
}
