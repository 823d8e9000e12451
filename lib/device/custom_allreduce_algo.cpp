#include "device/custom_allreduce_algo.hpp"

#include <string>

#include "core/env.hpp"

namespace mpcomm::device {

const char *algo_setting_name(AlgoSetting setting) {
  switch (setting) {
    case AlgoSetting::Auto: return "auto";
    case AlgoSetting::OneShot: return "oneshot";
    case AlgoSetting::TwoShot: return "twoshot";
  }
  return "unknown";
}

AlgoSetting custom_allreduce_algo_setting() {
  const std::string value = env::choice("MPCOMM_CUSTOM_ALLREDUCE_ALGO");
  if (value == "oneshot") return AlgoSetting::OneShot;
  if (value == "twoshot") return AlgoSetting::TwoShot;
  return AlgoSetting::Auto;
}

kernels::Algorithm choose_custom_allreduce_algorithm(AlgoSetting setting, std::size_t bytes,
                                                     int world_size) {
  switch (setting) {
    case AlgoSetting::OneShot: return kernels::Algorithm::OneShot;
    case AlgoSetting::TwoShot: return kernels::Algorithm::TwoShot;
    case AlgoSetting::Auto: break;
  }
  return kernels::choose_algorithm(bytes, world_size);
}

}  // namespace mpcomm::device
