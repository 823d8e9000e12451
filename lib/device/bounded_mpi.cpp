#include "device/bounded_mpi.hpp"

#include "comm/bounded.hpp"

namespace mpcomm::device {

void bounded_all_gather(Comm &g, const void *mine, void *all, size_t bytes, const char *what) {
  g.run_bounded(what,
                [&] { mpcomm::bounded_all_gather(g.comm(), mine, all, bytes, g.timeout(), what); });
}

void bounded_broadcast(Comm &g, void *buf, size_t bytes, int root, const char *what) {
  g.run_bounded(what,
                [&] { mpcomm::bounded_broadcast(g.comm(), buf, bytes, root, g.timeout(), what); });
}

void bounded_barrier(Comm &g, const char *what) {
  g.run_bounded(what, [&] { mpcomm::bounded_barrier(g.comm(), g.timeout(), what); });
}

int64_t bounded_min(Comm &g, int64_t mine, const char *what) {
  int64_t least = mine;
  g.run_bounded(what, [&] { least = mpcomm::bounded_min(g.comm(), mine, g.timeout(), what); });
  return least;
}

}  // namespace mpcomm::device
