#include "perf/ops.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace perf {

void ok(mpcomm_status_t status, const char *call) {
  if (status != MPCOMM_SUCCESS)
    throw std::runtime_error(std::string(call) + ": " + mpcomm_last_error());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void mpi_ok(int rc, const char *call) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string(call) + " failed");
}

namespace {

// The byte at position i of the object that rank sends in a check round.
char pattern(size_t i, int rank, unsigned round) {
  return static_cast<char>((i * 131 + static_cast<size_t>(rank) * 29 + round * 7 + 1) & 0xff);
}

void fill(std::vector<char> &buf, size_t bytes, int rank, unsigned round) {
  for (size_t i = 0; i < bytes; ++i) buf[i] = pattern(i, rank, round);
}

size_t count_wrong(const char *got, size_t got_len, size_t bytes, int rank, unsigned round) {
  size_t wrong = got_len > bytes ? got_len - bytes : bytes - got_len;
  for (size_t i = 0; i < std::min(got_len, bytes); ++i)
    if (got[i] != pattern(i, rank, round)) ++wrong;
  return wrong;
}

class Barrier : public Benchmark {
 public:
  explicit Barrier(const Context &c) : c_(c) {}
  size_t setup(size_t) override { return 0; }
  void run_once() override { ok(mpcomm_barrier(c_.group, 300), "mpcomm_barrier"); }
  void baseline_once() override { mpi_ok(MPI_Barrier(c_.baseline_comm), "MPI_Barrier"); }
  size_t check(unsigned) override {
    run_once();
    return 0;
  }

 private:
  Context c_;
};

// Rank 0 broadcasts an object; the baseline sends its length, then the bytes.
class BroadcastObject : public Benchmark {
 public:
  explicit BroadcastObject(const Context &c) : c_(c) {}
  size_t setup(size_t bytes) override {
    bytes_ = bytes;
    buf_.assign(bytes ? bytes : 1, 0);
    if (c_.rank == 0) fill(buf_, bytes, 0, 0);
    return bytes;
  }
  void run_once() override {
    size_t len = bytes_;
    ok(mpcomm_broadcast_object(c_.group, buf_.data(), buf_.size(), &len, 0),
       "mpcomm_broadcast_object");
  }
  void baseline_once() override {
    uint64_t len = bytes_;
    mpi_ok(MPI_Bcast(&len, 1, MPI_UINT64_T, 0, c_.baseline_comm), "MPI_Bcast");
    mpi_ok(MPI_Bcast(buf_.data(), static_cast<int>(len), MPI_BYTE, 0, c_.baseline_comm),
           "MPI_Bcast");
  }
  size_t check(unsigned round) override {
    if (c_.rank == 0)
      fill(buf_, bytes_, 0, round);
    else
      std::memset(buf_.data(), 0, buf_.size());
    size_t len = c_.rank == 0 ? bytes_ : 0;
    ok(mpcomm_broadcast_object(c_.group, buf_.data(), buf_.size(), &len, 0),
       "mpcomm_broadcast_object");
    return count_wrong(buf_.data(), len, bytes_, 0, round);
  }

