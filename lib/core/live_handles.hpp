// The handles the library has handed out and not yet freed, by kind. A C entry point checks a
// caller's handle here before it touches the object behind it, so a freed or foreign handle is
// an error naming the argument, never a read of freed memory. Thread-safe.
#pragma once

namespace mpcomm::live_handles {

enum class Kind { kGroup, kState, kTensorDict };

// Called by the object's constructor and destructor.
void add(Kind kind, const void *handle);
void remove(Kind kind, const void *handle) noexcept;

// Whether handle is a live object of kind.
bool contains(Kind kind, const void *handle);

}  // namespace mpcomm::live_handles
