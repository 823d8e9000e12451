#include "host/host_collectives.hpp"

#include <cstring>
#include <memory>
#include <vector>

#include "comm/bounded.hpp"
#include "core/abandoned.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/mpi_call.hpp"
#include "core/reduce_op.hpp"
#include "host/buffer.hpp"
#include "host/mpi_count.hpp"

namespace mpcomm::host {
namespace {

void require_comm(MPI_Comm comm) {
  require_arg(comm != MPI_COMM_NULL, "comm must not be MPI_COMM_NULL");
}

void require_buffer(const void *buf, size_t count, const char *name) {
  require_arg(buf != nullptr || count == 0, name, " must not be NULL when count (", count, ") > 0");
}

void require_rank(int rank, int size, const char *name) {
  require_arg(rank >= 0 && rank < size, name, " (", rank, ") must be in [0, ", size, ")");
}

void require_disjoint(const void *a, size_t a_bytes, const char *a_name, const void *b,
                      size_t b_bytes, const char *b_name) {
  require_arg(!bytes_overlap(a, a_bytes, b, b_bytes), a_name, " and ", b_name, " must not overlap");
}

void copy_bytes(void *to, const void *from, size_t bytes) {
  if (bytes > 0 && to != from) std::memcpy(to, from, bytes);
}

unsigned char *at(void *buf, size_t elements, size_t element_bytes) {
  return static_cast<unsigned char *>(buf) + elements * element_bytes;
}
const unsigned char *at(const void *buf, size_t elements, size_t element_bytes) {
  return static_cast<const unsigned char *>(buf) + elements * element_bytes;
}

// One MPI operation: the blocking call, or with a bound the nonblocking one waited on until the
// deadline. Each takes a request pointer (nullptr for the blocking form).
template <class Start>
void run_mpi(const Deadline *bound, const char *name, Start &&start, MPI_Status *status = nullptr) {
  if (bound == nullptr) return mpi_check(start(nullptr), name);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(start(&request), name);
  bounded_wait(request, *bound, name, status ? status : MPI_STATUS_IGNORE);
}

// dst or src of a point-to-point call: another rank of comm.
void require_peer(MPI_Comm comm, int peer, const char *name) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  require_rank(peer, size, name);
  require_arg(peer != rank, name, " (", peer, ") must not be the caller's own rank");
}

}  // namespace

int comm_size(MPI_Comm comm) {
  require_comm(comm);
  int size = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_size(comm, &size));
  return size;
}

int comm_rank(MPI_Comm comm) {
  require_comm(comm);
  int rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  return rank;
}

namespace checked {

void all_reduce(MPI_Comm comm, int size, const void *send, void *recv, size_t count,
                mpcomm_datatype_t dtype, mpcomm_op_t op, const Deadline *bound) {
  const size_t es = element_size(dtype);
  const bool in_place = send == recv;
  const MPI_Datatype type = mpi_datatype(dtype);
  const MPI_Op mpi_operator = mpi_op(dtype, op);
  for_each_chunk(count, [&](size_t offset, int n) {
    const void *from = in_place ? MPI_IN_PLACE : at(send, offset, es);
    void *to = at(recv, offset, es);
    run_mpi(bound, "MPI_Allreduce", [&](MPI_Request *r) {
      return r ? MPI_Iallreduce(from, to, n, type, mpi_operator, comm, r)
               : MPI_Allreduce(from, to, n, type, mpi_operator, comm);
    });
  });
  if (op == MPCOMM_AVG) divide_in_place(recv, count, dtype, size);
}

void broadcast(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int root,
               const Deadline *bound) {
  const MpiCount c(count, mpi_datatype(dtype));
  run_mpi(bound, "MPI_Bcast", [&](MPI_Request *r) {
    return r ? MPI_Ibcast(buf, c.count(), c.type(), root, comm, r)
             : MPI_Bcast(buf, c.count(), c.type(), root, comm);
  });
}

void send(MPI_Comm comm, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, int tag,
          const Deadline *bound) {
  const MpiCount c(count, mpi_datatype(dtype));
  run_mpi(bound, "MPI_Send", [&](MPI_Request *r) {
    return r ? MPI_Isend(buf, c.count(), c.type(), dst, tag, comm, r)
             : MPI_Send(buf, c.count(), c.type(), dst, tag, comm);
  });
}

void recv(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int src, int tag,
          const Deadline *bound) {
  const MpiCount c(count, mpi_datatype(dtype));
  MPI_Status status;
  run_mpi(
      bound, "MPI_Recv",
      [&](MPI_Request *r) {
        return r ? MPI_Irecv(buf, c.count(), c.type(), src, tag, comm, r)
                 : MPI_Recv(buf, c.count(), c.type(), src, tag, comm, &status);
      },
      &status);
  int received = 0;
  MPCOMM_MPI_CHECK(MPI_Get_count(&status, c.type(), &received));
  require(received == c.count(), MPCOMM_ERR_INVALID_USAGE, "rank ", src, " sent fewer than count (",
          count, ") elements of ", datatype_name(dtype));
}

void all_gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                mpcomm_datatype_t dtype, const Deadline *bound) {
  const MpiCount c(count_per_rank, mpi_datatype(dtype));
  run_mpi(bound, "MPI_Allgather", [&](MPI_Request *r) {
    return r ? MPI_Iallgather(in, c.count(), c.type(), out, c.count(), c.type(), comm, r)
             : MPI_Allgather(in, c.count(), c.type(), out, c.count(), c.type(), comm);
  });
}

