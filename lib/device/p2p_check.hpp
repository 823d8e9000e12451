// Whether the GPUs of a group can really use each other's memory, as the custom allreduce needs:
// vLLM's gpu_p2p_access_check. The check writes from each GPU into each other one and reads
// back (kernels/device_probe.h), for drivers that report P2P but drop peer writes. It runs in a
// child process, mpcomm-p2p-check, because it makes a CUDA context on every GPU it touches and
// a context lives as long as its process (hundreds of MiB per GPU); its answer is cached per
// node (p2p_cache.hpp). MPCOMM_SKIP_P2P_CHECK=1 trusts cudaDeviceCanAccessPeer instead.
#pragma once

#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "device/p2p_report.hpp"

namespace mpcomm::device {

// The verdict on every ordered pair of the distinct GPUs among bus_ids (every member's GPU by
// PCI bus id, the same list on every member). Collective over the group: its rank 0 checks (or
// reads the node's cache) and broadcasts the verdict, so every member gets the same one; the
// check is bounded by the group's timeout. A check that cannot run gives "not verified".
P2pVerdict check_group_p2p(Comm &g, const std::vector<std::string> &bus_ids);

}  // namespace mpcomm::device
