// What a group's tensor dict exchanges reuse from one call to the next, so that a dict sent or
// received every step costs no allocation and no MPI type construction once the structure is
// stable: the decoder's views, the planning of a receive, and the derived datatype a sender
// sends a one-message dict with (rebuilt only when its blocks move or change size).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "group/group.hpp"
#include "tensordict/metadata.hpp"

namespace mpcomm::tensordict {

// A list of (address, length) byte blocks, and the committed MPI type that sends them in order
// from MPI_BOTTOM.
class BlockType {
 public:
  BlockType() = default;
  ~BlockType();
  BlockType(const BlockType &) = delete;
  BlockType &operator=(const BlockType &) = delete;

  void clear() {
    addresses_.clear();
    lengths_.clear();
  }
  void add(const void *data, size_t bytes);
  size_t blocks() const { return addresses_.size(); }
  // The type of the blocks added since clear(): the cached one when they equal the blocks it
  // was made for, else a new one (the old one freed; MPI keeps it for sends still pending).
  MPI_Datatype type();

 private:
  void free_type() noexcept;
  std::vector<MPI_Aint> addresses_;
  std::vector<int> lengths_;
  std::vector<MPI_Aint> typed_addresses_;
  std::vector<int> typed_lengths_;
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

class Workspace {
 public:
  DecodedMetadata decoded;       // the metadata of the dict being received
  BlockType message_type;        // the blocks of a one-message dict being sent
  std::vector<int64_t> slices;   // per entry of a dict being sent with an all_gather_group
  bool pack_limit_read = false;  // pack_limit(): MPCOMM_TENSOR_DICT_PACK_LIMIT, once read
  size_t pack_limit = 0;
};

// The group's workspace, made on first use.
Workspace &workspace(mpcomm_group_s &g);

}  // namespace mpcomm::tensordict