void reduce_scatter(MPI_Comm comm, int size, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op, const Deadline *bound) {
  const size_t es = element_size(dtype);
  const MPI_Datatype type = mpi_datatype(dtype);
  const MPI_Op mpi_operator = mpi_op(dtype, op);
  if (count_per_rank <= max_count_per_call()) {
    const int n = static_cast<int>(count_per_rank);
    run_mpi(bound, "MPI_Reduce_scatter_block", [&](MPI_Request *r) {
      return r ? MPI_Ireduce_scatter_block(in, out, n, type, mpi_operator, comm, r)
               : MPI_Reduce_scatter_block(in, out, n, type, mpi_operator, comm);
    });
  } else {
    // Blocks beyond one call: reduce each rank's block to it, chunk by chunk.
    for (int root = 0; root < size; ++root) {
      for_each_chunk(count_per_rank, [&](size_t offset, int n) {
        const void *from = at(in, root * count_per_rank + offset, es);
        void *to = at(out, offset, es);
        run_mpi(bound, "MPI_Reduce", [&](MPI_Request *r) {
          return r ? MPI_Ireduce(from, to, n, type, mpi_operator, root, comm, r)
                   : MPI_Reduce(from, to, n, type, mpi_operator, root, comm);
        });
      });
    }
  }
  if (op == MPCOMM_AVG) divide_in_place(out, count_per_rank, dtype, size);
}

void gather(MPI_Comm comm, bool receiving, const void *in, void *out, size_t count_per_rank,
            mpcomm_datatype_t dtype, int root, const Deadline *bound) {
  const MpiCount c(count_per_rank, mpi_datatype(dtype));
  void *to = receiving ? out : nullptr;
  run_mpi(bound, "MPI_Gather", [&](MPI_Request *r) {
    return r ? MPI_Igather(in, c.count(), c.type(), to, c.count(), c.type(), root, comm, r)
             : MPI_Gather(in, c.count(), c.type(), to, c.count(), c.type(), root, comm);
  });
}

