// The message-queue ring: messages in order through many wrap-arounds, a slow reader holds the
// writer back (and a writer that waits too long times out naming it), a missing writer is a
// timeout at the readers.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "group/shm_ring.hpp"

using mpcomm::Deadline;
using mpcomm::ShmRing;

namespace {

std::vector<int> all_local(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return std::vector<int>(static_cast<size_t>(size), 1);
}

int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

}  // namespace

TEST(ShmRing, MessagesArriveInOrderThroughWrapArounds) {
  ShmRing ring(MPI_COMM_WORLD, all_local(MPI_COMM_WORLD), 256, 3);
  const int messages = 500;
  for (int m = 0; m < messages; ++m) {
    std::string text =
        "message " + std::to_string(m) + std::string(static_cast<size_t>(m % 200), 'x');
    if (ring.is_writer()) {
      ring.write(text.data(), text.size(), false, Deadline(30));
    } else {
      auto msg = ring.peek(Deadline(30));
      ASSERT_FALSE(msg.elsewhere);
      ASSERT_EQ(std::string(msg.data, msg.length), text);
      ring.release();
    }
  }
}

TEST(ShmRing, PeekKeepsTheMessageUntilReleased) {
  ShmRing ring(MPI_COMM_WORLD, all_local(MPI_COMM_WORLD), 64, 2);
  if (ring.is_writer()) {
    ring.write("first", 5, false, Deadline(30));
    ring.write(nullptr, 1 << 20, true, Deadline(30));
  } else {
    auto a = ring.peek(Deadline(30));
    auto b = ring.peek(Deadline(30));
    EXPECT_EQ(std::string(a.data, a.length), "first");
    EXPECT_EQ(a.data, b.data);
    ring.release();
    auto c = ring.peek(Deadline(30));
    EXPECT_TRUE(c.elsewhere);
    EXPECT_EQ(c.length, size_t{1} << 20);
    ring.release();
  }
}

// A slot header is another process's memory: a length beyond the slot (a bad or dying writer)
// is MALFORMED at the reader, never a read past the slot.
TEST(ShmRing, ALengthBeyondTheSlotIsMalformed) {
  const int size = static_cast<int>(all_local(MPI_COMM_WORLD).size());
  ShmRing ring(MPI_COMM_WORLD, all_local(MPI_COMM_WORLD), 64, 2);
  if (ring.is_writer()) ring.write("fine", 4, false, Deadline(30));
  ShmRing::Message msg{nullptr, 0, false};
  if (!ring.is_writer()) {
    msg = ring.peek(Deadline(30));
    EXPECT_EQ(std::string(msg.data, msg.length), "fine");
  }
  MPI_Barrier(MPI_COMM_WORLD);  // every reader has its message before one spoils the header
  if (rank_of(MPI_COMM_WORLD) == 1) {
    // The slot's header (sequence, length, elsewhere) is one cache line per reader before the
    // data, the header's own line first.
    auto *header = reinterpret_cast<uint64_t *>(const_cast<char *>(msg.data) - 64 * size);
    EXPECT_EQ(header[1], 4u) << "the header is not where the layout says";
    if (header[1] == 4) {
      header[1] = uint64_t{1} << 40;
      try {
        ring.peek(Deadline(30));
        ADD_FAILURE() << "a length beyond the slot was accepted";
      } catch (const mpcomm::Error &e) {
        EXPECT_EQ(e.status(), MPCOMM_ERR_MALFORMED);
        EXPECT_NE(std::string(e.what()).find("1099511627776 bytes"), std::string::npos) << e.what();
      }
      header[1] = 4;
    }
  }
  if (!ring.is_writer()) ring.release();
  MPI_Barrier(MPI_COMM_WORLD);  // nobody frees the window while a reader still looks
}

TEST(ShmRing, ASlowReaderHoldsTheWriterBack) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) GTEST_SKIP() << "needs a reader";
  const int chunks = 2;
  ShmRing ring(MPI_COMM_WORLD, all_local(MPI_COMM_WORLD), 64, chunks);
  if (ring.is_writer()) {
    for (int m = 0; m < chunks; ++m) ring.write("x", 1, false, Deadline(30));
    // The ring is full until every reader has read message 1: a short wait times out and
    // names the readers.
    try {
      ring.write("y", 1, false, Deadline(0.2));
      ADD_FAILURE() << "the writer overwrote an unread slot";
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_TIMEOUT);
      EXPECT_NE(std::string(e.what()).find("group rank(s) 1"), std::string::npos) << e.what();
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (!ring.is_writer()) {
    for (int m = 0; m < chunks; ++m) {
      ring.peek(Deadline(30));
      ring.release();
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // Now the writer can go on, and readers see the next message.
  if (ring.is_writer()) {
    ring.write("z", 1, false, Deadline(30));
  } else {
    auto msg = ring.peek(Deadline(30));
    EXPECT_EQ(std::string(msg.data, msg.length), "z");
    ring.release();
  }
}

TEST(ShmRing, AMissingWriterIsATimeoutNamingIt) {
  ShmRing ring(MPI_COMM_WORLD, all_local(MPI_COMM_WORLD), 64, 2);
  if (!ring.is_writer()) {
    const double start = MPI_Wtime();
    try {
      ring.peek(Deadline(0.5));
      ADD_FAILURE();
    } catch (const mpcomm::Error &e) {
      EXPECT_EQ(e.status(), MPCOMM_ERR_TIMEOUT);
      EXPECT_NE(std::string(e.what()).find("writer, group rank 0"), std::string::npos);
    }
    EXPECT_LT(MPI_Wtime() - start, 1.5);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(ShmRing, RanksOffTheWritersNodeAreNotReaders) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Pretend the last rank lives elsewhere: it is no local reader and the others skip it.
  std::vector<int> local = all_local(MPI_COMM_WORLD);
  if (size > 1) local.back() = 0;
  ShmRing ring(MPI_COMM_WORLD, local, 64, 2);
  EXPECT_EQ(ring.local_readers().size(), static_cast<size_t>(size > 1 ? size - 2 : 0));
  if (size > 1 && rank_of(MPI_COMM_WORLD) == size - 1) {
    EXPECT_FALSE(ring.is_local_reader());
  }
  for (int m = 0; m < 5; ++m) {
    if (ring.is_writer())
      ring.write("m", 1, false, Deadline(30));
    else if (ring.is_local_reader()) {
      ring.peek(Deadline(30));
      ring.release();
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
}
