// One NCCL communicator, owned: made non-blocking so that every wait on NCCL is bounded (a member
// that never comes, or a failed communicator, ends in an error instead of a hang), aborted when
// anything fails, finalized and destroyed otherwise. NCCL's own text (ncclGetErrorString and
// ncclGetLastError) goes into every message. No MPI here: the unique id arrives from the caller,
// so a test can make a communicator of one process with new_unique_id().
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstddef>
#include <string>

#include "mpcomm.h"

namespace mpcomm::device {

// NCCL's type and operator for ours (all exist: ncclAvg since NCCL 2.10).
ncclDataType_t nccl_datatype(mpcomm_datatype_t dtype);
ncclRedOp_t nccl_op(mpcomm_op_t op);

class NcclComm {
 public:
  // A fresh id (rank 0 makes it; the others receive it).
  static ncclUniqueId new_unique_id();

  // ncclCommInitRankConfig on `device`; collective over the nranks processes that pass the same
  // id. Waits at most timeout_s for them (then Error(TIMEOUT), the communicator aborted).
  NcclComm(const ncclUniqueId &id, int nranks, int rank, int device, double timeout_s);
  // Finalizes (waiting at most the timeout for the peers to finalize too) and destroys; aborts a
  // failed communicator, or one whose finalize does not complete in time.
  ~NcclComm();
  NcclComm(const NcclComm &) = delete;
  NcclComm &operator=(const NcclComm &) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }
  // True after a failure: the communicator is aborted and every later call throws.
  bool failed() const { return comm_ == nullptr; }

  // The operations, enqueued on stream; counts are elements, peers are ranks in the communicator.
  void all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                  mpcomm_op_t op, cudaStream_t stream);
  void broadcast(void *buf, size_t count, mpcomm_datatype_t dtype, int root, cudaStream_t stream);
  void send(const void *buf, size_t count, mpcomm_datatype_t dtype, int peer, cudaStream_t stream);
  void recv(void *buf, size_t count, mpcomm_datatype_t dtype, int peer, cudaStream_t stream);
  void all_gather(const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                  cudaStream_t stream);
  void reduce_scatter(const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                      mpcomm_op_t op, cudaStream_t stream);
  // out at root receives rank r's in at out + r * count_per_rank (grouped sends and receives;
  // root copies its own part with cudaMemcpyAsync). out is not used elsewhere.
  void gather(const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype, int root,
              cudaStream_t stream);

 private:
  // Waits while NCCL reports ncclInProgress (bounded); on any error aborts the communicator and
  // throws Error(MPCOMM_ERR_NCCL) naming `what` with NCCL's texts (TIMEOUT when the wait ran out).
  void check(ncclResult_t result, const char *what);
  void require_live() const;
  void abort() noexcept;

  ncclComm_t comm_ = nullptr;
  int rank_ = 0, size_ = 0, device_ = 0;
  double timeout_s_ = 0;
  std::string failure_;
};

}  // namespace mpcomm::device
