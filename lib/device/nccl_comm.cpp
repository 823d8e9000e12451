#include "device/nccl_comm.hpp"

#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/reduce_op.hpp"
#include "device/cuda_util.hpp"

namespace mpcomm::device {

ncclDataType_t nccl_datatype(mpcomm_datatype_t dtype, bool reduces) {
  if (reduces) {
    require_reducible(dtype);
    require(dtype != MPCOMM_INT16 && dtype != MPCOMM_UINT16, MPCOMM_ERR_NOT_SUPPORTED,
            "a device reduction of ", datatype_name(dtype),
            ": NCCL has no 16-bit integer type (host buffers reduce it over MPI)");
  }
  switch (dtype) {
    case MPCOMM_INT8: return ncclInt8;
    case MPCOMM_UINT8: return ncclUint8;
    case MPCOMM_INT32: return ncclInt32;
    case MPCOMM_INT64: return ncclInt64;
    case MPCOMM_FLOAT16: return ncclFloat16;
    case MPCOMM_BFLOAT16: return ncclBfloat16;
    case MPCOMM_FLOAT32: return ncclFloat32;
    case MPCOMM_FLOAT64: return ncclFloat64;
    case MPCOMM_UINT32: return ncclUint32;
    case MPCOMM_UINT64: return ncclUint64;
    // Moved only (reduces is false here): NCCL copies their bytes as any 1- or 2-byte type.
    case MPCOMM_INT16:
    case MPCOMM_UINT16: return ncclFloat16;
    case MPCOMM_BOOL:
    case MPCOMM_FLOAT8_E4M3FN:
    case MPCOMM_FLOAT8_E5M2: return ncclUint8;
    default: break;
  }
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat("datatype ", static_cast<int>(dtype), " is not an mpcomm_datatype_t"));
}

ncclRedOp_t nccl_op(mpcomm_op_t op) {
  switch (op) {
    case MPCOMM_SUM: return ncclSum;
    case MPCOMM_PROD: return ncclProd;
    case MPCOMM_MAX: return ncclMax;
    case MPCOMM_MIN: return ncclMin;
    case MPCOMM_AVG: return ncclAvg;
    default: break;
  }
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat("op ", static_cast<int>(op), " is not an mpcomm_op_t"));
}

ncclUniqueId NcclComm::new_unique_id() {
  ncclUniqueId id{};
  ncclResult_t r = ncclGetUniqueId(&id);
  if (r != ncclSuccess)
    throw Error(MPCOMM_ERR_NCCL, concat("ncclGetUniqueId failed: ", ncclGetErrorString(r), "; ",
                                        ncclGetLastError(nullptr)));
  return id;
}

NcclComm::NcclComm(const ncclUniqueId &id, int nranks, int rank, int device, double timeout_s)
    : rank_(rank), size_(nranks), device_(device), timeout_s_(timeout_s) {
  require_arg(nranks >= 1 && rank >= 0 && rank < nranks, "NCCL rank ", rank, " of ", nranks);
  DeviceGuard guard(device);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // every wait below is ours, and bounded
  ncclUniqueId copy = id;
  check(ncclCommInitRankConfig(&comm_, nranks, copy, rank, &config), "ncclCommInitRankConfig");
  log::info(log::Subsys::Device, "NCCL communicator of ", nranks, " ranks made on device ", device,
            " (rank ", rank, ")");
}

NcclComm::~NcclComm() {
  if (comm_ == nullptr) return;
  // Finalize waits for the peers (NCCL's rule); one that does not come in time is aborted.
  ncclResult_t r = ncclCommFinalize(comm_);
  ncclResult_t state = r;
  if (r == ncclInProgress) {
    poll_until(Deadline(timeout_s_), [&] {
      if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclInternalError;
      return state != ncclInProgress;
    });
  }
  if (state == ncclSuccess) {
    ncclCommDestroy(comm_);
  } else {
    log::info(
        log::Subsys::Device, "aborting the NCCL communicator at destroy: ",
        state == ncclInProgress ? "its peers did not finalize in time" : ncclGetErrorString(state));
    ncclCommAbort(comm_);
  }
  comm_ = nullptr;
}

void NcclComm::abort() noexcept {
  if (comm_ != nullptr) ncclCommAbort(comm_);
  comm_ = nullptr;
}

void NcclComm::require_live() const {
  require(comm_ != nullptr, MPCOMM_ERR_BROKEN,
          "the NCCL communicator was aborted after an earlier failure: ", failure_);
}

void NcclComm::check(ncclResult_t result, const char *what) {
  ncclResult_t state = result;
  if (state == ncclInProgress && comm_ != nullptr) {
    poll_until(Deadline(timeout_s_), [&] {
      if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclInternalError;
      return state != ncclInProgress;
    });
  }
  if (state == ncclSuccess) return;
  const bool timed_out = state == ncclInProgress;
  failure_ = timed_out ? concat(what, " did not complete within ", timeout_s_,
                                " s: not every rank made the same call")
                       : concat(what, " failed: ", ncclGetErrorString(state), "; ",
                                ncclGetLastError(comm_));
  abort();
  throw Error(timed_out ? MPCOMM_ERR_TIMEOUT : MPCOMM_ERR_NCCL, failure_);
}

void NcclComm::all_reduce(const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                          mpcomm_op_t op, cudaStream_t stream) {
  require_live();
  check(ncclAllReduce(send, recv, count, nccl_datatype(dtype, true), nccl_op(op), comm_, stream),
        "ncclAllReduce");
}

void NcclComm::broadcast(void *buf, size_t count, mpcomm_datatype_t dtype, int root,
                         cudaStream_t stream) {
  require_live();
  check(ncclBroadcast(buf, buf, count, nccl_datatype(dtype), root, comm_, stream), "ncclBroadcast");
}

