#include "device/custom_allreduce_choice.hpp"

#include "comm/agreed_setting.hpp"

namespace mpcomm::device {

CustomAllreduceChoice agreed_custom_allreduce_choice(Comm &g) {
  const int mine = static_cast<int>(device_state(g).custom_allreduce_choice);
  return static_cast<CustomAllreduceChoice>(
      agree_on_setting(g, "the custom allreduce (mpcomm_group_set_custom_allreduce)", mine, "",
                       {"the group's default", "disabled", "enabled"}));
}

std::string custom_allreduce_off_reason(const DeviceState &state, CustomAllreduceChoice choice) {
  switch (choice) {
    case CustomAllreduceChoice::Disabled:
      return "turned off for this group by mpcomm_group_set_custom_allreduce";
    case CustomAllreduceChoice::Enabled: return "";
    case CustomAllreduceChoice::Default: break;
  }
  return state.custom_allreduce_off;
}

}  // namespace mpcomm::device
