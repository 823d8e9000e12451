// Counts beyond INT_MAX: MPI counts are int, the data plane's are size_t.
//
// Reductions are split into calls of at most max_count_per_call() elements (for_each_chunk);
// data movement uses one call with a derived datatype that covers any count (MpiCount).
#pragma once

#include <mpi.h>

#include <cstddef>

namespace mpcomm::host {

// The most elements one MPI call is given: INT_MAX, unless a test lowered it.
size_t max_count_per_call();
// Lets tests exercise the large-count paths with small buffers; 0 restores INT_MAX.
void set_max_count_per_call_for_testing(size_t limit);
// The same for a scope: the limit is restored to INT_MAX at its end.
struct CountLimitForTesting {
  explicit CountLimitForTesting(size_t limit) { set_max_count_per_call_for_testing(limit); }
  ~CountLimitForTesting() { set_max_count_per_call_for_testing(0); }
  CountLimitForTesting(const CountLimitForTesting &) = delete;
  CountLimitForTesting &operator=(const CountLimitForTesting &) = delete;
};

// Calls chunk(offset, n) for consecutive pieces of [0, count) of at most max_count_per_call()
// elements each; n converts to int without loss. Nothing is called for count == 0.
template <class Chunk>
void for_each_chunk(size_t count, Chunk &&chunk) {
  const size_t limit = max_count_per_call();
  for (size_t offset = 0; offset < count; offset += limit) {
    const size_t n = count - offset < limit ? count - offset : limit;
    chunk(offset, static_cast<int>(n));
  }
}

// `count` elements of `element` as an MPI (count, datatype) pair: (count, element) when count
// fits one call, otherwise (1, a committed derived type: whole blocks of the limit, then the
// remainder) whose extent is count elements, so consecutive ones lie end to end as rank blocks
// of a gather do. The derived type is freed with the object.
class MpiCount {
 public:
  MpiCount(size_t count, MPI_Datatype element);
  ~MpiCount();
  MpiCount(const MpiCount &) = delete;
  MpiCount &operator=(const MpiCount &) = delete;

  int count() const { return count_; }
  MPI_Datatype type() const { return type_; }

 private:
  int count_ = 0;
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
  bool owned_ = false;
};

}  // namespace mpcomm::host
