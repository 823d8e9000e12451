#include "locality/node.hpp"

#include <cstdint>
#include <random>
#include <string>

#include "comm/bounded.hpp"
#include "comm/shared_segments.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "locality/topology.hpp"

namespace mpcomm::locality {

namespace {

// Owns a communicator made by the library.
class OwnedComm {
 public:
  explicit OwnedComm(MPI_Comm comm) : comm_(comm) {}
  ~OwnedComm() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }
  OwnedComm(const OwnedComm &) = delete;
  OwnedComm &operator=(const OwnedComm &) = delete;
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Comm comm_;
};

OwnedComm split_node(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)");
  MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
  return OwnedComm(node);
}

// One 8-byte word shared by the processes of a node, zero at first, in node rank 0's POSIX
// shared-memory segment (comm/shared_segments) rather than an MPI window: unmapping it is
// local, so a process that dies here leaves nothing for MPI_Finalize to wait on.
class SharedWord {
 public:
  SharedWord(MPI_Comm node, int node_rank, double timeout_s)
      : segments_(node, node_rank == 0 ? sizeof(uint64_t) : 0, timeout_s,
                  "the same-node test's shared word"),
        word_(reinterpret_cast<uint64_t *>(segments_.base(0))) {}

  void store(uint64_t v) { __atomic_store_n(word_, v, __ATOMIC_RELEASE); }
  uint64_t load() const { return __atomic_load_n(word_, __ATOMIC_ACQUIRE); }

 private:
  SharedSegments segments_;
  uint64_t *word_;
};

// The source's machine identity, broadcast over comm.
std::string source_identity(MPI_Comm comm, int source, int rank, double timeout_s) {
  std::string id = rank == source ? Topology::instance().machine_identity() : std::string();
  int length = static_cast<int>(id.size());
  bounded_broadcast(comm, &length, sizeof length, source, timeout_s,
                    "broadcasting the source's machine identity");
  id.resize(static_cast<size_t>(length));
  bounded_broadcast(comm, id.data(), id.size(), source, timeout_s,
                    "broadcasting the source's machine identity");
  return id;
}

}  // namespace

std::vector<int> same_node_as(MPI_Comm comm, int source, double timeout_s) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  require_arg(source >= 0 && source < size, "source_rank ", source, " is out of range [0, ", size,
              ")");

  // A magic word no stale memory holds: random, chosen by the source, known to all.
  uint64_t magic = 0;
  if (rank == source) {
    std::random_device entropy;
    magic = (uint64_t(entropy()) << 32 | entropy()) | 1;
  }
  // Every process has come once this returns, so the blocking split below cannot hang on one
  // that never does.
  bounded_broadcast(comm, &magic, sizeof magic, source, timeout_s,
                    "broadcasting the same-node test's magic word");

  OwnedComm node = split_node(comm);
  int node_rank = 0;
  MPI_Comm_rank(node.get(), &node_rank);
  SharedWord word(node.get(), node_rank, timeout_s);
  if (rank == source) word.store(magic);
  bounded_barrier(comm, timeout_s, "waiting for the source to write the magic word");
  const int mine = word.load() == magic ? 1 : 0;

  std::string theirs = source_identity(comm, source, rank, timeout_s);
  const std::string &ours = Topology::instance().machine_identity();
  if ((theirs == ours) != (mine == 1))
    log::warn(log::Subsys::Init,
              "same-node test and hwloc disagree: shared memory says this rank is ",
              mine ? "on" : "not on", " the node of rank ", source,
              ", but hwloc identifies it as '", ours, "' and rank ", source, " as '", theirs, "'");

  std::vector<int> flags(static_cast<size_t>(size));
  bounded_all_gather(comm, &mine, flags.data(), sizeof mine, timeout_s,
                     "gathering the same-node answers");
  return flags;
}

}  // namespace mpcomm::locality
