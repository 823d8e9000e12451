// A group's device data plane (built with CUDA and NCCL): the CUDA device it runs on, its NCCL
// communicator (none for a group of one, which copies), and its custom allreduce when the group
// is eligible, with the verdict and the facts it was reached from.
#pragma once

#include <cuda_runtime.h>

#include <memory>

#include "comm/comm.hpp"
#include "device/custom_allreduce_eligibility.hpp"
#include "device/custom_allreduce_host.hpp"
#include "device/nccl_comm.hpp"

namespace mpcomm::device {

class DeviceContext {
 public:
  // Collective over g: picks the device, agrees on the facts and, when eligible, makes the
  // custom allreduce. Logs one INFO line (on group rank 0) when the custom allreduce is not
  // used, saying why.
  explicit DeviceContext(Comm &g);
  // Tears the custom allreduce down in order (CustomAllreduce::close) on the group's device,
  // then the NCCL communicator. The group (which owns the context) still has its communicator.
  ~DeviceContext();
  DeviceContext(const DeviceContext &) = delete;
  DeviceContext &operator=(const DeviceContext &) = delete;

  int device() const { return device_; }
  // The NCCL communicator, made at the first call (rank 0's unique id by MPI broadcast):
  // collective over g, so every member must reach it in the same call, which the dispatch
  // guarantees (the same facts and arguments give the same path everywhere). Apart from the
  // custom allreduce because NCCL refuses two ranks on one GPU, which the one-GPU test of the
  // IPC path runs. Making it while `stream` captures a CUDA graph is Error(INVALID_USAGE).
  NcclComm &nccl(Comm &g, cudaStream_t stream);
  bool has_nccl() const { return nccl_ != nullptr; }
  CustomAllreduce *custom() const { return custom_.get(); }
  const Eligibility &eligibility() const { return eligibility_; }
  const EligibilityFacts &facts() const { return facts_; }
  size_t max_size() const { return max_size_; }

 private:
  Comm &group_;
  int device_ = 0;
  EligibilityFacts facts_;
  Eligibility eligibility_;
  size_t max_size_ = 0;
  std::unique_ptr<NcclComm> nccl_;
  std::unique_ptr<CustomAllreduce> custom_;
};

// The device the group uses: the one set with mpcomm_group_set_device, else the process's
// node-local rank (of MPI_COMM_WORLD, as vLLM's cuda:local_rank) modulo the visible devices.
int choose_device(Comm &g, int device_count);

// The group's context, made now if it does not exist (collective). Making it while `stream`
// captures a CUDA graph is Error(INVALID_USAGE): nothing may be allocated or agreed then
// (stream NULL: not checked). Error(NOT_SUPPORTED) without a usable GPU.
DeviceContext &context(Comm &g, cudaStream_t stream);

}  // namespace mpcomm::device
