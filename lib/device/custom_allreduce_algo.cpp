#include "device/custom_allreduce_algo.hpp"

#include <string>
#include <vector>

#include "comm/agreed_setting.hpp"
#include "core/env.hpp"
#include "core/error.hpp"

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

AlgoSetting agreed_custom_allreduce_algo(Comm &g) {
  int mine = -1;
  std::string invalid;
  try {
    mine = static_cast<int>(custom_allreduce_algo_setting());
  } catch (const Error &e) {
    invalid = e.what();
  }
  const std::vector<const char *> names = {algo_setting_name(AlgoSetting::Auto),
                                           algo_setting_name(AlgoSetting::OneShot),
                                           algo_setting_name(AlgoSetting::TwoShot)};
  return static_cast<AlgoSetting>(
      agree_on_setting(g, "MPCOMM_CUSTOM_ALLREDUCE_ALGO", mine, invalid, names));
}

}  // namespace mpcomm::device
