// A deadline and the polling loop every blocking control-plane call waits in: test first, yield
// to the other processes on the core only when not done, read the clock rarely.
#pragma once

#include <sched.h>

#include <chrono>

namespace mpcomm {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // The clock starts at the first expired() check, not here: a call whose message is already
  // there never reads the clock, and the wait loops check within microseconds of starting.
  explicit Deadline(double seconds) : seconds_(seconds) {}

  bool expired() const {
    const Clock::time_point now = Clock::now();
    if (!started_) {
      end_ = now +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_));
      started_ = true;
    }
    return now >= end_;
  }
  // The length it was made with, for messages.
  double seconds() const { return seconds_; }

 private:
  double seconds_;
  mutable bool started_ = false;
  mutable Clock::time_point end_{};
};

// How many polls spin before each miss yields the core: many when every process of the node has
// a core of its own (a yield costs more than the wait), few when processes outnumber cores
// (spinning would take the core from the peer being waited for).
unsigned spin_polls();

// Whether this node runs more processes than it has cores, as the launcher's environment tells
// (false when it does not say; a guess for the polls only, before any communicator exists: the
// host allreduce decides from its group, see locality/node_cpus.hpp).
bool node_oversubscribed();

// Object sends left to complete in the background (group/outbox.hpp). While any is pending,
// every wait also drives MPI's progress: a receiver waiting for their data must not be left
// waiting for a sender that spins on shared memory (a host allreduce, the message queue).
void add_background_sends(long delta) noexcept;
bool background_sends_pending() noexcept;
// One call into MPI's progress engine (nothing before MPI_Init or after MPI_Finalize).
void drive_mpi_progress() noexcept;

// Calls done() until it returns true (then true) or the deadline passes (then false). The first
// polls spin, so a message already on its way costs no system call; after that every miss
// yields the core, and the clock is read once every kClockEvery polls.
template <class Done>
bool poll_until(const Deadline &deadline, Done &&done) {
  const unsigned spin = spin_polls();
  constexpr unsigned kClockEvery = 32;
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    if (i % kClockEvery == 0) {
      if (background_sends_pending()) drive_mpi_progress();
      if (deadline.expired()) return done();
    }
    if (i > spin) sched_yield();
  }
}

}  // namespace mpcomm
