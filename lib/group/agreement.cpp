#include "group/agreement.hpp"

#include <mpi.h>

#include <memory>

#include "comm/bounded.hpp"
#include "comm/node_count.hpp"
#include "comm/shm_exchange.hpp"
#include "core/deadline.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace mpcomm {
namespace {

// splitmix64's finaliser: every input bit moves every output bit.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The agreement's state on a group, decided at its first agreement: whether every member is
// on one node, and then the shared-memory exchange and the view of the members' halves of its
// last call. Freed with the group, without waiting for anyone.
struct AgreementState : Attachment {
  AgreementPath path = AgreementPath::kUndecided;
  std::unique_ptr<ShmExchange> shm;
  std::vector<const char *> halves;
  uint64_t exchanged = 0;
};

// The group's agreement state, decided now if it is not yet: every member reaches its first
// agreement in the same v-collective, so the node count and the segments are collective.
AgreementState &agreement_state(Comm &g) {
  AgreementState *state = g.find<AgreementState>();
  if (state == nullptr) state = &g.attach(std::make_unique<AgreementState>());
  if (state->path != AgreementPath::kUndecided) return *state;
  AgreementPath path = AgreementPath::kMpi;
  g.run_bounded("setting up the v-collectives' agreement", [&] {
    if (node_count(g.comm(), g.timeout()) != 1) return;
    try {
      state->shm = std::make_unique<ShmExchange>(g.comm(), g.timeout(), kExchangeCapacity);
      path = AgreementPath::kSharedMemory;
    } catch (const Error &e) {
      // Every member fails alike to make the segments (shared_segments.hpp): all take MPI.
      if (e.status() != MPCOMM_ERR_SYSTEM) throw;
      log::warn(log::Subsys::Shm, GroupName{g},
                ": the v-collectives' agreement takes MPI: ", e.what());
    }
  });
  if (g.rank() == 0)
    log::info(log::Subsys::Coll, GroupName{g}, ": the v-collectives' agreement takes ",
              path == AgreementPath::kSharedMemory ? "shared memory (one node)" : "MPI_Iallreduce");
  state->path = path;
  state->halves.assign(static_cast<size_t>(g.size()), nullptr);
  return *state;
}

// XOR of every member's contribution: zero when the facts fit together. exchanged: set to the
// members' halves when they all passed with_data (on shared memory).
uint64_t xor_over_members(Comm &g, uint64_t mine, bool with_data, Exchanged &exchanged) {
  uint64_t all = mine;
  exchanged = nullptr;
  AgreementState &state = agreement_state(g);
  if (state.path == AgreementPath::kSharedMemory) {
    g.run(Plane::kAgreement, [&] {
      try {
        ShmExchange &x = *state.shm;
        x.publish(mine, with_data);
        all = x.collect(Deadline(g.timeout()));
        if (all != 0 || !x.all_data()) return;
        for (int r = 0; r < g.size(); ++r) state.halves[static_cast<size_t>(r)] = x.half(r);
        exchanged = state.halves.data();
        ++state.exchanged;
      } catch (const Error &e) {
        if (e.status() != MPCOMM_ERR_TIMEOUT) throw;
        throw Error(
            MPCOMM_ERR_TIMEOUT,
            concat("the members' agreement on the call's sizes timed out after ", g.timeout(),
                   " s: ", g.describe_ranks(state.shm->late_ranks()), " had not arrived"));
      }
    });
    return all;
  }
  g.run(Plane::kAgreement, [&] {
    all = bounded_xor(g.comm(), mine, g.timeout(), "in the members' agreement on the call's sizes");
  });
  return all;
}

std::vector<int64_t> gather_records(Comm &g, const std::vector<int64_t> &mine) {
  std::vector<int64_t> all(mine.size() * static_cast<size_t>(g.size()));
  g.run(Plane::kAgreement, [&] {
    bounded_all_gather(g.comm(), mine.data(), all.data(), mine.size() * sizeof(int64_t),
                       g.timeout(), "gathering the members' sizes to name the one that differs");
  });
  return all;
}

}  // namespace

AgreementPath agreement_path(const Comm &g) {
  const AgreementState *state = g.find<AgreementState>();
  return state == nullptr ? AgreementPath::kUndecided : state->path;
}