 private:
  Context c_;
  size_t bytes_ = 0;
  std::vector<char> buf_;
};

// Every rank contributes an object of the same size; the baseline gathers the lengths, then
// the bytes with MPI_Allgatherv.
class AllGatherObject : public Benchmark {
 public:
  explicit AllGatherObject(const Context &c)
      : c_(c), lens_(static_cast<size_t>(c.size)), counts_(lens_.size()), displs_(lens_.size()) {}
  size_t setup(size_t bytes) override {
    bytes_ = bytes;
    mine_.assign(bytes ? bytes : 1, 0);
    fill(mine_, bytes, c_.rank, 0);
    out_.assign(bytes * lens_.size() + 1, 0);
    return bytes;
  }
  void run_once() override {
    ok(mpcomm_all_gather_object(c_.group, mine_.data(), bytes_, out_.data(), out_.size(),
                                lens_.data()),
       "mpcomm_all_gather_object");
  }
  void baseline_once() override {
    int len = static_cast<int>(bytes_);
    mpi_ok(MPI_Allgather(&len, 1, MPI_INT, counts_.data(), 1, MPI_INT, c_.baseline_comm),
           "MPI_Allgather");
    int offset = 0;
    for (size_t r = 0; r < counts_.size(); ++r) {
      displs_[r] = offset;
      offset += counts_[r];
    }
    mpi_ok(MPI_Allgatherv(mine_.data(), len, MPI_BYTE, out_.data(), counts_.data(), displs_.data(),
                          MPI_BYTE, c_.baseline_comm),
           "MPI_Allgatherv");
  }
  size_t check(unsigned round) override {
    fill(mine_, bytes_, c_.rank, round);
    std::memset(out_.data(), 0, out_.size());
    run_once();
    size_t wrong = 0, offset = 0;
    for (int r = 0; r < c_.size; ++r) {
      const size_t len = lens_[static_cast<size_t>(r)];
      if (offset + len > out_.size()) return wrong + len;
      wrong += count_wrong(out_.data() + offset, len, bytes_, r, round);
      offset += len;
    }
    return wrong;
  }

 private:
  Context c_;
  size_t bytes_ = 0;
  std::vector<char> mine_, out_;
  std::vector<size_t> lens_;
  std::vector<int> counts_, displs_;
};

// Ping-pong between ranks 0 and 1 (the others wait); a call is a round trip.
class SendRecvObject : public Benchmark {
 public:
  explicit SendRecvObject(const Context &c) : c_(c) {}
  size_t setup(size_t bytes) override {
    bytes_ = bytes;
    buf_.assign(bytes ? bytes : 1, 0);
    fill(buf_, bytes, 0, 0);
    return bytes;
  }
  void run_once() override {
    size_t len = 0;
    if (c_.rank == 0) {
      ok(mpcomm_send_object(c_.group, buf_.data(), bytes_, 1), "mpcomm_send_object");
      ok(mpcomm_recv_object(c_.group, buf_.data(), buf_.size(), &len, 1), "mpcomm_recv_object");
    } else if (c_.rank == 1) {
      ok(mpcomm_recv_object(c_.group, buf_.data(), buf_.size(), &len, 0), "mpcomm_recv_object");
      ok(mpcomm_send_object(c_.group, buf_.data(), len, 0), "mpcomm_send_object");
    }
  }
  void baseline_once() override {
    const int n = static_cast<int>(bytes_);
    if (c_.rank == 0) {
      mpi_ok(MPI_Send(buf_.data(), n, MPI_BYTE, 1, 0, c_.baseline_comm), "MPI_Send");
      mpi_ok(MPI_Recv(buf_.data(), n, MPI_BYTE, 1, 0, c_.baseline_comm, MPI_STATUS_IGNORE),
             "MPI_Recv");
    } else if (c_.rank == 1) {
      mpi_ok(MPI_Recv(buf_.data(), n, MPI_BYTE, 0, 0, c_.baseline_comm, MPI_STATUS_IGNORE),
             "MPI_Recv");
      mpi_ok(MPI_Send(buf_.data(), n, MPI_BYTE, 0, 0, c_.baseline_comm), "MPI_Send");
    }
  }
  size_t check(unsigned round) override {
    // Rank 0 sends a fresh object, rank 1 checks it and sends back its own.
    size_t len = 0, wrong = 0;
    if (c_.rank == 0) {
      fill(buf_, bytes_, 0, round);
      ok(mpcomm_send_object(c_.group, buf_.data(), bytes_, 1), "mpcomm_send_object");
      std::memset(buf_.data(), 0, buf_.size());
      ok(mpcomm_recv_object(c_.group, buf_.data(), buf_.size(), &len, 1), "mpcomm_recv_object");
      wrong = count_wrong(buf_.data(), len, bytes_, 1, round);
    } else if (c_.rank == 1) {
      std::memset(buf_.data(), 0, buf_.size());
      ok(mpcomm_recv_object(c_.group, buf_.data(), buf_.size(), &len, 0), "mpcomm_recv_object");
      wrong = count_wrong(buf_.data(), len, bytes_, 0, round);
      fill(buf_, bytes_, 1, round);
      ok(mpcomm_send_object(c_.group, buf_.data(), bytes_, 0), "mpcomm_send_object");
    }
    return wrong;
  }

