#include "parallel/config_hash.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace mpcomm::parallel {

namespace {

// Python's str() of the values the factor list holds.
std::string py_bool(int value) { return value ? "True" : "False"; }

std::string py_optional_string(const char *value) {
  return value ? std::string("'") + value + "'" : std::string("None");
}

}  // namespace

const char *all2all_backend_name(mpcomm_all2all_backend_t backend) {
  switch (backend) {
    case MPCOMM_ALL2ALL_NONE: return nullptr;
    case MPCOMM_ALL2ALL_NAIVE: return "naive";
    case MPCOMM_ALL2ALL_PPLX: return "pplx";
    case MPCOMM_ALL2ALL_DEEPEP_HIGH_THROUGHPUT: return "deepep_high_throughput";
    case MPCOMM_ALL2ALL_DEEPEP_LOW_LATENCY: return "deepep_low_latency";
    case MPCOMM_ALL2ALL_ALLGATHER_REDUCESCATTER: return "allgather_reducescatter";
    case MPCOMM_ALL2ALL_FLASHINFER_ALL2ALLV: return "flashinfer_all2allv";
  }
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
              concat("all2all_backend is not a known value, got ", static_cast<int>(backend)));
}

std::string hash_factors(const mpcomm_parallel_config_t &c) {
  // std::to_string, not a stream: a stream would follow a global locale's digit grouping.
  using std::to_string;
  std::string text =
      "[" + to_string(c.pipeline_parallel_size) + ", " + to_string(c.tensor_parallel_size) + ", " +
      py_bool(c.enable_expert_parallel) + ", " + to_string(c.data_parallel_size) + ", " +
      py_optional_string(
          all2all_backend_name(static_cast<mpcomm_all2all_backend_t>(c.all2all_backend))) +
      ", " + py_bool(c.enable_eplb);
  if (c.enable_eplb)
    text += ", " + py_bool(c.eplb_config.log_balancedness) + ", " +
            to_string(c.eplb_config.window_size) + ", " + to_string(c.eplb_config.step_interval) +
            ", " + to_string(c.eplb_config.num_redundant_experts);
  return text + "]";
}

std::string config_hash(const mpcomm_parallel_config_t &cfg) {
  return sha256_hex(hash_factors(cfg));
}

}  // namespace mpcomm::parallel
