#include "host/mem_pool.hpp"

#include <limits>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::host {

void *MemPool::allocate(MPI_Comm node, size_t bytes, double timeout_s) {
  MPCOMM_MPI_CHECK(MPI_Comm_rank(node, &rank_));
  // The number is taken before the buffer is made: a failure that every process sees alike
  // keeps the numbers in step.
  allocations_.emplace_back();
  auto segments = std::make_unique<SharedSegments>(node, bytes, timeout_s, "mpcomm_mem_alloc");
  char *mine = segments->base(rank_);
  const uint64_t sequence = allocations_.size() - 1;
  if (mine != nullptr) by_base_.emplace(reinterpret_cast<uintptr_t>(mine), sequence);
  allocations_.back() = std::move(segments);
  return mine;
}

void MemPool::free(void *ptr) {
  const auto it = by_base_.find(reinterpret_cast<uintptr_t>(ptr));
  require_arg(it != by_base_.end(), "ptr (", ptr,
              ") is not a buffer mpcomm_mem_alloc returned for this group (or it was freed)");
  allocations_[it->second].reset();
  by_base_.erase(it);
}

void MemPool::clear() {
  allocations_.clear();
  by_base_.clear();
}

bool MemPool::find(const void *p, size_t bytes, Place &place) const {
  if (by_base_.empty() || p == nullptr) return false;
  const auto at = reinterpret_cast<uintptr_t>(p);
  auto it = by_base_.upper_bound(at);
  if (it == by_base_.begin()) return false;
  --it;
  const size_t size = allocations_[it->second]->bytes(rank_);
  const size_t offset = at - it->first;
  if (offset >= size || bytes > size - offset) return false;
  place = {it->second, offset};
  return true;
}

const char *MemPool::peer(uint64_t sequence, int r, size_t offset, size_t bytes) const {
  if (sequence >= allocations_.size() || !allocations_[sequence]) return nullptr;
  const SharedSegments &segments = *allocations_[sequence];
  const size_t size = segments.bytes(r);
  if (offset > size || bytes > size - offset) return nullptr;
  return segments.base(r) + offset;
}

}  // namespace mpcomm::host
