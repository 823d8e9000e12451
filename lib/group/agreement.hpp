// That the members of a group called a variable-size collective with arguments that fit
// together: the same sizes, dtype and shape (all_gatherv, reduce_scatterv), the same count and
// dtype (all_to_all), or counts that pair up (all_to_allv: send_counts[j] at member i equals
// recv_counts[i] at member j). MPI leaves a mismatch undefined (truncation, a hang, or a stray
// message that spoils a later call), so it is checked before any data moves.
//
// One XOR of a 64-bit value over the members per call, zero exactly when the members' facts fit
// together (but for a 2^-64 collision); only when it is not zero do the members exchange their
// facts (an all-gather), so that every member fails with the same INVALID_ARGUMENT naming the
// first member and value that differ. The XOR is the agreement's whole cost on a call that fits,
// and an MPI_Allreduce costs as much as a 4 KiB transfer: when every member is on one node
// (decided at the group's first agreement, with node_count), it goes through shared memory
// instead (comm/shm_exchange.hpp), a flag wait of a few hundred nanoseconds bounded by the
// group's timeout, which carries the call's data too when every member's fits (exchange_half):
// the data then moves in the same wait, and a member reads its peers' data only once the
// digests agree, so members that disagree read nothing; groups spanning nodes take a nonblocking
// MPI_Iallreduce polled against the same timeout (comm/bounded.hpp), so that a member that fails
// its own checks, or never comes, leaves the others a TIMEOUT, not a hang, on either path. Runs on
// Plane::kAgreement: a timeout (naming the members that had not arrived) or an MPI failure breaks
// the group, a disagreement does not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "host/exchange_collectives.hpp"
#include "mpcomm.h"

namespace mpcomm {

// How a group's agreement XORs: not decided before its first agreement (a group of one never
// agrees), then through shared memory when every member is on one node, else MPI_Allreduce.
enum class AgreementPath { kUndecided, kSharedMemory, kMpi };
AgreementPath agreement_path(const Comm &g);
// The group's agreements that carried every member's data (for tests: which path a call took).
uint64_t exchanged_calls(const Comm &g);

// The bytes of each member's half of the shared-memory exchange: the host plane's largest
// contribution; a larger call takes the agreement alone and then MPI.
constexpr size_t kExchangeCapacity = host::kExchangeMaxBytes;

// Where this member writes the next agreement's data, `bytes` of it, or nullptr when the
// group's agreement does not go through shared memory or the data does not fit. Collective at
// the group's first agreement (it decides the path then): every member calls it, or the
// agreement, at the same call.
char *exchange_half(Comm &g, size_t bytes);

// The members' data of an agreement in which every member wrote its own into exchange_half()
// and passed with_data: member r's at halves[r], valid until the member's next agreement but
// one. nullptr when any member did not.
using Exchanged = const char *const *;

// Every member passes its record of the facts that must be equal everywhere (the same length on
// every member); field(i) names entry i in the message ("sizes[2]").
Exchanged agree_on_record(Comm &g, const std::vector<int64_t> &record,
                          const std::function<std::string(size_t)> &field, bool with_data = false);

// all_to_allv's counts (g.size() entries each) and dtype.
Exchanged agree_on_pairs(Comm &g, const size_t *send_counts, const size_t *recv_counts,
                         mpcomm_datatype_t dtype, bool with_data = false);

}  // namespace mpcomm
