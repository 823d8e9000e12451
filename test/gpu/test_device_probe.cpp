// The nvcc rule works: device code in libmpcomm runs. Skips (77) without a GPU. Built without
// GoogleTest (gpu_check.hpp), so test/gpu/run-on-gpu.sh can compile it with nvcc alone.
#include <string>

#include "gpu_check.hpp"
#include "kernels/device_probe.h"

int main() {
  mpcomm::test::Checks checks;
  std::string error;
  const auto devices = mpcomm::kernels::list_devices(&error);
  if (devices.empty()) {
    checks.skip("device probe", "no CUDA device: " + error);
    return checks.finish();
  }
  for (const auto &d : devices) {
    const std::string which = "device " + std::to_string(d.index);
    checks.expect(!d.name.empty(), which + " has a name");
    checks.expect(d.pci_bus_id.size() == 12u, which + " has a PCI bus id", d.pci_bus_id);
    error.clear();
    checks.expect(mpcomm::kernels::probe_device(d.index, 0x5eedu, 1 << 20, &error),
                  which + " runs our kernel", error);
  }
  // A bad device is reported, not crashed on.
  error.clear();
  const bool ran = mpcomm::kernels::probe_device(static_cast<int>(devices.size()), 1, 16, &error);
  checks.expect(!ran && error.find("cudaSetDevice") != std::string::npos,
                "a device index out of range is reported", error);
  return checks.finish();
}
