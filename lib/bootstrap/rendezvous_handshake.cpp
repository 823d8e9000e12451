#include "bootstrap/rendezvous_handshake.hpp"

#include <mpi.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "core/hmac.hpp"
#include "core/log.hpp"
#include "core/status.hpp"

namespace mpcomm::rendezvous {

namespace {

// A connection must send its whole hello within this time, or it is a stranger.
constexpr double kHelloSeconds = 10.0;
// At most this many connections are accepted between two reads of the hellos, so that a flood
// of connections cannot push out a rank whose hello is already on its way.
constexpr int kAcceptBatch = 32;
// A rank waits this long past its own deadline for rank 0's verdict, so that rank 0, which
// started at about the same time, can tell it why the rendezvous failed.
constexpr double kVerdictGraceSeconds = 0.5;
// Writing a verdict (20 bytes) into an idle socket never takes longer.
constexpr double kVerdictWriteSeconds = 1.0;

std::string where(const Request &request) {
  bool ipv6_literal = request.host.find(':') != std::string::npos;
  return ipv6_literal ? concat("[", request.host, "]:", request.port)
                      : concat(request.host, ":", request.port);
}

std::string rank_list(const std::vector<int> &ranks) {
  std::string out;
  for (size_t i = 0; i < ranks.size(); ++i) {
    if (i == 16) return out + ", ...";
    out += (i ? ", " : "") + std::to_string(ranks[i]);
  }
  return out;
}

const char *kNeedsServerAdvice =
    "the ranks were started by different launches, and Open MPI connects separate mpirun "
    "jobs only through an ompi-server: start `ompi-server -r FILE` once and give every "
    "mpirun `--ompi-server file:FILE` (see mpcomm_group_join(3))";

// Binds and listens on endpoint, retrying for a while when the port is in use (a previous
// owner may be closing it).
net::UniqueFd listen_on(const net::Endpoint &endpoint, const Request &request) {
  const double retry_s = std::min(request.timeout_s, kBindRetrySeconds);
  const net::PollDeadline give_up = net::PollDeadline::after(retry_s);
  double backoff_s = 0.01;
  while (true) {
    net::UniqueFd fd(::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    require(fd.valid(), MPCOMM_ERR_SYSTEM, "socket() failed: ", std::strerror(errno));
    // SO_REUSEADDR lets a rendezvous reuse a port whose earlier connections linger in
    // TIME_WAIT. On Linux it never lets two sockets listen on one address and port, so a
    // port in use is still refused below.
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int err = 0;
    if (::bind(fd.get(), reinterpret_cast<const sockaddr *>(&endpoint.address), endpoint.length) !=
            0 ||
        ::listen(fd.get(), SOMAXCONN) != 0)
      err = errno;
    if (err == 0) {
      net::set_nonblocking(fd.get(), true);
      log::info(log::Subsys::Bootstrap, "rendezvous: listening on ", endpoint.text, " for ",
                request.world_size - 1, " rank(s)");
      return fd;
    }
    if (err == EADDRINUSE && !give_up.expired()) {
      log::info(log::Subsys::Bootstrap, "rendezvous: ", endpoint.text, " is in use, retrying");
      net::pause_for(backoff_s, give_up);
      backoff_s = std::min(backoff_s * 2, 0.5);
      continue;
    }
    if (err == EADDRINUSE)
      throw Error(MPCOMM_ERR_SYSTEM, concat(endpoint.text, " is in use (", std::strerror(err),
                                            "); retried for ", retry_s, " s"));
    if (err == EADDRNOTAVAIL)
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  concat("host '", request.host, "' (", endpoint.text,
                         ") is not an address of this machine (", std::strerror(err),
                         "): rank 0 must run where host points"));
    throw Error(MPCOMM_ERR_SYSTEM,
                concat("cannot listen on ", endpoint.text, ": ", std::strerror(err)));
  }
}

net::Io tell(int fd, const VerdictMessage &message) {
  auto bytes = encode_verdict(message);
  return net::send_all(fd, bytes.data(), bytes.size(),
                       net::PollDeadline::after(kVerdictWriteSeconds));
}

// A connection that has not sent its whole hello yet.
struct Newcomer {
  net::UniqueFd fd;
  std::string from;     // address and port
  std::string address;  // address alone: the per-address limit counts these
  net::PollDeadline deadline;
  Challenge challenge;
  std::array<uint8_t, kHelloBytes> bytes{};
  size_t received = 0;
  bool finished = false;  // admitted or refused: to be removed from the list
};

// The address of "host:port" or "[v6]:port" without the port.
std::string address_of(const std::string &from) {
  const size_t colon = from.rfind(':');
  return colon == std::string::npos ? from : from.substr(0, colon);
}

struct Arrival {
  net::UniqueFd fd;
  std::string from;
  Hello hello;
};

// Rank 0's bookkeeping while the ranks arrive.
class Gathering {
 public:
  Gathering(const Request &request, net::UniqueFd listener, const std::string &endpoint)
      : request_(request),
        listener_(std::move(listener)),
        endpoint_(endpoint),
        ranks_(request.world_size),
        refusals_(request.world_size),
        refused_launch_(request.world_size, false) {}

