#include "device/ipc_buffer.hpp"

#include <cuda_runtime.h>

#include <cstring>
#include <string>

#include "device/bounded_mpi.hpp"
#include "device/cuda_util.hpp"

namespace mpcomm::device {

namespace {

// What each member tells the others: whether its step worked, and its handle.
struct Offer {
  int ok = 0;
  cudaIpcMemHandle_t handle{};
};

// Every member learns whether all succeeded; throws naming the first that did not.
void agree(Comm &g, bool ok, const std::string &my_error, const char *what) {
  const int64_t all_ok = bounded_min(g, ok ? 1 : 0, what);
  if (all_ok) return;
  if (!ok) throw Error(MPCOMM_ERR_CUDA, concat(what, ": ", my_error));
  throw Error(MPCOMM_ERR_CUDA, concat(what,
                                      ": another member of the group failed (its own "
                                      "error says why)"));
}

}  // namespace

IpcSharedBuffer::IpcSharedBuffer(Comm &g, size_t bytes, size_t zeroed, const char *what)
    : pointers_(static_cast<size_t>(g.size()), nullptr), rank_(g.rank()), bytes_(bytes) {
  const size_t n = static_cast<size_t>(g.size());
  Offer mine;
  std::string error;
  try {
    MPCOMM_CUDA_CHECK(cudaMalloc(&pointers_[static_cast<size_t>(rank_)], bytes));
    if (zeroed > 0) {
      MPCOMM_CUDA_CHECK(cudaMemset(at(rank_), 0, zeroed));
      MPCOMM_CUDA_CHECK(cudaDeviceSynchronize());
    }
    MPCOMM_CUDA_CHECK(cudaIpcGetMemHandle(&mine.handle, at(rank_)));
    mine.ok = 1;
  } catch (const Error &e) {
    error = e.what();
  }
  std::vector<Offer> offers(n);
  try {
    bounded_all_gather(g, &mine, offers.data(), sizeof(Offer), what);
    for (size_t r = 0; r < n; ++r) {
      if (offers[r].ok) continue;
      if (static_cast<int>(r) == rank_) throw Error(MPCOMM_ERR_CUDA, concat(what, ": ", error));
      throw Error(MPCOMM_ERR_CUDA, concat(what, ": ", g.describe_rank(static_cast<int>(r)),
                                          " could not share its buffer (its own error says why)"));
    }
    bool opened = true;
    for (size_t r = 0; r < n && opened; ++r) {
      if (static_cast<int>(r) == rank_) continue;
      cudaError_t err =
          cudaIpcOpenMemHandle(&pointers_[r], offers[r].handle, cudaIpcMemLazyEnablePeerAccess);
      if (err != cudaSuccess) {
        cudaGetLastError();
        pointers_[r] = nullptr;
        error = concat("cudaIpcOpenMemHandle of ", g.describe_rank(static_cast<int>(r)),
                       "'s buffer failed: ", cudaGetErrorString(err));
        opened = false;
      }
    }
    agree(g, opened, error, what);
  } catch (...) {
    release();
    throw;
  }
}

IpcSharedBuffer::~IpcSharedBuffer() { release(); }

void IpcSharedBuffer::release() noexcept {
  close_peers();
  free_own();
}

void IpcSharedBuffer::close_peers() noexcept {
  for (size_t r = 0; r < pointers_.size(); ++r) {
    if (pointers_[r] == nullptr || static_cast<int>(r) == rank_) continue;
    cudaIpcCloseMemHandle(pointers_[r]);
    pointers_[r] = nullptr;
  }
}

void IpcSharedBuffer::free_own() noexcept {
  void *&own = pointers_[static_cast<size_t>(rank_)];
  if (own) cudaFree(own);
  own = nullptr;
}

void IpcSharedBuffer::abandon() noexcept {
  for (void *&p : pointers_) p = nullptr;
}

}  // namespace mpcomm::device
