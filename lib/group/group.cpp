// The group object: a Comm plus the group layer's own state.
#include "group/group.hpp"

#include <cstdlib>
#include <memory>

#include "core/abandoned.hpp"
#include "core/error.hpp"
#include "core/live_handles.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "group/message_queue.hpp"
#include "group/object_channels.hpp"

mpcomm_group_s::mpcomm_group_s(MPI_Comm comm, int local_rank)
    : mpcomm::Comm(comm, local_rank),
      mpi_sends_(static_cast<size_t>(size())),
      mpi_recvs_(static_cast<size_t>(size())) {
  mpcomm::live_handles::add(mpcomm::live_handles::Kind::kGroup, this);
}

mpcomm_group_s::~mpcomm_group_s() {
  mpcomm::live_handles::remove(mpcomm::live_handles::Kind::kGroup, this);
  int finalized = 0;
  MPI_Finalized(&finalized);
  // The broadcaster's ring is unmapped locally: no member is waited for, dead or alive.
  message_queue_.reset();
  object_channels_.reset();
  if (!finalized && !requests_.abandon()) scratch_leaked_ = true;
  if (scratch_leaked_) {
    mpcomm::log::info(mpcomm::log::Subsys::Coll, "keeping ", scratch_bytes_,
                      " bytes of a broken group's scratch: MPI may still write into them");
    mpcomm::keep_until_exit(scratch_);
  } else {
    std::free(scratch_);
  }
  // ~Comm then destroys the planes' attachments and frees the communicator.
}

mpcomm_group_info_t mpcomm_group_s::info() const {
  mpcomm_group_info_t out{};
  const auto &global = global_ranks();
  const auto at = [&](int i) { return global[static_cast<size_t>(i)]; };
  const int r = rank(), n = size();
  out.struct_size = sizeof(out);
  out.rank_in_group = r;
  out.size = n;
  out.global_rank = at(r);
  out.first_rank = at(0);
  out.last_rank = at(n - 1);
  out.next_rank = at((r + 1) % n);
  out.prev_rank = at((r - 1 + n) % n);
  out.is_first_rank = r == 0;
  out.is_last_rank = r == n - 1;
  out.local_rank = local_rank();
  return out;
}

std::string mpcomm_group_s::finish_sends() noexcept {
  try {
    if (outbox_.pending_sends() == 0) return "";
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized || broken()) return "";
    const mpcomm::Deadline deadline(timeout());
    if (outbox_.drain(deadline)) return "";
    return mpcomm::concat(outbox_.pending_sends(), " object send(s) of ", outbox_.pending_bytes(),
                          " bytes to ", describe_ranks(outbox_.pending_peers()),
                          " had not been received after ", deadline.seconds(),
                          " s; they complete in the background when received, and their copies "
                          "are freed then");
  } catch (const std::exception &e) {
    return mpcomm::concat("the pending object sends failed: ", e.what());
  }
}

char *mpcomm_group_s::scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_;
  mpcomm::require(!scratch_leaked_, MPCOMM_ERR_INTERNAL, "scratch of a broken group reused");
  void *grown = std::realloc(scratch_, bytes);
  if (grown == nullptr) throw std::bad_alloc();
  scratch_ = static_cast<char *>(grown);
  scratch_bytes_ = bytes;
  return scratch_;
}

void mpcomm_group_s::enable_message_queue(size_t chunk_bytes, int chunks) {
  require_usable();
  deferred_chunks_ = 0;
  message_queue_.reset();
  message_queue_ = std::make_unique<mpcomm::MessageQueue>(*this, chunk_bytes, chunks);
  if (rank() == 0)
    mpcomm::log::info(mpcomm::log::Subsys::Shm, mpcomm::GroupName{*this},
                      ": object broadcasts from group rank 0 take a shared-memory message queue (",
                      chunks, " chunks of ", chunk_bytes, " bytes)");
}

void mpcomm_group_s::defer_message_queue(size_t chunk_bytes, int chunks) {
  message_queue_.reset();
  deferred_chunk_bytes_ = chunk_bytes;
  deferred_chunks_ = chunks;
}

mpcomm::MessageQueue *mpcomm_group_s::broadcast_queue() {
  if (deferred_chunks_ > 0) {
    // Tried once: a failure here breaks the group (the caller runs in the control plane).
    const int chunks = deferred_chunks_;
    deferred_chunks_ = 0;
    enable_message_queue(deferred_chunk_bytes_, chunks);
  }
  return message_queue_.get();
}

mpcomm::ObjectChannels *mpcomm_group_s::make_object_channels() {
  // Tried once: a failure here breaks the group (the caller runs in the control plane).
  object_channels_decided_ = true;
  object_channels_ = mpcomm::ObjectChannels::make(comm(), timeout(), mpi_sends_, mpi_recvs_);
  if (rank() == 0)
    mpcomm::log::info(mpcomm::log::Subsys::Shm, mpcomm::GroupName{*this}, ": objects ",
                      object_channels_ ? "take shared-memory channels between members on one node"
                                       : "from group rank 0 take MPI (no channels on its node)");
  mpi_sends_ = {};
  mpi_recvs_ = {};
  return object_channels_.get();
}

namespace mpcomm {

mpcomm_group_t adopt_communicator(MPI_Comm comm, int local_rank) {
  require(comm != MPI_COMM_NULL, MPCOMM_ERR_INTERNAL, "adopt_communicator(MPI_COMM_NULL)");
  try {
    MPCOMM_MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
    int inter = 0;
    MPCOMM_MPI_CHECK(MPI_Comm_test_inter(comm, &inter));
    require_arg(!inter, "comm must be an intracommunicator, got an intercommunicator");
    return new mpcomm_group_s(comm, local_rank);
  } catch (...) {
    MPI_Comm_free(&comm);
    throw;
  }
}

}  // namespace mpcomm
