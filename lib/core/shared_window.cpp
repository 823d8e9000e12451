#include "core/shared_window.hpp"

#include "core/deadline.hpp"
#include "core/log.hpp"

namespace mpcomm {

bool free_shared_window(MPI_Win &win, MPI_Comm &comm, double timeout_s, const char *what) {
  if (win == MPI_WIN_NULL) return false;
  int finalized = 0;
  MPI_Finalized(&finalized);
  bool done = false;
  if (!finalized) {
    MPI_Request request = MPI_REQUEST_NULL;
    int arrived = 0;
    if (MPI_Ibarrier(comm, &request) == MPI_SUCCESS) {
      poll_until(Deadline(timeout_s), [&] {
        MPI_Test(&request, &arrived, MPI_STATUS_IGNORE);
        return arrived != 0;
      });
    }
    done = arrived != 0;
    if (done) {
      MPI_Win_free(&win);
      MPI_Comm_free(&comm);
    } else {
      log::warn(log::Subsys::Shm, what,
                " window not freed: a process of the node did not come to free it within ",
                timeout_s, " s; MPI_Finalize releases it");
    }
  }
  win = MPI_WIN_NULL;
  comm = MPI_COMM_NULL;
  return done;
}

}  // namespace mpcomm
