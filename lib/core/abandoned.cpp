#include "core/abandoned.hpp"

#include <mutex>
#include <new>
#include <vector>

namespace mpcomm {

void keep_until_exit(void *memory) noexcept {
  if (memory == nullptr) return;
  static std::mutex mutex;
  // Never destroyed: the memory must stay referenced through static destruction too.
  static auto *parked = new std::vector<void *>;
  std::lock_guard<std::mutex> lock(mutex);
  try {
    parked->push_back(memory);
  } catch (const std::bad_alloc &) {
    // Out of memory: the block stays allocated anyway, only unreferenced.
  }
}

}  // namespace mpcomm
