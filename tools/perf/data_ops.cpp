// The host data-plane operations of a group (mpcomm_all_reduce, mpcomm_all_gather,
// mpcomm_reduce_scatter, mpcomm_broadcast, mpcomm_send/mpcomm_recv, mpcomm_all_gatherv,
// mpcomm_reduce_scatterv, mpcomm_all_to_all, mpcomm_all_to_allv) on host buffers of the -d
// type, next to the plain MPI call that does the same: MPI_Allreduce, MPI_Allgather,
// MPI_Reduce_scatter_block, MPI_Bcast, MPI_Send/MPI_Recv, MPI_Allgatherv, MPI_Reduce_scatter,
// MPI_Alltoall, MPI_Alltoallv. Sizes are nccl-tests': the whole
// buffer of all_reduce and broadcast, the gathered output of all_gather and the input of
// reduce_scatter (size x count per rank), one message of sendrecv.
#include <dlpack/dlpack.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/dtype.hpp"
#include "mpcomm.h"
#include "perf/ops.hpp"
#include "perf/values.hpp"

namespace perf {
namespace {

using mpcomm::element_size;

// What the typed benchmarks share: the context, the type, the operator, and the count of
// elements that one rank contributes.
class Typed : public Benchmark {
 public:
  explicit Typed(const Context &c)
      : c_(c), dtype_(c.options->dtype), op_(c.options->redop), es_(element_size(dtype_)) {}

 protected:
  // Elements per rank for a row of `bytes` that spans `parts` ranks' worth (at least one).
  size_t count_for(size_t bytes, int parts) const {
    return std::max<size_t>(1, bytes / es_ / static_cast<size_t>(parts));
  }
  // Elements of got that differ from rank's input of `round` (data movement).
  size_t wrong_moved(const void *got, size_t count, int rank, unsigned round) const {
    TypedBuffer want;
    want.resize(count, dtype_);
    fill_values(want.data(), count, 0, dtype_, rank, round, MPCOMM_SUM, c_.size);
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i)
      if (!same_value(element_value(got, i, dtype_), element_value(want.data(), i, dtype_), dtype_))
        ++wrong;
    return wrong;
  }
  // Elements of got that differ from the reduction of elements offset.. of every rank's input.
  size_t wrong_reduced(const void *got, size_t count, size_t offset, unsigned round) const {
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i)
      if (!same_value(element_value(got, i, dtype_),
                      reduced_value(offset + i, c_.size, round, op_, dtype_), dtype_))
        ++wrong;
    return wrong;
  }

  Context c_;
  mpcomm_datatype_t dtype_;
  mpcomm_op_t op_;
  size_t es_;
};

// With --mem-alloc, send and recv are buffers of mpcomm_mem_alloc, which the shared-memory
// allreduce reads in place; the MPI baseline then runs on the same buffers.
class AllReduce : public Typed {
 public:
  using Typed::Typed;
  ~AllReduce() override { free_pool(); }
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, 1);
    if (c_.options->mem_alloc) {
      free_pool();  // collective sizes: every rank runs the same sizes in the same order
      ok(mpcomm_mem_alloc(c_.group, count_ * es_, &send_p_), "mpcomm_mem_alloc");
      ok(mpcomm_mem_alloc(c_.group, count_ * es_, &recv_p_), "mpcomm_mem_alloc");
    } else {
      send_.resize(count_, dtype_);
      recv_.resize(count_, dtype_);
      send_p_ = send_.data();
      recv_p_ = recv_.data();
    }
    fill_values(send_p_, count_, 0, dtype_, c_.rank, 0, op_, c_.size);
    return count_ * es_;
  }
  void run_once() override {
    ok(mpcomm_all_reduce(c_.group, send_p_, recv_p_, count_, dtype_, op_, nullptr),
       "mpcomm_all_reduce");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, true);
    mpi_ok(MPI_Allreduce(send_p_, recv_p_, l.count, l.type, mpi_baseline_op(op_), c_.baseline_comm),
           "MPI_Allreduce");
  }
  size_t check(unsigned round) override {
    fill_values(send_p_, count_, 0, dtype_, c_.rank, round, op_, c_.size);
    std::memset(recv_p_, 0, count_ * es_);
    run_once();
    return wrong_reduced(recv_p_, count_, 0, round);
  }

 private:
  void free_pool() {
    if (!c_.options->mem_alloc) return;
    mpcomm_mem_free(c_.group, send_p_);
    mpcomm_mem_free(c_.group, recv_p_);
    send_p_ = recv_p_ = nullptr;
  }

  size_t count_ = 0;
  TypedBuffer send_, recv_;
  void *send_p_ = nullptr, *recv_p_ = nullptr;
};