namespace {

// A v-call's counts and displacements as MPI's ints.
struct IntCounts {
  explicit IntCounts(int size)
      : counts(static_cast<size_t>(size)),
        displs(counts.size()),
        counts2(counts.size()),
        displs2(counts.size()) {}
  std::vector<int> counts, displs, counts2, displs2;
};

// MPI reads the arrays until the operation completes. A blocking call's are this thread's, made
// once; a bounded call's are its own (`owned`), kept until exit if it gives up on a timeout.
IntCounts &int_counts(int size, const Deadline *bound, std::unique_ptr<IntCounts> &owned) {
  if (bound != nullptr) return *(owned = std::make_unique<IntCounts>(size));
  thread_local IntCounts reused(0);
  for (auto *v : {&reused.counts, &reused.displs, &reused.counts2, &reused.displs2})
    v->resize(static_cast<size_t>(size));
  return reused;
}

// Copies counts and displs into ints; false when a block ends beyond what one MPI call takes
// (MPI implementations sum the counts in an int).
bool fit_int(int size, const size_t *counts, const size_t *displs, std::vector<int> &ic,
             std::vector<int> &id) {
  const size_t limit = max_count_per_call();
  for (int r = 0; r < size; ++r) {
    if (counts[r] > limit || displs[r] > limit - counts[r]) return false;
    ic[r] = static_cast<int>(counts[r]);
    id[r] = static_cast<int>(displs[r]);
  }
  return true;
}

// Waits for every request; with a bound, until the deadline, after which the ones still
// pending are parked (core/abandoned.hpp) and the call is Error(MPCOMM_ERR_TIMEOUT).
void wait_all(std::vector<MPI_Request> &requests, const Deadline *bound, const char *what) {
  if (bound == nullptr)
    return mpi_check(
        MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), what);
  for (size_t i = 0; i < requests.size(); ++i) {
    try {
      bounded_wait(requests[i], *bound, what);
    } catch (const Error &) {
      for (size_t j = i + 1; j < requests.size(); ++j)
        keep_until_done(requests[j], nullptr, [](void *) {});
      throw;
    }
  }
}

}  // namespace

void all_gatherv(MPI_Comm comm, int size, int rank, const void *in, void *out, const size_t *counts,
                 const size_t *displs, mpcomm_datatype_t dtype, const Deadline *bound) {
  const MPI_Datatype type = mpi_datatype(dtype);
  std::unique_ptr<IntCounts> owned;
  IntCounts &c = int_counts(size, bound, owned);
  if (fit_int(size, counts, displs, c.counts, c.displs)) {
    return keep_on_timeout(owned, [&] {
      run_mpi(bound, "MPI_Allgatherv", [&](MPI_Request *r) {
        return r ? MPI_Iallgatherv(in, c.counts[rank], type, out, c.counts.data(), c.displs.data(),
                                   type, comm, r)
                 : MPI_Allgatherv(in, c.counts[rank], type, out, c.counts.data(), c.displs.data(),
                                  type, comm);
      });
    });
  }
  // Beyond int: each rank's block is a broadcast from it, of any size (MpiCount).
  const size_t es = element_size(dtype);
  copy_bytes(at(out, displs[rank], es), in, counts[rank] * es);
  for (int root = 0; root < size; ++root) {
    const MpiCount n(counts[root], type);
    void *block = at(out, displs[root], es);
    run_mpi(bound, "MPI_Bcast", [&](MPI_Request *r) {
      return r ? MPI_Ibcast(block, n.count(), n.type(), root, comm, r)
               : MPI_Bcast(block, n.count(), n.type(), root, comm);
    });
  }
}

void reduce_scatterv(MPI_Comm comm, int size, const void *in, void *out, const size_t *counts,
                     const size_t *displs, mpcomm_datatype_t dtype, mpcomm_op_t op,
                     const Deadline *bound) {
  const size_t es = element_size(dtype);
  const MPI_Datatype type = mpi_datatype(dtype);
  const MPI_Op mpi_operator = mpi_op(dtype, op);
  std::unique_ptr<IntCounts> owned;
  IntCounts &c = int_counts(size, bound, owned);
  int rank = 0;
  MPCOMM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  if (fit_int(size, counts, displs, c.counts, c.displs)) {
    keep_on_timeout(owned, [&] {
      run_mpi(bound, "MPI_Reduce_scatter", [&](MPI_Request *r) {
        return r ? MPI_Ireduce_scatter(in, out, c.counts.data(), type, mpi_operator, comm, r)
                 : MPI_Reduce_scatter(in, out, c.counts.data(), type, mpi_operator, comm);
      });
    });
  } else {
    // Blocks beyond one call: reduce each rank's block to it, chunk by chunk.
    for (int root = 0; root < size; ++root) {
      for_each_chunk(counts[root], [&](size_t offset, int n) {
        const void *from = at(in, displs[root] + offset, es);
        void *to = at(out, offset, es);
        run_mpi(bound, "MPI_Reduce", [&](MPI_Request *r) {
          return r ? MPI_Ireduce(from, to, n, type, mpi_operator, root, comm, r)
                   : MPI_Reduce(from, to, n, type, mpi_operator, root, comm);
        });
      });
    }
  }
  if (op == MPCOMM_AVG) divide_in_place(out, counts[rank], dtype, size);
}

