// mpcomm_group(3): making groups from communicators, reading them, their timeout, freeing them.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "api/entry.hpp"
#include "core/fortran_handle.hpp"
#include "group/group_create.hpp"

using mpcomm::api::entry;
using mpcomm::api::kMpi;
using mpcomm::api::kNothing;

extern "C" mpcomm_status_t mpcomm_group_from_comm(MPI_Comm comm, mpcomm_group_t *group) {
  return entry("mpcomm_group_from_comm", kMpi, [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_arg(comm != MPI_COMM_NULL, "comm must not be MPI_COMM_NULL");
    *group = mpcomm::group_from_comm(comm);
  });
}

extern "C" mpcomm_status_t mpcomm_group_from_comm_f(MPI_Fint comm, mpcomm_group_t *group) {
  return entry("mpcomm_group_from_comm_f", kMpi, [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    *group = mpcomm::group_from_comm(mpcomm::comm_from_fortran(comm, "comm"));
  });
}

extern "C" mpcomm_status_t mpcomm_group_from_ranks(MPI_Comm parent, const int *ranks, int n,
                                                   mpcomm_group_t *group) {
  return entry("mpcomm_group_from_ranks", kMpi, [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    mpcomm::require_arg(parent != MPI_COMM_NULL, "parent must not be MPI_COMM_NULL");
    mpcomm::require_not_null(ranks, "ranks");
    mpcomm::require_arg(n >= 1, "n must be >= 1, got ", n);
    *group = mpcomm::group_from_ranks(parent, ranks, n);
  });
}

extern "C" mpcomm_status_t mpcomm_group_from_ranks_f(MPI_Fint parent, const int *ranks, int n,
                                                     mpcomm_group_t *group) {
  return entry("mpcomm_group_from_ranks_f", kMpi, [&] {
    mpcomm::require_not_null(group, "group");
    *group = nullptr;
    const MPI_Comm c = mpcomm::comm_from_fortran(parent, "parent");
    mpcomm::require_not_null(ranks, "ranks");
    mpcomm::require_arg(n >= 1, "n must be >= 1, got ", n);
    *group = mpcomm::group_from_ranks(c, ranks, n);
  });
}

extern "C" mpcomm_status_t mpcomm_group_free(mpcomm_group_t *group) {
  // Works on a broken group and after MPI_Finalize. It waits only for the group's own object
  // sends, bounded by its timeout; those still pending then are reported, and the group is
  // freed all the same.
  return entry("mpcomm_group_free", kNothing, [&] {
    if (group == nullptr || *group == nullptr) return;  // as free(NULL)
    auto &g = mpcomm::api::group_ref(*group, "*group");
    mpcomm::require(g.owner().empty(), MPCOMM_ERR_INVALID_USAGE, "the group belongs to ", g.owner(),
                    "; destroy that instead");
    const std::string pending = g.finish_sends();
    delete &g;
    *group = nullptr;
    if (!pending.empty()) throw mpcomm::Error(MPCOMM_ERR_TIMEOUT, pending);
  });
}

namespace {

// The size of the first published mpcomm_group_info_t (through is_last_rank): every later
// version is at least this large and starts with it.
constexpr size_t kGroupInfoV1Size = offsetof(mpcomm_group_info_t, is_last_rank) + sizeof(int);

}  // namespace

extern "C" mpcomm_status_t mpcomm_group_info(mpcomm_group_t group, mpcomm_group_info_t *info) {
  return entry("mpcomm_group_info", kNothing, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(info, "info");
    const size_t size = info->struct_size;
    mpcomm::require_arg(size >= kGroupInfoV1Size, "info->struct_size (", size,
                        ") is smaller than the first version of mpcomm_group_info_t (",
                        kGroupInfoV1Size, "): set it to sizeof(mpcomm_group_info_t)");
    // A caller built with a newer header gets the fields this library knows; the rest of its
    // struct is left as it was.
    mpcomm_group_info_t out = g.info();
    out.struct_size = size;
    std::memcpy(info, &out, std::min(size, sizeof(out)));
  });
}

extern "C" mpcomm_status_t mpcomm_group_comm(mpcomm_group_t group, MPI_Comm *comm) {
  return entry("mpcomm_group_comm", kNothing, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(comm, "comm");
    *comm = g.comm();
  });
}

extern "C" mpcomm_status_t mpcomm_group_comm_f(mpcomm_group_t group, MPI_Fint *comm) {
  return entry("mpcomm_group_comm_f", kMpi, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(comm, "comm");
    *comm = MPI_Comm_c2f(g.comm());
  });
}

extern "C" mpcomm_status_t mpcomm_group_ranks(mpcomm_group_t group, int *ranks, size_t capacity) {
  return entry("mpcomm_group_ranks", kNothing, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(ranks, "ranks");
    mpcomm::require_arg(capacity >= static_cast<size_t>(g.size()),
                        "capacity must be at least the group size ", g.size(), ", got ", capacity);
    std::copy(g.global_ranks().begin(), g.global_ranks().end(), ranks);
  });
}

extern "C" mpcomm_status_t mpcomm_group_set_timeout(mpcomm_group_t group, double seconds) {
  return entry("mpcomm_group_set_timeout", kNothing, group,
               [&](mpcomm_group_s &g) { g.set_timeout(seconds); });
}

extern "C" mpcomm_status_t mpcomm_group_get_timeout(mpcomm_group_t group, double *seconds) {
  return entry("mpcomm_group_get_timeout", kNothing, group, [&](mpcomm_group_s &g) {
    mpcomm::require_not_null(seconds, "seconds");
    *seconds = g.timeout();
  });
}
