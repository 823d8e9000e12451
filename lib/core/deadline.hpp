// A deadline and the polling loop every blocking control-plane call waits in: test first, yield
// to the other processes on the core only when not done, read the clock rarely.
#pragma once

#include <sched.h>

#include <chrono>

namespace mpcomm {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(double seconds)
      : seconds_(seconds),
        end_(Clock::now() +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}

  bool expired() const { return Clock::now() >= end_; }
  // The length it was made with, for messages.
  double seconds() const { return seconds_; }

 private:
  double seconds_;
  Clock::time_point end_;
};

// Calls done() until it returns true (then true) or the deadline passes (then false). The first
// polls spin, so a message already on its way costs no system call; after that every miss
// yields the core, and the clock is read once every kClockEvery polls.
template <class Done>
bool poll_until(const Deadline &deadline, Done &&done) {
  constexpr unsigned kSpin = 32;
  constexpr unsigned kClockEvery = 32;
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    if (i % kClockEvery == 0 && deadline.expired()) return done();
    if (i > kSpin) sched_yield();
  }
}

}  // namespace mpcomm
