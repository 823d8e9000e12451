#include "state/state.hpp"

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
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

// The fields that shape a state's groups (their sizes, which kinds exist, which group may take
// the custom allreduce). vLLM's compute_hash leaves some out (DCP, PCP), so they are compared
// one by one as well as through the hash.
struct ShapeField {
  const char *name;
  int mpcomm_parallel_config_t::*field;
};
constexpr ShapeField kShapeFields[] = {
    {"pipeline_parallel_size", &mpcomm_parallel_config_t::pipeline_parallel_size},
    {"tensor_parallel_size", &mpcomm_parallel_config_t::tensor_parallel_size},
    {"data_parallel_size", &mpcomm_parallel_config_t::data_parallel_size},
    {"prefill_context_parallel_size", &mpcomm_parallel_config_t::prefill_context_parallel_size},
    {"decode_context_parallel_size", &mpcomm_parallel_config_t::decode_context_parallel_size},
    {"enable_expert_parallel", &mpcomm_parallel_config_t::enable_expert_parallel},
    {"disable_custom_all_reduce", &mpcomm_parallel_config_t::disable_custom_all_reduce},
};
constexpr size_t kNumShapeFields = sizeof kShapeFields / sizeof kShapeFields[0];

// What each rank contributes to the agreement: whether its configuration is valid, and if so
// its hash and shaping fields. One all-gather carries both.
struct ConfigDigest {
  int32_t status;
  int32_t shape[kNumShapeFields];
  char hash[64];
};

ConfigDigest digest_of(const mpcomm_parallel_config_t &cfg) {
  ConfigDigest mine{};
  const std::string hash = parallel::config_hash(cfg);
  std::memcpy(mine.hash, hash.data(), sizeof mine.hash);
  for (size_t f = 0; f < kNumShapeFields; ++f) mine.shape[f] = cfg.*kShapeFields[f].field;
  return mine;
}

// Every rank must have passed the same configuration (vLLM hangs when they differ): every rank
// compares each rank's shaping fields and vLLM's configuration hash with rank 0's, so all fail
// alike; the error names the first differing rank and what differs.
void require_same_config(const std::vector<ConfigDigest> &all) {
  const ConfigDigest &first = all[0];
  for (size_t r = 1; r < all.size(); ++r) {
    const ConfigDigest &other = all[r];
    for (size_t f = 0; f < kNumShapeFields; ++f)
      if (other.shape[f] != first.shape[f])
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("rank ", r, " passed a different parallel configuration than rank 0: ",
                           kShapeFields[f].name, " is ", other.shape[f], " there and ",
                           first.shape[f], " on rank 0"));
    if (std::memcmp(other.hash, first.hash, sizeof first.hash) != 0)
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  concat("rank ", r,
                         " passed a different parallel configuration than rank 0 "
                         "(configuration hash ",
                         std::string(other.hash, 64), " vs ", std::string(first.hash, 64), ")"));
  }
}

}  // namespace

