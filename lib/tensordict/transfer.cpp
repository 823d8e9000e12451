#include "tensordict/transfer.hpp"

#include <algorithm>

#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "device/device_ops.hpp"
#include "group/protocol.hpp"

namespace mpcomm::tensordict {

namespace {

char *bytes_of(const Piece &piece) { return static_cast<char *>(piece.data); }

}  // namespace

size_t Piece::bytes() const { return count * element_size(dtype); }

void send_piece(mpcomm_group_s &g, const Piece &piece, int dst) {
  if (piece.on_device) return device::send(g, piece.data, piece.count, piece.dtype, dst, nullptr);
  protocol::send_chunks(g, bytes_of(piece), piece.bytes(), &dst, 1, kTagSendData,
                        Deadline(g.timeout()), "send_tensor_dict");
}

void recv_piece(mpcomm_group_s &g, const Piece &piece, int src) {
  if (piece.on_device) return device::recv(g, piece.data, piece.count, piece.dtype, src, nullptr);
  protocol::recv_chunks(g, bytes_of(piece), piece.bytes(), src, kTagSendData, Deadline(g.timeout()),
                        "recv_tensor_dict");
}

void broadcast_piece(mpcomm_group_s &g, const Piece &piece, int root) {
  if (piece.on_device)
    return device::broadcast(g, piece.data, piece.count, piece.dtype, root, nullptr);
  const Deadline deadline(g.timeout());
  // The root sends to every member directly, as broadcast_object does: bounded point-to-point.
  if (g.rank() == root) {
    const std::vector<int> &peers = g.peers();
    protocol::send_chunks(g, bytes_of(piece), piece.bytes(), peers.data(), peers.size(),
                          kTagBroadcastData, deadline, "broadcast_tensor_dict");
  } else {
    protocol::recv_chunks(g, bytes_of(piece), piece.bytes(), root, kTagBroadcastData, deadline,
                          "broadcast_tensor_dict");
  }
}

void all_gather_in_place(mpcomm_group_s &g, const Piece &whole, size_t slice_count) {
  const size_t n = static_cast<size_t>(g.size()), me = static_cast<size_t>(g.rank());
  if (whole.on_device) {
    // NCCL's in-place form: the input is the caller's slice of the output.
    const size_t element = element_size(whole.dtype);
    return device::all_gather(g, bytes_of(whole) + me * slice_count * element, whole.data,
                              slice_count, whole.dtype, nullptr);
  }
  if (n == 1) return;
  const size_t slice = slice_count * element_size(whole.dtype);
  const Deadline deadline(g.timeout());
  Requests &requests = g.requests();
  // Every member sends its slice to every other and receives theirs, one chunk step at a time:
  // the bytes each member moves are those of a ring all-gather, and each step is bounded.
  const size_t chunk = protocol::chunk_bytes();
  for (size_t offset = 0; offset < slice; offset += chunk) {
    const size_t len = std::min(chunk, slice - offset);
    for (int peer : g.peers())
      requests.recv(bytes_of(whole) + static_cast<size_t>(peer) * slice + offset, len, peer,
                    kTagAllGatherData, g.comm());
    for (int peer : g.peers())
      requests.send(bytes_of(whole) + me * slice + offset, len, peer, kTagAllGatherData, g.comm());
    protocol::finish(g, deadline, "the all-gather of recv_tensor_dict");
  }
}

}  // namespace mpcomm::tensordict