void all_to_all(MPI_Comm comm, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                const Deadline *bound) {
  // MpiCount's type spans exactly count elements, so the blocks lie end to end at any count.
  const MpiCount c(count, mpi_datatype(dtype));
  run_mpi(bound, "MPI_Alltoall", [&](MPI_Request *r) {
    return r ? MPI_Ialltoall(send, c.count(), c.type(), recv, c.count(), c.type(), comm, r)
             : MPI_Alltoall(send, c.count(), c.type(), recv, c.count(), c.type(), comm);
  });
}

void all_to_allv(MPI_Comm comm, int size, int rank, const void *send, const size_t *send_counts,
                 const size_t *send_displs, void *recv, const size_t *recv_counts,
                 const size_t *recv_displs, mpcomm_datatype_t dtype, const Deadline *bound) {
  const MPI_Datatype type = mpi_datatype(dtype);
  std::unique_ptr<IntCounts> owned;
  IntCounts &c = int_counts(size, bound, owned);
  if (fit_int(size, send_counts, send_displs, c.counts, c.displs) &&
      fit_int(size, recv_counts, recv_displs, c.counts2, c.displs2)) {
    return keep_on_timeout(owned, [&] {
      run_mpi(bound, "MPI_Alltoallv", [&](MPI_Request *r) {
        return r ? MPI_Ialltoallv(send, c.counts.data(), c.displs.data(), type, recv,
                                  c.counts2.data(), c.displs2.data(), type, comm, r)
                 : MPI_Alltoallv(send, c.counts.data(), c.displs.data(), type, recv,
                                 c.counts2.data(), c.displs2.data(), type, comm);
      });
    });
  }
  // Beyond int: a message per peer of any size (MpiCount), our own block copied. (MPI keeps a
  // derived type that pending messages use until they complete, so MpiCount may free it.)
  const size_t es = element_size(dtype);
  std::vector<std::unique_ptr<MpiCount>> types;
  std::vector<MPI_Request> requests;
  types.reserve(2 * static_cast<size_t>(size));
  requests.reserve(2 * static_cast<size_t>(size));
  for (int peer = 0; peer < size; ++peer) {
    if (peer == rank || recv_counts[peer] == 0) continue;
    types.push_back(std::make_unique<MpiCount>(recv_counts[peer], type));
    requests.push_back(MPI_REQUEST_NULL);
    MPCOMM_MPI_CHECK(MPI_Irecv(at(recv, recv_displs[peer], es), types.back()->count(),
                               types.back()->type(), peer, kTagAllToAllv, comm, &requests.back()));
  }
  for (int peer = 0; peer < size; ++peer) {
    if (peer == rank || send_counts[peer] == 0) continue;
    types.push_back(std::make_unique<MpiCount>(send_counts[peer], type));
    requests.push_back(MPI_REQUEST_NULL);
    MPCOMM_MPI_CHECK(MPI_Isend(at(send, send_displs[peer], es), types.back()->count(),
                               types.back()->type(), peer, kTagAllToAllv, comm, &requests.back()));
  }
  copy_bytes(at(recv, recv_displs[rank], es), at(send, send_displs[rank], es),
             send_counts[rank] * es);
  wait_all(requests, bound, "MPI_Alltoallv");
}

}  // namespace checked

