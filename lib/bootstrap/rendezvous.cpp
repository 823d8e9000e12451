#include "bootstrap/rendezvous.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::rendezvous {

namespace {

// Owns a communicator created here and frees it unless released.
class OwnedComm {
 public:
  OwnedComm() = default;
  OwnedComm(const OwnedComm &) = delete;
  OwnedComm &operator=(const OwnedComm &) = delete;
  ~OwnedComm() { reset(); }
  MPI_Comm get() const { return comm_; }
  MPI_Comm *out() {
    reset();
    return &comm_;
  }
  MPI_Comm release() {
    MPI_Comm c = comm_;
    comm_ = MPI_COMM_NULL;
    return c;
  }
  void reset() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    comm_ = MPI_COMM_NULL;
  }
  void swap(OwnedComm &other) { std::swap(comm_, other.comm_); }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

// An MPI port opened by rank 0 for the duration of the build.
class OwnedPort {
 public:
  OwnedPort() { MPCOMM_MPI_CHECK(MPI_Open_port(MPI_INFO_NULL, name_)); }
  OwnedPort(const OwnedPort &) = delete;
  OwnedPort &operator=(const OwnedPort &) = delete;
  ~OwnedPort() { MPI_Close_port(name_); }
  char *name() { return name_; }

 private:
  char name_[MPI_MAX_PORT_NAME] = {0};
};

// A duplicate of MPI_COMM_SELF that reports errors instead of aborting (MPI_COMM_SELF's own
// handler belongs to the application).
void dup_self(OwnedComm &comm) {
  mpi_check(MPI_Comm_dup(MPI_COMM_SELF, comm.out()), "MPI_Comm_dup(MPI_COMM_SELF)");
  MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(comm.get(), MPI_ERRORS_RETURN));
}

// Merges the intercommunicator into the group: the existing members first (high = 0), the
// newcomer after them (high = 1).
void merge_into(OwnedComm &group, OwnedComm &inter, bool newcomer) {
  MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(inter.get(), MPI_ERRORS_RETURN));
  OwnedComm merged;
  MPCOMM_MPI_CHECK(MPI_Intercomm_merge(inter.get(), newcomer ? 1 : 0, merged.out()));
  MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(merged.get(), MPI_ERRORS_RETURN));
  inter.reset();
  group.swap(merged);
}

// One round at a member of the group: rank 0 says whether newcomer r comes (it does unless
// its socket broke), then all members accept it together.
void accept_newcomer(OwnedComm &group, char *port_name, bool comes, int newcomer) {
  int go = comes ? 1 : 0;
  MPCOMM_MPI_CHECK(MPI_Bcast(&go, 1, MPI_INT, 0, group.get()));
  require(go == 1, MPCOMM_ERR_SYSTEM, "rank ", newcomer,
          " left after the handshake, before it joined the group");
  OwnedComm inter;
  MPCOMM_MPI_CHECK(MPI_Comm_accept(port_name, MPI_INFO_NULL, 0, group.get(), inter.out()));
  merge_into(group, inter, false);
}

MPI_Comm grow_at_rank0(const Request &request, std::vector<net::UniqueFd> &sockets) {
  OwnedPort port;
  const std::vector<uint8_t> message = encode_port(port.name());
  OwnedComm group;
  dup_self(group);
  for (int r = 1; r < request.world_size; ++r) {
    bool sent = net::send_all(sockets[r].get(), message.data(), message.size(),
                              net::PollDeadline::after(request.timeout_s)) == net::Io::Done;
    accept_newcomer(group, port.name(), sent, r);
  }
  return group.release();
}

