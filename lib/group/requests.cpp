#include "group/requests.hpp"

#include <algorithm>
#include <climits>

#include "core/mpi_call.hpp"

namespace mpcomm {

Requests::~Requests() { abandon(); }

void Requests::reserve(size_t n) {
  requests_.reserve(n);
  peers_.reserve(n);
  is_recv_.reserve(n);
}

void Requests::recv(void *buf, size_t count, int peer, int tag, MPI_Comm comm) {
  require(count <= INT_MAX, MPCOMM_ERR_INTERNAL, "receive of ", count, " bytes in one message");
  MPI_Request request = MPI_REQUEST_NULL;
  MPCOMM_MPI_CHECK(MPI_Irecv(buf, static_cast<int>(count), MPI_BYTE, peer, tag, comm, &request));
  requests_.push_back(request);
  peers_.push_back(peer);
  is_recv_.push_back(true);
}

void Requests::send(const void *buf, size_t count, int peer, int tag, MPI_Comm comm) {
  require(count <= INT_MAX, MPCOMM_ERR_INTERNAL, "send of ", count, " bytes in one message");
  MPI_Request request = MPI_REQUEST_NULL;
  MPCOMM_MPI_CHECK(MPI_Isend(buf, static_cast<int>(count), MPI_BYTE, peer, tag, comm, &request));
  requests_.push_back(request);
  peers_.push_back(peer);
  is_recv_.push_back(false);
}

void Requests::send_typed(const void *buf, int count, MPI_Datatype type, int peer, int tag,
                          MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPCOMM_MPI_CHECK(MPI_Isend(buf, count, type, peer, tag, comm, &request));
  requests_.push_back(request);
  peers_.push_back(peer);
  is_recv_.push_back(false);
}

void Requests::mrecv(void *buf, size_t count, MPI_Message *message, int peer) {
  require(count <= INT_MAX, MPCOMM_ERR_INTERNAL, "receive of ", count, " bytes in one message");
  MPI_Request request = MPI_REQUEST_NULL;
  MPCOMM_MPI_CHECK(MPI_Imrecv(buf, static_cast<int>(count), MPI_BYTE, message, &request));
  requests_.push_back(request);
  peers_.push_back(peer);
  is_recv_.push_back(true);
}

void Requests::post_token(int peer, int tag, MPI_Comm comm) {
  static char token;  // an empty message never touches its buffer
  MPI_Request request = MPI_REQUEST_NULL;
  MPCOMM_MPI_CHECK(MPI_Isend(&token, 0, MPI_BYTE, peer, tag, comm, &request));
  MPCOMM_MPI_CHECK(MPI_Request_free(&request));
}

bool Requests::wait(const Deadline &deadline) {
  if (requests_.empty()) return true;
  statuses_.resize(requests_.size());
  int code = MPI_SUCCESS;
  const bool done = poll_until(deadline, [&] {
    int flag = 0;
    code = requests_.size() == 1 ? MPI_Test(requests_.data(), &flag, statuses_.data())
                                 : MPI_Testall(static_cast<int>(requests_.size()), requests_.data(),
                                               &flag, statuses_.data());
    return flag != 0 || code != MPI_SUCCESS;
  });
  if (code == MPI_ERR_IN_STATUS) {
    for (const auto &s : statuses_)
      if (s.MPI_ERROR != MPI_SUCCESS && s.MPI_ERROR != MPI_ERR_PENDING) code = s.MPI_ERROR;
  }
  mpi_check(code, requests_.size() == 1 ? "MPI_Test" : "MPI_Testall");
  if (!done) return false;
  requests_.clear();  // completed requests are MPI_REQUEST_NULL now
  peers_.clear();
  is_recv_.clear();
  return true;
}

std::vector<int> Requests::pending_peers() const {
  std::vector<int> pending;
  for (size_t i = 0; i < requests_.size(); ++i) {
    int flag = 0;
    if (requests_[i] != MPI_REQUEST_NULL)
      MPI_Request_get_status(requests_[i], &flag, MPI_STATUS_IGNORE);
    if (!flag && std::find(pending.begin(), pending.end(), peers_[i]) == pending.end())
      pending.push_back(peers_[i]);
  }
  return pending;
}

size_t Requests::received(size_t index) const {
  int count = 0;
  MPI_Get_count(&statuses_.at(index), MPI_BYTE, &count);
  return count < 0 ? 0 : static_cast<size_t>(count);
}

bool Requests::abandon() {
  bool receive_buffers_free = true;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) requests_.clear();
  for (size_t i = 0; i < requests_.size(); ++i) {
    MPI_Request &r = requests_[i];
    if (r == MPI_REQUEST_NULL) continue;
    int flag = 0;
    if (is_recv_[i]) {
      // An unmatched receive cancels at once; a matched one is being filled by a live sender.
      MPI_Cancel(&r);
      const Deadline grace(0.1);
      poll_until(grace, [&] {
        MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
        return flag != 0;
      });
      if (!flag) receive_buffers_free = false;
    }
    if (r != MPI_REQUEST_NULL) MPI_Request_free(&r);
  }
  requests_.clear();
  peers_.clear();
  is_recv_.clear();
  return receive_buffers_free;
}

}  // namespace mpcomm