 private:
  Context c_;
  size_t bytes_ = 0;
  std::vector<char> buf_;
};

template <class B>
std::unique_ptr<Benchmark> make(const Context &c) {
  return std::make_unique<B>(c);
}

double per_rank_bytes(size_t bytes, int) { return static_cast<double>(bytes); }
double all_ranks_bytes(size_t bytes, int np) { return static_cast<double>(bytes) * np; }
double factor_one(int) { return 1.0; }
double factor_all_gather(int np) { return np > 0 ? static_cast<double>(np - 1) / np : 0.0; }
double factor_all_reduce(int np) { return np > 0 ? 2.0 * (np - 1) / np : 0.0; }

}  // namespace

const std::vector<OpInfo> &all_ops() {
  static const std::vector<OpInfo> ops = {
      {"barrier", "none", "none", -1, false, 1, 1, per_rank_bytes, factor_one, make<Barrier>},
      {"broadcast_object", "char", "none", 0, true, 1, 1, per_rank_bytes, factor_one,
       make<BroadcastObject>},
      {"all_gather_object", "char", "none", -1, true, 1, 1, all_ranks_bytes, factor_all_gather,
       make<AllGatherObject>},
      {"sendrecv_object", "char", "none", 0, true, 2, 2, per_rank_bytes, factor_one,
       make<SendRecvObject>},
      // The data plane on host buffers of the -d type; sizes and bus bandwidths as nccl-tests
      // (all_gather: the gathered output; reduce_scatter: the input).
      {"all_reduce", nullptr, nullptr, -1, true, 1, 1, per_rank_bytes, factor_all_reduce,
       make_all_reduce, run_device_all_reduce, nullptr, all_reduce_bound_s},
      {"all_gather", nullptr, "none", -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_all_gather},
      {"reduce_scatter", nullptr, nullptr, -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_reduce_scatter},
      {"broadcast", nullptr, "none", 0, true, 1, 1, per_rank_bytes, factor_one, make_broadcast},
      {"sendrecv", nullptr, "none", 0, true, 2, 2, per_rank_bytes, factor_one, make_sendrecv},
      // The variable-size forms (unequal sizes per member; the size is the whole buffer), and
      // all_to_all (the size is one member's send buffer, nccl-tests' alltoall).
      {"all_gatherv", nullptr, "none", -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_all_gatherv},
      {"reduce_scatterv", nullptr, nullptr, -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_reduce_scatterv},
      {"all_to_all", nullptr, "none", -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_all_to_all},
      {"all_to_allv", nullptr, "none", -1, true, 1, 1, per_rank_bytes, factor_all_gather,
       make_all_to_allv},
      // A typical dict broadcast from rank 0: three ints, a string, two tensors (the size).
      {"tensor_dict", nullptr, "none", 0, true, 1, 1, per_rank_bytes, factor_one, make_tensor_dict},
      {"state_create", "none", "none", -1, false, 1, 1, per_rank_bytes, factor_one,
       make_state_create},
      {"custom_allreduce_sim", nullptr, "sum", -1, true, 1, 1, per_rank_bytes, factor_one, nullptr,
       nullptr, run_custom_allreduce_sim},
  };
  return ops;
}

std::vector<size_t> sizes_of(const Options &o, bool sized) {
  if (!sized || o.min_bytes == 0) return {0};
  std::vector<size_t> sizes;
  for (size_t b = o.min_bytes;; b *= o.factor) {
    sizes.push_back(b);
    if (b > o.max_bytes / o.factor) break;
  }
  return sizes;
}

const OpInfo *find_op(const std::string &name) {
  for (const auto &op : all_ops())
    if (name == op.name) return &op;
  return nullptr;
}

}  // namespace perf
