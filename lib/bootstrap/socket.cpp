#include "bootstrap/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace mpcomm::net {

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string describe(const sockaddr *address, socklen_t length) {
  char host[NI_MAXHOST] = {0};
  char port[NI_MAXSERV] = {0};
  if (getnameinfo(address, length, host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "an unprintable address";
  if (address->sa_family == AF_INET6) return concat("[", host, "]:", port);
  return concat(host, ":", port);
}

bool is_wildcard(const sockaddr *address) {
  if (address->sa_family == AF_INET)
    return reinterpret_cast<const sockaddr_in *>(address)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (address->sa_family == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6 *>(address)->sin6_addr);
  return false;
}

std::vector<Endpoint> resolve(const std::string &host, int port) {
  require_arg(!host.empty(), "host must name an address, got an empty string (a rendezvous ",
              "never listens on every interface)");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;  // no AI_PASSIVE: a name never becomes a wildcard
  addrinfo *list = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  require(rc != EAI_AGAIN && rc != EAI_SYSTEM && rc != EAI_MEMORY, MPCOMM_ERR_SYSTEM,
          "cannot resolve host '", host, "': ", gai_strerror(rc));
  require_arg(rc == 0, "host '", host, "' does not resolve: ", gai_strerror(rc));
  std::vector<Endpoint> out;
  for (addrinfo *a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    if (is_wildcard(a->ai_addr)) {
      freeaddrinfo(list);
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  concat("host '", host, "' is a wildcard address; a rendezvous listens only ",
                         "on the address it is given: name one interface's address"));
    }
    Endpoint e;
    std::memcpy(&e.address, a->ai_addr, a->ai_addrlen);
    e.length = a->ai_addrlen;
    e.text = describe(a->ai_addr, a->ai_addrlen);
    out.push_back(std::move(e));
  }
  freeaddrinfo(list);
  require_arg(!out.empty(), "host '", host, "' has no IPv4 or IPv6 address");
  return out;
}

void set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL, 0);
  require(flags >= 0, MPCOMM_ERR_SYSTEM, "fcntl(F_GETFL) failed: ", std::strerror(errno));
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  require(fcntl(fd, F_SETFL, flags) == 0, MPCOMM_ERR_SYSTEM,
          "fcntl(F_SETFL) failed: ", std::strerror(errno));
}

namespace {

// Waits until fd is ready for events or the deadline passes; false on timeout.
bool wait_ready(int fd, short events, const PollDeadline &deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, deadline.remaining_ms());
    if (n > 0) return true;
    if (n == 0) {
      if (deadline.expired()) return false;
      continue;
    }
    if (errno != EINTR) return true;  // let the read or write report the error
  }
}

}  // namespace

Io send_all(int fd, const void *buf, size_t len, const PollDeadline &deadline) {
  const char *p = static_cast<const char *>(buf);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLOUT, deadline)) return Io::TimedOut;
      continue;
    }
    return Io::Closed;
  }
  return Io::Done;
}

Io recv_all(int fd, void *buf, size_t len, const PollDeadline &deadline) {
  char *p = static_cast<char *>(buf);
  while (len > 0) {
    ssize_t n = ::recv(fd, p, len, MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return Io::Closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_ready(fd, POLLIN, deadline)) return Io::TimedOut;
      continue;
    }
    return Io::Closed;
  }
  return Io::Done;
}

void pause_for(double seconds, const PollDeadline &deadline) {
  PollDeadline until = PollDeadline::after(seconds).min(deadline);
  while (!until.expired()) ::poll(nullptr, 0, until.remaining_ms());
}

}  // namespace mpcomm::net
