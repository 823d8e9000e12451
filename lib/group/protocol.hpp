// The wire protocol of objects on a group's communicator. An object travels as one eager message
// (a header, then the bytes when they fit in kEagerBytes) and, when it does not fit, as chunks
// of at most chunk_bytes() that follow the header on a data tag. Headers and chunks between a
// pair keep their order (MPI's non-overtaking rule per source, tag and communicator), so objects
// arrive in the order they were sent. A receiver whose buffer is too small still takes the whole
// object off the wire and keeps it for its next call, so senders never wait for a retry and the
// group stays in step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "group/group.hpp"
#include "group/object_channels.hpp"

namespace mpcomm::protocol {

// Control-plane tags on the group's communicator (1 to 15; see group.hpp).
enum Tag : int {
  kTagSend = 1,
  kTagSendData = 2,
  kTagBroadcast = 3,
  kTagBroadcastData = 4,
  kTagAllGather = 5,
  kTagAllGatherData = 6,
  kTagBarrier = 7,
};

// An object of fewer than kEagerBytes bytes travels as one message of exactly its bytes: the
// receiver learns the length from the message size, and the smallest objects stay within MPI's
// fastest (inline) path. A larger object is announced by a message of exactly kEagerBytes
// bytes, a size no small object has, that starts with a Header; its bytes follow in chunks.
struct Header {
  uint64_t length;  // bytes of the object
  uint32_t magic;   // kMagic: catches traffic that is not an object header
  uint32_t tag;     // the tag it was sent with
};
constexpr uint32_t kMagic = 0x4f4d504dU;  // "MPMO"

constexpr size_t kEagerBytes = 8192;
constexpr size_t kInlineBytes = kEagerBytes - 1;

// Largest chunk of a large object (64 MiB; always <= INT_MAX so MPI's int counts hold).
size_t chunk_bytes();
// Test knob: force a chunk size (bytes >= 1); 0 restores the default.
void set_chunk_bytes_for_testing(size_t bytes);

// Writes the eager message of an object of len bytes into msg (kEagerBytes): the object itself
// when inline, else the announcement. Returns the message's size.
size_t pack_eager(char *msg, const void *buf, size_t len, Tag tag);
// The object's length from a received eager message of `received` bytes; an inline object's
// bytes are the message itself. Throws Error(MPCOMM_ERR_MALFORMED) for a bad announcement.
uint64_t parse_eager(const char *msg, size_t received, Tag tag);
inline bool is_inline(uint64_t len) { return len <= kInlineBytes; }

// Waits for g.requests(); on expiry abandons them, marks the group broken and throws
// Error(MPCOMM_ERR_TIMEOUT) naming the ranks still pending: "<what> timed out after T s: ...".
void finish(mpcomm_group_s &g, const Deadline &deadline, const char *what);

// Waits, bounded by deadline, for the next message from src on tag and matches it
// (MPI_Improbe): *message for Requests::mrecv and *bytes its size. On expiry marks the group
// broken and throws Error(MPCOMM_ERR_TIMEOUT) as finish() does.
void probe(mpcomm_group_s &g, int src, Tag tag, const Deadline &deadline, const char *what,
           MPI_Message *message, size_t *bytes);

// Sends len bytes at data in chunks to every rank in [peers, peers+npeers) on tag.
void send_chunks(mpcomm_group_s &g, const char *data, size_t len, const int *peers, size_t npeers,
                 Tag tag, const Deadline &deadline, const char *what);
// Receives len bytes in chunks from src into data.
void recv_chunks(mpcomm_group_s &g, char *data, size_t len, int src, Tag tag,
                 const Deadline &deadline, const char *what);

// Throws Error(MPCOMM_ERR_TRUNCATED): what needs `needed` bytes, the buffer has `capacity`.
[[noreturn]] void truncated(uint64_t needed, size_t capacity, const char *what);

// Sends one object to each of peers: the eager message, then the chunks of a large object.
void send_object_to(mpcomm_group_s &g, const void *buf, size_t len, const int *peers, size_t npeers,
                    Tag tag, Tag data_tag, const Deadline &deadline, const char *what);

// Receives one object sent by send_object_to from src. An object that does not fit in capacity
// is kept in the group (key: tag, src) and returned by the next call; *len is set before a
// truncation.
void receive_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src, Tag tag,
                    Tag data_tag, const Deadline &deadline, const char *what);

// Takes the next message from src on a channel (object_channels.hpp), waiting until the
// deadline (then the group is broken and Error(TIMEOUT) names src, as probe() does). true: the
// object was in the channel and is in buf (*len set; too small a buffer keeps it in the group
// and throws Error(TRUNCATED), as receive_object does). false: it travels over MPI, where the
// caller takes it next.
bool receive_from_channel(mpcomm_group_s &g, ObjectChannels &channels, ObjectChannels::Kind kind,
                          int src, Tag tag, void *buf, size_t capacity, size_t *len,
                          const Deadline &deadline, const char *what);

// One eager message from every member to every other, in a collective call (an all-gather's
// objects, a barrier's empty tokens): sends `bytes` at mine to every other member and receives
// member r's message into msgs + r * stride (at most stride bytes), received[r] its bytes
// (received may be nullptr). Members on the caller's node go through their collective channel
// (or over MPI where it says so), the others over MPI. A member that has not sent by the
// deadline breaks the group: Error(TIMEOUT) "<what> timed out after T s: ... had not arrived".
void exchange_eager(mpcomm_group_s &g, ObjectChannels &channels, Tag tag, const char *mine,
                    size_t bytes, char *msgs, size_t stride, size_t *received,
                    const Deadline &deadline, const char *what);

// The barrier over MPI: every member sends an empty arrival token to every other member and
// waits for theirs (one message latency, and a timeout names exactly the members that had not
// arrived); groups above kAllToAllBarrierLimit take a dissemination barrier (log2(n) rounds,
// a timeout names the member each round waited for). On kTagBarrier.
constexpr int kAllToAllBarrierLimit = 32;
void mpi_barrier(mpcomm_group_s &g, const Deadline &deadline, const char *what);

// The group's object channels for a collective object call (`what`), made now when this is
// the group's first: after an MPI barrier, so that a member that never comes is named as in
// every call ("<what> timed out after T s: ... had not arrived") and the setup's own
// collectives cannot wait for it. nullptr when the caller has no channels.
ObjectChannels *collective_channels(mpcomm_group_s &g, const Deadline &deadline, const char *what);

// Runs one control-plane operation: refuses a broken group, reaps the object sends that have
// completed, and marks the group broken when the operation fails in a way that leaves the
// members out of step (timeout, MPI error, malformed traffic, out of memory half-way).
// Truncation leaves the group in step.
template <class Body>
void run_operation(mpcomm_group_s &g, Body &&body) {
  g.run(Plane::kControl, [&] {
    g.outbox().reap();
    body();
  });
}

// The timeout of a call that takes one: > 0 is itself, <= 0 is fallback; NaN and infinity are
// invalid arguments named `name`.
double timeout_argument(double seconds, double fallback, const char *name);

}  // namespace mpcomm::protocol