void NcclComm::send(const void *buf, size_t count, mpcomm_datatype_t dtype, int peer,
                    cudaStream_t stream) {
  require_live();
  check(ncclSend(buf, count, nccl_datatype(dtype), peer, comm_, stream), "ncclSend");
}

void NcclComm::recv(void *buf, size_t count, mpcomm_datatype_t dtype, int peer,
                    cudaStream_t stream) {
  require_live();
  check(ncclRecv(buf, count, nccl_datatype(dtype), peer, comm_, stream), "ncclRecv");
}

void NcclComm::all_gather(const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                          cudaStream_t stream) {
  require_live();
  check(ncclAllGather(in, out, count_per_rank, nccl_datatype(dtype), comm_, stream),
        "ncclAllGather");
}

void NcclComm::reduce_scatter(const void *in, void *out, size_t count_per_rank,
                              mpcomm_datatype_t dtype, mpcomm_op_t op, cudaStream_t stream) {
  require_live();
  check(ncclReduceScatter(in, out, count_per_rank, nccl_datatype(dtype, true), nccl_op(op), comm_,
                          stream),
        "ncclReduceScatter");
}

void NcclComm::gather(const void *in, void *out, size_t count_per_rank, mpcomm_datatype_t dtype,
                      int root, cudaStream_t stream) {
  require_live();
  const ncclDataType_t type = nccl_datatype(dtype);
  const size_t bytes = count_per_rank * element_size(dtype);
  if (rank_ == root) {
    DeviceGuard guard(device_);
    MPCOMM_CUDA_CHECK(cudaMemcpyAsync(static_cast<char *>(out) + static_cast<size_t>(root) * bytes,
                                      in, bytes, cudaMemcpyDeviceToDevice, stream));
  }
  check(ncclGroupStart(), "ncclGroupStart");
  if (rank_ == root) {
    for (int r = 0; r < size_; ++r) {
      if (r == root) continue;
      ncclResult_t result = ncclRecv(static_cast<char *>(out) + static_cast<size_t>(r) * bytes,
                                     count_per_rank, type, r, comm_, stream);
      if (result != ncclSuccess && result != ncclInProgress) {
        ncclGroupEnd();
        check(result, "ncclRecv (gather)");
      }
    }
  } else {
    ncclResult_t result = ncclSend(in, count_per_rank, type, root, comm_, stream);
    if (result != ncclSuccess && result != ncclInProgress) {
      ncclGroupEnd();
      check(result, "ncclSend (gather)");
    }
  }
  check(ncclGroupEnd(), "ncclGroupEnd (gather)");
}

void NcclComm::issue(ncclResult_t result, const char *what) {
  if (result == ncclSuccess || result == ncclInProgress) return;
  ncclGroupEnd();
  check(result, what);
}

void NcclComm::all_gatherv(const void *in, void *out, const size_t *counts, const size_t *displs,
                           mpcomm_datatype_t dtype, cudaStream_t stream) {
  require_live();
  const ncclDataType_t type = nccl_datatype(dtype);
  const size_t es = element_size(dtype);
  check(ncclGroupStart(), "ncclGroupStart");
  for (int r = 0; r < size_; ++r) {
    if (counts[r] == 0) continue;
    issue(ncclBroadcast(in, static_cast<char *>(out) + displs[r] * es, counts[r], type, r, comm_,
                        stream),
          "ncclBroadcast (all_gatherv)");
  }
  check(ncclGroupEnd(), "ncclGroupEnd (all_gatherv)");
}

void NcclComm::reduce_scatterv(const void *in, void *out, const size_t *counts,
                               const size_t *displs, mpcomm_datatype_t dtype, mpcomm_op_t op,
                               cudaStream_t stream) {
  require_live();
  const ncclDataType_t type = nccl_datatype(dtype, true);
  const ncclRedOp_t nop = nccl_op(op);
  const size_t es = element_size(dtype);
  check(ncclGroupStart(), "ncclGroupStart");
  for (int r = 0; r < size_; ++r) {
    if (counts[r] == 0) continue;
    issue(ncclReduce(static_cast<const char *>(in) + displs[r] * es, out, counts[r], type, nop, r,
                     comm_, stream),
          "ncclReduce (reduce_scatterv)");
  }
  check(ncclGroupEnd(), "ncclGroupEnd (reduce_scatterv)");
}

void NcclComm::all_to_allv(const void *send, const size_t *send_counts, const size_t *send_displs,
                           void *recv, const size_t *recv_counts, const size_t *recv_displs,
                           mpcomm_datatype_t dtype, cudaStream_t stream) {
  require_live();
  const ncclDataType_t type = nccl_datatype(dtype);
  const size_t es = element_size(dtype);
  if (send_counts[rank_] > 0) {
    DeviceGuard guard(device_);
    MPCOMM_CUDA_CHECK(cudaMemcpyAsync(static_cast<char *>(recv) + recv_displs[rank_] * es,
                                      static_cast<const char *>(send) + send_displs[rank_] * es,
                                      send_counts[rank_] * es, cudaMemcpyDeviceToDevice, stream));
  }
  check(ncclGroupStart(), "ncclGroupStart");
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    if (send_counts[r] > 0)
      issue(ncclSend(static_cast<const char *>(send) + send_displs[r] * es, send_counts[r], type, r,
                     comm_, stream),
            "ncclSend (all_to_all)");
    if (recv_counts[r] > 0)
      issue(ncclRecv(static_cast<char *>(recv) + recv_displs[r] * es, recv_counts[r], type, r,
                     comm_, stream),
            "ncclRecv (all_to_all)");
  }
  check(ncclGroupEnd(), "ncclGroupEnd (all_to_all)");
}

}  // namespace mpcomm::device
