#include "tensordict/receive.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/abandoned.hpp"
#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "device/device_ops.hpp"
#include "tensordict/dict_message.hpp"
#include "tensordict/tensor_dict.hpp"
#include "tensordict/workspace.hpp"

namespace mpcomm::tensordict {

namespace {

using ReceiveBlock = mpcomm_tensor_dict_s::ReceiveBlock;

// Room for the metadata to grow a little from step to step without a new block.
constexpr size_t kBlockSlack = 1024;
constexpr size_t kBlockGranule = 4096;

ReceiveBlock allocate_block(size_t bytes) {
  ReceiveBlock block;
  block.capacity = (bytes + kBlockSlack + kBlockGranule - 1) / kBlockGranule * kBlockGranule;
  block.data = allocate_host(block.capacity);
  return block;
}

bool in_block(const Entry &e) {
  const auto *t = std::get_if<TensorValue>(&e.value);
  return t != nullptr && t->in_block;
}

// A buffer MPI (or NCCL) may still write into: never freed; host memory stays referenced.
void abandon(OwnedBuffer &buffer) {
  void *memory = buffer.release();
  if (!buffer.get_deleter().device) keep_until_exit(memory);
}

// MPI may still write into the dict's block: it is given up, and its tensors leave the dict.
void abandon_block(mpcomm_tensor_dict_s &d) {
  keep_until_exit(d.block().data.release());
  d.block().capacity = 0;
  d.erase_if(in_block);
}

// A received tensor as the metadata describes it, without data.
TensorValue describe(const DecodedMetadata &md, const TensorMetaView &m) {
  TensorValue t;
  t.shape.assign(md.shape(m), md.shape(m) + m.ndim);
  t.tensor.ndim = m.ndim;
  t.tensor.shape = t.shape.empty() ? nullptr : t.shape.data();
  t.tensor.dtype = to_dl(m.dtype);
  t.tensor.device = DLDevice{m.on_device ? kDLCUDA : kDLCPU, 0};
  t.dtype = m.dtype;
  t.nbytes = m.nbytes;
  t.received = true;
  return t;
}

DictValue small_value(const ItemView &item) {
  switch (item.kind()) {
    case MPCOMM_VALUE_INT: return DictValue(std::get<int64_t>(item.value));
    case MPCOMM_VALUE_DOUBLE: return DictValue(std::get<double>(item.value));
    case MPCOMM_VALUE_BOOL: return DictValue(std::get<bool>(item.value));
    case MPCOMM_VALUE_STRING: return DictValue(std::string(std::get<std::string_view>(item.value)));
    default: {
      const BytesView b = std::get<BytesView>(item.value);
      return DictValue(Bytes(b.data, b.data + b.size));
    }
  }
}

// ------------------------------------------------------------------ packed dicts

// When d has the received keys and kinds in the same order, its tensors already describe the
// received ones at the same places in the block, and its strings and bytes have room: writes the
// small values into d (no allocation, cannot fail) and returns true.
bool update_in_place(mpcomm_tensor_dict_s &d, const DecodedMetadata &md, const char *tensors) {
  const std::vector<ItemView> &items = md.items();
  if (d.size() != items.size()) return false;
  size_t end = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Entry &e = d.at(i);
    const ItemView &item = items[i];
    if (e.kind() != item.kind() || e.key != item.key) return false;
    if (item.kind() == MPCOMM_VALUE_STRING) {
      if (std::get<std::string>(e.value).capacity() < std::get<std::string_view>(item.value).size())
        return false;
    } else if (item.kind() == MPCOMM_VALUE_BYTES) {
      if (std::get<Bytes>(e.value).capacity() < std::get<BytesView>(item.value).size) return false;
    } else if (item.kind() == MPCOMM_VALUE_TENSOR) {
      const auto &t = std::get<TensorValue>(e.value);
      const auto &m = std::get<TensorMetaView>(item.value);
      if (!t.received || t.owned || t.dtype != m.dtype || !md.same_shape(m, t.shape)) return false;
      if (m.nbytes == 0) {
        if (t.in_block || t.tensor.data != nullptr ||
            host::device_type_of(t.tensor.device) != (m.on_device ? kDLCUDA : kDLCPU))
          return false;
        continue;
      }
      const size_t start = align_tensor(end);
      if (!t.in_block || t.tensor.data != tensors + start) return false;
      end = start + m.nbytes;
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    DictValue &v = d.at(i).value;
    const ItemView &item = items[i];
    switch (item.kind()) {
      case MPCOMM_VALUE_INT: std::get<int64_t>(v) = std::get<int64_t>(item.value); break;
      case MPCOMM_VALUE_DOUBLE: std::get<double>(v) = std::get<double>(item.value); break;
      case MPCOMM_VALUE_BOOL: std::get<bool>(v) = std::get<bool>(item.value); break;
      case MPCOMM_VALUE_STRING:
        std::get<std::string>(v) = std::get<std::string_view>(item.value);
        break;
      case MPCOMM_VALUE_BYTES: {
        const BytesView b = std::get<BytesView>(item.value);
        std::get<Bytes>(v).assign(b.data, b.data + b.size);
        break;
      }
      case MPCOMM_VALUE_TENSOR: break;
    }
  }
  return true;
}

// A packed dict whose tensors lie at `tensors` in the block the message landed in: *dict's
// block (fresh NULL) or `fresh`, which the dict then owns.
void deliver_packed(mpcomm_tensor_dict_t *dict, const DecodedMetadata &md, char *tensors,
                    ReceiveBlock *fresh) {
  mpcomm_tensor_dict_s *existing = *dict;
  if (existing && fresh == nullptr && update_in_place(*existing, md, tensors)) return;
  auto received = std::make_unique<mpcomm_tensor_dict_s>();
  size_t end = 0;
  for (const ItemView &item : md.items()) {
    const auto *m = std::get_if<TensorMetaView>(&item.value);
    if (m == nullptr) {
      received->set(std::string(item.key), small_value(item));
      continue;
    }
    TensorValue t = describe(md, *m);
    if (m->nbytes > 0) {
      const size_t start = align_tensor(end);
      t.tensor.data = tensors + start;
      t.in_block = true;
      end = start + m->nbytes;
    }
    received->set(std::string(item.key), DictValue(std::move(t)));
  }
  if (existing == nullptr) {
    received->block() = std::move(*fresh);
    *dict = received.release();
    return;
  }
  existing->swap(*received);
  if (fresh) existing->block() = std::move(*fresh);
}

// ------------------------------------------------------------------ dicts on the data plane

// The entry of *existing whose buffer a received host tensor m can land in: the same key (looked
// up at the same position first), a tensor in host memory the library allocated for it (never a
// caller's borrowed tensor, nor one in the receive block), of the same dtype and shape.
Entry *reusable_entry(mpcomm_tensor_dict_s *existing, size_t position, std::string_view key,
                      const DecodedMetadata &md, const TensorMetaView &m) {
  if (existing == nullptr || m.on_device || m.nbytes == 0) return nullptr;
  Entry *e = position < existing->size() && existing->at(position).key == key
                 ? &existing->at(position)
                 : existing->find(std::string(key));
  if (e == nullptr) return nullptr;
  auto *t = std::get_if<TensorValue>(&e->value);
  if (t == nullptr || !t->owned || t->owned.get_deleter().device) return nullptr;
  if (t->dtype != m.dtype || !md.same_shape(m, t->shape)) return nullptr;
  return e;
}

// A buffer for a received tensor that is not reused: host, or the group's CUDA device.
void allocate_data(mpcomm_group_s &g, TensorValue &t, const TensorMetaView &m, bool collective) {
  if (m.on_device) {
    int device = 0;
    t.owned = OwnedBuffer(m.nbytes ? device::allocate(g, m.nbytes, collective, &device) : nullptr,
                          BufferDeleter{true});
    t.tensor.device = DLDevice{kDLCUDA, device};
  } else {
    t.owned = allocate_host(m.nbytes);
  }
  t.tensor.data = t.owned.get();
}

Piece whole_piece(const TensorValue &t, const TensorMetaView &m) {
  Piece p;
  p.data = t.tensor.data;
  p.count = m.numel;
  p.dtype = m.dtype;
  p.on_device = m.on_device;
  return p;
}

// The tensors of md arrive on the data plane, in key order, through receive.
void receive_unpacked(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, const DecodedMetadata &md,
                      bool collective, TensorSink receive, ReceiveBlock *fresh) {
  mpcomm_tensor_dict_s *existing = *dict;
  const std::vector<ItemView> &items = md.items();
  struct Slot {
    Entry *reused = nullptr;  // the entry of *dict whose buffer the tensor lands in
    TensorValue fresh;        // else the tensor allocated here
  };
  std::vector<Slot> slots(items.size());
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t in_transfer = kNone;  // the item being received; items.size() once all are
  try {
    for (size_t i = 0; i < items.size(); ++i) {
      const auto *m = std::get_if<TensorMetaView>(&items[i].value);
      if (m == nullptr) continue;
      slots[i].reused = reusable_entry(existing, i, items[i].key, md, *m);
      if (slots[i].reused) continue;
      slots[i].fresh = describe(md, *m);
      allocate_data(g, slots[i].fresh, *m, collective);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const auto *m = std::get_if<TensorMetaView>(&items[i].value);
      if (m == nullptr || m->numel == 0) continue;  // empty tensors: metadata only
      in_transfer = i;
      const TensorValue &target =
          slots[i].reused ? std::get<TensorValue>(slots[i].reused->value) : slots[i].fresh;
      receive(whole_piece(target, *m), *m);
    }
    in_transfer = items.size();
    // Every entry first (this allocates), then the reused buffers move in (this cannot fail).
    auto received = std::make_unique<mpcomm_tensor_dict_s>();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind() != MPCOMM_VALUE_TENSOR)
        received->set(std::string(items[i].key), small_value(items[i]));
      else
        received->set(std::string(items[i].key), DictValue(std::move(slots[i].fresh)));
    }
    for (size_t i = 0; i < items.size(); ++i)
      if (slots[i].reused)
        std::get<TensorValue>(received->at(i).value) =
            std::move(std::get<TensorValue>(slots[i].reused->value));
    if (existing == nullptr) {
      received->block() = std::move(*fresh);
      *dict = received.release();
      return;
    }
    existing->swap(*received);
    if (fresh) existing->block() = std::move(*fresh);
  } catch (...) {
    if (in_transfer == kNone) throw;  // no tensor data arrived: *dict is as it was
    for (size_t i = 0; i < slots.size() && i <= in_transfer; ++i) {
      if (slots[i].reused) {
        if (i == in_transfer) abandon(std::get<TensorValue>(slots[i].reused->value).owned);
        continue;
      }
      OwnedBuffer &owned = slots[i].fresh.owned;
      if (i == in_transfer || owned.get_deleter().device) abandon(owned);
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

// ------------------------------------------------------------------ the first message

// Metadata longer than a chunk follows the header in chunks on the data tag: received one chunk
// at a time into memory grown as they arrive, so a header's claim alone allocates nothing.
void receive_following_metadata(mpcomm_group_s &g, uint64_t bytes, const ReceiveSpec &spec,
                                const Deadline &deadline, std::vector<char> &out) {
  const size_t chunk = protocol::chunk_bytes();
  for (uint64_t offset = 0; offset < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, bytes - offset));
    require(offset + n <= std::numeric_limits<size_t>::max() / 2, MPCOMM_ERR_MALFORMED,
            "tensor dict metadata of ", bytes, " bytes does not fit in memory");
    out.resize(static_cast<size_t>(offset) + n);
    g.requests().recv(out.data() + offset, n, spec.src, spec.data_tag, g.comm());
    try {
      protocol::finish(g, deadline, spec.what);
    } catch (...) {
      // MPI may still write into the chunk: its memory is never freed.
      static_cast<void>(new std::vector<char>(std::move(out)));
      throw;
    }
    offset += n;
  }
}

// Slices only where the operation allows them: never in a broadcast; in a recv, for an
// all_gather_group of the receiver with as many members (checked before any tensor data).
void check_slices(const DecodedMetadata &md, const ReceiveSpec &spec) {
  for (const ItemView &item : md.items()) {
    const auto *m = std::get_if<TensorMetaView>(&item.value);
    if (m == nullptr || m->slices == 1) continue;
    require(!spec.broadcast, MPCOMM_ERR_MALFORMED, "tensor dict metadata: tensor '", item.key,
            "' of a broadcast comes in slices");
    const mpcomm_group_s *ag = spec.all_gather_group;
    require(ag != nullptr && ag->size() == m->slices, MPCOMM_ERR_INVALID_USAGE, "tensor '",
            item.key, "' was sent in ", m->slices,
            " slices for an all_gather_group of as many members, but this receiver's "
            "all_gather_group ",
            ag ? concat("has ", ag->size(), " members") : std::string("is NULL"));
  }
}

}  // namespace