class AllGather : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, c_.size);
    in_.resize(count_, dtype_);
    out_.resize(count_ * static_cast<size_t>(c_.size), dtype_);
    fill_values(in_.data(), count_, 0, dtype_, c_.rank, 0, MPCOMM_SUM, c_.size);
    tin_.wrap(in_, dtype_);
    tout_.wrap(out_, dtype_);
    return count_ * static_cast<size_t>(c_.size) * es_;
  }
  void run_once() override {
    ok(mpcomm_all_gather(c_.group, &tin_.t, &tout_.t, 0, nullptr), "mpcomm_all_gather");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, false);
    mpi_ok(
        MPI_Allgather(in_.data(), l.count, l.type, out_.data(), l.count, l.type, c_.baseline_comm),
        "MPI_Allgather");
  }
  // Rank r's block holds rank r's values.
  size_t check(unsigned round) override {
    fill_values(in_.data(), count_, 0, dtype_, c_.rank, round, MPCOMM_SUM, c_.size);
    std::memset(out_.data(), 0, out_.count() * es_);
    run_once();
    size_t wrong = 0;
    for (int r = 0; r < c_.size; ++r)
      wrong += wrong_moved(static_cast<char *>(out_.data()) + r * count_ * es_, count_, r, round);
    return wrong;
  }

 private:
  size_t count_ = 0;  // per rank
  TypedBuffer in_, out_;
  Tensor1d tin_, tout_;
};

class ReduceScatter : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, c_.size);
    in_.resize(count_ * static_cast<size_t>(c_.size), dtype_);
    out_.resize(count_, dtype_);
    fill_values(in_.data(), in_.count(), 0, dtype_, c_.rank, 0, op_, c_.size);
    tin_.wrap(in_, dtype_);
    tout_.wrap(out_, dtype_);
    return in_.count() * es_;
  }
  void run_once() override {
    ok(mpcomm_reduce_scatter(c_.group, &tin_.t, &tout_.t, 0, op_, nullptr),
       "mpcomm_reduce_scatter");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, true);
    mpi_ok(MPI_Reduce_scatter_block(in_.data(), out_.data(), l.count, l.type, mpi_baseline_op(op_),
                                    c_.baseline_comm),
           "MPI_Reduce_scatter_block");
  }
  // This rank's slice is the reduction of element rank * count + i of every rank's input.
  size_t check(unsigned round) override {
    fill_values(in_.data(), in_.count(), 0, dtype_, c_.rank, round, op_, c_.size);
    std::memset(out_.data(), 0, count_ * es_);
    run_once();
    return wrong_reduced(out_.data(), count_, static_cast<size_t>(c_.rank) * count_, round);
  }

 private:
  size_t count_ = 0;  // per rank
  TypedBuffer in_, out_;
  Tensor1d tin_, tout_;
};

// From group rank 0.
class Broadcast : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, 1);
    buf_.resize(count_, dtype_);
    fill_values(buf_.data(), count_, 0, dtype_, 0, 0, MPCOMM_SUM, c_.size);
    return count_ * es_;
  }
  void run_once() override {
    ok(mpcomm_broadcast(c_.group, buf_.data(), count_, dtype_, 0, nullptr), "mpcomm_broadcast");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, false);
    mpi_ok(MPI_Bcast(buf_.data(), l.count, l.type, 0, c_.baseline_comm), "MPI_Bcast");
  }
  size_t check(unsigned round) override {
    if (c_.rank == 0)
      fill_values(buf_.data(), count_, 0, dtype_, 0, round, MPCOMM_SUM, c_.size);
    else
      std::memset(buf_.data(), 0, count_ * es_);
    run_once();
    return wrong_moved(buf_.data(), count_, 0, round);
  }

 private:
  size_t count_ = 0;
  TypedBuffer buf_;
};

