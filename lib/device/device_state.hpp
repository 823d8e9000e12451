// The device plane's state on a Comm: the CUDA device asked for with mpcomm_group_set_device,
// why the custom allreduce must not be used on it (a parallel state's configuration, or empty)
// and the caller's choice of mpcomm_group_set_custom_allreduce,
// and its device context (NCCL communicator, custom allreduce), made at the first device
// operation. Destroyed with the Comm, while its communicator still exists.
#pragma once

#include <memory>
#include <string>

#include "comm/comm.hpp"

namespace mpcomm::device {

// Defined by device_context.cpp (built with CUDA and NCCL) or device_ops_nocuda.cpp, with its
// deleter.
class DeviceContext;
struct DeviceContextDeleter {
  void operator()(DeviceContext *context) const noexcept;
};

// mpcomm_group_set_custom_allreduce's choice (device/custom_allreduce_choice.hpp).
enum class CustomAllreduceChoice { Default = 0, Disabled = 1, Enabled = 2 };

struct DeviceState : Attachment {
  int requested_device = -1;         // -1: the default (node-local rank modulo the visible devices)
  std::string custom_allreduce_off;  // the group maker's reason (a parallel state's), or empty
  CustomAllreduceChoice custom_allreduce_choice = CustomAllreduceChoice::Default;
  std::unique_ptr<DeviceContext, DeviceContextDeleter> context;
};

// The device state of comm, attached now if it has none. Local.
inline DeviceState &device_state(Comm &comm) {
  if (DeviceState *held = comm.find<DeviceState>()) return *held;
  return comm.attach(std::make_unique<DeviceState>());
}

}  // namespace mpcomm::device