uint64_t exchanged_calls(const Comm &g) {
  const AgreementState *state = g.find<AgreementState>();
  return state == nullptr ? 0 : state->exchanged;
}

char *exchange_half(Comm &g, size_t bytes) {
  AgreementState &state = agreement_state(g);
  if (state.path != AgreementPath::kSharedMemory || bytes > state.shm->capacity()) return nullptr;
  return state.shm->next_half();
}

Exchanged agree_on_record(Comm &g, const std::vector<int64_t> &record,
                          const std::function<std::string(size_t)> &field, bool with_data) {
  uint64_t digest = mix(record.size());
  for (int64_t v : record) digest = mix(digest ^ static_cast<uint64_t>(v));
  // Member r adds its digest keyed by r and by r + 1: around the ring each key comes twice,
  // and the pairs cancel exactly when neighbours hold equal digests.
  const auto n = static_cast<uint64_t>(g.size()), r = static_cast<uint64_t>(g.rank());
  const uint64_t mine = mix(digest ^ mix(r)) ^ mix(digest ^ mix((r + 1) % n));
  Exchanged exchanged = nullptr;
  if (xor_over_members(g, mine, with_data, exchanged) == 0) return exchanged;
  const std::vector<int64_t> all = gather_records(g, record);
  const size_t len = record.size();
  for (int m = 1; m < g.size(); ++m)
    for (size_t i = 0; i < len; ++i) {
      const int64_t theirs = all[static_cast<size_t>(m) * len + i], first = all[i];
      if (theirs != first)
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("the members disagree on ", field(i), ": ", g.describe_rank(m),
                           " passed ", theirs, ", ", g.describe_rank(0), " passed ", first));
    }
  throw Error(MPCOMM_ERR_INTERNAL, "the members' arguments differ, but no difference was found");
}

Exchanged agree_on_pairs(Comm &g, const size_t *send_counts, const size_t *recv_counts,
                         mpcomm_datatype_t dtype, bool with_data) {
  const auto n = static_cast<uint64_t>(g.size()), me = static_cast<uint64_t>(g.rank());
  const auto pair = [&](uint64_t from, uint64_t to, uint64_t count) {
    return mix(mix(mix(from * n + to) ^ count) ^ static_cast<uint64_t>(dtype));
  };
  // Every pair (i, j) comes once as member i's send and once as member j's receive.
  uint64_t mine = 0;
  for (uint64_t j = 0; j < n; ++j)
    mine ^= pair(me, j, send_counts[j]) ^ pair(j, me, recv_counts[j]);
  Exchanged exchanged = nullptr;
  if (xor_over_members(g, mine, with_data, exchanged) == 0) return exchanged;
  const size_t len = 1 + 2 * n;
  std::vector<int64_t> record(len);
  record[0] = dtype;
  for (size_t j = 0; j < n; ++j) {
    record[1 + j] = static_cast<int64_t>(send_counts[j]);
    record[1 + n + j] = static_cast<int64_t>(recv_counts[j]);
  }
  const std::vector<int64_t> all = gather_records(g, record);
  const auto at = [&](size_t member, size_t i) { return all[member * len + i]; };
  for (size_t m = 1; m < n; ++m)
    if (at(m, 0) != at(0, 0))
      throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                  concat("the members disagree on dtype: ", g.describe_rank(static_cast<int>(m)),
                         " passed ", datatype_name(static_cast<mpcomm_datatype_t>(at(m, 0))), ", ",
                         g.describe_rank(0), " passed ",
                         datatype_name(static_cast<mpcomm_datatype_t>(at(0, 0)))));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (at(i, 1 + j) != at(j, 1 + n + i))
        throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                    concat("the counts do not pair up: ", g.describe_rank(static_cast<int>(i)),
                           " sends send_counts[", j, "] = ", static_cast<size_t>(at(i, 1 + j)),
                           " elements to ", g.describe_rank(static_cast<int>(j)),
                           ", which expects recv_counts[", i,
                           "] = ", static_cast<size_t>(at(j, 1 + n + i))));
  throw Error(MPCOMM_ERR_INTERNAL, "the members' counts differ, but no difference was found");
}

}  // namespace mpcomm
