// Objects are bytes (mpcomm_objects(3)): send/recv between a pair, broadcast from any member,
// all-gather of objects of any lengths, on a usable group. Each checks its arguments against
// the group, then runs as one control-plane operation bounded by the group's timeout.
#pragma once

#include <cstddef>

#include "group/group.hpp"

namespace mpcomm {

void send_object(mpcomm_group_s &g, const void *buf, size_t len, int dst);
void recv_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src);
void broadcast_object(mpcomm_group_s &g, void *buf, size_t capacity, size_t *len, int src);
void all_gather_object(mpcomm_group_s &g, const void *buf, size_t len, void *out, size_t capacity,
                       size_t *lens);

}  // namespace mpcomm
