// Facts about the CUDA devices this process sees, and a probe that proves a device runs our
// code: a kernel writes a pattern into device memory and the host reads it back. The same
// write-and-read check later serves the peer-access test. Pure CUDA runtime: no MPI here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mpcomm::kernels {

struct DeviceFacts {
  int index = -1;
  std::string name;
  std::string pci_bus_id;  // "0000:3b:00.0"
  int compute_major = 0, compute_minor = 0;
  std::size_t total_memory = 0;
  int multiprocessors = 0;
};

// The devices the CUDA runtime reports; empty when there is no driver or no device.
// On failure *error gets the runtime's message (and the result is empty).
std::vector<DeviceFacts> list_devices(std::string *error);

// Runs a kernel on `device` that fills `count` words with a pattern derived from `seed`, copies
// them back and checks every word. Returns true when all match; else false with *error set.
bool probe_device(int device, unsigned seed, std::size_t count, std::string *error);

// The peer-access check of the custom allreduce (vLLM's write-and-verify P2P test, in one
// process): enables access from `device` to `peer_device`, runs a kernel on `device` that fills
// `count` words of an allocation on `peer_device` with the pattern of `seed`, copies them back
// and checks every word. True when all match; else false with *error set (a driver that reports
// P2P but drops peer writes fails here). Restores the current device.
bool probe_peer_write(int device, int peer_device, unsigned seed, std::size_t count,
                      std::string *error);

}  // namespace mpcomm::kernels
