#include "comm/shm_xor.hpp"

#include "comm/node_wait.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

// One call's slot, alone on a cache line so that spinning readers do not slow the writer.
struct alignas(64) ShmXor::Slot {
  uint64_t sequence;  // the last call published here (0: none)
  uint64_t value;
  char pad[48];
};

ShmXor::ShmXor(MPI_Comm comm, double timeout_s) {
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank_));
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size_));
  segments_ = std::make_unique<SharedSegments>(comm, 2 * sizeof(Slot), timeout_s,
                                               "the v-collectives' shared-memory agreement");
  for (int r = 0; r < size_; ++r) slots_.push_back(reinterpret_cast<Slot *>(segments_->base(r)));
}

void ShmXor::publish(uint64_t mine) {
  require(late_.empty(), MPCOMM_ERR_BROKEN,
          "the shared-memory agreement timed out before: its members are out of step");
  const uint64_t k = ++calls_;
  Slot &own = slots_[static_cast<size_t>(rank_)][k & 1];
  __atomic_store_n(&own.value, mine, __ATOMIC_RELAXED);
  __atomic_store_n(&own.sequence, k, __ATOMIC_RELEASE);
}

uint64_t ShmXor::collect(const Deadline &deadline) {
  const uint64_t k = calls_;
  const auto slot = [&](int r) -> Slot & { return slots_[static_cast<size_t>(r)][k & 1]; };
  late_ = wait_for_node(size_, deadline, [&](int r) {
    return __atomic_load_n(&slot(r).sequence, __ATOMIC_ACQUIRE) >= k;
  });
  if (!late_.empty()) {
    std::string missing;
    for (int q : late_) missing += concat(missing.empty() ? "" : ", ", q);
    throw Error(MPCOMM_ERR_TIMEOUT,
                concat("shared-memory agreement: rank(s) ", missing, " did not arrive"));
  }
  uint64_t all = 0;
  for (int r = 0; r < size_; ++r) all ^= __atomic_load_n(&slot(r).value, __ATOMIC_RELAXED);
  return all;
}

}  // namespace mpcomm