// Ping-pong between group ranks 0 and 1 (the others wait); a call is a round trip.
class SendRecv : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, 1);
    buf_.resize(count_, dtype_);
    fill_values(buf_.data(), count_, 0, dtype_, 0, 0, MPCOMM_SUM, c_.size);
    return count_ * es_;
  }
  void run_once() override {
    if (c_.rank == 0) {
      ok(mpcomm_send(c_.group, buf_.data(), count_, dtype_, 1, nullptr), "mpcomm_send");
      ok(mpcomm_recv(c_.group, buf_.data(), count_, dtype_, 1, nullptr), "mpcomm_recv");
    } else if (c_.rank == 1) {
      ok(mpcomm_recv(c_.group, buf_.data(), count_, dtype_, 0, nullptr), "mpcomm_recv");
      ok(mpcomm_send(c_.group, buf_.data(), count_, dtype_, 0, nullptr), "mpcomm_send");
    }
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, false);
    if (c_.rank == 0) {
      mpi_ok(MPI_Send(buf_.data(), l.count, l.type, 1, 0, c_.baseline_comm), "MPI_Send");
      mpi_ok(MPI_Recv(buf_.data(), l.count, l.type, 1, 0, c_.baseline_comm, MPI_STATUS_IGNORE),
             "MPI_Recv");
    } else if (c_.rank == 1) {
      mpi_ok(MPI_Recv(buf_.data(), l.count, l.type, 0, 0, c_.baseline_comm, MPI_STATUS_IGNORE),
             "MPI_Recv");
      mpi_ok(MPI_Send(buf_.data(), l.count, l.type, 0, 0, c_.baseline_comm), "MPI_Send");
    }
  }
  // Rank 0 sends round's values of rank 0, rank 1 checks them and answers with its own.
  size_t check(unsigned round) override {
    size_t wrong = 0;
    if (c_.rank == 0) {
      fill_values(buf_.data(), count_, 0, dtype_, 0, round, MPCOMM_SUM, c_.size);
      ok(mpcomm_send(c_.group, buf_.data(), count_, dtype_, 1, nullptr), "mpcomm_send");
      std::memset(buf_.data(), 0, count_ * es_);
      ok(mpcomm_recv(c_.group, buf_.data(), count_, dtype_, 1, nullptr), "mpcomm_recv");
      wrong = wrong_moved(buf_.data(), count_, 1, round);
    } else if (c_.rank == 1) {
      std::memset(buf_.data(), 0, count_ * es_);
      ok(mpcomm_recv(c_.group, buf_.data(), count_, dtype_, 0, nullptr), "mpcomm_recv");
      wrong = wrong_moved(buf_.data(), count_, 0, round);
      fill_values(buf_.data(), count_, 0, dtype_, 1, round, MPCOMM_SUM, c_.size);
      ok(mpcomm_send(c_.group, buf_.data(), count_, dtype_, 0, nullptr), "mpcomm_send");
    }
    return wrong;
  }

 private:
  size_t count_ = 0;
  TypedBuffer buf_;
};

// The variable-size collectives with member r's block (r % 2 + 1) / 1.5 times the mean, so that
// sizes differ between neighbours; the row's size is the whole gathered (or scattered) buffer.
class VSizes : public Typed {
 public:
  using Typed::Typed;

 protected:
  // counts_ (per member, elements) and displs_ for about `bytes` in all.
  size_t make_counts(size_t bytes) {
    const size_t n = static_cast<size_t>(c_.size), mean = count_for(bytes, c_.size);
    counts_.assign(n, 0);
    displs_.assign(n, 0);
    total_ = 0;
    for (size_t r = 0; r < n; ++r) {
      counts_[r] = std::max<size_t>(1, mean * (r % 2 + 1) * 2 / 3);
      displs_[r] = total_;
      total_ += counts_[r];
    }
    int_counts_.assign(counts_.begin(), counts_.end());
    int_displs_.assign(displs_.begin(), displs_.end());
    return total_;
  }
  size_t mine() const { return counts_[static_cast<size_t>(c_.rank)]; }

  std::vector<size_t> counts_, displs_;
  std::vector<int> int_counts_, int_displs_;
  size_t total_ = 0;
};

