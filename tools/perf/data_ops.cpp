// The host data-plane operations of a group (mpcomm_all_reduce, mpcomm_all_gather,
// mpcomm_reduce_scatter, mpcomm_broadcast, mpcomm_send/mpcomm_recv) on host buffers of the -d
// type, next to the plain MPI call that does the same: MPI_Allreduce, MPI_Allgather,
// MPI_Reduce_scatter_block, MPI_Bcast, MPI_Send/MPI_Recv. Sizes are nccl-tests': the whole
// buffer of all_reduce and broadcast, the gathered output of all_gather and the input of
// reduce_scatter (size x count per rank), one message of sendrecv.
#include <dlpack/dlpack.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

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

class AllReduce : public Typed {
 public:
  using Typed::Typed;
  size_t setup(size_t bytes) override {
    count_ = count_for(bytes, 1);
    send_.resize(count_, dtype_);
    recv_.resize(count_, dtype_);
    fill_values(send_.data(), count_, 0, dtype_, c_.rank, 0, op_, c_.size);
    return count_ * es_;
  }
  void run_once() override {
    ok(mpcomm_all_reduce(c_.group, send_.data(), recv_.data(), count_, dtype_, op_, nullptr),
       "mpcomm_all_reduce");
  }
  void baseline_once() override {
    const MpiLayout l = mpi_layout(dtype_, count_, true);
    mpi_ok(MPI_Allreduce(send_.data(), recv_.data(), l.count, l.type, mpi_baseline_op(op_),
                         c_.baseline_comm),
           "MPI_Allreduce");
  }
  size_t check(unsigned round) override {
    fill_values(send_.data(), count_, 0, dtype_, c_.rank, round, op_, c_.size);
    std::memset(recv_.data(), 0, count_ * es_);
    run_once();
    return wrong_reduced(recv_.data(), count_, 0, round);
  }

 private:
  size_t count_ = 0;
  TypedBuffer send_, recv_;
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

}  // namespace perf
