#include "device/custom_allreduce_algo.hpp"

#include <string>

#include "core/env.hpp"

namespace mpcomm::device {

kernels::Algorithm choose_custom_allreduce_algorithm(std::size_t bytes, int world_size) {
  const std::string forced =
      env::choice("MPCOMM_CUSTOM_ALLREDUCE_ALGO", "auto", {"auto", "oneshot", "twoshot"});
  if (forced == "oneshot") return kernels::Algorithm::OneShot;
  if (forced == "twoshot") return kernels::Algorithm::TwoShot;
  return kernels::choose_algorithm(bytes, world_size);
}

}  // namespace mpcomm::device
