#include "parallel/parallel_config.hpp"

#include <climits>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "core/error.hpp"

namespace mpcomm::parallel {

namespace {

// The size of the first published struct: every later version is at least this large. When
// fields are appended, this becomes offsetof(mpcomm_parallel_config_t, <first new field>).
constexpr std::size_t kFirstVersionSize = sizeof(mpcomm_parallel_config_t);

void require_positive(int value, const char *field) {
  require_arg(value >= 1, field, " must be >= 1, got ", value);
}

void require_port(int value, const char *field) {
  require_arg(value >= 1 && value <= 65535, field, " must be a port in [1, 65535], got ", value);
}

void require_enum(int value, int count, const char *field) {
  require_arg(value >= 0 && value < count, field, " is not a known value, got ", value);
}

void require_string(const char (&text)[MPCOMM_HOST_MAX], const char *field) {
  require_arg(std::memchr(text, '\0', MPCOMM_HOST_MAX) != nullptr, field,
              " is not NUL-terminated within its ", MPCOMM_HOST_MAX, " bytes");
}

// The product of positive factors, or an error when it does not fit an int.
int checked_product(std::initializer_list<int> factors, const char *what) {
  std::int64_t product = 1;
  for (int f : factors) {
    product *= f;
    require_arg(product <= INT_MAX, what, " exceeds INT_MAX (", INT_MAX, ")");
  }
  return static_cast<int>(product);
}

}  // namespace

mpcomm_parallel_config_t default_config() {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  return cfg;
}

mpcomm_parallel_config_t read_config(const mpcomm_parallel_config_t *cfg, const char *name) {
  require_not_null(cfg, name);
  // The header fields come first in every version, so reading them is always in bounds.
  require_arg(cfg->magic == MPCOMM_PARALLEL_CONFIG_MAGIC, name, "->magic is 0x", std::hex,
              cfg->magic, std::dec,
              ": the config was not initialised with MPCOMM_PARALLEL_CONFIG_INIT");
  require_arg(cfg->struct_size >= kFirstVersionSize, name, "->struct_size (", cfg->struct_size,
              ") is smaller than the first version of mpcomm_parallel_config_t (",
              kFirstVersionSize, ")");
  require_arg(cfg->struct_size <= sizeof(mpcomm_parallel_config_t), name, "->struct_size (",
              cfg->struct_size, ") is larger than this library's mpcomm_parallel_config_t (",
              sizeof(mpcomm_parallel_config_t),
              "): the program was built with a newer mpcomm.h than the library");
  require_arg(cfg->version >= 1 && cfg->version <= MPCOMM_PARALLEL_CONFIG_VERSION, name,
              "->version (", cfg->version, ") is not in [1, ", MPCOMM_PARALLEL_CONFIG_VERSION, "]");
  mpcomm_parallel_config_t copy = default_config();
  std::memcpy(&copy, cfg, cfg->struct_size);
  copy.struct_size = sizeof(mpcomm_parallel_config_t);
  return copy;
}

void validate(const mpcomm_parallel_config_t &c) {
  // Sizes first, so that the seed's rules below compare meaningful numbers.
  require_positive(c.pipeline_parallel_size, "pipeline_parallel_size");
  require_positive(c.tensor_parallel_size, "tensor_parallel_size");
  require_positive(c.data_parallel_size, "data_parallel_size");
  require_positive(c.decode_context_parallel_size, "decode_context_parallel_size");
  require_positive(c.prefill_context_parallel_size, "prefill_context_parallel_size");
  require_positive(c.nnodes, "nnodes");
  // 0 is meaningful to vLLM: a node that runs no local data-parallel rank.
  require_arg(c.data_parallel_size_local >= 0, "data_parallel_size_local must be >= 0, got ",
              c.data_parallel_size_local);

  // The rules of ParallelConfig._validate_parallel_config, in its order and words.
  require_arg(c.data_parallel_size_local <= c.data_parallel_size, "data_parallel_size_local (",
              c.data_parallel_size_local, ") must be <= data_parallel_size (", c.data_parallel_size,
              ")");
  require_arg(!(c.data_parallel_size <= 1 && c.data_parallel_external_lb),
              "data_parallel_external_lb can only be set when data_parallel_size > 1");
  if (c.enable_eplb) {
    require_arg(c.enable_expert_parallel != 0, "enable_expert_parallel must be True to use EPLB.");
    require_arg(static_cast<std::int64_t>(c.tensor_parallel_size) * c.data_parallel_size > 1,
                "EPLB requires tensor_parallel_size or data_parallel_size to be greater than 1, "
                "but got TP=",
                c.tensor_parallel_size, ",DP=", c.data_parallel_size, ".");
  } else {
    require_arg(c.eplb_config.num_redundant_experts == 0, "num_redundant_experts is set to ",
                c.eplb_config.num_redundant_experts,
                " but EPLB is not enabled. Either enable EPLB or unset num_redundant_experts.");
  }
  // EPLBConfig.num_redundant_experts is Field(ge=0).
  require_arg(c.eplb_config.num_redundant_experts >= 0,
              "eplb_config.num_redundant_experts must be >= 0, got ",
              c.eplb_config.num_redundant_experts);
  // __post_init__: the data-parallel rank.
  require_arg(c.data_parallel_rank >= 0 && c.data_parallel_rank < c.data_parallel_size,
              "data_parallel_rank (", c.data_parallel_rank, ") must be in the range [0, ",
              c.data_parallel_size, ")");
  // "tp_size needs to be divisible by dcp_size": DCP groups split each TP group.
  require_arg(c.tensor_parallel_size % c.decode_context_parallel_size == 0,
              "tensor_parallel_size (", c.tensor_parallel_size,
              ") must be divisible by decode_context_parallel_size (",
              c.decode_context_parallel_size, ")");

  // What vLLM's types enforce and a C struct does not.
  require_arg(c.data_parallel_rank_local >= -1,
              "data_parallel_rank_local must be >= 0, or -1 for None, got ",
              c.data_parallel_rank_local);
  require_arg(c.max_parallel_loading_workers >= -1,
              "max_parallel_loading_workers must be >= 0, or -1 for None, got ",
              c.max_parallel_loading_workers);
  require_arg(c.rank >= 0, "rank must be >= 0, got ", c.rank);
  require_arg(c.node_rank >= 0 && c.node_rank < c.nnodes, "node_rank (", c.node_rank,
              ") must be in the range [0, ", c.nnodes, ")");
  require_string(c.data_parallel_master_ip, "data_parallel_master_ip");
  require_string(c.master_addr, "master_addr");
  require_port(c.data_parallel_rpc_port, "data_parallel_rpc_port");
  require_port(c.data_parallel_master_port, "data_parallel_master_port");
  require_port(c.master_port, "master_port");
  require_enum(c.data_parallel_backend, 2, "data_parallel_backend");
  require_enum(c.expert_placement_strategy, 2, "expert_placement_strategy");
  require_enum(c.all2all_backend, 7, "all2all_backend");
  require_enum(c.distributed_executor_backend, 5, "distributed_executor_backend");

  // The world sizes must be representable.
  world_size_across_dp(c);
}

mpcomm_parallel_config_t checked_config(const mpcomm_parallel_config_t *cfg, const char *name) {
  mpcomm_parallel_config_t copy = read_config(cfg, name);
  validate(copy);
  return copy;
}

int world_size(const mpcomm_parallel_config_t &c) {
  if (c.distributed_executor_backend == MPCOMM_EXECUTOR_EXTERNAL_LAUNCHER)
    return checked_product({c.pipeline_parallel_size, c.tensor_parallel_size,
                            c.prefill_context_parallel_size, c.data_parallel_size},
                           "world size PP*TP*PCP*DP");
  return checked_product(
      {c.pipeline_parallel_size, c.tensor_parallel_size, c.prefill_context_parallel_size},
      "world size PP*TP*PCP");
}

int world_size_across_dp(const mpcomm_parallel_config_t &c) {
  return checked_product({world_size(c), c.data_parallel_size}, "world_size_across_dp");
}

}  // namespace mpcomm::parallel