void all_reduce(MPI_Comm comm, const void *send, void *recv, size_t count, mpcomm_datatype_t dtype,
                mpcomm_op_t op) {
  validate_datatype(dtype, "dtype");
  validate_op(op, "op");
  require_reducible(dtype);
  require_buffer(send, count, "send");
  require_buffer(recv, count, "recv");
  const size_t bytes = checked_bytes(count, element_size(dtype), "count");
  if (send != recv) require_disjoint(send, bytes, "send", recv, bytes, "recv");
  const int size = comm_size(comm);
  if (size == 1) return copy_bytes(recv, send, bytes);
  checked::all_reduce(comm, size, send, recv, count, dtype, op);
}

void broadcast(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int root) {
  validate_datatype(dtype, "dtype");
  require_buffer(buf, count, "buf");
  checked_bytes(count, element_size(dtype), "count");
  const int size = comm_size(comm);
  require_rank(root, size, "root");
  if (size == 1) return;
  checked::broadcast(comm, buf, count, dtype, root);
}

void send(MPI_Comm comm, const void *buf, size_t count, mpcomm_datatype_t dtype, int dst, int tag) {
  validate_datatype(dtype, "dtype");
  require_buffer(buf, count, "buf");
  checked_bytes(count, element_size(dtype), "count");
  require_peer(comm, dst, "dst");
  checked::send(comm, buf, count, dtype, dst, tag);
}

void recv(MPI_Comm comm, void *buf, size_t count, mpcomm_datatype_t dtype, int src, int tag) {
  validate_datatype(dtype, "dtype");
  require_buffer(buf, count, "buf");
  checked_bytes(count, element_size(dtype), "count");
  require_peer(comm, src, "src");
  checked::recv(comm, buf, count, dtype, src, tag);
}

void all_gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                mpcomm_datatype_t dtype) {
  validate_datatype(dtype, "dtype");
  require_buffer(in, count_per_rank, "in");
  require_buffer(out, count_per_rank, "out");
  const size_t es = element_size(dtype);
  const size_t in_bytes = checked_bytes(count_per_rank, es, "count_per_rank");
  const int size = comm_size(comm);
  const size_t out_bytes = checked_bytes(in_bytes, static_cast<size_t>(size), "out");
  require_disjoint(in, in_bytes, "in", out, out_bytes, "out");
  if (size == 1) return copy_bytes(out, in, in_bytes);
  checked::all_gather(comm, in, out, count_per_rank, dtype);
}

void reduce_scatter(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
                    mpcomm_datatype_t dtype, mpcomm_op_t op) {
  validate_datatype(dtype, "dtype");
  validate_op(op, "op");
  require_reducible(dtype);
  require_buffer(in, count_per_rank, "in");
  require_buffer(out, count_per_rank, "out");
  const size_t es = element_size(dtype);
  const size_t out_bytes = checked_bytes(count_per_rank, es, "count_per_rank");
  const int size = comm_size(comm);
  const size_t in_bytes = checked_bytes(out_bytes, static_cast<size_t>(size), "in");
  require_disjoint(in, in_bytes, "in", out, out_bytes, "out");
  if (size == 1) return copy_bytes(out, in, out_bytes);
  checked::reduce_scatter(comm, size, in, out, count_per_rank, dtype, op);
}

void gather(MPI_Comm comm, const void *in, void *out, size_t count_per_rank,
            mpcomm_datatype_t dtype, int root) {
  validate_datatype(dtype, "dtype");
  require_buffer(in, count_per_rank, "in");
  const size_t es = element_size(dtype);
  const size_t in_bytes = checked_bytes(count_per_rank, es, "count_per_rank");
  const int size = comm_size(comm), rank = comm_rank(comm);
  require_rank(root, size, "root");
  const bool receiving = rank == root;
  if (receiving) {
    require_buffer(out, count_per_rank, "out");
    const size_t out_bytes = checked_bytes(in_bytes, static_cast<size_t>(size), "out");
    require_disjoint(in, in_bytes, "in", out, out_bytes, "out");
  }
  if (size == 1) return copy_bytes(out, in, in_bytes);
  checked::gather(comm, receiving, in, out, count_per_rank, dtype, root);
}

}  // namespace mpcomm::host
