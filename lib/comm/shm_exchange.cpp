#include "comm/shm_exchange.hpp"

#include "comm/node_wait.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

// One call's slot, alone on a cache line so that spinning readers do not slow the writer.
struct alignas(64) ShmExchange::Slot {
  uint64_t sequence;  // the last call published here (0: none)
  uint64_t value;
  uint64_t with_data;  // the call's data lies in the same half
  char pad[40];
};

namespace {
// The data halves start on a page of their own, so that the slots' line is not shared with them.
constexpr size_t kHeaderBytes = 4096;
}  // namespace

ShmExchange::ShmExchange(MPI_Comm comm, double timeout_s, size_t capacity)
    : capacity_((capacity + 63) / 64 * 64) {
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank_));
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size_));
  const size_t bytes = capacity_ == 0 ? 2 * sizeof(Slot) : kHeaderBytes + 2 * capacity_;
  segments_ = std::make_unique<SharedSegments>(comm, bytes, timeout_s,
                                               "the v-collectives' shared-memory exchange");
  for (int r = 0; r < size_; ++r) {
    char *base = segments_->base(r);
    slots_.push_back(reinterpret_cast<Slot *>(base));
    halves_.push_back(capacity_ == 0 ? nullptr : base + kHeaderBytes);
  }
}

char *ShmExchange::next_half() const {
  if (capacity_ == 0) return nullptr;
  return halves_[static_cast<size_t>(rank_)] + half_offset(calls_ + 1);
}

void ShmExchange::publish(uint64_t mine, bool with_data) {
  require(late_.empty(), MPCOMM_ERR_BROKEN,
          "the shared-memory exchange timed out before: its members are out of step");
  const uint64_t k = ++calls_;
  Slot &own = slots_[static_cast<size_t>(rank_)][k & 1];
  __atomic_store_n(&own.value, mine, __ATOMIC_RELAXED);
  __atomic_store_n(&own.with_data, uint64_t{with_data && capacity_ > 0}, __ATOMIC_RELAXED);
  __atomic_store_n(&own.sequence, k, __ATOMIC_RELEASE);
}

uint64_t ShmExchange::collect(const Deadline &deadline) {
  const uint64_t k = calls_;
  const auto slot = [&](int r) -> Slot & { return slots_[static_cast<size_t>(r)][k & 1]; };
  all_data_ = false;
  late_ = wait_for_node(size_, deadline, [&](int r) {
    return __atomic_load_n(&slot(r).sequence, __ATOMIC_ACQUIRE) >= k;
  });
  if (!late_.empty()) {
    std::string missing;
    for (int q : late_) missing += concat(missing.empty() ? "" : ", ", q);
    throw Error(MPCOMM_ERR_TIMEOUT,
                concat("shared-memory exchange: rank(s) ", missing, " did not arrive"));
  }
  uint64_t all = 0;
  bool data = true;
  for (int r = 0; r < size_; ++r) {
    all ^= __atomic_load_n(&slot(r).value, __ATOMIC_RELAXED);
    data = data && __atomic_load_n(&slot(r).with_data, __ATOMIC_RELAXED) != 0;
  }
  all_data_ = data;
  return all;
}

}  // namespace mpcomm
