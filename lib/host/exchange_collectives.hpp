// The v-collectives of a group on one node through the shared-memory exchange
// (comm/shm_exchange.hpp): each member puts its contribution into its half of the exchange
// (all_gatherv its block; reduce_scatterv, all_to_all and all_to_allv their input but the block
// they keep), and once every member has published and the agreement found their arguments
// fitting together, takes what it needs straight from the peers' halves. One synchronisation
// per call instead of the agreement's and MPI's: on 2 ranks a 4 KiB call takes about 0.4 times
// MPI's.
//
// The put functions write into `half` (as many bytes as *_bytes() says, where there is one; the
// block, for all_gatherv); the take functions read halves[r], member r's half, for every member
// of a group of `size`, in the layouts the puts wrote. Arguments are those the group's dispatch
// has checked and agreed on.
#pragma once

#include <cstddef>

#include "host/tensor.hpp"
#include "host/tensor_collectives.hpp"
#include "mpcomm.h"

namespace mpcomm::host {

// The largest contribution that goes through the exchange, and the size of each half. Measured
// against MPI (mpcomm-perf <op> --baseline mpi, and the fastest of 300 calls) on 2 ranks and on
// 4 ranks sharing 2 cores, every op: up to 1 MiB the exchange's two copies and one wait beat MPI
// (0.3 to 0.9 times its time), past it they no longer do, and the agreement's wait is a few
// percent of MPI's call.
constexpr size_t kExchangeMaxBytes = size_t{1} << 20;

// Whether a call whose member contributes `bytes` (what it puts into its half) goes through the
// exchange: at most kExchangeMaxBytes. Each member decides for its own contribution; the
// exchange takes the call only when every member put its data, so members that decide
// differently all take MPI.
bool exchange_wins(size_t bytes);

// Lets tests move the size up to which exchange_wins() holds: up (to kExchangeMaxBytes) for the
// exchange with large buffers, down for the MPI path with small ones (off: not even an empty
// contribution); restored at the end of the scope.
struct ExchangeLimitForTesting {
  explicit ExchangeLimitForTesting(size_t limit);
  struct Off {};
  explicit ExchangeLimitForTesting(Off);
  ~ExchangeLimitForTesting();
  ExchangeLimitForTesting(const ExchangeLimitForTesting &) = delete;
  ExchangeLimitForTesting &operator=(const ExchangeLimitForTesting &) = delete;
};

// all_gatherv: member r's block is its in; out is [outer][sum(sizes)][row] (layout of out).
void all_gatherv_put(const TensorView &in, char *half);
void all_gatherv_take(const char *const *halves, int size, const TensorView &out,
                      const VLayout &layout);

// reduce_scatterv: every member's in but its own block (layout of in), in place (in.nbytes of
// the half); this member reduces its block over the members in rank order into out, reading its
// own from in; AVG divides.
size_t reduce_scatterv_bytes(const TensorView &in);
void reduce_scatterv_put(const TensorView &in, const VLayout &layout, int rank, char *half);
void reduce_scatterv_take(const char *const *halves, int size, int rank, const TensorView &in,
                          const TensorView &out, const VLayout &layout, mpcomm_op_t op);

// all_to_all: the blocks of send (block j for member j) but the member's own, packed
// (all_to_all_bytes); recv takes block `rank` of each, its own from send.
size_t all_to_all_bytes(size_t block_bytes, int size);
void all_to_all_put(const void *send, size_t block_bytes, int size, int rank, char *half);
void all_to_all_take(const char *const *halves, int size, int rank, const void *send, void *recv,
                     size_t block_bytes);

// all_to_allv: a table of where each block lies, then the send blocks packed in member order,
// the member's own left out (all_to_allv_bytes: SIZE_MAX when they pass a size_t); it takes
// its own from send.
size_t all_to_allv_bytes(const size_t *send_counts, int size, int rank, size_t element_size);
void all_to_allv_put(const void *send, const size_t *send_counts, const size_t *send_displs,
                     int size, int rank, size_t element_size, char *half);
void all_to_allv_take(const char *const *halves, int size, int rank, const void *send,
                      const size_t *send_displs, void *recv, const size_t *recv_counts,
                      const size_t *recv_displs, size_t element_size);

}  // namespace mpcomm::host
