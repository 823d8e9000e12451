#include "comm/agreed_setting.hpp"

#include <cstdint>

#include "comm/bounded.hpp"
#include "core/error.hpp"

namespace mpcomm {

int agree_on_setting(Comm &comm, const char *variable, int mine, const std::string &invalid,
                     const std::vector<const char *> &names) {
  const size_t n = static_cast<size_t>(comm.size());
  std::vector<int32_t> all(n);
  const int32_t own = mine;
  const std::string what = concat("agreeing on ", variable);
  comm.run_bounded(what.c_str(), [&] {
    bounded_all_gather(comm.comm(), &own, all.data(), sizeof own, comm.timeout(), what.c_str());
  });
  if (mine < 0) throw Error(MPCOMM_ERR_INVALID_ARGUMENT, invalid);
  auto name = [&](int32_t v) {
    return v >= 0 && static_cast<size_t>(v) < names.size() ? names[v] : "?";
  };
  for (size_t r = 0; r < n; ++r) {
    const int member = static_cast<int>(r);
    require_arg(all[r] >= 0, variable, " is invalid on ", comm.describe_rank(member),
                " (its own error says why); it must be valid and the same on every member");
    require_arg(all[r] == mine, variable,
                " must be the same on every member of the group: this member has ", name(mine),
                ", ", comm.describe_rank(member), " has ", name(all[r]));
  }
  return mine;
}

}  // namespace mpcomm
