#include "core/live_handles.hpp"

#include <mutex>
#include <unordered_set>

namespace mpcomm::live_handles {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_set<const void *> live[3];
};

// Never destroyed: handles may be freed from destructors that run at exit.
Registry &registry() {
  static Registry *r = new Registry();
  return *r;
}

}  // namespace

void add(Kind kind, const void *handle) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live[static_cast<int>(kind)].insert(handle);
}

void remove(Kind kind, const void *handle) noexcept {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live[static_cast<int>(kind)].erase(handle);
}

bool contains(Kind kind, const void *handle) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.live[static_cast<int>(kind)].count(handle) != 0;
}

}  // namespace mpcomm::live_handles