class AllGatherV : public VSizes {
 public:
  using VSizes::VSizes;
  size_t setup(size_t bytes) override {
    make_counts(bytes);
    in_.resize(mine(), dtype_);
    out_.resize(total_, dtype_);
    fill_values(in_.data(), mine(), 0, dtype_, c_.rank, 0, MPCOMM_SUM, c_.size);
    tin_.wrap(in_, dtype_);
    tout_.wrap(out_, dtype_);
    return total_ * es_;
  }
  void run_once() override {
    ok(mpcomm_all_gatherv(c_.group, &tin_.t, &tout_.t, counts_.data(), 0, nullptr),
       "mpcomm_all_gatherv");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, mine(), false);
    mpi_ok(MPI_Allgatherv(in_.data(), l.count, l.type, out_.data(), int_counts_.data(),
                          int_displs_.data(), l.type, c_.baseline_comm),
           "MPI_Allgatherv");
  }
  size_t check(unsigned round) override {
    fill_values(in_.data(), mine(), 0, dtype_, c_.rank, round, MPCOMM_SUM, c_.size);
    std::memset(out_.data(), 0, total_ * es_);
    run_once();
    size_t wrong = 0;
    for (int r = 0; r < c_.size; ++r)
      wrong +=
          wrong_moved(static_cast<char *>(out_.data()) + displs_[r] * es_, counts_[r], r, round);
    return wrong;
  }

 private:
  TypedBuffer in_, out_;
  Tensor1d tin_, tout_;
};

class ReduceScatterV : public VSizes {
 public:
  using VSizes::VSizes;
  size_t setup(size_t bytes) override {
    make_counts(bytes);
    in_.resize(total_, dtype_);
    out_.resize(mine(), dtype_);
    fill_values(in_.data(), total_, 0, dtype_, c_.rank, 0, op_, c_.size);
    tin_.wrap(in_, dtype_);
    tout_.wrap(out_, dtype_);
    return total_ * es_;
  }
  void run_once() override {
    ok(mpcomm_reduce_scatterv(c_.group, &tin_.t, &tout_.t, counts_.data(), 0, op_, nullptr),
       "mpcomm_reduce_scatterv");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, mine(), true);
    if (l.count != static_cast<int>(mine())) {  // 16-bit floats: MPI has no such type
      mpi_ok(MPI_Reduce_scatter_block(in_.data(), out_.data(), l.count, l.type,
                                      mpi_baseline_op(op_), c_.baseline_comm),
             "MPI_Reduce_scatter_block");
      return;
    }
    mpi_ok(MPI_Reduce_scatter(in_.data(), out_.data(), int_counts_.data(), l.type,
                              mpi_baseline_op(op_), c_.baseline_comm),
           "MPI_Reduce_scatter");
  }
  size_t check(unsigned round) override {
    fill_values(in_.data(), total_, 0, dtype_, c_.rank, round, op_, c_.size);
    std::memset(out_.data(), 0, mine() * es_);
    run_once();
    return wrong_reduced(out_.data(), mine(), displs_[static_cast<size_t>(c_.rank)], round);
  }

 private:
  TypedBuffer in_, out_;
  Tensor1d tin_, tout_;
};

// Element i of the block that member `from` sends to member `to`: from's input at an offset
// that differs per destination, so that a block delivered to the wrong place is seen.
size_t block_offset(int to, size_t count) { return static_cast<size_t>(to) * count; }

class AllToAll : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, c_.size);
    send_.resize(count_ * static_cast<size_t>(c_.size), dtype_);
    recv_.resize(count_ * static_cast<size_t>(c_.size), dtype_);
    fill_values(send_.data(), send_.count(), 0, dtype_, c_.rank, 0, MPCOMM_SUM, c_.size);
    return send_.count() * es_;
  }
  void run_once() override {
    ok(mpcomm_all_to_all(c_.group, send_.data(), recv_.data(), count_, dtype_, nullptr),
       "mpcomm_all_to_all");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, false);
    mpi_ok(MPI_Alltoall(send_.data(), l.count, l.type, recv_.data(), l.count, l.type,
                        c_.baseline_comm),
           "MPI_Alltoall");
  }
  // Block r of recv is block `rank` of member r's send.
  size_t check(unsigned round) override {
    fill_values(send_.data(), send_.count(), 0, dtype_, c_.rank, round, MPCOMM_SUM, c_.size);
    std::memset(recv_.data(), 0, recv_.count() * es_);
    run_once();
    size_t wrong = 0;
    TypedBuffer want;
    want.resize(count_, dtype_);
    for (int r = 0; r < c_.size; ++r) {
      fill_values(want.data(), count_, block_offset(c_.rank, count_), dtype_, r, round, MPCOMM_SUM,
                  c_.size);
      const char *got = static_cast<const char *>(recv_.data()) + r * count_ * es_;
      for (size_t i = 0; i < count_; ++i)
        if (!same_value(element_value(got, i, dtype_), element_value(want.data(), i, dtype_),
                        dtype_))
          ++wrong;
    }
    return wrong;
  }

 private:
  size_t count_ = 0;  // per member
  TypedBuffer send_, recv_;
};

