// Whether this process's GPU can really use a peer GPU's memory: cudaDeviceCanAccessPeer, then a
// kernel that writes into the peer's memory and a read-back (kernels/device_probe.h), as vLLM's
// P2P test does for drivers that report P2P but drop peer writes. Cached per device pair.
#pragma once

#include <string>

namespace mpcomm::device {

// True for the same device, and for a pair that passes both checks; else false with *why. The
// devices are this process's CUDA indices. Thread-safe; the first call per pair runs the check.
bool p2p_works(int device, int peer_device, std::string *why);

}  // namespace mpcomm::device
