// The shared-memory host allreduce of a communicator whose ranks may span several nodes: each
// node reduces through a ShmAllreduce (shm_allreduce.hpp), the node leaders (the lowest rank of
// each node) combine the node results with MPI_Allreduce, and each leader broadcasts the result
// to its node. On one node it is the ShmAllreduce alone.
//
// A group makes one at its first host all_reduce that could take shared memory (every member at
// the same call, so creation is collective) and decides per call with use_shm(), from arguments
// equal on every member, which implementation runs.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/shm_allreduce.hpp"
#include "mpcomm.h"

namespace mpcomm::dataplane {

class HostAllreduce {
 public:
  // Collective over comm: splits it into node and leader communicators and agrees on the node
  // layout. The shared-memory window is made at the first shared-memory call.
  explicit HostAllreduce(MPI_Comm comm);
  // close(30).
  ~HostAllreduce();
  HostAllreduce(const HostAllreduce &) = delete;
  HostAllreduce &operator=(const HostAllreduce &) = delete;

  // Frees the window and the communicators, waiting at most timeout_s seconds for the node's
  // other processes (a process that never comes leaves the window to MPI_Finalize). Idempotent.
  void close(double timeout_s);

  // The ranks of comm that had not arrived when a call timed out.
  std::vector<int> late_ranks() const;

  // The number of nodes comm spans, and the number of its ranks on the most populated one: the
  // same on every rank.
  int nodes() const { return nodes_; }
  int largest_node() const { return largest_node_; }
  // Whether on any node comm spans, its members there outnumber the CPUs (PUs) in the union of
  // their affinity masks (locality::node_cpus): the same on every rank.
  bool oversubscribed() const { return oversubscribed_; }

  // Whether an all_reduce of `bytes` of dtype runs through shared memory under `choice`: kShm
  // always for a dtype ShmAllreduce supports; kAuto when comm lies on one node and
  // shm_allreduce_wins(); kMpi never. The same on every rank when the arguments are.
  bool use_shm(HostAllreduceChoice choice, size_t bytes, mpcomm_datatype_t dtype) const;

  // recv = op over comm's ranks of send (send == recv: in place). Collective over comm. A node
  // peer that does not arrive within timeout_s seconds is Error(TIMEOUT) (late_ranks() names
  // them), and the object refuses later calls; MPI failures are Error(MPI). The MPI calls between
  // nodes are not bounded.
  void all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  mpcomm_op_t op, double timeout_s);

 private:
  int size_ = 1;
  MPI_Comm node_ = MPI_COMM_NULL;     // comm's ranks on this node, in comm's order
  MPI_Comm leaders_ = MPI_COMM_NULL;  // node rank 0 of every node; null elsewhere
  int node_rank_ = 0, node_size_ = 1;
  int nodes_ = 1, largest_node_ = 1;
  bool oversubscribed_ = false;
  std::vector<int> node_members_;      // the rank in comm of each node rank
  std::unique_ptr<ShmAllreduce> shm_;  // made at the first shared-memory call
};

}  // namespace mpcomm::dataplane
