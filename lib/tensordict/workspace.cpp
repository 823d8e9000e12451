#include "tensordict/workspace.hpp"

#include <climits>

#include "core/error.hpp"
#include "core/mpi_call.hpp"

namespace mpcomm::tensordict {

BlockType::~BlockType() { free_type(); }

void BlockType::free_type() noexcept {
  if (type_ == MPI_DATATYPE_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Type_free(&type_);
  type_ = MPI_DATATYPE_NULL;
}

void BlockType::add(const void *data, size_t bytes) {
  require(bytes <= INT_MAX, MPCOMM_ERR_INTERNAL, "a block of ", bytes, " bytes in one message");
  MPI_Aint address = 0;
  MPCOMM_MPI_CHECK(MPI_Get_address(data, &address));
  addresses_.push_back(address);
  lengths_.push_back(static_cast<int>(bytes));
}

MPI_Datatype BlockType::type() {
  if (type_ != MPI_DATATYPE_NULL && addresses_ == typed_addresses_ && lengths_ == typed_lengths_)
    return type_;
  free_type();
  MPI_Datatype made = MPI_DATATYPE_NULL;
  MPCOMM_MPI_CHECK(MPI_Type_create_hindexed(static_cast<int>(addresses_.size()), lengths_.data(),
                                            addresses_.data(), MPI_BYTE, &made));
  const int code = MPI_Type_commit(&made);
  if (code != MPI_SUCCESS) MPI_Type_free(&made);
  mpi_check(code, "MPI_Type_commit");
  type_ = made;
  typed_addresses_ = addresses_;
  typed_lengths_ = lengths_;
  return type_;
}

Workspace &workspace(mpcomm_group_s &g) {
  auto &w = g.tensor_dict_workspace();
  if (!w) w.reset(new Workspace());
  return *w;
}

void WorkspaceDeleter::operator()(Workspace *workspace) const noexcept { delete workspace; }

}  // namespace mpcomm::tensordict
