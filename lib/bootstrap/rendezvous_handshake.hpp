// The TCP half of the rendezvous: rank 0 listens on host:port and admits each rank exactly
// once; every other rank connects and introduces itself. It ends when rank 0 has told every
// rank "accepted" (or has refused, or given up), before any MPI call that could block.
#pragma once

#include <string>
#include <vector>

#include "bootstrap/rendezvous_protocol.hpp"
#include "bootstrap/socket.hpp"

namespace mpcomm::rendezvous {

struct Request {
  std::string host;
  int port = 0;
  int rank = 0;
  int world_size = 1;
  double timeout_s = 0;
  // The join token (MPCOMM_JOIN_TOKEN): when rank 0 has one, every hello must prove it; empty:
  // no proof asked for.
  std::string token;
};

// Connections that have not sent a whole hello yet, in all and from one address: when a new
// connection would exceed either, rank 0 closes the oldest such connection to make room.
constexpr size_t kMaxNewcomers = 256;
constexpr size_t kMaxNewcomersPerAddress = 64;

// At most this many seconds rank 0 retries binding a busy port (and never beyond the timeout).
constexpr double kBindRetrySeconds = 5.0;

// The hello this process sends: its rank and world size, and what its launcher tells about
// its job.
Hello local_hello(const Request &request);

// Whether processes that sent these hellos can be connected by MPI: they come from one job,
// or every one of them can reach other jobs (Open MPI: mpirun --ompi-server).
bool launches_can_connect(const std::vector<Hello> &hellos);

// Rank 0: binds the first of endpoints (retrying while the port is busy), then admits
// connections until each rank 1..world_size-1 has arrived once, and answers all of them
// "accepted". Returns the sockets indexed by rank (index 0 stays empty), blocking again and
// ready for the port messages. A stranger, a malformed hello, a hello without the token's proof
// or one from a launch MPI cannot connect costs only its own connection: it is refused (told
// why when it is a hello) and closed, and rank 0 goes on listening. Throws TIMEOUT naming the
// missing ranks at the deadline (after telling the connected ranks), with the refusals of
// connections that claimed them (NOT_SUPPORTED when every missing rank was refused because
// its launch cannot be connected).
std::vector<net::UniqueFd> gather_ranks(const Request &request,
                                        const std::vector<net::Endpoint> &endpoints,
                                        const net::PollDeadline &deadline);

// Any other rank: connects to rank 0 (retrying while nobody listens), sends its hello and
// waits for the verdict. Returns the socket, blocking again, when accepted; throws with a
// status that explains a refusal, or TIMEOUT.
net::UniqueFd report_to_root(const Request &request, const std::vector<net::Endpoint> &endpoints,
                             const net::PollDeadline &deadline);

}  // namespace mpcomm::rendezvous
