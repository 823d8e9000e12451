// TCP sockets for the rendezvous: an owning file descriptor, name resolution that never
// yields a wildcard address, and reads and writes bounded by a deadline.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <string>
#include <vector>

namespace mpcomm::net {

// A deadline that says how much time is left, as poll() wants it. (core/deadline.hpp's
// PollDeadline serves the MPI polling loops and does not expose the time left.)
class PollDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  static PollDeadline after(double seconds) {
    return PollDeadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds)));
  }
  bool expired() const { return Clock::now() >= at_; }
  // Seconds left, 0 once expired.
  double remaining_s() const {
    return std::max(0.0, std::chrono::duration<double>(at_ - Clock::now()).count());
  }
  // Milliseconds left, rounded up so that a poll() does not wake just before the deadline.
  int remaining_ms() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
  }
  PollDeadline min(const PollDeadline &other) const { return other.at_ < at_ ? other : *this; }

 private:
  explicit PollDeadline(Clock::time_point at) : at_(at) {}
  Clock::time_point at_;
};

// Owns a file descriptor and closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept;
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// One address of host:port, with its printable form ("127.0.0.1:5000", "[::1]:5000").
struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;
};

// The printable form of a socket address.
std::string describe(const sockaddr *address, socklen_t length);

// True for 0.0.0.0 and :: (any spelling): addresses that listen on every interface.
bool is_wildcard(const sockaddr *address);

// The TCP addresses of host:port, in getaddrinfo's order. Throws INVALID_ARGUMENT naming the
// host when it does not resolve or resolves to a wildcard address.
std::vector<Endpoint> resolve(const std::string &host, int port);

// Switches O_NONBLOCK on or off; throws SYSTEM on failure.
void set_nonblocking(int fd, bool on);

enum class Io { Done, Closed, TimedOut };

// Writes all len bytes before the deadline (never raises SIGPIPE). Closed: the peer closed
// the connection or it failed.
Io send_all(int fd, const void *buf, size_t len, const PollDeadline &deadline);

// Reads exactly len bytes before the deadline. Closed: end of stream or a failed connection.
Io recv_all(int fd, void *buf, size_t len, const PollDeadline &deadline);

// Waits seconds (at most until the deadline) without spinning.
void pause_for(double seconds, const PollDeadline &deadline);

}  // namespace mpcomm::net
