// The device data plane of a build without CUDA and NCCL: every operation is
// Error(MPCOMM_ERR_NOT_SUPPORTED) saying so, no pointer is device memory, and no group ever has a
// device context.
#include <string>

#include "comm/comm.hpp"
#include "core/error.hpp"
#include "device/device_ops.hpp"
#include "device/device_state.hpp"

namespace mpcomm::device {

class DeviceContext {};  // never made: no group has a device context

void DeviceContextDeleter::operator()(DeviceContext *context) const noexcept { delete context; }

namespace {

[[noreturn]] void not_built(const char *what) {
  throw Error(MPCOMM_ERR_NOT_SUPPORTED,
              concat(what,
                     " needs CUDA and NCCL, and this mpcomm was built without them "
                     "(configure --with-cuda --with-nccl)"));
}

}  // namespace

bool is_device_pointer(const void *) { return false; }

void all_reduce(Comm &, const void *, void *, size_t, mpcomm_datatype_t, mpcomm_op_t, void *,
                AllReduceAlgo) {
  not_built("a device all_reduce");
}
void broadcast(Comm &, void *, size_t, mpcomm_datatype_t, int, void *) {
  not_built("a device broadcast");
}
void send(Comm &, const void *, size_t, mpcomm_datatype_t, int, void *) {
  not_built("a device send");
}
void recv(Comm &, void *, size_t, mpcomm_datatype_t, int, void *) { not_built("a device receive"); }
void all_gather(Comm &, const void *, void *, size_t, mpcomm_datatype_t, void *, size_t) {
  not_built("a device all_gather");
}
void reduce_scatter(Comm &, const void *, void *, size_t, mpcomm_datatype_t, mpcomm_op_t, void *,
                    size_t) {
  not_built("a device reduce_scatter");
}
void gather(Comm &, const void *, void *, size_t, mpcomm_datatype_t, int, void *, size_t) {
  not_built("a device gather");
}
void all_gatherv(Comm &, const void *, void *, const size_t *, const size_t *, mpcomm_datatype_t,
                 void *, size_t) {
  not_built("a device all_gatherv");
}
void reduce_scatterv(Comm &, const void *, void *, const size_t *, const size_t *,
                     mpcomm_datatype_t, mpcomm_op_t, void *, size_t) {
  not_built("a device reduce_scatterv");
}
void all_to_all(Comm &, const void *, void *, size_t, mpcomm_datatype_t, void *) {
  not_built("a device all_to_all");
}
void all_to_allv(Comm &, const void *, const size_t *, const size_t *, void *, const size_t *,
                 const size_t *, mpcomm_datatype_t, void *) {
  not_built("a device all_to_allv");
}
void require_available() { not_built("a device tensor"); }
void *allocate(Comm &, size_t, bool, int *) { not_built("allocating device memory"); }
void release(void *) noexcept {}
void set_device(Comm &, int) { not_built("choosing a group's CUDA device"); }
void init_context(Comm &) { not_built("a group's device context"); }
DevicePath all_reduce_path(Comm &, size_t, mpcomm_datatype_t, mpcomm_op_t, std::string *) {
  not_built("a device all_reduce");
}
AllReduceRoute all_reduce_route(Comm &, size_t, mpcomm_datatype_t, mpcomm_op_t) {
  not_built("a device all_reduce");
}
void set_custom_allreduce(Comm &, bool) { not_built("choosing a group's custom allreduce"); }
double time_all_reduce(Comm &, const void *, void *, size_t, mpcomm_datatype_t, mpcomm_op_t,
                       AllReduceAlgo, int, int, void *, DevicePath *) {
  not_built("timing a device all_reduce");
}
void prepare_capture(void *) { not_built("CUDA graph capture"); }
void require_capture_built() { not_built("CUDA graph capture"); }

}  // namespace mpcomm::device
