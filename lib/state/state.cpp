#include "state/state.hpp"

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "comm/bounded.hpp"
#include "comm/node_rank.hpp"
#include "core/error.hpp"
#include "core/live_handles.hpp"
#include "core/log.hpp"
#include "core/mpi_call.hpp"
#include "device/device_state.hpp"
#include "group/group.hpp"
#include "group/message_queue.hpp"
#include "parallel/config_hash.hpp"
#include "parallel/layout.hpp"
#include "parallel/parallel_config.hpp"

namespace mpcomm {

namespace {

constexpr mpcomm_group_kind_t kAllKinds[] = {MPCOMM_GROUP_WORLD, MPCOMM_GROUP_TP, MPCOMM_GROUP_PP,
                                             MPCOMM_GROUP_DP,    MPCOMM_GROUP_EP, MPCOMM_GROUP_DCP,
                                             MPCOMM_GROUP_PCP};

// Every rank must have passed the same configuration (vLLM hangs when they differ): compare
// the configuration hash of each rank with rank 0's; the error names the first differing rank.
void require_same_config(MPI_Comm comm, const mpcomm_parallel_config_t &cfg, double timeout_s) {
  std::string mine = parallel::config_hash(cfg);
  int size = 0;
  MPI_Comm_size(comm, &size);
  std::vector<char> all(static_cast<size_t>(size) * 64);
  bounded_all_gather(comm, mine.data(), all.data(), 64, timeout_s,
                     "comparing the processes' parallel configurations");
  for (int r = 1; r < size; ++r) {
    if (std::memcmp(&all[64 * static_cast<size_t>(r)], all.data(), 64) != 0)
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  concat("rank ", r,
                         " passed a different parallel configuration than rank 0 "
                         "(configuration hash ",
                         std::string(&all[64 * static_cast<size_t>(r)], 64), " vs ",
                         std::string(all.data(), 64), ")"));
  }
}

}  // namespace

mpcomm_parallel_config_t agreed_config(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                       double timeout_s) {
  // Validate on every rank, then agree: a rank alone with a bad configuration must not leave
  // the others waiting in a collective.
  mpcomm_parallel_config_t checked{};
  std::string local_error;
  mpcomm_status_t local_status = MPCOMM_SUCCESS;
  try {
    checked = parallel::checked_config(cfg, "cfg");
  } catch (const Error &e) {
    local_status = e.status();
    local_error = e.what();
  }
  int size = 0, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  std::vector<int> statuses(static_cast<size_t>(size));
  int mine = local_status;
  bounded_all_gather(comm, &mine, statuses.data(), sizeof mine, timeout_s,
                     "checking the processes' parallel configurations");
  if (local_status != MPCOMM_SUCCESS) throw Error(local_status, local_error);
  for (int r = 0; r < size; ++r)
    require(statuses[static_cast<size_t>(r)] == MPCOMM_SUCCESS, MPCOMM_ERR_INVALID_ARGUMENT,
            "rank ", r, " passed an invalid parallel configuration (its own error says why)");
  require_same_config(comm, checked, timeout_s);
  return checked;
}

namespace {

std::mutex default_mutex;
mpcomm_state_t default_state_ = nullptr;

// Owns a duplicate of the caller's communicator for the time the state is built.
struct DupComm {
  MPI_Comm comm = MPI_COMM_NULL;
  ~DupComm() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

}  // namespace

mpcomm_state_t create_state(MPI_Comm comm, const mpcomm_parallel_config_t *cfg) {
  const double timeout = default_timeout();
  DupComm dup;
  dup.comm = bounded_dup(comm, timeout, "duplicating comm for the state");
  mpcomm_parallel_config_t agreed = agreed_config(dup.comm, cfg, timeout);
  return new mpcomm_state_s(dup.comm, agreed);
}

void destroy_state(mpcomm_state_s &state) {
  {
    std::lock_guard<std::mutex> lock(default_mutex);
    if (default_state_ == &state) default_state_ = nullptr;
  }
  delete &state;
}

void set_default_state(mpcomm_state_s *state) {
  std::lock_guard<std::mutex> lock(default_mutex);
  if (state == nullptr) {
    default_state_ = nullptr;
    return;
  }
  const auto &cfg = state->config();
  if (default_state_ != nullptr && default_state_ != state) {
    // vLLM's ensure_model_parallel_initialized: the same sizes are fine, others are not.
    const auto &old = default_state_->config();
    require(old.tensor_parallel_size == cfg.tensor_parallel_size, MPCOMM_ERR_INVALID_USAGE,
            "tensor parallel group already initialized, but of unexpected size: ",
            old.tensor_parallel_size, " vs. ", cfg.tensor_parallel_size);
    require(old.pipeline_parallel_size == cfg.pipeline_parallel_size, MPCOMM_ERR_INVALID_USAGE,
            "pipeline parallel group already initialized, but of unexpected size: ",
            old.pipeline_parallel_size, " vs. ", cfg.pipeline_parallel_size);
  }
  default_state_ = state;
}

mpcomm_state_t default_state() {
  std::lock_guard<std::mutex> lock(default_mutex);
  return default_state_;
}

}  // namespace mpcomm

