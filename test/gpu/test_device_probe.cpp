// The nvcc rule works: device code in libmpcomm runs. Skips (77) without a GPU.
#include <gtest/gtest.h>

#include <string>

#include "kernels/device_probe.h"

TEST(DeviceProbe, EveryDeviceRunsOurKernel) {
  std::string error;
  auto devices = mpcomm::kernels::list_devices(&error);
  if (devices.empty()) GTEST_SKIP() << "no CUDA device: " << error;
  for (const auto &d : devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_EQ(d.pci_bus_id.size(), 12u) << d.pci_bus_id;
    EXPECT_TRUE(mpcomm::kernels::probe_device(d.index, 0x5eedu, 1 << 20, &error)) << error;
  }
}

TEST(DeviceProbe, BadDeviceIsReportedNotCrashed) {
  std::string error;
  auto devices = mpcomm::kernels::list_devices(&error);
  if (devices.empty()) GTEST_SKIP() << "no CUDA device: " << error;
  EXPECT_FALSE(mpcomm::kernels::probe_device(static_cast<int>(devices.size()), 1, 16, &error));
  EXPECT_NE(error.find("cudaSetDevice"), std::string::npos) << error;
}