  // Runs until every rank arrived; throws at the deadline.
  std::vector<net::UniqueFd> run(const net::PollDeadline &deadline);

 private:
  void accept_all(const net::PollDeadline &deadline);
  void read_hello(Newcomer &newcomer);
  void admit(Newcomer &newcomer, const Hello &hello);
  void refuse(Newcomer &newcomer, VerdictMessage message, const std::string &why, bool loud,
              uint32_t claimed);
  void drop(Newcomer &newcomer, const std::string &why);
  void make_room(const std::string &address);
  void tell_everyone(const VerdictMessage &message);
  std::vector<int> missing() const;
  [[noreturn]] void give_up();

  const Request &request_;
  net::UniqueFd listener_;
  std::string endpoint_;
  std::vector<Newcomer> newcomers_;
  std::vector<std::optional<Arrival>> ranks_;  // index 0 is this process
  int arrived_ = 0;
  bool told_ = false;  // every arrived rank has had its verdict
  // Per rank, why the last connection that claimed it was refused (empty: none was), and
  // whether that was because its launch cannot be connected.
  std::vector<std::string> refusals_;
  std::vector<bool> refused_launch_;
};

std::vector<int> Gathering::missing() const {
  std::vector<int> out;
  for (int r = 1; r < request_.world_size; ++r)
    if (!ranks_[r]) out.push_back(r);
  return out;
}

void Gathering::tell_everyone(const VerdictMessage &message) {
  told_ = true;
  for (auto &arrival : ranks_)
    if (arrival) tell(arrival->fd.get(), message);
}

void Gathering::drop(Newcomer &newcomer, const std::string &why) {
  log::info(log::Subsys::Bootstrap, "rendezvous: closed a connection from ", newcomer.from, ": ",
            why);
  newcomer.fd.reset();
  newcomer.finished = true;
}

void Gathering::refuse(Newcomer &newcomer, VerdictMessage message, const std::string &why,
                       bool loud, uint32_t claimed) {
  if (loud)
    log::warn(log::Subsys::Bootstrap, "rendezvous: refused ", newcomer.from, ": ", why);
  else
    log::info(log::Subsys::Bootstrap, "rendezvous: refused ", newcomer.from, ": ", why);
  // Remembered for the report at the deadline, should the rank never arrive.
  if (claimed > 0 && claimed < refusals_.size()) {
    refusals_[claimed] = concat(newcomer.from, ": ", why);
    refused_launch_[claimed] = message.verdict == Verdict::NeedsServer;
  }
  tell(newcomer.fd.get(), message);
  newcomer.fd.reset();
  newcomer.finished = true;
}

// Closes the oldest connections without a whole hello until a new one from address fits under
// both limits.
void Gathering::make_room(const std::string &address) {
  auto pending = [&](bool same_address) {
    size_t count = 0;
    for (const auto &n : newcomers_)
      if (!n.finished && (!same_address || n.address == address)) ++count;
    return count;
  };
  // Closes the oldest connection without a whole hello (of address, or of all), after reading
  // what it has sent: a hello already on its way is taken, not lost.
  auto evict_oldest = [&](bool same_address, size_t limit) {
    for (auto &n : newcomers_) {
      if (n.finished || (same_address && n.address != address)) continue;
      read_hello(n);
      if (!n.finished)
        drop(n, same_address
                    ? concat("it was the oldest of ", limit, " connections from ", address,
                             " without a hello")
                    : concat("it was the oldest of ", limit, " connections without a hello"));
      return;
    }
  };
  while (pending(true) >= kMaxNewcomersPerAddress) evict_oldest(true, kMaxNewcomersPerAddress);
  while (pending(false) >= kMaxNewcomers) evict_oldest(false, kMaxNewcomers);
}

[[noreturn]] void Gathering::give_up() {
  auto absent = missing();
  tell_everyone({Verdict::TimedOut, static_cast<uint32_t>(absent.size()),
                 static_cast<uint32_t>(absent.front())});
  std::string refused;
  bool all_launch = true;
  for (int r : absent) {
    all_launch = all_launch && refused_launch_[r];
    if (!refusals_[r].empty())
      refused += concat("; rank ", r, " was claimed and refused (", refusals_[r], ")");
  }
  std::string text =
      concat("rank(s) ", rank_list(absent), " of ", request_.world_size, " did not arrive at ",
             endpoint_, " within ", request_.timeout_s, " s", refused);
  if (all_launch) throw Error(MPCOMM_ERR_NOT_SUPPORTED, concat(text, ": ", kNeedsServerAdvice));
  throw Error(MPCOMM_ERR_TIMEOUT, text);
}

void Gathering::admit(Newcomer &newcomer, const Hello &hello) {
  const auto world = static_cast<uint32_t>(request_.world_size);
  // Nothing in a hello is believed before it proves the token.
  if (!request_.token.empty() && !hello_proves_token(newcomer.bytes.data(), newcomer.received,
                                                     request_.token, newcomer.challenge)) {
    const bool none =
        std::all_of(hello.mac.begin(), hello.mac.end(), [](uint8_t b) { return b == 0; });
    return refuse(newcomer, {Verdict::BadToken, none ? 1u : 0u, 0},
                  concat("it came as rank ", hello.rank, " ",
                         none ? "without the join token" : "with a wrong join token"),
                  true, hello.rank);
  }
  if (hello.version != kProtocolVersion)
    return refuse(newcomer, {Verdict::WrongVersion, kProtocolVersion, 0},
                  concat("it speaks protocol version ", hello.version, ", not ", kProtocolVersion),
                  true, 0);
  if (hello.world_size != world)
    return refuse(newcomer, {Verdict::WrongWorldSize, world, 0},
                  concat("it came as rank ", hello.rank, " of world size ", hello.world_size,
                         ", but the world size is ", world),
                  true, hello.rank);
  if (hello.rank == 0 || hello.rank >= world)
    return refuse(newcomer, {Verdict::RankOutOfRange, world, 0},
                  concat("it came as rank ", hello.rank, ", not in 1..", world - 1), true, 0);
  auto &slot = ranks_[hello.rank];
  if (slot)
    return refuse(newcomer, {Verdict::RankTaken, hello.rank, 0},
                  concat("rank ", hello.rank, " already arrived from ", slot->from), true, 0);
  // Every admitted set stays one MPI can connect: a hello from a launch that cannot join the
  // ranks already here is refused alone, and the rank may still come from the right launch.
  std::vector<Hello> hellos = {local_hello(request_), hello};
  for (const auto &arrival : ranks_)
    if (arrival) hellos.push_back(arrival->hello);
  if (!launches_can_connect(hellos))
    return refuse(newcomer, {Verdict::NeedsServer, 0, 0},
                  concat("it came as rank ", hello.rank, " from launch '", hello.launch,
                         "', which MPI cannot connect to launch '", hellos.front().launch,
                         "' without an ompi-server"),
                  true, hello.rank);
  log::info(log::Subsys::Bootstrap, "rendezvous: rank ", hello.rank, " arrived from ",
            newcomer.from);
  slot = Arrival{std::move(newcomer.fd), newcomer.from, hello};
  newcomer.finished = true;
  ++arrived_;
}

void Gathering::read_hello(Newcomer &newcomer) {
  ssize_t n = ::recv(newcomer.fd.get(), newcomer.bytes.data() + newcomer.received,
                     newcomer.bytes.size() - newcomer.received, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) return drop(newcomer, "it closed the connection before introducing itself");
  newcomer.received += static_cast<size_t>(n);
  if (!could_be_hello(newcomer.bytes.data(), newcomer.received))
    return drop(newcomer, "it sent bytes that are not an mpcomm rendezvous hello");
  // Another protocol version may send a hello of another length: answer once its version is in.
  if (newcomer.received >= 12) {
    const uint8_t *v = newcomer.bytes.data() + 8;
    const uint32_t version =
        (uint32_t{v[0]} << 24) | (uint32_t{v[1]} << 16) | (uint32_t{v[2]} << 8) | uint32_t{v[3]};
    if (version != kProtocolVersion)
      return refuse(newcomer, {Verdict::WrongVersion, kProtocolVersion, 0},
                    concat("it speaks protocol version ", version, ", not ", kProtocolVersion),
                    true, 0);
  }
  if (newcomer.received < newcomer.bytes.size()) return;
  auto hello = decode_hello(newcomer.bytes.data(), newcomer.received);
  if (!hello) return drop(newcomer, "its hello is malformed");
  admit(newcomer, *hello);
}

void Gathering::accept_all(const net::PollDeadline &deadline) {
  for (int accepted = 0; accepted < kAcceptBatch; ++accepted) {
    sockaddr_storage from{};
    socklen_t length = sizeof(from);
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr *>(&from), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of descriptors and the like: the rendezvous can still finish with the ranks
      // already connected, so note it and go on.
      log::warn(log::Subsys::Bootstrap, "rendezvous: accept on ", endpoint_,
                " failed: ", std::strerror(errno));
      return;
    }
    net::UniqueFd owned(fd);
    std::string text = net::describe(reinterpret_cast<sockaddr *>(&from), length);
    std::string address = address_of(text);
    make_room(address);
    Newcomer newcomer{std::move(owned), text, address,
                      net::PollDeadline::after(kHelloSeconds).min(deadline), Challenge{}};
    newcomer.challenge.token_required = !request_.token.empty();
    random_bytes(newcomer.challenge.nonce.data(), newcomer.challenge.nonce.size());
    // 44 bytes into a new connection's empty buffer: they go at once or the peer is gone.
    const auto challenge = encode_challenge(newcomer.challenge);
    if (::send(newcomer.fd.get(), challenge.data(), challenge.size(),
               MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(challenge.size())) {
      log::info(log::Subsys::Bootstrap, "rendezvous: closed a connection from ", text,
                ": it took no challenge");
      continue;
    }
    newcomers_.push_back(std::move(newcomer));
  }
}

std::vector<net::UniqueFd> Gathering::run(const net::PollDeadline &deadline) {
  try {
    while (arrived_ < request_.world_size - 1) {
      if (deadline.expired()) give_up();
      std::vector<pollfd> fds;
      fds.push_back({listener_.get(), POLLIN, 0});
      net::PollDeadline wake = deadline;
      for (auto &n : newcomers_) {
        fds.push_back({n.fd.get(), POLLIN, 0});
        wake = wake.min(n.deadline);
      }
      std::vector<int> watched;  // arrived ranks: any event means they left or misbehave
      for (int r = 1; r < request_.world_size; ++r) {
        if (!ranks_[r]) continue;
        fds.push_back({ranks_[r]->fd.get(), POLLIN, 0});
        watched.push_back(r);
      }
      int ready = ::poll(fds.data(), fds.size(), wake.remaining_ms());
      require(ready >= 0 || errno == EINTR, MPCOMM_ERR_SYSTEM,
              "poll() failed: ", std::strerror(errno));
      if (ready <= 0 && !wake.expired()) continue;

      for (size_t i = 0; i < watched.size(); ++i) {
        if (fds[1 + newcomers_.size() + i].revents == 0) continue;
        const int r = watched[i];
        log::warn(log::Subsys::Bootstrap, "rendezvous: rank ", r, " (", ranks_[r]->from,
                  ") left before every rank arrived; waiting for it again");
        ranks_[r].reset();
        --arrived_;
      }
      for (size_t i = 0; i < newcomers_.size(); ++i) {
        auto &n = newcomers_[i];
        if (fds[1 + i].revents != 0)
          read_hello(n);
        else if (n.deadline.expired())
          drop(n, concat("it did not introduce itself within ", kHelloSeconds, " s"));
      }
      newcomers_.erase(std::remove_if(newcomers_.begin(), newcomers_.end(),
                                      [](const Newcomer &n) { return n.finished; }),
                       newcomers_.end());
      if (fds[0].revents != 0) accept_all(deadline);
      newcomers_.erase(std::remove_if(newcomers_.begin(), newcomers_.end(),
                                      [](const Newcomer &n) { return n.finished; }),
                       newcomers_.end());
    }

    // Every rank is here. Later connections find nobody listening.
    listener_.reset();
    newcomers_.clear();
    // admit() kept the set connectable (launches_can_connect), hello by hello.
    told_ = true;
    std::vector<net::UniqueFd> sockets(request_.world_size);
    for (int r = 1; r < request_.world_size; ++r) {
      if (tell(ranks_[r]->fd.get(), {Verdict::Accepted, 0, 0}) != net::Io::Done)
        throw Error(MPCOMM_ERR_SYSTEM, concat("rank ", r, " (", ranks_[r]->from,
                                              ") left while the rendezvous completed"));
      net::set_nonblocking(ranks_[r]->fd.get(), false);
      sockets[r] = std::move(ranks_[r]->fd);
    }
    log::info(log::Subsys::Bootstrap, "rendezvous: all ", request_.world_size, " ranks arrived at ",
              endpoint_);
    return sockets;
  } catch (const Error &e) {
    if (!told_) tell_everyone({Verdict::Failed, static_cast<uint32_t>(e.status()), 0});
    throw;
  }
}

// Connects to the first endpoint that accepts; an invalid fd when none does yet.
net::UniqueFd try_connect(const std::vector<net::Endpoint> &endpoints,
                          const net::PollDeadline &deadline, std::string *problem) {
  for (const auto &e : endpoints) {
    net::UniqueFd fd(::socket(e.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    require(fd.valid(), MPCOMM_ERR_SYSTEM, "socket() failed: ", std::strerror(errno));
    int err = 0;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr *>(&e.address), e.length) != 0)
      err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      int n = ::poll(&p, 1, net::PollDeadline::after(2.0).min(deadline).remaining_ms());
      socklen_t length = sizeof(err);
      if (n <= 0)
        err = ETIMEDOUT;
      else if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &length) != 0)
        err = errno;
    }
    if (err == 0) return fd;
    *problem = concat("connecting to ", e.text, ": ", std::strerror(err));
  }
  return net::UniqueFd();
}

}  // namespace