std::string receive_port_name(const Request &request, int fd) {
  const net::PollDeadline deadline = net::PollDeadline::after(request.timeout_s);
  std::array<uint8_t, kPortHeaderBytes> header{};
  net::Io io = net::recv_all(fd, header.data(), header.size(), deadline);
  require(io != net::Io::TimedOut, MPCOMM_ERR_TIMEOUT, "rank 0 did not call rank ", request.rank,
          " into the group within ", request.timeout_s, " s");
  require(io == net::Io::Done, MPCOMM_ERR_SYSTEM,
          "rank 0 closed the connection before calling rank ", request.rank,
          " into the group (it failed; its mpcomm_last_error() has the cause)");
  auto length = decode_port_header(header.data(), header.size(), MPI_MAX_PORT_NAME - 1);
  require(length.has_value(), MPCOMM_ERR_MALFORMED,
          "rank 0 sent a malformed port message during the rendezvous");
  std::string name(*length, '\0');
  io = net::recv_all(fd, name.data(), name.size(), deadline);
  require(io == net::Io::Done, MPCOMM_ERR_SYSTEM,
          "the connection to rank 0 broke while it sent the MPI port name");
  return name;
}

MPI_Comm grow_at_rank(const Request &request, int fd) {
  std::string port_name = receive_port_name(request, fd);
  OwnedComm self, inter, group;
  dup_self(self);
  MPCOMM_MPI_CHECK(MPI_Comm_connect(port_name.data(), MPI_INFO_NULL, 0, self.get(), inter.out()));
  group.swap(self);
  merge_into(group, inter, true);
  for (int r = request.rank + 1; r < request.world_size; ++r)
    accept_newcomer(group, port_name.data(), true, r);
  return group.release();
}

// Checks that rank i of the new communicator is the process that asked to be rank i.
void verify_order(const Request &request, MPI_Comm comm) {
  int size = 0, rank = -1;
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  std::vector<int> asked(static_cast<size_t>(size), -1);
  MPCOMM_MPI_CHECK(MPI_Allgather(&request.rank, 1, MPI_INT, asked.data(), 1, MPI_INT, comm));
  require(size == request.world_size, MPCOMM_ERR_INTERNAL, "the joined group has ", size,
          " processes, expected ", request.world_size);
  for (int i = 0; i < size; ++i)
    require(asked[i] == i, MPCOMM_ERR_INTERNAL, "rank ", i,
            " of the joined group asked to be rank ", asked[i]);
}

}  // namespace

void validate(const Request &request) {
  require_arg(request.port >= 1 && request.port <= 65535, "port must be in 1..65535, got ",
              request.port);
  require_arg(request.world_size >= 1, "world_size must be >= 1, got ", request.world_size);
  require_arg(request.rank >= 0 && request.rank < request.world_size, "rank must be in 0..",
              request.world_size - 1, " (world_size ", request.world_size, "), got ", request.rank);
  require_arg(std::isfinite(request.timeout_s) && request.timeout_s > 0,
              "timeout_s must be a finite number of seconds, got ", request.timeout_s);
  require_arg(!request.host.empty() && request.host != "0.0.0.0" && request.host != "::",
              "host must name one interface's address, got '", request.host,
              "' (a rendezvous never listens on every interface)");
}

MPI_Comm join(const Request &request) {
  validate(request);
  require_mpi_running();
  // Resolving on every rank checks the host the same way everywhere (and rejects any
  // spelling of a wildcard address).
  const auto endpoints = net::resolve(request.host, request.port);
  OwnedComm comm;
  if (request.world_size == 1) {
    dup_self(comm);
    return comm.release();
  }
  const net::PollDeadline deadline = net::PollDeadline::after(request.timeout_s);
  if (request.rank == 0) {
    auto sockets = gather_ranks(request, endpoints, deadline);
    // The sockets stay open until the group is complete: a peer that sees its socket close
    // early takes it for a failure of rank 0.
    *comm.out() = grow_at_rank0(request, sockets);
  } else {
    net::UniqueFd socket = report_to_root(request, endpoints, deadline);
    *comm.out() = grow_at_rank(request, socket.get());
  }
  verify_order(request, comm.get());
  log::info(log::Subsys::Bootstrap, "rendezvous: joined as rank ", request.rank, " of ",
            request.world_size, " at ", endpoints.front().text);
  return comm.release();
}

}  // namespace mpcomm::rendezvous
