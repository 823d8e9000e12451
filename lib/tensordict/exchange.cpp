// broadcast, send and recv of tensor dicts, as vLLM's GroupCoordinator does them: the metadata as
// one object on the control plane (the same object stream as mpcomm_broadcast_object and
// mpcomm_send_object), then each non-empty tensor, in key order, on the data plane
// (transfer.hpp). Everything the caller passed is checked before the first message; received
// tensors are allocated here and owned by the received dict.
#include <memory>
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "dataplane/dtype.hpp"
#include "dataplane/tensor.hpp"
#include "device/device_ops.hpp"
#include "group/group.hpp"
#include "group/message_queue.hpp"
#include "group/protocol.hpp"
#include "tensordict/metadata.hpp"
#include "tensordict/tensor_dict.hpp"
#include "tensordict/transfer.hpp"

namespace mpcomm::tensordict {

namespace {

void require_peer(const mpcomm_group_s &g, int peer, const char *name) {
  require_arg(peer >= 0 && peer < g.size(), name, " must be a rank in the group [0, ", g.size(),
              ") or MPCOMM_RANK_DEFAULT, got ", peer);
}

// The piece of a dict entry's tensor to send: the whole tensor, or slice `part` of `slices`.
Piece piece_of(const TensorValue &t, int64_t slices, int part) {
  const dataplane::TensorView view = dataplane::validate_tensor(&t.tensor, "tensor");
  Piece p;
  p.dtype = view.dtype;
  p.on_device = dataplane::on_cuda_device(t.tensor);
  p.count = view.numel / static_cast<size_t>(slices);
  p.data = view.data + static_cast<size_t>(part) * p.count * dataplane::element_size(view.dtype);
  return p;
}

// Before any communication: device tensors need a device plane here.
void check_sendable(const mpcomm_tensor_dict_s &d) {
  for (size_t i = 0; i < d.size(); ++i) {
    const Entry &e = d.at(i);
    if (e.kind() != MPCOMM_VALUE_TENSOR) continue;
    const DLTensor &t = std::get<TensorValue>(e.value).tensor;
    if (dataplane::on_cuda_device(t) && dataplane::numel(t) > 0) device::require_available();
  }
}

// The next object of the object stream, whatever its length: a first try into a small buffer,
// then, when it did not fit, the object the protocol kept for the retry (no communication).
template <class Receive>
std::vector<char> receive_any(Receive &&receive) {
  std::vector<char> buf(4096);
  size_t len = 0;
  try {
    receive(buf.data(), buf.size(), &len);
    buf.resize(len);
    return buf;
  } catch (const Error &e) {
    if (e.status() != MPCOMM_ERR_TRUNCATED) throw;
  }
  buf.resize(len);
  receive(buf.data(), buf.size(), &len);
  buf.resize(len);
  return buf;
}

// A received tensor: allocated here (host, or the group's CUDA device), not yet filled.
TensorValue allocate_tensor(mpcomm_group_s &g, const TensorMeta &meta, bool collective) {
  TensorValue t;
  t.shape = meta.shape;
  t.tensor.ndim = static_cast<int>(meta.shape.size());
  t.tensor.shape = t.shape.empty() ? nullptr : t.shape.data();
  t.tensor.dtype = dataplane::to_dl(meta.dtype);
  if (meta.on_device) {
    int device = 0;
    t.owned =
        OwnedBuffer(meta.nbytes ? device::allocate(g, meta.nbytes, collective, &device) : nullptr,
                    BufferDeleter{true});
    t.tensor.device = DLDevice{kDLCUDA, device};
  } else {
    t.owned = allocate_host(meta.nbytes);
    t.tensor.device = DLDevice{kDLCPU, 0};
  }
  t.tensor.data = t.owned.get();
  return t;
}

Piece whole_piece(const TensorValue &t, const TensorMeta &meta) {
  Piece p;
  p.data = t.tensor.data;
  p.count = meta.numel;
  p.dtype = meta.dtype;
  p.on_device = meta.on_device;
  return p;
}

// The entry of *existing whose buffer a received host tensor described by meta can land in: the
// same key (looked up at the same position first), a tensor in host memory the library
// allocated (never a caller's borrowed tensor), of the same dtype and shape. nullptr otherwise.
Entry *reusable_entry(mpcomm_tensor_dict_s *existing, size_t position, const std::string &key,
                      const TensorMeta &meta) {
  if (existing == nullptr || meta.on_device || meta.nbytes == 0) return nullptr;
  Entry *e = position < existing->size() && existing->at(position).key == key
                 ? &existing->at(position)
                 : existing->find(key);
  if (e == nullptr) return nullptr;
  auto *t = std::get_if<TensorValue>(&e->value);
  if (t == nullptr || !t->owned || t->owned.get_deleter().device) return nullptr;
  const DLDataType want = dataplane::to_dl(meta.dtype);
  if (t->tensor.dtype.code != want.code || t->tensor.dtype.bits != want.bits ||
      t->tensor.dtype.lanes != want.lanes || t->shape != meta.shape)
    return nullptr;
  return e;
}

// Receives the tensors of `items` for the caller's dict *dict (NULL: a new dict): small values
// as they are; each tensor into a buffer *dict already owns for the same key, dtype and shape
// (reusable_entry), else into one allocated here, filled by receive(whole piece, metadata) in key
// order. On success *dict holds exactly the received entries.
//
// On failure nothing MPI may still write into is freed: the buffer of the tensor in transfer
// (and every device buffer of the call, which NCCL fills asynchronously) is abandoned. *dict
// loses the tensors whose buffers the call had begun to overwrite (reused buffers up to the
// tensor in transfer); everything else in it is as it was.
template <class Receive>
void receive_dict(mpcomm_group_s &g, std::vector<MetaItem> &items, bool collective,
                  mpcomm_tensor_dict_t *dict, Receive &&receive) {
  mpcomm_tensor_dict_s *existing = *dict;
  struct Slot {
    Entry *reused = nullptr;  // the entry of *dict whose buffer the tensor lands in
    TensorValue fresh;        // else the tensor allocated here
  };
  std::vector<Slot> slots(items.size());
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t in_transfer = kNone;  // the item being received; items.size() once all are
  try {
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind() != MPCOMM_VALUE_TENSOR) continue;
      const TensorMeta &meta = std::get<TensorMeta>(items[i].value);
      slots[i].reused = reusable_entry(existing, i, items[i].key, meta);
      if (slots[i].reused == nullptr) slots[i].fresh = allocate_tensor(g, meta, collective);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind() != MPCOMM_VALUE_TENSOR) continue;
      const TensorMeta &meta = std::get<TensorMeta>(items[i].value);
      if (meta.numel == 0) continue;  // empty tensors: metadata only
      in_transfer = i;
      const TensorValue &target =
          slots[i].reused ? std::get<TensorValue>(slots[i].reused->value) : slots[i].fresh;
      receive(whole_piece(target, meta), meta);
    }
    in_transfer = items.size();
    // Every entry first (this allocates), then the reused buffers move in (this cannot fail).
    auto received = std::make_unique<mpcomm_tensor_dict_s>();
    for (size_t i = 0; i < items.size(); ++i) {
      MetaItem &item = items[i];
      DictValue value;
      std::visit(
          [&](auto &&v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, TensorMeta>) {
              if (slots[i].reused == nullptr) value.emplace<TensorValue>(std::move(slots[i].fresh));
            } else {
              value.emplace<T>(std::move(v));
            }
          },
          item.value);
      received->set(item.key, std::move(value));
    }
    for (size_t i = 0; i < items.size(); ++i)
      if (slots[i].reused)
        std::get<TensorValue>(received->at(i).value) =
            std::move(std::get<TensorValue>(slots[i].reused->value));
    if (existing == nullptr) {
      *dict = received.release();
    } else {
      existing->swap(*received);
    }
  } catch (...) {
    if (in_transfer == kNone) throw;  // nothing was received: *dict is as it was
    for (size_t i = 0; i < slots.size() && i <= in_transfer; ++i) {
      if (slots[i].reused) {
        if (i == in_transfer)
          static_cast<void>(std::get<TensorValue>(slots[i].reused->value).owned.release());
        continue;
      }
      OwnedBuffer &owned = slots[i].fresh.owned;
      if (i == in_transfer || owned.get_deleter().device) static_cast<void>(owned.release());
    }
    if (existing) {
      existing->erase_if([&](const Entry &e) {
        for (size_t i = 0; i < slots.size() && i <= in_transfer; ++i)
          if (slots[i].reused == &e) return true;
        return false;
      });
    }
    throw;
  }
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
      check_sendable(dict_ref(*dict, "*dict"));
    } else if (*dict != nullptr) {
      dict_ref(*dict, "*dict");
    }
    if (g.size() == 1) return;  // as vLLM: nothing to send, the dict stays the caller's
    require_mpi_running();
    protocol::run_operation(g, [&] {
      const char *what = "broadcast_tensor_dict";
      // The metadata, as mpcomm_broadcast_object sends objects (message queue included).
      auto broadcast_object = [&](void *buf, size_t capacity, size_t *len) {
        const Deadline deadline(g.timeout());
        if (src == 0 && g.message_queue() != nullptr) {
          g.message_queue()->broadcast(g, buf, capacity, len, deadline);
        } else if (root) {
          const std::vector<int> &peers = g.peer_list();
          protocol::send_object_to(g, buf, *len, peers.data(), peers.size(),
                                   protocol::kTagBroadcast, protocol::kTagBroadcastData, deadline,
                                   what);
        } else {
          protocol::receive_object(g, buf, capacity, len, src, protocol::kTagBroadcast,
                                   protocol::kTagBroadcastData, deadline, what);
        }
      };
      if (root) {
        const mpcomm_tensor_dict_s &d = **dict;
        std::vector<char> metadata = encode_metadata(d);
        size_t len = metadata.size();
        broadcast_object(metadata.data(), len, &len);
        for (size_t i = 0; i < d.size(); ++i) {
          const auto *t = std::get_if<TensorValue>(&d.at(i).value);
          if (t == nullptr) continue;
          const Piece piece = piece_of(*t, 1, 0);
          if (piece.count > 0) broadcast_piece(g, piece, src);
        }
        return;
      }
      const std::vector<char> metadata = receive_any(broadcast_object);
      std::vector<MetaItem> items = decode_metadata(metadata.data(), metadata.size());
      for (const MetaItem &item : items)
        if (item.kind() == MPCOMM_VALUE_TENSOR)
          require(std::get<TensorMeta>(item.value).slices == 1, MPCOMM_ERR_MALFORMED,
                  "tensor dict metadata: tensor '", item.key, "' of a broadcast comes in slices");
      receive_dict(g, items, true, dict,
                   [&](const Piece &whole, const TensorMeta &) { broadcast_piece(g, whole, src); });
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
    check_sendable(d);
    if (ag) ag->require_usable();
    require_mpi_running();
    // As vLLM: with an all_gather_group of n, a tensor whose element count n divides travels as
    // the caller's 1/n part (row ag rank of tensor.reshape(n, -1)).
    const int64_t n = ag ? ag->size() : 1;
    const int part = ag ? ag->rank() : 0;
    std::vector<int64_t> slices(d.size(), 1);
    for (size_t i = 0; i < d.size(); ++i)
      if (const auto *t = std::get_if<TensorValue>(&d.at(i).value)) {
        const size_t numel = dataplane::numel(t->tensor);
        if (numel > 0 && numel % static_cast<size_t>(n) == 0) slices[i] = n;
      }
    protocol::run_operation(g, [&] {
      const std::vector<char> metadata = encode_metadata(d, slices);
      protocol::send_object_to(g, metadata.data(), metadata.size(), &dst, 1, protocol::kTagSend,
                               protocol::kTagSendData, Deadline(g.timeout()), "send_tensor_dict");
      for (size_t i = 0; i < d.size(); ++i) {
        const auto *t = std::get_if<TensorValue>(&d.at(i).value);
        if (t == nullptr) continue;
        const Piece piece = piece_of(*t, slices[i], slices[i] > 1 ? part : 0);
        if (piece.count > 0) send_piece(g, piece, dst);
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
      const char *what = "recv_tensor_dict";
      const std::vector<char> metadata = receive_any([&](void *buf, size_t capacity, size_t *len) {
        protocol::receive_object(g, buf, capacity, len, src, protocol::kTagSend,
                                 protocol::kTagSendData, Deadline(g.timeout()), what);
      });
      std::vector<MetaItem> items = decode_metadata(metadata.data(), metadata.size());
      // Sliced tensors need this side's all_gather_group to have as many members as the
      // sender's: checked for every tensor before any data is received.
      for (const MetaItem &item : items) {
        if (item.kind() != MPCOMM_VALUE_TENSOR) continue;
        const int64_t slices = std::get<TensorMeta>(item.value).slices;
        if (slices == 1) continue;
        require(ag != nullptr && ag->size() == slices, MPCOMM_ERR_INVALID_USAGE, "tensor '",
                item.key, "' was sent in ", slices,
                " slices for an all_gather_group of as many members, but this receiver's "
                "all_gather_group ",
                ag ? concat("has ", ag->size(), " members") : std::string("is NULL"));
      }
      receive_dict(g, items, false, dict, [&](const Piece &whole, const TensorMeta &meta) {
        if (meta.slices == 1) return recv_piece(g, whole, src);
        // This member's slice from the sender, then the others' from
        // the all_gather_group.
        const size_t slice_count = whole.count / meta.slices;
        Piece mine = whole;
        mine.count = slice_count;
        mine.data = static_cast<char *>(whole.data) + static_cast<size_t>(ag->rank()) *
                                                          slice_count *
                                                          dataplane::element_size(whole.dtype);
        recv_piece(g, mine, src);
        protocol::run_operation(*ag, [&] { all_gather_in_place(*ag, whole, slice_count); });
      });
    });
  });
}
