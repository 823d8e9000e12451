// Memory of a group's shared window that the host allreduce reads in place
// (mpcomm_mem_alloc(3)): each member's buffer is a segment of its node's shared memory, mapped by
// every member on that node (host/mem_pool.hpp). A group spanning nodes shares each buffer with
// the members on its node, which is all the allreduce reads in place.
#pragma once

#include <cstddef>

#include "group/group.hpp"

namespace mpcomm {

// Collective over the group: every member calls it, in the same order, each with its own bytes
// (0: *ptr NULL). A buffer that cannot be made or mapped is Error(SYSTEM) on every member alike
// (across nodes through one more bounded allreduce), and no member keeps one; a member that does
// not come within the timeout is Error(TIMEOUT) and breaks the group.
void *group_mem_alloc(mpcomm_group_s &g, size_t bytes);
// Local: frees the buffer at ptr (nullptr: nothing); Error(INVALID_ARGUMENT) when ptr is not a
// buffer group_mem_alloc returned in this group and not freed since.
void group_mem_free(mpcomm_group_s &g, void *ptr);

}  // namespace mpcomm