mpcomm_parallel_config_t agreed_config(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                       double timeout_s) {
  // Validate on every rank, then agree: a rank alone with a bad configuration must not leave
  // the others waiting in a collective.
  mpcomm_parallel_config_t checked{};
  std::string local_error;
  ConfigDigest mine{};
  try {
    checked = parallel::checked_config(cfg, "cfg");
    mine = digest_of(checked);
  } catch (const Error &e) {
    mine.status = e.status();
    local_error = e.what();
  }
  int size = 0;
  MPI_Comm_size(comm, &size);
  std::vector<ConfigDigest> all(static_cast<size_t>(size));
  bounded_all_gather(comm, &mine, all.data(), sizeof mine, timeout_s,
                     "comparing the processes' parallel configurations");
  if (mine.status != MPCOMM_SUCCESS)
    throw Error(static_cast<mpcomm_status_t>(mine.status), local_error);
  for (int r = 0; r < size; ++r)
    require(all[static_cast<size_t>(r)].status == MPCOMM_SUCCESS, MPCOMM_ERR_INVALID_ARGUMENT,
            "rank ", r, " passed an invalid parallel configuration (its own error says why)");
  require_same_config(all);
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
  return new mpcomm_state_s(std::exchange(dup.comm, MPI_COMM_NULL), agreed);
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
  try {
    int rank = 0, size = 0;
    MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
    // Every rank reaches the same verdict on the world size: Layout only reads sizes.
    parallel::Layout layout(cfg, size);
    // Every group's local rank: the process's among those of comm on its node, whatever the
    // launcher says (so that two TP groups on one node choose different GPUs).
    const int local_rank = node_local_rank_in(comm);
    // The world group is comm itself, in comm's order (the layout's world group); the others
    // are split from it.
    const MPI_Comm world_comm = comm;
    add_group(MPCOMM_GROUP_WORLD,
              adopt_communicator(std::exchange(comm, MPI_COMM_NULL), local_rank));
    for (mpcomm_group_kind_t kind : kAllKinds) {
      if (kind == MPCOMM_GROUP_WORLD) continue;
      if (kind == MPCOMM_GROUP_EP && !cfg.enable_expert_parallel) continue;
      parallel::GroupPlace place = layout.place(kind, rank);
      MPI_Comm made = MPI_COMM_NULL;
      // Every member knows the size of every kind's groups from the agreed configuration, so
      // all take the same branch: a group of one is made locally, without the collective split.
      if (layout.group_size(kind) == 1)
        mpi_check(MPI_Comm_dup(MPI_COMM_SELF, &made),
                  concat("MPI_Comm_dup(MPI_COMM_SELF) for the ", parallel::group_kind_name(kind),
                         " groups")
                      .c_str());
      else
        mpi_check(
            MPI_Comm_split(world_comm, place.group, place.position, &made),
            concat("MPI_Comm_split for the ", parallel::group_kind_name(kind), " groups").c_str());
      add_group(kind, adopt_communicator(made, local_rank));
    }
    log::info(log::Subsys::Init, "parallel state: world ", size, ", TP ", cfg.tensor_parallel_size,
              ", PP ", cfg.pipeline_parallel_size, ", DP ", cfg.data_parallel_size, ", PCP ",
              cfg.prefill_context_parallel_size, ", DCP ", cfg.decode_context_parallel_size,
              cfg.enable_expert_parallel ? ", EP on" : "");
    // Last: a state whose constructor throws is never a live handle.
    live_handles::add(live_handles::Kind::kState, this);
  } catch (...) {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
    free_groups();
    throw;
  }
}

void mpcomm_state_s::add_group(mpcomm_group_kind_t kind, mpcomm_group_t group) {
  using namespace mpcomm;
  groups_[static_cast<size_t>(kind)] = group;
  group->set_owner("an mpcomm_state_t");
  // As vLLM: only the tensor-parallel group has a custom allreduce, unless turned off.
  std::string &off = device::device_state(*group).custom_allreduce_off;
  if (kind != MPCOMM_GROUP_TP)
    off = concat("only the tensor-parallel group uses it (this is the ",
                 parallel::group_kind_name(kind), " group)");
  else if (cfg_.disable_custom_all_reduce)
    off = "disable_custom_all_reduce is set";
  // vLLM broadcasts scheduler metadata over TP (and DCP) through a message queue; it is made
  // by the group's first broadcast from rank 0, so a state costs no ring until then.
  if ((kind == MPCOMM_GROUP_TP || kind == MPCOMM_GROUP_DCP) && group->size() > 1)
    group->defer_message_queue(MessageQueue::kDefaultChunkBytes, MessageQueue::kDefaultChunks);
  // Pipeline stages pass their objects (send_tensor_dict's metadata) point to point only, and a
  // group makes its object channels at its first collective object call, which a PP group may
  // never make: it makes them here, with every member in state_create.
  if (kind == MPCOMM_GROUP_PP && group->size() > 1)
    group->run(Plane::kControl, [&] { group->make_object_channels(); });
  if (group->rank() == 0)
    log::info(log::Subsys::Init, "parallel state: ", parallel::group_kind_name(kind), " ",
              GroupName{*group}, ": object broadcasts from rank 0 ",
              group->message_queue_deferred()
                  ? "through a shared-memory message queue (made at the first one)"
                  : "over MPI",
              "; custom allreduce ", off.empty() ? "allowed" : "off: " + off);
}

mpcomm_state_s::~mpcomm_state_s() {
  mpcomm::live_handles::remove(mpcomm::live_handles::Kind::kState, this);
  free_groups();
}

void mpcomm_state_s::free_groups() noexcept {
  for (auto &group : groups_) {
    if (group == nullptr) continue;
    const std::string pending = group->finish_sends();
    if (!pending.empty())
      mpcomm::log::warn(mpcomm::log::Subsys::Init, "destroying the parallel state: ", pending);
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
