#include "group/outbox.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/abandoned.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm {

Outbox::~Outbox() { abandon(); }

size_t Outbox::limit() {
  if (!limit_) limit_ = static_cast<size_t>(env::integer("MPCOMM_SEND_OBJECT_BUFFER"));
  return *limit_;
}

char *Outbox::new_block(size_t bytes) {
  require(bytes <= SIZE_MAX - kHeader, MPCOMM_ERR_NO_MEMORY, "a copy of ", bytes, " bytes");
  void *block = std::malloc(kHeader + bytes);
  if (block == nullptr) throw std::bad_alloc();
  new (block) std::atomic<size_t>(1);
  return static_cast<char *>(block);
}

void Outbox::release_block(void *block) noexcept {
  auto *refs = static_cast<std::atomic<size_t> *>(block);
  if (refs->fetch_sub(1) != 1) return;
  refs->~atomic();
  std::free(block);
}

bool Outbox::complete(Entry &entry) {
  int done = 0;
  mpi_check(MPI_Testall(static_cast<int>(entry.requests.size()), entry.requests.data(), &done,
                        MPI_STATUSES_IGNORE),
            "MPI_Testall (a buffered send_object)");
  return done != 0;
}

void Outbox::reap() {
  // In posting order, so that an MPI error is met at the oldest send.
  auto kept = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (complete(*it)) {
      bytes_ -= it->bytes;
      release_block(it->block);
      add_background_sends(-1);
      continue;
    }
    if (kept != it) *kept = std::move(*it);
    ++kept;
  }
  entries_.erase(kept, entries_.end());
}

bool Outbox::make_room(size_t bytes, const Deadline &deadline) {
  return poll_until(deadline, [&] {
    reap();
    return bytes_ + bytes <= limit();
  });
}

bool Outbox::drain(const Deadline &deadline) {
  return poll_until(deadline, [&] {
    reap();
    return entries_.empty();
  });
}

void Outbox::post(const char *eager, size_t message, const void *data, size_t len, size_t chunk,
                  int dst, int tag, int data_tag, MPI_Comm comm) {
  require(message <= INT_MAX && chunk <= INT_MAX, MPCOMM_ERR_INTERNAL, "a message of more than ",
          INT_MAX, " bytes");
  entries_.reserve(entries_.size() + 1);  // no allocation after the sends are posted
  Entry entry;
  entry.bytes = message + len;
  entry.dst = dst;
  entry.requests.reserve(1 + (len + chunk - 1) / chunk);
  entry.block = new_block(entry.bytes);
  char *const copy = entry.block + kHeader;
  if (message) std::memcpy(copy, eager, message);
  if (len) std::memcpy(copy + message, data, len);
  // Requests go into the outbox even when a later post fails: never freed while incomplete.
  const auto isend = [&](const char *bytes, size_t n, int t) {
    MPI_Request request = MPI_REQUEST_NULL;
    const int code = MPI_Isend(bytes, static_cast<int>(n), MPI_BYTE, dst, t, comm, &request);
    if (code == MPI_SUCCESS) entry.requests.push_back(request);
    return code;
  };
  int code = isend(copy, message, tag);
  for (size_t offset = 0; code == MPI_SUCCESS && offset < len; offset += chunk)
    code = isend(copy + message + offset, std::min(chunk, len - offset), data_tag);
  bytes_ += entry.bytes;
  entries_.push_back(std::move(entry));
  add_background_sends(1);
  mpi_check(code, "MPI_Isend (a buffered send_object)");
}

std::vector<int> Outbox::pending_peers() const {
  std::vector<int> peers;
  for (const Entry &e : entries_) peers.push_back(e.dst);
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return peers;
}

void Outbox::abandon() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  for (Entry &e : entries_) {
    size_t pending = 0;
    for (MPI_Request r : e.requests) pending += r != MPI_REQUEST_NULL;
    if (pending == 0) {
      release_block(e.block);
    } else if (finalized) {
      keep_until_exit(e.block);
    } else {
      // Each parked request holds one reference; the last to complete frees the copy.
      static_cast<std::atomic<size_t> *>(static_cast<void *>(e.block))->store(pending);
      for (MPI_Request r : e.requests)
        if (r != MPI_REQUEST_NULL) keep_until_done(r, e.block, release_block);
    }
  }
  add_background_sends(-static_cast<long>(entries_.size()));
  entries_.clear();
  bytes_ = 0;
}

}  // namespace mpcomm
