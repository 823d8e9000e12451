// broadcast, send and recv of tensor dicts, as vLLM's GroupCoordinator does them: each dict starts
// with one message on the operation's own tag (dict_message.hpp) that carries the metadata and,
// for a small host-only dict, the tensors too; otherwise each non-empty tensor follows, in key
// order, on the data plane (transfer.hpp). Everything the caller passed is checked before the
// first message (api/tensor_dict_exchange.cpp, with the checks of exchange.hpp); receivers land
// the dict in the caller's dict as receive.hpp describes.
#include "tensordict/exchange.hpp"

#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"
#include "host/tensor.hpp"
#include "tensordict/dict_message.hpp"
#include "tensordict/receive.hpp"
#include "tensordict/tensor_dict.hpp"
#include "tensordict/transfer.hpp"
#include "tensordict/workspace.hpp"

namespace mpcomm::tensordict {

namespace {

// The piece of a dict entry's tensor to send: the whole tensor, or slice `part` of `slices`.
Piece piece_of(const TensorValue &t, int64_t slices, int part) {
  Piece p;
  p.dtype = t.dtype;
  p.on_device = host::on_cuda_device(t.tensor);
  p.count = t.nbytes / kElementSize[t.dtype] / static_cast<size_t>(slices);
  p.data = static_cast<char *>(t.tensor.data) + t.tensor.byte_offset +
           static_cast<size_t>(part) * p.count * kElementSize[t.dtype];
  return p;
}

}  // namespace

void require_peer(const mpcomm_group_s &g, int peer, const char *name) {
  require_arg(peer >= 0 && peer < g.size(), name, " must be a rank in the group [0, ", g.size(),
              ") or MPCOMM_RANK_DEFAULT, got ", peer);
}

void check_sendable(mpcomm_group_s &g, const mpcomm_tensor_dict_s &d) {
  for (size_t i = 0; i < d.size(); ++i) {
    const auto *t = std::get_if<TensorValue>(&d.at(i).value);
    if (t && t->nbytes > 0 && host::on_cuda_device(t->tensor)) device::require_available();
  }
  static_cast<void>(pack_limit(g));
}

void broadcast_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, int src) {
  const bool root = g.rank() == src;
  protocol::run_operation(g, [&] {
    const char *what = "broadcast_tensor_dict";
    if (root) {
      const mpcomm_tensor_dict_s &d = **dict;
      const OutgoingDict out(g, d, nullptr);
      const std::vector<int> &peers = g.peers();
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
}

void send_dict(mpcomm_group_s &g, const mpcomm_tensor_dict_s &d, int dst, mpcomm_group_s *ag) {
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
          const size_t numel = t->nbytes / kElementSize[t->dtype];
          if (numel > 0 && numel % static_cast<size_t>(n) == 0) per_entry[i] = n;
        }
      slices = per_entry.data();
    }
    const OutgoingDict out(g, d, slices);
    out.send(g, &dst, 1, kTagSendMessage, kTagSendData, Deadline(g.timeout()), "send_tensor_dict");
    if (out.packed()) return;
    for (size_t i = 0; i < d.size(); ++i) {
      const auto *t = std::get_if<TensorValue>(&d.at(i).value);
      if (t == nullptr || t->nbytes == 0) continue;
      const int64_t s = slices ? slices[i] : 1;
      send_piece(g, piece_of(*t, s, s > 1 ? part : 0), dst);
    }
  });
}

void recv_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, int src, mpcomm_group_s *ag) {
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
      mine.data = static_cast<char *>(whole.data) +
                  static_cast<size_t>(ag->rank()) * slice_count * element_size(whole.dtype);
      recv_piece(g, mine, src);
      protocol::run_operation(*ag, [&] { all_gather_in_place(*ag, whole, slice_count); });
    };
    receive_dict(g, dict, spec, TensorSink(receive));
  });
}

}  // namespace mpcomm::tensordict
