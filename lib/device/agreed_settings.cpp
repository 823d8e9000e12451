#include "device/agreed_settings.hpp"

#include <cstdint>

#include "core/error.hpp"
#include "device/bounded_mpi.hpp"

namespace mpcomm::device {

int agree_on_setting(Comm &g, const char *variable, int mine, const std::string &invalid,
                     const std::vector<const char *> &names) {
  const size_t n = static_cast<size_t>(g.size());
  std::vector<int32_t> all(n);
  const int32_t own = mine;
  bounded_all_gather(g, &own, all.data(), sizeof own, concat("agreeing on ", variable).c_str());
  if (mine < 0) throw Error(MPCOMM_ERR_INVALID_ARGUMENT, invalid);
  auto name = [&](int32_t v) {
    return v >= 0 && static_cast<size_t>(v) < names.size() ? names[v] : "?";
  };
  for (size_t r = 0; r < n; ++r) {
    const int member = static_cast<int>(r);
    require_arg(all[r] >= 0, variable, " is invalid on ", g.describe_rank(member),
                " (its own error says why); it must be valid and the same on every member");
    require_arg(all[r] == mine, variable,
                " must be the same on every member of the group: this member has ", name(mine),
                ", ", g.describe_rank(member), " has ", name(all[r]));
  }
  return mine;
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