mpcomm_state_s::mpcomm_state_s(MPI_Comm comm, const mpcomm_parallel_config_t &cfg) : cfg_(cfg) {
  using namespace mpcomm;
  int rank = 0, size = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  // Every rank reaches the same verdict on the world size: Layout only reads sizes.
  parallel::Layout layout(cfg, size);
  // Every group's local rank: the process's among those of comm on its node, whatever the
  // launcher says (so that two TP groups on one node choose different GPUs).
  const int local_rank = node_local_rank_in(comm);
  try {
    for (mpcomm_group_kind_t kind : kAllKinds) {
      if (kind == MPCOMM_GROUP_EP && !cfg.enable_expert_parallel) continue;
      parallel::GroupPlace place = layout.place(kind, rank);
      MPI_Comm split = MPI_COMM_NULL;
      mpi_check(
          MPI_Comm_split(comm, place.group, place.position, &split),
          concat("MPI_Comm_split for the ", parallel::group_kind_name(kind), " groups").c_str());
      mpcomm_group_t group = adopt_communicator(split, local_rank);
      group->set_owner("an mpcomm_state_t");
      // As vLLM: only the tensor-parallel group has a custom allreduce, unless turned off.
      std::string &off = device::device_state(*group).custom_allreduce_off;
      if (kind != MPCOMM_GROUP_TP)
        off = concat("only the tensor-parallel group uses it (this is the ",
                     parallel::group_kind_name(kind), " group)");
      else if (cfg.disable_custom_all_reduce)
        off = "disable_custom_all_reduce is set";
      groups_[static_cast<size_t>(kind)] = group;
      // vLLM broadcasts scheduler metadata over TP (and DCP) through a message queue.
      if ((kind == MPCOMM_GROUP_TP || kind == MPCOMM_GROUP_DCP) && group->size() > 1)
        group->enable_message_queue(MessageQueue::kDefaultChunkBytes, MessageQueue::kDefaultChunks);
      if (group->rank() == 0)
        log::info(log::Subsys::Init, "parallel state: ", parallel::group_kind_name(kind), " ",
                  GroupName{*group}, ": object broadcasts from rank 0 ",
                  group->message_queue() ? "through a shared-memory message queue" : "over MPI",
                  "; custom allreduce ", off.empty() ? "allowed" : "off: " + off);
    }
    log::info(log::Subsys::Init, "parallel state: world ", size, ", TP ", cfg.tensor_parallel_size,
              ", PP ", cfg.pipeline_parallel_size, ", DP ", cfg.data_parallel_size, ", PCP ",
              cfg.prefill_context_parallel_size, ", DCP ", cfg.decode_context_parallel_size,
              cfg.enable_expert_parallel ? ", EP on" : "");
    // Last: a state whose constructor throws is never a live handle.
    live_handles::add(live_handles::Kind::kState, this);
  } catch (...) {
    free_groups();
    throw;
  }
}

mpcomm_state_s::~mpcomm_state_s() {
  mpcomm::live_handles::remove(mpcomm::live_handles::Kind::kState, this);
  free_groups();
}

void mpcomm_state_s::free_groups() noexcept {
  for (auto &group : groups_) {
    if (group == nullptr) continue;
    delete group;
    group = nullptr;
  }
}

mpcomm_group_t mpcomm_state_s::group(mpcomm_group_kind_t kind) const {
  mpcomm::parallel::require_group_kind(kind, "kind");
  mpcomm_group_t g = groups_[static_cast<size_t>(kind)];
  mpcomm::require(g != nullptr, MPCOMM_ERR_INVALID_USAGE,
                  "the state has no expert-parallel group: enable_expert_parallel is 0");
  return g;
}
