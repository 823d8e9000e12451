// The first message of every tensor dict, on the operation's own tag (kTagSendMessage for
// send/recv, kTagBroadcastMessage for broadcast):
//
//   [0, 64)                  header: magic "MPTD", flags, tensor_bytes, metadata_bytes (native
//                            byte order, zero padded)
//   [64, 64 + tensor_bytes)  packed dicts only: each non-empty tensor, in key order, starting
//                            at the next multiple of 64 bytes (zero bytes in between)
//   then metadata_bytes      the metadata (metadata.hpp), unless kMetadataFollows
//
// A packed message is the whole dict, one MPI message: a host-only dict without slices whose
// message is at most pack_limit() bytes. The sender sends it with a derived datatype over its
// own buffers (no copy of the tensors); a receiver matches it with MPI_Improbe, receives it into
// one buffer, and its tensors stay there. Any other dict sends the header and metadata here and
// its tensors on the data plane (transfer.hpp); metadata longer than a chunk follows in chunks on
// the data tag (kMetadataFollows). One tag per operation keeps every dict's first message in
// order behind the previous one (MPI's non-overtaking rule), whichever way each dict travels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/deadline.hpp"
#include "group/group.hpp"
#include "group/protocol.hpp"
#include "tensordict/metadata.hpp"
#include "tensordict/tensor_dict.hpp"

namespace mpcomm::tensordict {

// Tags of a dict's first message on a group's communicator (40 to 42 carry tensor data).
constexpr auto kTagSendMessage = static_cast<protocol::Tag>(43);
constexpr auto kTagBroadcastMessage = static_cast<protocol::Tag>(44);

constexpr size_t kHeaderBytes = 64;
constexpr size_t kTensorAlign = 64;
constexpr uint32_t kMessageMagic = 0x4454504dU;  // "MPTD"

enum MessageFlags : uint32_t {
  kPacked = 1u,           // the tensors are in this message
  kMetadataFollows = 2u,  // the metadata follows in chunks on the data tag
};

struct MessageHeader {
  uint32_t magic;
  uint32_t flags;
  uint64_t tensor_bytes;  // 0 unless kPacked
  uint64_t metadata_bytes;
};

inline size_t align_tensor(size_t offset) {
  return (offset + kTensorAlign - 1) & ~(kTensorAlign - 1);
}

// The largest packed message of g's dicts, in bytes: MPCOMM_TENSOR_DICT_PACK_LIMIT, read at the
// group's first send (Error(INVALID_ARGUMENT) naming a bad value, read again next time), never
// more than a chunk of the object protocol (protocol::chunk_bytes()).
size_t pack_limit(mpcomm_group_s &g);
// Test knob: force the limit (0 never packs); SIZE_MAX restores the environment's.
void set_pack_limit_for_testing(size_t bytes);

// The first message of a dict, made in the group's scratch (header, then the metadata): packed
// when the dict qualifies. slices: per entry (NULL: all 1); a sliced tensor is never packed.
class OutgoingDict {
 public:
  OutgoingDict(mpcomm_group_s &g, const mpcomm_tensor_dict_s &dict, const int64_t *slices);
  bool packed() const { return header_.flags & kPacked; }
  // The size of the first message in bytes.
  size_t message_bytes() const;
  // Sends the first message to each of peers, then the metadata chunks when they follow; waits
  // for the sends, bounded by deadline.
  void send(mpcomm_group_s &g, const int *peers, size_t npeers, protocol::Tag tag,
            protocol::Tag data_tag, const Deadline &deadline, const char *what) const;

 private:
  const mpcomm_tensor_dict_s &dict_;
  char *scratch_;
  MessageHeader header_{};
};

// The size of the packed message of dict, or 0 when it cannot be packed (a non-empty CUDA
// tensor); whether it is packed also depends on pack_limit(g). For tests and tools.
size_t packed_message_bytes(const mpcomm_tensor_dict_s &dict);

// The header of a received first message of `bytes` bytes, checked against that size:
// Error(MPCOMM_ERR_MALFORMED) for a short message, a bad magic, unknown flags, or lengths that
// do not add up to the message.
MessageHeader parse_header(const char *message, size_t bytes);

// Checks that the packed tensor area of tensor_bytes holds exactly the tensors md describes (all
// in host memory, none in slices), each at align_tensor() of the end of the one before;
// Error(MPCOMM_ERR_MALFORMED) otherwise.
void check_packed_layout(const DecodedMetadata &md, uint64_t tensor_bytes);

}  // namespace mpcomm::tensordict
