// tensor_dict: mpcomm_broadcast_tensor_dict from group rank 0 of a typical dict, as vLLM
// broadcasts its intermediate tensors and scheduler metadata: three ints, a string and two
// tensors of the -d type ("hidden_states" and "residual", half of the size each). Receivers
// keep their dict between calls (the library updates it, reusing its memory). The baseline is
// one MPI_Bcast of a packed buffer of the same bytes: the tensors, the keys and the values (8 bytes
// per int and per dimension), i.e. what a program that knew the layout in advance would send.
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "mpcomm.h"
#include "perf/ops.hpp"
#include "perf/values.hpp"

namespace perf {
namespace {

const char *const kTensorKeys[2] = {"hidden_states", "residual"};
const char *const kIntKeys[3] = {"step", "num_tokens", "virtual_engine"};
const char kName[] = "intermediate_tensors";

class TensorDict : public Benchmark {
 public:
  explicit TensorDict(const Context &c)
      : c_(c), dtype_(c.options->dtype), es_(mpcomm::element_size(dtype_)) {}
  ~TensorDict() override { mpcomm_tensor_dict_free(&dict_); }
  TensorDict(const TensorDict &) = delete;
  TensorDict &operator=(const TensorDict &) = delete;

  size_t setup(size_t bytes) override {
    count_ = std::max<size_t>(1, bytes / 2 / es_);
    for (int k = 0; k < 2; ++k) {
      tensors_[k].resize(count_, dtype_);
      dl_[k].wrap(tensors_[k], dtype_);
    }
    if (c_.rank == 0) fill_dict(0);
    size_t meta = std::strlen("name") + sizeof kName;
    for (const char *key : kTensorKeys) meta += std::strlen(key) + 8;
    for (const char *key : kIntKeys) meta += std::strlen(key) + 8;
    packed_.assign(2 * count_ * es_ + meta, 0);
    return 2 * count_ * es_;
  }
  void run_once() override {
    ok(mpcomm_broadcast_tensor_dict(c_.group, &dict_, 0), "mpcomm_broadcast_tensor_dict");
  }
  void baseline_once() override {
    mpi_ok(
        MPI_Bcast(packed_.data(), static_cast<int>(packed_.size()), MPI_BYTE, 0, c_.baseline_comm),
        "MPI_Bcast");
  }
  size_t check(unsigned round) override {
    if (c_.rank == 0) fill_dict(round);
    run_once();
    if (c_.rank == 0) return 0;
    size_t wrong = 0;
    int64_t v = 0;
    if (mpcomm_tensor_dict_get_int(dict_, "step", &v) != MPCOMM_SUCCESS ||
        v != static_cast<int64_t>(round))
      ++wrong;
    const char *name = nullptr;
    if (mpcomm_tensor_dict_get_string(dict_, "name", &name) != MPCOMM_SUCCESS ||
        std::strcmp(name, kName) != 0)
      ++wrong;
    for (int k = 0; k < 2; ++k) {
      const DLTensor *t = nullptr;
      if (mpcomm_tensor_dict_get_tensor(dict_, kTensorKeys[k], &t) != MPCOMM_SUCCESS ||
          t->ndim != 1 || t->shape[0] != static_cast<int64_t>(count_)) {
        wrong += count_;
        continue;
      }
      const char *data = static_cast<const char *>(t->data) + t->byte_offset;
      TypedBuffer want;
      want.resize(count_, dtype_);
      fill_values(want.data(), count_, 0, dtype_, k, round, MPCOMM_SUM, c_.size);
      for (size_t i = 0; i < count_; ++i)
        if (!same_value(element_value(data, i, dtype_), element_value(want.data(), i, dtype_),
                        dtype_))
          ++wrong;
    }
    return wrong;
  }

 private:
  // Rank 0's dict of `round`: tensor k holds the values of "rank" k.
  void fill_dict(unsigned round) {
    if (dict_ == nullptr) ok(mpcomm_tensor_dict_create(&dict_), "mpcomm_tensor_dict_create");
    for (int k = 0; k < 2; ++k) {
      fill_values(tensors_[k].data(), count_, 0, dtype_, k, round, MPCOMM_SUM, c_.size);
      ok(mpcomm_tensor_dict_set_tensor(dict_, kTensorKeys[k], &dl_[k].t),
         "mpcomm_tensor_dict_set_tensor");
    }
    ok(mpcomm_tensor_dict_set_int(dict_, "step", round), "mpcomm_tensor_dict_set_int");
    ok(mpcomm_tensor_dict_set_int(dict_, "num_tokens", static_cast<int64_t>(count_)),
       "mpcomm_tensor_dict_set_int");
    ok(mpcomm_tensor_dict_set_int(dict_, "virtual_engine", 0), "mpcomm_tensor_dict_set_int");
    ok(mpcomm_tensor_dict_set_string(dict_, "name", kName), "mpcomm_tensor_dict_set_string");
  }

  Context c_;
  mpcomm_datatype_t dtype_;
  size_t es_;
  size_t count_ = 0;  // elements per tensor
  mpcomm_tensor_dict_t dict_ = nullptr;
  TypedBuffer tensors_[2];
  Tensor1d dl_[2];
  std::vector<char> packed_;
};

}  // namespace

std::unique_ptr<Benchmark> make_tensor_dict(const Context &c) {
  return std::make_unique<TensorDict>(c);
}

}  // namespace perf
