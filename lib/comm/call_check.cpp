#include "comm/call_check.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "comm/bounded.hpp"
#include "comm/comm.hpp"
#include "core/dtype.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/reduce_op.hpp"

namespace mpcomm {
namespace {

enum Field { kOperation, kSequence, kCount, kDtype, kOp, kRoot, kDim, kFields };
const char *const kFieldNames[kFields] = {"operation", "call number", "count", "dtype",
                                          "op",        "root",        "dim"};
// Fields of a member that failed its own checks: they lose every max (its arguments may be
// anything; its failure is reported instead).
constexpr int64_t kNeutral = std::numeric_limits<int64_t>::min();

int64_t clamped(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

void fields_of(const CallCheck &call, int64_t *out) {
  out[kOperation] = static_cast<int64_t>(fingerprint(call.name, std::strlen(call.name)) >> 2);
  out[kSequence] = clamped(call.sequence);
  out[kCount] = clamped(call.args.count);
  out[kDtype] = call.args.dtype;
  out[kOp] = call.args.op;
  out[kRoot] = call.args.root;
  out[kDim] = call.args.dim;
}

// What members gather once the allreduce found a difference, to name who differs.
struct Record {
  int64_t fields[kFields];
  int32_t failed;
  char name[40];
  char reason[200];
};

void copy_text(char *to, size_t capacity, const std::string &from) {
  const size_t n = std::min(from.size(), capacity - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

std::string value_text(const Record &r, int field) {
  const int64_t v = r.fields[field];
  switch (field) {
    case kOperation: return r.name;
    case kDtype:
      if (v >= 0 && v < MPCOMM_NUM_DATATYPES)
        return datatype_name(static_cast<mpcomm_datatype_t>(v));
      break;
    case kOp:
      if (v >= 0 && v < MPCOMM_NUM_OPS) return op_name(static_cast<mpcomm_op_t>(v));
      break;
    default: break;
  }
  return concat(v);
}

// "count: 10 at group ranks 0, 2 (global ranks 0, 2), 12 at group rank 1 (global rank 1)", over
// the members that count for the field (every member for the operation and the call number,
// those that passed their own checks for the arguments); empty when they agree.
std::string differences(const Comm &comm, const std::vector<Record> &all, int field) {
  std::map<std::string, std::vector<int>> members;
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].failed && field != kOperation && field != kSequence) continue;
    members[value_text(all[r], field)].push_back(static_cast<int>(r));
  }
  if (members.size() <= 1) return "";
  std::string text = concat(kFieldNames[field], ": ");
  bool first = true;
  for (const auto &[value, ranks] : members) {
    text += concat(first ? "" : ", ", value, " at ", comm.describe_ranks(ranks));
    first = false;
  }
  return text;
}

[[noreturn]] void report(Comm &comm, const CallCheck &call, const std::vector<Record> &all) {
  std::string summary = concat("the members' calls differ (MPCOMM_CHECK=1): ");
  bool any = false;
  // Members in different operations differ in their arguments too: the operation says it all.
  const int fields = differences(comm, all, kOperation).empty() ? kFields : kOperation + 1;
  for (int field = 0; field < fields; ++field) {
    const std::string d = differences(comm, all, field);
    if (d.empty()) continue;
    summary += concat(any ? "; " : "", d);
    any = true;
  }
  for (size_t r = 0; r < all.size(); ++r) {
    if (!all[r].failed) continue;
    summary += concat(any ? "; " : "", comm.describe_rank(static_cast<int>(r)),
                      " failed its own argument checks: ", all[r].reason);
    any = true;
  }
  summary += "; no data moved and the group is still usable";
  if (call.failed) throw Error(call.status, concat(call.reason, " [", summary, "]"));
  throw Error(MPCOMM_ERR_INVALID_ARGUMENT, summary);
}

}  // namespace

uint64_t fingerprint(const void *bytes, size_t length) {
  uint64_t h = 14695981039346656037ULL;
  const auto *p = static_cast<const unsigned char *>(bytes);
  for (size_t i = 0; i < length; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

bool checking_requested() { return env::boolean("MPCOMM_CHECK"); }

void agree_on_call(Comm &comm, const CallCheck &call) {
  int64_t mine[kFields];
  fields_of(call, mine);
  // max of v and of -v for each field: the largest and the smallest value in one allreduce.
  int64_t extremes[2 * kFields + 1];
  for (int f = 0; f < kFields; ++f) {
    const bool neutral = call.failed && f != kOperation && f != kSequence;
    extremes[2 * f] = neutral ? kNeutral : mine[f];
    extremes[2 * f + 1] = neutral ? kNeutral : -mine[f];
  }
  extremes[2 * kFields] = call.failed ? 1 : 0;
  const std::string what = concat("checking the arguments of ", call.name, " (MPCOMM_CHECK=1)");
  const double timeout_s = call.timeout_s > 0 ? call.timeout_s : comm.timeout();
  comm.run_bounded(
      what.c_str(),
      [&] { bounded_max_each(comm.comm(), extremes, 2 * kFields + 1, timeout_s, what.c_str()); },
      timeout_s);
  bool agreed = extremes[2 * kFields] == 0;
  for (int f = 0; f < kFields && agreed; ++f)
    agreed = extremes[2 * f] == kNeutral || extremes[2 * f] == -extremes[2 * f + 1];
  if (agreed) return;

  Record own{};
  std::copy(mine, mine + kFields, own.fields);
  own.failed = call.failed ? 1 : 0;
  copy_text(own.name, sizeof own.name, call.name);
  copy_text(own.reason, sizeof own.reason, call.reason);
  std::vector<Record> all(static_cast<size_t>(comm.size()));
  comm.run_bounded(
      what.c_str(),
      [&] {
        bounded_all_gather(comm.comm(), &own, all.data(), sizeof own, timeout_s, what.c_str());
      },
      timeout_s);
  report(comm, call, all);
}

}  // namespace mpcomm
