// That the members of a group called a variable-size collective with arguments that fit
// together: the same sizes, dtype and shape (all_gatherv, reduce_scatterv), the same count and
// dtype (all_to_all), or counts that pair up (all_to_allv: send_counts[j] at member i equals
// recv_counts[i] at member j). MPI leaves a mismatch undefined (truncation, a hang, or a stray
// message that spoils a later call), so it is checked before any data moves.
//
// One MPI_Allreduce of a 64-bit XOR per call, zero exactly when the members' facts fit together
// (but for a 2^-64 collision); only when it is not zero do the members exchange their facts, so
// that every member fails with the same INVALID_ARGUMENT naming the first member and value that
// differ. It is a blocking call, as the data-plane call it precedes: a nonblocking, polled one
// would cost more than a 4 KiB transfer and bound nothing that call does not leave unbounded.
// Runs on Plane::kAgreement (an MPI failure breaks the group, a disagreement does not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "mpcomm.h"

namespace mpcomm {

// Every member passes its record of the facts that must be equal everywhere (the same length on
// every member); field(i) names entry i in the message ("sizes[2]").
void agree_on_record(Comm &g, const std::vector<int64_t> &record,
                     const std::function<std::string(size_t)> &field);

// all_to_allv's counts (g.size() entries each) and dtype.
void agree_on_pairs(Comm &g, const size_t *send_counts, const size_t *recv_counts,
                    mpcomm_datatype_t dtype);

}  // namespace mpcomm