Hello local_hello(const Request &request) {
  Hello hello;
  hello.world_size = static_cast<uint32_t>(request.world_size);
  hello.rank = static_cast<uint32_t>(request.rank);
#ifdef OPEN_MPI
  // PMIx names each launch (mpirun job, srun step, singleton) by its namespace. Open MPI
  // connects different launches only through an ompi-server, which mpirun --ompi-server
  // hands to its processes as this MCA variable. A connect/accept across launches without
  // one fails on one side and hangs on the other, so the rendezvous refuses it up front.
  // These are the launcher's variables, not mpcomm's (core/env.hpp reads MPCOMM_* only).
  const char *name = std::getenv("PMIX_NAMESPACE");
  const char *server = std::getenv("OMPI_MCA_pmix_server_uri");
  if (name != nullptr) {
    for (const char *c = name; *c && hello.launch.size() < kLaunchBytes; ++c)
      if (static_cast<unsigned char>(*c) >= 0x20 && *c != 0x7f) hello.launch += *c;
  }
  hello.cross_job_capable = server != nullptr && *server != '\0';
#else
  // Other MPI libraries connect separate launches by port name alone.
  hello.cross_job_capable = true;
#endif
  return hello;
}

bool launches_can_connect(const std::vector<Hello> &hellos) {
  bool one_launch = std::all_of(hellos.begin(), hellos.end(), [&](const Hello &h) {
    return !h.launch.empty() && h.launch == hellos.front().launch;
  });
  bool all_capable =
      std::all_of(hellos.begin(), hellos.end(), [](const Hello &h) { return h.cross_job_capable; });
  return one_launch || all_capable;
}

