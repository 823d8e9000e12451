// The hwloc topology: loaded once, consistent with the OS, binding followed.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "device/gpu_choice.hpp"
#include "device/nvml.hpp"
#include "locality/topology.hpp"

using mpcomm::locality::Topology;

TEST(Topology, LoadsOnceAndCountsWhatTheOsSees) {
  const Topology &a = Topology::instance();
  const Topology &b = Topology::instance();
  EXPECT_EQ(&a, &b);
  EXPECT_GE(a.core_count(), 1);
  EXPECT_GE(a.numa_node_count(), 1);
  EXPECT_NE(a.summary().find(std::to_string(a.core_count()) + " core"), std::string::npos)
      << a.summary();
}

TEST(Topology, IdentityStartsWithTheHostName) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(Topology::instance().machine_identity().rfind(host, 0), 0u)
      << Topology::instance().machine_identity();
}

TEST(Topology, PlacementFollowsTheBinding) {
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
  cpu_set_t only_first;
  CPU_ZERO(&only_first);
  int first = -1;
  for (int c = 0; c < CPU_SETSIZE && first < 0; ++c)
    if (CPU_ISSET(c, &saved)) first = c;
  ASSERT_GE(first, 0);
  CPU_SET(first, &only_first);
  ASSERT_EQ(sched_setaffinity(0, sizeof(only_first), &only_first), 0);
  auto bound = Topology::instance().placement();
  ASSERT_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0);

  EXPECT_EQ(bound.bound_cpus, std::to_string(first));
  EXPECT_EQ(bound.cores.size(), 1u);
  EXPECT_EQ(bound.numa_nodes.size(), 1u);

  auto free_again = Topology::instance().placement();
  EXPECT_EQ(static_cast<int>(free_again.cores.size()),
            std::min(Topology::instance().core_count(), CPU_COUNT(&saved)));
}

TEST(Topology, GpusHaveWellFormedBusIds) {
  for (const auto &gpu : Topology::instance().gpus()) {
    EXPECT_EQ(gpu.pci_bus_id.size(), 12u) << gpu.pci_bus_id;
    EXPECT_EQ(gpu.pci_bus_id, [&] {
      std::string lower = gpu.pci_bus_id;
      for (auto &c : lower) c = static_cast<char>(std::tolower(c));
      return lower;
    }());
  }
}

TEST(Topology, GpuForLocalRankWrapsAndHandlesNoGpu) {
  EXPECT_EQ(mpcomm::device::gpu_for_local_rank(0, 4), 0);
  EXPECT_EQ(mpcomm::device::gpu_for_local_rank(5, 4), 1);
  EXPECT_EQ(mpcomm::device::gpu_for_local_rank(3, 0), -1);
  EXPECT_EQ(mpcomm::device::gpu_for_local_rank(-1, 2), -1);
}

TEST(Nvml, LinksWithoutNvmlAreUnknownButSelfIsKnown) {
  const auto &nvml = mpcomm::device::Nvml::instance();
  EXPECT_EQ(nvml.link("0000:3b:00.0", "0000:3b:00.0"), mpcomm::device::GpuLink::Self);
  if (nvml.available()) GTEST_SKIP() << "NVML is present here";
  EXPECT_FALSE(nvml.unavailable_reason().empty());
  EXPECT_EQ(nvml.link("0000:3b:00.0", "0000:5e:00.0"), mpcomm::device::GpuLink::Unknown);
  EXPECT_STREQ(mpcomm::device::gpu_link_label(mpcomm::device::GpuLink::Unknown), "?");
  EXPECT_STREQ(mpcomm::device::gpu_link_label(mpcomm::device::GpuLink::NvLink), "NV");
}
