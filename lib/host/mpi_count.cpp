#include "host/mpi_count.hpp"

#include <atomic>
#include <climits>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::host {
namespace {

constexpr size_t kMpiCountLimit = static_cast<size_t>(INT_MAX);
std::atomic<size_t> count_limit{kMpiCountLimit};

// Frees a derived datatype when it goes out of scope.
class TypeGuard {
 public:
  TypeGuard() = default;
  ~TypeGuard() {
    if (type != MPI_DATATYPE_NULL) MPI_Type_free(&type);
  }
  TypeGuard(const TypeGuard &) = delete;
  TypeGuard &operator=(const TypeGuard &) = delete;
  MPI_Datatype release() {
    MPI_Datatype t = type;
    type = MPI_DATATYPE_NULL;
    return t;
  }
  MPI_Datatype type = MPI_DATATYPE_NULL;
};

}  // namespace

size_t max_count_per_call() { return count_limit.load(std::memory_order_relaxed); }

void set_max_count_per_call_for_testing(size_t limit) {
  count_limit.store(limit == 0 || limit > kMpiCountLimit ? kMpiCountLimit : limit,
                    std::memory_order_relaxed);
}

MpiCount::MpiCount(size_t count, MPI_Datatype element) {
  const size_t limit = max_count_per_call();
  if (count <= limit) {
    count_ = static_cast<int>(count);
    type_ = element;
    return;
  }
  const size_t blocks = count / limit, remainder = count % limit;
  require_arg(blocks <= kMpiCountLimit, "count (", count, ") is too large for MPI");
  MPI_Aint lower_bound = 0, extent = 0;
  MPCOMM_MPI_CHECK(MPI_Type_get_extent(element, &lower_bound, &extent));
  const MPI_Aint block_bytes = static_cast<MPI_Aint>(limit) * extent;

  TypeGuard block, whole_blocks, rest, combined, resized;
  MPCOMM_MPI_CHECK(MPI_Type_contiguous(static_cast<int>(limit), element, &block.type));
  MPCOMM_MPI_CHECK(MPI_Type_contiguous(static_cast<int>(blocks), block.type, &whole_blocks.type));
  MPI_Datatype parts[2] = {whole_blocks.type, MPI_DATATYPE_NULL};
  int lengths[2] = {1, 1};
  MPI_Aint displacements[2] = {0, static_cast<MPI_Aint>(blocks) * block_bytes};
  int nparts = 1;
  if (remainder > 0) {
    MPCOMM_MPI_CHECK(MPI_Type_contiguous(static_cast<int>(remainder), element, &rest.type));
    parts[1] = rest.type;
    nparts = 2;
  }
  MPCOMM_MPI_CHECK(MPI_Type_create_struct(nparts, lengths, displacements, parts, &combined.type));
  // The extent must be exactly count elements, whatever alignment padding MPI would add.
  MPCOMM_MPI_CHECK(MPI_Type_create_resized(combined.type, 0, static_cast<MPI_Aint>(count) * extent,
                                           &resized.type));
  MPCOMM_MPI_CHECK(MPI_Type_commit(&resized.type));
  count_ = 1;
  type_ = resized.release();
  owned_ = true;
}

MpiCount::~MpiCount() {
  if (owned_) MPI_Type_free(&type_);
}

}  // namespace mpcomm::host
