#include "tensordict/dict_message.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "core/env.hpp"
#include "core/error.hpp"
#include "host/tensor.hpp"
#include "tensordict/workspace.hpp"

namespace mpcomm::tensordict {

namespace {

// Measured with mpcomm-perf tensor_dict (Open MPI 4.1, shared memory, 2 and 4 ranks, 4 KiB to
// 32 MiB): one message of a derived type beat a message per tensor at every size, so every
// host-only dict up to the largest single message of the group protocol (a chunk) is packed:
// MPCOMM_TENSOR_DICT_PACK_LIMIT's default in the environment table (core/env.cpp) is 64 MiB.
constexpr size_t kEnvironment = std::numeric_limits<size_t>::max();
std::atomic<size_t> forced_pack_limit{kEnvironment};

// The padding between packed tensors comes from here.
alignas(kTensorAlign) const char kZeros[kTensorAlign] = {};

bool on_device(const TensorValue &t) { return host::on_cuda_device(t.tensor); }

const char *data_of(const TensorValue &t) {
  return static_cast<const char *>(t.tensor.data) + t.tensor.byte_offset;
}

// The packed tensor area of dict (the end of its last non-empty tensor), or false when a
// non-empty tensor is in CUDA memory or travels in slices.
bool packed_tensor_bytes(const mpcomm_tensor_dict_s &dict, const int64_t *slices, size_t *bytes) {
  size_t end = 0;
  for (size_t i = 0; i < dict.size(); ++i) {
    const auto *t = std::get_if<TensorValue>(&dict.at(i).value);
    if (t == nullptr || t->nbytes == 0) continue;
    if (on_device(*t) || (slices && slices[i] != 1)) return false;
    end = align_tensor(end) + t->nbytes;
  }
  *bytes = end;
  return true;
}

}  // namespace

size_t pack_limit(mpcomm_group_s &g) {
  size_t limit = forced_pack_limit.load(std::memory_order_relaxed);
  if (limit == kEnvironment) {
    Workspace &ws = workspace(g);
    if (!ws.pack_limit_read) {
      ws.pack_limit = static_cast<size_t>(env::integer("MPCOMM_TENSOR_DICT_PACK_LIMIT"));
      ws.pack_limit_read = true;
    }
    limit = ws.pack_limit;
  }
  return std::min(limit, protocol::chunk_bytes());
}

void set_pack_limit_for_testing(size_t bytes) { forced_pack_limit.store(bytes); }

size_t packed_message_bytes(const mpcomm_tensor_dict_s &dict) {
  size_t tensor_bytes = 0;
  if (!packed_tensor_bytes(dict, nullptr, &tensor_bytes)) return 0;
  std::vector<char> metadata = encode_metadata(dict);
  return kHeaderBytes + tensor_bytes + metadata.size();
}

OutgoingDict::OutgoingDict(mpcomm_group_s &g, const mpcomm_tensor_dict_s &dict,
                           const int64_t *slices)
    : dict_(dict) {
  const size_t bound = metadata_bound(dict);
  scratch_ = g.scratch(kHeaderBytes + bound);
  header_.magic = kMessageMagic;
  header_.metadata_bytes = encode_metadata_to(scratch_ + kHeaderBytes, bound, dict, slices);
  size_t tensor_bytes = 0;
  const size_t limit = pack_limit(g);
  const size_t chunk = protocol::chunk_bytes();
  if (packed_tensor_bytes(dict, slices, &tensor_bytes) &&
      kHeaderBytes + header_.metadata_bytes <= limit &&
      tensor_bytes <= limit - kHeaderBytes - header_.metadata_bytes) {
    header_.flags = kPacked;
    header_.tensor_bytes = tensor_bytes;
  } else if (kHeaderBytes + header_.metadata_bytes > chunk) {
    header_.flags = kMetadataFollows;
  }
  std::memset(scratch_, 0, kHeaderBytes);
  std::memcpy(scratch_, &header_, sizeof header_);
}

size_t OutgoingDict::message_bytes() const {
  if (header_.flags & kMetadataFollows) return kHeaderBytes;
  return kHeaderBytes + header_.tensor_bytes + header_.metadata_bytes;
}

void OutgoingDict::send(mpcomm_group_s &g, const int *peers, size_t npeers, protocol::Tag tag,
                        protocol::Tag data_tag, const Deadline &deadline, const char *what) const {
  Requests &requests = g.requests();
  if (packed() && header_.tensor_bytes > 0) {
    // One derived type over the header, the caller's tensors (and zero padding), the metadata.
    BlockType &blocks = workspace(g).message_type;
    blocks.clear();
    blocks.add(scratch_, kHeaderBytes);
    size_t end = 0;
    for (size_t i = 0; i < dict_.size(); ++i) {
      const auto *t = std::get_if<TensorValue>(&dict_.at(i).value);
      if (t == nullptr || t->nbytes == 0) continue;
      const size_t start = align_tensor(end);
      if (start > end) blocks.add(kZeros, start - end);
      blocks.add(data_of(*t), t->nbytes);
      end = start + t->nbytes;
    }
    blocks.add(scratch_ + kHeaderBytes, header_.metadata_bytes);
    const MPI_Datatype type = blocks.type();
    for (size_t p = 0; p < npeers; ++p)
      requests.send_typed(MPI_BOTTOM, 1, type, peers[p], tag, g.comm());
  } else {
    for (size_t p = 0; p < npeers; ++p)
      requests.send(scratch_, message_bytes(), peers[p], tag, g.comm());
  }
  protocol::finish(g, deadline, what);
  if (header_.flags & kMetadataFollows)
    protocol::send_chunks(g, scratch_ + kHeaderBytes, header_.metadata_bytes, peers, npeers,
                          data_tag, deadline, what);
}

MessageHeader parse_header(const char *message, size_t bytes) {
  require(bytes >= kHeaderBytes, MPCOMM_ERR_MALFORMED, "a tensor dict message of ", bytes,
          " bytes is shorter than its ", kHeaderBytes, "-byte header");
  MessageHeader h;
  std::memcpy(&h, message, sizeof h);
  require(h.magic == kMessageMagic, MPCOMM_ERR_MALFORMED,
          "received a message that is not a tensor dict (no tensor dict header)");
  require((h.flags & ~uint32_t{kPacked | kMetadataFollows}) == 0 &&
              h.flags != (kPacked | kMetadataFollows),
          MPCOMM_ERR_MALFORMED, "a tensor dict header has unknown flags ", h.flags);
  const uint64_t body = bytes - kHeaderBytes;
  if (h.flags & kMetadataFollows) {
    require(body == 0 && h.tensor_bytes == 0, MPCOMM_ERR_MALFORMED,
            "a tensor dict header whose metadata follows comes with ", body, " more bytes");
  } else {
    require(h.tensor_bytes <= body && h.metadata_bytes == body - h.tensor_bytes,
            MPCOMM_ERR_MALFORMED, "a tensor dict header announces ", h.tensor_bytes,
            " bytes of tensors and ", h.metadata_bytes, " of metadata in a message of ", bytes,
            " bytes");
    require(h.tensor_bytes == 0 || (h.flags & kPacked), MPCOMM_ERR_MALFORMED,
            "a tensor dict header announces ", h.tensor_bytes,
            " bytes of tensors in a message that is not packed");
  }
  return h;
}

void check_packed_layout(const DecodedMetadata &md, uint64_t tensor_bytes) {
  uint64_t end = 0;
  for (const ItemView &item : md.items()) {
    const auto *t = std::get_if<TensorMetaView>(&item.value);
    if (t == nullptr) continue;
    require(t->slices == 1, MPCOMM_ERR_MALFORMED, "tensor dict message: tensor '", item.key,
            "' of a packed dict comes in slices");
    if (t->nbytes == 0) continue;
    require(!t->on_device, MPCOMM_ERR_MALFORMED, "tensor dict message: tensor '", item.key,
            "' of a packed dict is in CUDA memory");
    const uint64_t start = align_tensor(static_cast<size_t>(end));
    require(start <= tensor_bytes && t->nbytes <= tensor_bytes - start, MPCOMM_ERR_MALFORMED,
            "tensor dict message: tensor '", item.key, "' of ", t->nbytes,
            " bytes lies beyond the message's ", tensor_bytes, " bytes of tensors");
    end = start + t->nbytes;
  }
  require(end == tensor_bytes, MPCOMM_ERR_MALFORMED, "tensor dict message: its tensors end at ",
          end, " of its ", tensor_bytes, " bytes of tensors");
}

}  // namespace mpcomm::tensordict
