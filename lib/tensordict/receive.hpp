// How a received tensor dict lands in the caller's *dict, for broadcast and recv alike.
//
// The first message (dict_message.hpp) is matched with MPI_Improbe, so its size is known before
// it is received: it lands in *dict's receive block when that is large enough, else in a new
// block. A packed dict's tensors stay in that block; when *dict already holds the same keys,
// kinds and tensors in the same places, only its small values are rewritten (no allocation: the
// steady state of vLLM's hot loop). Any other dict's tensors then arrive on the data plane, each
// into a host buffer *dict already owns for the same key, dtype and shape, else into a new one.
//
// The failure rule. A failure before the first message arrived (a missing sender) leaves *dict as
// it was. Afterwards, *dict loses the tensors whose memory the call had begun to overwrite:
// those in its receive block when the message landed there, and reused buffers up to the tensor
// in transfer; everything else in *dict is as it was. Memory MPI (or NCCL) may still write into
// is abandoned, never freed: the receive block when the first message did not complete, the
// buffer of the tensor in transfer, and the call's device buffers.
#pragma once

#include "group/group.hpp"
#include "group/protocol.hpp"
#include "mpcomm.h"
#include "tensordict/metadata.hpp"
#include "tensordict/transfer.hpp"

namespace mpcomm::tensordict {

// Receives the data of one tensor that is not packed: into `whole`, as metadata `meta` says.
class TensorSink {
 public:
  template <class F>
  explicit TensorSink(F &f)
      : context_(&f), call_([](void *c, const Piece &whole, const TensorMetaView &meta) {
          (*static_cast<F *>(c))(whole, meta);
        }) {}
  void operator()(const Piece &whole, const TensorMetaView &meta) const {
    call_(context_, whole, meta);
  }

 private:
  void *context_;
  void (*call_)(void *, const Piece &, const TensorMetaView &);
};

struct ReceiveSpec {
  int src = 0;
  protocol::Tag tag{};       // of the first message
  protocol::Tag data_tag{};  // of metadata that follows in chunks
  const char *what = "";     // "broadcast_tensor_dict", for messages
  bool broadcast = false;    // no slices; device buffers are allocated collectively
  mpcomm_group_s *all_gather_group = nullptr;  // recv: the receiver's, for sliced tensors
};

// Receives one dict from spec.src into *dict (NULL: a new dict), as described above.
void receive_dict(mpcomm_group_s &g, mpcomm_tensor_dict_t *dict, const ReceiveSpec &spec,
                  TensorSink receive_tensor);

}  // namespace mpcomm::tensordict