// Member i sends (i + j) % 2 + 1 thirds of the mean to member j: counts differ per pair.
class AllToAllV : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    const size_t n = static_cast<size_t>(c_.size);
    mean_ = count_for(bytes, c_.size);
    sc_.assign(n, 0), sd_.assign(n, 0), rc_.assign(n, 0), rd_.assign(n, 0);
    size_t sent = 0, received = 0;
    for (int j = 0; j < c_.size; ++j) {
      sc_[j] = pair_count(c_.rank, j), sd_[j] = sent, sent += sc_[j];
      rc_[j] = pair_count(j, c_.rank), rd_[j] = received, received += rc_[j];
    }
    isc_.assign(sc_.begin(), sc_.end()), isd_.assign(sd_.begin(), sd_.end());
    irc_.assign(rc_.begin(), rc_.end()), ird_.assign(rd_.begin(), rd_.end());
    send_.resize(sent, dtype_);
    recv_.resize(received, dtype_);
    fill_values(send_.data(), sent, 0, dtype_, c_.rank, 0, MPCOMM_SUM, c_.size);
    return sent * es_;
  }
  void run_once() override {
    ok(mpcomm_all_to_allv(c_.group, send_.data(), sc_.data(), sd_.data(), recv_.data(), rc_.data(),
                          rd_.data(), dtype_, nullptr),
       "mpcomm_all_to_allv");
  }
  void baseline_once() override {
    const MPI_Datatype type = mpi_layout(dtype_, 1, false).type;
    mpi_ok(MPI_Alltoallv(send_.data(), isc_.data(), isd_.data(), type, recv_.data(), irc_.data(),
                         ird_.data(), type, c_.baseline_comm),
           "MPI_Alltoallv");
  }
  // Block r of recv is what member r sent us: its input from its displacement for us on.
  size_t check(unsigned round) override {
    fill_values(send_.data(), send_.count(), 0, dtype_, c_.rank, round, MPCOMM_SUM, c_.size);
    std::memset(recv_.data(), 0, recv_.count() * es_);
    run_once();
    size_t wrong = 0;
    TypedBuffer want;
    for (int r = 0; r < c_.size; ++r) {
      size_t their_displ = 0;
      for (int j = 0; j < c_.rank; ++j) their_displ += pair_count(r, j);
      want.resize(rc_[r], dtype_);
      fill_values(want.data(), rc_[r], their_displ, dtype_, r, round, MPCOMM_SUM, c_.size);
      const char *got = static_cast<const char *>(recv_.data()) + rd_[r] * es_;
      for (size_t i = 0; i < rc_[r]; ++i)
        if (!same_value(element_value(got, i, dtype_), element_value(want.data(), i, dtype_),
                        dtype_))
          ++wrong;
    }
    return wrong;
  }

 private:
  size_t pair_count(int from, int to) const {
    return std::max<size_t>(1, mean_ * static_cast<size_t>((from + to) % 2 + 1) * 2 / 3);
  }
  size_t mean_ = 0;
  std::vector<size_t> sc_, sd_, rc_, rd_;
  std::vector<int> isc_, isd_, irc_, ird_;
  TypedBuffer send_, recv_;
};

}  // namespace

std::unique_ptr<Benchmark> make_all_reduce(const Context &c) {
  return std::make_unique<AllReduce>(c);
}
std::unique_ptr<Benchmark> make_all_gather(const Context &c) {
  return std::make_unique<AllGather>(c);
}
std::unique_ptr<Benchmark> make_reduce_scatter(const Context &c) {
  return std::make_unique<ReduceScatter>(c);
}
std::unique_ptr<Benchmark> make_broadcast(const Context &c) {
  return std::make_unique<Broadcast>(c);
}
std::unique_ptr<Benchmark> make_sendrecv(const Context &c) { return std::make_unique<SendRecv>(c); }

std::unique_ptr<Benchmark> make_all_gatherv(const Context &c) {
  return std::make_unique<AllGatherV>(c);
}
std::unique_ptr<Benchmark> make_reduce_scatterv(const Context &c) {
  return std::make_unique<ReduceScatterV>(c);
}
std::unique_ptr<Benchmark> make_all_to_all(const Context &c) {
  return std::make_unique<AllToAll>(c);
}
std::unique_ptr<Benchmark> make_all_to_allv(const Context &c) {
  return std::make_unique<AllToAllV>(c);
}

}  // namespace perf
