// mpcomm_group_enable_message_queue(3).
#include "group/message_queue.hpp"

#include "api/entry.hpp"

extern "C" mpcomm_status_t mpcomm_group_enable_message_queue(mpcomm_group_t group,
                                                             size_t chunk_bytes, int chunks) {
  return mpcomm::api::entry(
      "mpcomm_group_enable_message_queue", mpcomm::api::kCollective, group, [&](mpcomm_group_s &g) {
        // Checking mode compares the two sizes as one number ("count").
        const uint64_t sizes[2] = {chunk_bytes, static_cast<uint64_t>(chunks)};
        g.describe_call({mpcomm::fingerprint(sizes, sizeof sizes)});
        mpcomm::require_arg(chunks >= 0, "chunks must be >= 0 (0: the default), got ", chunks);
        mpcomm::require_arg(chunk_bytes <= (size_t{1} << 30),
                            "chunk_bytes must be at most 1 GiB, got ", chunk_bytes);
        g.enable_message_queue(chunk_bytes ? chunk_bytes : mpcomm::MessageQueue::kDefaultChunkBytes,
                               chunks ? chunks : mpcomm::MessageQueue::kDefaultChunks);
      });
}
