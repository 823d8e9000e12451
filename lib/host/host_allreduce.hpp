// The shared-memory host allreduce of a communicator whose ranks may span several nodes: each
// node reduces through a ShmAllreduce (shm_allreduce.hpp), the node leaders (the lowest rank of
// each node) combine the node results with MPI_Allreduce, and each leader broadcasts the result
// to its node. On one node it is the ShmAllreduce alone.
//
// A group makes one at its first host all_reduce that could take shared memory or its first
// mpcomm_mem_alloc (every member at the same call, so creation is collective) and decides per
// call with use_shm(), from arguments equal on every member, which implementation runs. It holds
// the node's MemPool (mem_pool.hpp), whose buffers the node's allreduce reads in place.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "core/deadline.hpp"
#include "host/mem_pool.hpp"
#include "host/shm_allreduce.hpp"
#include "mpcomm.h"

namespace mpcomm::host {

// Whether the processes of a node (a communicator of one node) outnumber the CPUs they may run
// on: a fact of the locality plane, which the group layer passes in (locality/node_cpus.hpp).
using OversubscribedProbe = bool (*)(MPI_Comm node);

class HostAllreduce {
 public:
  // Collective over comm: splits it into node and leader communicators and agrees on the node
  // layout. The shared-memory window is made at the first shared-memory call.
  HostAllreduce(MPI_Comm comm, OversubscribedProbe oversubscribed);
  // close().
  ~HostAllreduce();
  HostAllreduce(const HostAllreduce &) = delete;
  HostAllreduce &operator=(const HostAllreduce &) = delete;

  // Unmaps the shared memory and frees the communicators: local (MPI_Comm_free waits for no
  // one), so a member that died leaves nothing behind for MPI_Finalize. Idempotent.
  void close();

  // The ranks of comm that had not arrived when a call timed out.
  std::vector<int> late_ranks() const;

  // The number of nodes comm spans, and the number of its ranks on the most populated one: the
  // same on every rank.
  int nodes() const { return nodes_; }
  int largest_node() const { return largest_node_; }
  // Whether on any node comm spans, its members there outnumber the CPUs (PUs) in the union of
  // their affinity masks (the probe): the same on every rank.
  bool oversubscribed() const { return oversubscribed_; }

  // Whether an all_reduce of `bytes` of dtype runs through shared memory under `choice`: kShm
  // always for a dtype ShmAllreduce supports; kAuto when comm lies on one node and
  // shm_allreduce_wins(); kMpi never. The same on every rank when the arguments are.
  bool use_shm(HostAllreduceChoice choice, size_t bytes, mpcomm_datatype_t dtype) const;
  // What use_shm() decides under `choice`, in words, for the log.
  std::string describe(HostAllreduceChoice choice) const;

  // recv = op over comm's ranks of send (send == recv: in place). Collective over comm. A node
  // peer that does not arrive within timeout_s seconds is Error(TIMEOUT) (late_ranks() names
  // them), and the object refuses later calls; MPI failures are Error(MPI). The MPI calls between
  // nodes wait as `bound` says (host_collectives.hpp: nullptr blocks).
  // A send that lies in a buffer of mem_alloc() is read in place on its node; when a node member
  // had freed a buffer a peer's send lies in, the call completes (between nodes too) with recv
  // undefined and is Error(INVALID_USAGE) on that node's members.
  void all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  mpcomm_op_t op, double timeout_s, const Deadline *bound = nullptr);

  // MemPool::allocate over the node communicator: collective over the node's members of comm.
  void *mem_alloc(size_t bytes, double timeout_s);
  // MemPool::free: local.
  void mem_free(void *ptr) { pool_.free(ptr); }

 private:
  int size_ = 1;
  MPI_Comm node_ = MPI_COMM_NULL;     // comm's ranks on this node, in comm's order
  MPI_Comm leaders_ = MPI_COMM_NULL;  // node rank 0 of every node; null elsewhere
  int node_rank_ = 0, node_size_ = 1;
  int nodes_ = 1, largest_node_ = 1;
  bool oversubscribed_ = false;
  std::vector<int> node_members_;      // the rank in comm of each node rank
  std::unique_ptr<ShmAllreduce> shm_;  // made at the first shared-memory call
  MemPool pool_;
};

// The host plane's state on a Comm: the MPCOMM_HOST_ALLREDUCE its members agreed on (kUnread
// before its first host all_reduce), and its shared-memory allreduce once made. Closed with the
// Comm, without waiting for anyone.
struct HostState : Attachment {
  HostAllreduceChoice choice = HostAllreduceChoice::kUnread;
  // MPCOMM_HOST_BOUNDED as this member read it (-1: unread), and whether the members agreed on
  // it (collectives need that: a nonblocking collective does not match a blocking one).
  int bounded = -1;
  bool bounded_agreed = false;
  std::unique_ptr<HostAllreduce> allreduce;
  bool described = false;  // the path of the host all_reduce is logged once
};

// The host state of comm, attached now if it has none. Local.
HostState &host_state(Comm &comm);

// The HostAllreduce of comm's host state, made now (collective over comm) if it has none.
HostAllreduce &host_allreduce(Comm &comm, OversubscribedProbe oversubscribed);

}  // namespace mpcomm::host
