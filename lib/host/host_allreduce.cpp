#include "host/host_allreduce.hpp"

#include <cstring>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "host/buffer.hpp"
#include "host/host_collectives.hpp"

namespace mpcomm::host {
namespace {

// The rank in comm of each rank of node (a part of comm).
std::vector<int> comm_ranks_of_node(MPI_Comm comm, MPI_Comm node, int node_size) {
  MPI_Group comm_group = MPI_GROUP_NULL, node_group = MPI_GROUP_NULL;
  std::vector<int> node_ranks(static_cast<size_t>(node_size)), comm_ranks(node_ranks.size());
  for (int r = 0; r < node_size; ++r) node_ranks[static_cast<size_t>(r)] = r;
  MPCOMM_MPI_CHECK(MPI_Comm_group(comm, &comm_group));
  int rc = MPI_Comm_group(node, &node_group);
  if (rc == MPI_SUCCESS)
    rc = MPI_Group_translate_ranks(node_group, node_size, node_ranks.data(), comm_group,
                                   comm_ranks.data());
  if (node_group != MPI_GROUP_NULL) MPI_Group_free(&node_group);
  MPI_Group_free(&comm_group);
  mpi_check(rc, "MPI_Group_translate_ranks");
  return comm_ranks;
}

}  // namespace

HostAllreduce::HostAllreduce(MPI_Comm comm, OversubscribedProbe oversubscribed) {
  try {
    MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size_));
    mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_),
              "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)");
    MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(node_, MPI_ERRORS_RETURN));
    MPCOMM_MPI_CHECK(MPI_Comm_rank(node_, &node_rank_));
    MPCOMM_MPI_CHECK(MPI_Comm_size(node_, &node_size_));
    node_members_ = comm_ranks_of_node(comm, node_, node_size_);
    MPCOMM_MPI_CHECK(MPI_Comm_split(comm, node_rank_ == 0 ? 0 : MPI_UNDEFINED, 0, &leaders_));
    if (leaders_ != MPI_COMM_NULL)
      MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(leaders_, MPI_ERRORS_RETURN));
    // The layout must be known alike everywhere: every rank decides from it which
    // implementation runs, and they must all take the same.
    const int leader = node_rank_ == 0 ? 1 : 0;
    MPCOMM_MPI_CHECK(MPI_Allreduce(&leader, &nodes_, 1, MPI_INT, MPI_SUM, comm));
    // Oversubscribed: this node's members outnumber the CPUs of their affinity masks.
    const int local[2] = {node_size_, oversubscribed(node_) ? 1 : 0};
    int largest[2] = {0, 0};
    MPCOMM_MPI_CHECK(MPI_Allreduce(local, largest, 2, MPI_INT, MPI_MAX, comm));
    largest_node_ = largest[0];
    oversubscribed_ = largest[1] != 0;
  } catch (...) {
    close();
    throw;
  }
}

HostAllreduce::~HostAllreduce() { close(); }

HostState &host_state(Comm &comm) {
  if (HostState *held = comm.find<HostState>()) return *held;
  return comm.attach(std::make_unique<HostState>());
}

HostAllreduce &host_allreduce(Comm &comm, OversubscribedProbe oversubscribed) {
  auto &made = host_state(comm).allreduce;
  if (!made) made = std::make_unique<HostAllreduce>(comm.comm(), oversubscribed);
  return *made;
}

void *HostAllreduce::mem_alloc(size_t bytes, double timeout_s) {
  require(node_ != MPI_COMM_NULL, MPCOMM_ERR_INTERNAL, "host allreduce used after close");
  return pool_.allocate(node_, bytes, timeout_s);
}

void HostAllreduce::close() {
  shm_.reset();
  pool_.clear();
  int finalized = 0;
  MPI_Finalized(&finalized);
  // MPI_Comm_free only marks a communicator for release: it does not wait for anyone.
  if (!finalized && leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
  if (!finalized && node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
  leaders_ = node_ = MPI_COMM_NULL;
}

std::vector<int> HostAllreduce::late_ranks() const {
  std::vector<int> late;
  if (shm_)
    for (int r : shm_->late_ranks()) late.push_back(node_members_.at(static_cast<size_t>(r)));
  return late;
}

bool HostAllreduce::use_shm(HostAllreduceChoice choice, size_t bytes,
                            mpcomm_datatype_t dtype) const {
  if (!ShmAllreduce::supports(dtype) || choice == HostAllreduceChoice::kMpi) return false;
  if (choice == HostAllreduceChoice::kShm) return true;
  return nodes_ == 1 && shm_allreduce_wins(bytes, dtype, largest_node_, oversubscribed_);
}

std::string HostAllreduce::describe(HostAllreduceChoice choice) const {
  const std::string layout =
      concat(nodes_, nodes_ == 1 ? " node" : " nodes", ", at most ", largest_node_,
             " processes on one", oversubscribed_ ? ", more processes than cores" : "");
  if (choice == HostAllreduceChoice::kShm)
    return concat("shared memory for float32, float16 and bfloat16 (MPCOMM_HOST_ALLREDUCE=shm; ",
                  layout, nodes_ > 1 ? "; MPI_Allreduce between nodes" : "",
                  "), MPI_Allreduce for other types");
  if (choice == HostAllreduceChoice::kAuto && nodes_ == 1 && largest_node_ > 1)
    return concat("shared memory for float32, float16 and bfloat16",
                  oversubscribed_ ? " from 1 KiB" : "", " (MPCOMM_HOST_ALLREDUCE=auto; ", layout,
                  "), MPI_Allreduce otherwise");
  return concat("MPI_Allreduce (MPCOMM_HOST_ALLREDUCE=", host_allreduce_choice_name(choice), "; ",
                layout, ")");
}

void HostAllreduce::all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                               mpcomm_op_t op, double timeout_s, const Deadline *bound) {
  require(node_ != MPI_COMM_NULL, MPCOMM_ERR_INTERNAL, "host allreduce used after close");
  // AVG is a sum until every node's part is in, then one division by the whole size.
  const mpcomm_op_t combine = op == MPCOMM_AVG ? MPCOMM_SUM : op;
  const size_t bytes = checked_bytes(count, element_size(dtype), "count");
  std::string refusal;
  if (node_size_ > 1) {
    if (!shm_) shm_ = std::make_unique<ShmAllreduce>(node_, timeout_s);  // collective over the node
    refusal = shm_->all_reduce(send, recv, count, dtype, combine, timeout_s, &pool_);
  } else if (bytes > 0 && send != recv) {
    std::memcpy(recv, send, bytes);
  }
  // A refusal is known to the node's members alike; the other nodes still wait for this one.
  if (nodes_ > 1) {
    if (leaders_ != MPI_COMM_NULL)
      checked::all_reduce(leaders_, nodes_, recv, recv, count, dtype, combine, bound);
    if (node_size_ > 1) checked::broadcast(node_, recv, count, dtype, 0, bound);
  }
  require(refusal.empty(), MPCOMM_ERR_INVALID_USAGE, refusal);
  if (op == MPCOMM_AVG) divide_in_place(recv, count, dtype, size_);
}

}  // namespace mpcomm::host