std::vector<net::UniqueFd> gather_ranks(const Request &request,
                                        const std::vector<net::Endpoint> &endpoints,
                                        const net::PollDeadline &deadline) {
  const net::Endpoint &endpoint = endpoints.front();
  Gathering gathering(request, listen_on(endpoint, request), endpoint.text);
  return gathering.run(deadline);
}

net::UniqueFd report_to_root(const Request &request, const std::vector<net::Endpoint> &endpoints,
                             const net::PollDeadline &deadline) {
  const Hello mine = local_hello(request);
  const std::string at = where(request);
  std::string problem = "nobody listened";
  double backoff_s = 0.01;
  auto retry = [&] {
    net::pause_for(backoff_s, deadline);
    backoff_s = std::min(backoff_s * 2, 0.25);
  };
  while (true) {
    require(!deadline.expired(), MPCOMM_ERR_TIMEOUT, "rank 0 did not admit rank ", request.rank,
            " at ", at, " within ", request.timeout_s, " s (last: ", problem, ")");
    net::UniqueFd fd = try_connect(endpoints, deadline, &problem);
    if (!fd.valid()) {
      retry();
      continue;
    }
    // Rank 0 speaks first: its challenge (a nonce, and whether it wants the token's proof).
    std::array<uint8_t, kChallengeBytes> challenge_bytes{};
    net::Io got = net::recv_all(fd.get(), challenge_bytes.data(), challenge_bytes.size(), deadline);
    require(got != net::Io::TimedOut, MPCOMM_ERR_TIMEOUT, "rank ", request.rank, " reached ", at,
            " but nothing spoke there within ", request.timeout_s,
            " s (is another program listening there?)");
    if (got == net::Io::Closed) {
      problem = "the listener closed the connection before its challenge";
      retry();
      continue;
    }
    auto challenge = decode_challenge(challenge_bytes.data(), challenge_bytes.size());
    require(challenge.has_value(), MPCOMM_ERR_MALFORMED, at,
            " sent bytes that are not an mpcomm rendezvous challenge (does another program "
            "listen there, or an mpcomm of another version?)");
    require(challenge->token_required || request.token.empty(), MPCOMM_ERR_INVALID_USAGE,
            "this process has a join token (MPCOMM_JOIN_TOKEN) but rank 0 at ", at,
            " does not ask for one: give every rank the same token");
    const auto hello = encode_signed_hello(mine, request.token, *challenge);
    if (net::send_all(fd.get(), hello.data(), hello.size(), deadline) != net::Io::Done) {
      problem = "the connection closed before the hello was sent";
      retry();
      continue;
    }
    std::array<uint8_t, kVerdictBytes> bytes{};
    const net::PollDeadline verdict_deadline =
        net::PollDeadline::after(deadline.remaining_s() + kVerdictGraceSeconds);
    net::Io io = net::recv_all(fd.get(), bytes.data(), bytes.size(), verdict_deadline);
    require(io != net::Io::TimedOut, MPCOMM_ERR_TIMEOUT, "rank ", request.rank, " reached ", at,
            " but rank 0 gave no verdict within ", request.timeout_s,
            " s (other ranks are missing, or another program listens there)");
    if (io == net::Io::Closed) {
      // A listener that was closing (an earlier rendezvous on this port): try again.
      problem = "the listener closed the connection without a verdict";
      log::info(log::Subsys::Bootstrap, "rendezvous: ", at,
                " closed the connection without a verdict; retrying");
      retry();
      continue;
    }
    auto verdict = decode_verdict(bytes.data(), bytes.size());
    require(verdict.has_value(), MPCOMM_ERR_MALFORMED, at,
            " answered with bytes that are not an mpcomm rendezvous verdict (does another ",
            "program listen there?)");
    switch (verdict->verdict) {
      case Verdict::Accepted: net::set_nonblocking(fd.get(), false); return fd;
      case Verdict::WrongWorldSize:
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("world_size ", request.world_size, " differs from rank 0's (",
                           verdict->detail, ") at ", at));
      case Verdict::RankOutOfRange:
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("rank ", request.rank, " is out of range for rank 0's world size ",
                           verdict->detail, " at ", at));
      case Verdict::RankTaken:
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("rank ", request.rank, " already arrived at ", at,
                           " from another process; every rank must come exactly once"));
      case Verdict::WrongVersion:
        throw Error(MPCOMM_ERR_INVALID_USAGE,
                    concat("rank 0 at ", at, " speaks rendezvous protocol version ",
                           verdict->detail, ", this process version ", kProtocolVersion));
      case Verdict::TimedOut:
        throw Error(MPCOMM_ERR_TIMEOUT, concat("rank 0 at ", at, " gave up: ", verdict->detail,
                                               " rank(s) did not arrive in time (the lowest: rank ",
                                               verdict->detail2, ")"));
      case Verdict::NeedsServer: throw Error(MPCOMM_ERR_NOT_SUPPORTED, kNeedsServerAdvice);
      case Verdict::BadToken:
        throw Error(MPCOMM_ERR_INVALID_USAGE,
                    concat("rank 0 at ", at, " refused rank ", request.rank, ": ",
                           verdict->detail == 1 ? "it requires a join token (MPCOMM_JOIN_TOKEN)"
                                                : "the join token (MPCOMM_JOIN_TOKEN) differs",
                           "; give every rank the same token"));
      case Verdict::Failed: {
        auto status = verdict->detail > 0 && verdict->detail < MPCOMM_NUM_STATUSES
                          ? static_cast<mpcomm_status_t>(verdict->detail)
                          : MPCOMM_ERR_INTERNAL;
        throw Error(status, concat("rank 0 at ", at, " failed (", status_string(status),
                                   "); its mpcomm_last_error() has the cause"));
      }
    }
    throw Error(MPCOMM_ERR_INTERNAL, "unhandled rendezvous verdict");
  }
}

}  // namespace mpcomm::rendezvous
