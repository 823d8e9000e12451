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

// NCCL's type and operator for ours (ncclAvg since NCCL 2.10). A type that only moves travels
// as an NCCL type of its size; with `reduces`, bool and float8 are INVALID_ARGUMENT and int16,
// uint16 (NCCL has no such type) NOT_SUPPORTED.
ncclDataType_t nccl_datatype(mpcomm_datatype_t dtype, bool reduces = false);
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
  // The variable-size forms, grouped as vLLM's pynccl groups them; counts and displacements are
  // elements, one per rank. all_gatherv: a broadcast from each rank r of its counts[r] elements
  // to out + displs[r]; reduce_scatterv: a reduce to each rank r of in + displs[r] (counts[r]
  // elements) into its out; all_to_allv: a send and a receive per peer (our own block copied).
  void all_gatherv(const void *in, void *out, const size_t *counts, const size_t *displs,
                   mpcomm_datatype_t dtype, cudaStream_t stream);
  void reduce_scatterv(const void *in, void *out, const size_t *counts, const size_t *displs,
                       mpcomm_datatype_t dtype, mpcomm_op_t op, cudaStream_t stream);
  void all_to_allv(const void *send, const size_t *send_counts, const size_t *send_displs,
                   void *recv, const size_t *recv_counts, const size_t *recv_displs,
                   mpcomm_datatype_t dtype, cudaStream_t stream);

 private:
  // Waits while NCCL reports ncclInProgress (bounded); on any error aborts the communicator and
  // throws Error(MPCOMM_ERR_NCCL) naming `what` with NCCL's texts (TIMEOUT when the wait ran out).
  void check(ncclResult_t result, const char *what);
  void require_live() const;
  // A call inside ncclGroupStart/End: a failed one ends the group, then throws as check().
  void issue(ncclResult_t result, const char *what);
  void abort() noexcept;

  ncclComm_t comm_ = nullptr;
  int rank_ = 0, size_ = 0, device_ = 0;
  double timeout_s_ = 0;
  std::string failure_;
};

}  // namespace mpcomm::device
