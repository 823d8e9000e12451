#include "parallel/pp_indices.hpp"

#include <string>

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace mpcomm::parallel {

namespace {

constexpr const char *kPartitionVariable = "MPCOMM_PP_LAYER_PARTITION";

std::string join(const std::vector<int> &values) {
  std::string text;
  for (int v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

// The partition the user asked for, checked as vLLM checks it (and, beyond vLLM, refusing
// negative layer counts, which would give a stage an end before its start).
std::vector<int> user_partition(const std::string &text, int num_layers, int pp_size) {
  std::vector<long> values;
  try {
    values = *env::integer_list(kPartitionVariable);
  } catch (const Error &e) {
    throw Error(MPCOMM_ERR_INVALID_ARGUMENT,
                concat("Invalid partition string: ", text, " (", e.what(), ")"));
  }
  for (long v : values)
    require_arg(v >= 0, "Invalid partition string: ", text, " (", kPartitionVariable,
                ": layer counts must be >= 0, got ", v, ")");
  require_arg(values.size() == static_cast<std::size_t>(pp_size), kPartitionVariable, "='", text,
              "': len(partitions)=", values.size(), " does not match pp_size=", pp_size, ".");
  long sum = 0;
  bool overflow = false;
  for (long v : values) overflow = overflow || __builtin_add_overflow(sum, v, &sum);
  require_arg(!overflow && sum == num_layers, kPartitionVariable, "='", text,
              "': sum(partitions)=", overflow ? std::string("(overflow)") : std::to_string(sum),
              " does not match num_hidden_layers=", num_layers, ".");
  // Every value lies in [0, num_layers] now, so it fits an int.
  return std::vector<int>(values.begin(), values.end());
}

}  // namespace

std::vector<int> pp_partition(int num_layers, int pp_size) {
  require_arg(num_layers >= 0, "num_layers must be >= 0, got ", num_layers);
  require_arg(pp_size >= 1, "pp_size must be >= 1, got ", pp_size);
  if (auto text = env::raw(kPartitionVariable)) return user_partition(*text, num_layers, pp_size);

  std::vector<int> partitions(pp_size, num_layers / pp_size);
  // The remainder goes to the stages before the last, from the second-to-last backwards: the
  // last stage also holds the final norm, the first the embedding.
  if (const int remaining = num_layers % pp_size) {
    for (int i = 2; i < remaining + 2; ++i) partitions[pp_size - i] += 1;
    log::info(log::Subsys::Init, "Hidden layers were unevenly partitioned: [", join(partitions),
              "]. This can be manually overridden using the ", kPartitionVariable,
              " environment variable");
  }
  return partitions;
}

std::pair<int, int> pp_indices(int num_layers, int pp_rank, int pp_size) {
  require_arg(pp_size >= 1, "pp_size must be >= 1, got ", pp_size);
  require_arg(pp_rank >= 0 && pp_rank < pp_size, "pp_rank (", pp_rank,
              ") must be in the range [0, ", pp_size, ")");
  const std::vector<int> partitions = pp_partition(num_layers, pp_size);
  int start = 0;
  for (int i = 0; i < pp_rank; ++i) start += partitions[i];
  return {start, start + partitions[pp_rank]};
}

}  // namespace mpcomm::parallel
