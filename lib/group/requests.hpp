// The nonblocking MPI requests of one control-plane step, each tied to the peer it waits for, and
// the one way they end: all complete before the deadline, or the step is abandoned (receives
// cancelled, sends left to finish on their own) and the caller learns who had not arrived.
#pragma once

#include <mpi.h>

#include <vector>

#include "core/deadline.hpp"

namespace mpcomm {

class Requests {
 public:
  Requests() = default;
  Requests(const Requests &) = delete;
  Requests &operator=(const Requests &) = delete;
  // Abandons whatever is still pending (never waits).
  ~Requests();

  void reserve(size_t n);
  // Posts MPI_Irecv / MPI_Isend of count bytes (count <= INT_MAX) with peer as rank in comm.
  void recv(void *buf, size_t count, int peer, int tag, MPI_Comm comm);
  void send(const void *buf, size_t count, int peer, int tag, MPI_Comm comm);
  // MPI_Isend of count elements of a (committed) type, e.g. a derived type over MPI_BOTTOM.
  void send_typed(const void *buf, int count, MPI_Datatype type, int peer, int tag, MPI_Comm comm);
  // MPI_Imrecv of count bytes (count <= INT_MAX) of a message matched by MPI_Improbe from peer.
  void mrecv(void *buf, size_t count, MPI_Message *message, int peer);

  // Posts an empty message and lets it complete on its own (no request to wait for): for
  // arrival tokens, where only the receiving side waits.
  static void post_token(int peer, int tag, MPI_Comm comm);

  // Waits for all; true when all completed, false when the deadline passed first (the requests
  // stay pending: call abandon()). MPI errors throw Error(MPCOMM_ERR_MPI).
  bool wait(const Deadline &deadline);
  // Peers of the requests still pending, in posting order, without duplicates.
  std::vector<int> pending_peers() const;
  // The byte count a completed receive got (index in posting order).
  size_t received(size_t index) const;

  // Gives up the pending requests: cancels receives, lets sends finish in the background.
  // Returns true when nothing can still write into a receive buffer.
  bool abandon();
  bool empty() const { return requests_.empty(); }
  size_t size() const { return requests_.size(); }

 private:
  std::vector<MPI_Request> requests_;
  std::vector<MPI_Status> statuses_;
  std::vector<int> peers_;
  std::vector<bool> is_recv_;
};

}  // namespace mpcomm