void receive_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, const ReceiveSpec &spec,
                  TensorSink receive_tensor) {
  Workspace &ws = workspace(g);
  const Deadline deadline(g.timeout());
  MPI_Message message = MPI_MESSAGE_NULL;
  size_t bytes = 0;
  protocol::probe(g, spec.src, spec.tag, deadline, spec.what, &message, &bytes);

  mpcomm_tensor_dict_s *existing = *dict;
  const bool into_block =
      existing != nullptr && existing->block().capacity > 0 && existing->block().capacity >= bytes;
  ReceiveBlock fresh;
  if (!into_block) fresh = allocate_block(bytes);
  ReceiveBlock &block = into_block ? existing->block() : fresh;
  char *msg = static_cast<char *>(block.data.get());
  try {
    g.requests().mrecv(msg, bytes, &message, spec.src);
    protocol::finish(g, deadline, spec.what);
  } catch (...) {
    if (into_block)
      abandon_block(*existing);
    else
      keep_until_exit(fresh.data.release());
    throw;
  }
  // The message overwrote the block: on a failure its tensors leave *dict.
  try {
    const MessageHeader h = parse_header(msg, bytes);
    const char *metadata = msg + kHeaderBytes + h.tensor_bytes;
    std::vector<char> followed;
    if (h.flags & kMetadataFollows) {
      receive_following_metadata(g, h.metadata_bytes, spec, deadline, followed);
      metadata = followed.data();
    }
    ws.decoded.decode(metadata, static_cast<size_t>(h.metadata_bytes));
    if (h.flags & kPacked) check_packed_layout(ws.decoded, h.tensor_bytes);
    check_slices(ws.decoded, spec);
    if (h.flags & kPacked) {
      deliver_packed(dict, ws.decoded, msg + kHeaderBytes, into_block ? nullptr : &fresh);
    } else {
      receive_unpacked(g, dict, ws.decoded, spec.broadcast, receive_tensor,
                       into_block ? nullptr : &fresh);
    }
  } catch (...) {
    if (into_block) existing->erase_if(in_block);
    throw;
  }
}

}  // namespace mpcomm::tensordict
