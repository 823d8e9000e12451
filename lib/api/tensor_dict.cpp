// mpcomm_tensor_dict(3): creating and freeing tensor dicts, setting and getting their values,
// iterating over their keys. Local: they work with or without MPI.
#include "tensordict/tensor_dict.hpp"

#include <cstdint>
#include <string>
#include <variant>

#include "api/entry.hpp"

using mpcomm::api::entry;
using mpcomm::api::kNothing;
using mpcomm::tensordict::Bytes;
using mpcomm::tensordict::DictValue;
using mpcomm::tensordict::TensorValue;

extern "C" mpcomm_status_t mpcomm_tensor_dict_create(mpcomm_tensor_dict_t *dict) {
  return entry("mpcomm_tensor_dict_create", kNothing, [&] {
    mpcomm::require_not_null(dict, "dict");
    *dict = new mpcomm_tensor_dict_s();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_free(mpcomm_tensor_dict_t *dict) {
  return entry("mpcomm_tensor_dict_free", kNothing, [&] {
    if (dict == nullptr || *dict == nullptr) return;  // as free(NULL)
    delete &mpcomm::api::dict_ref(*dict, "*dict");
    *dict = nullptr;
  });
}

// Setters: the key, then the value the arguments make; an existing key is overwritten.

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor *tensor) {
  return entry("mpcomm_tensor_dict_set_tensor", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    d.set(key, DictValue(mpcomm::tensordict::borrow_tensor(tensor, "tensor")));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t value) {
  return entry("mpcomm_tensor_dict_set_int", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    d.set(key, DictValue(value));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double value) {
  return entry("mpcomm_tensor_dict_set_double", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    d.set(key, DictValue(value));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int value) {
  return entry("mpcomm_tensor_dict_set_bool", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    mpcomm::require_arg(value == 0 || value == 1, "value must be 0 or 1, got ", value);
    d.set(key, DictValue(value != 0));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char *value) {
  return entry("mpcomm_tensor_dict_set_string", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    mpcomm::require_not_null(value, "value");
    d.set(key, DictValue(std::string(value)));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_set_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void *data, size_t len) {
  return entry("mpcomm_tensor_dict_set_bytes", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    mpcomm::require_arg(data != nullptr || len == 0, "data must not be NULL when len is ", len);
    mpcomm::require_arg(len <= Bytes().max_size(), "len ", len,
                        " is larger than any buffer can be");
    const auto *p = static_cast<const unsigned char *>(data);
    d.set(key, DictValue(Bytes(p, p + len)));
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_kind(mpcomm_tensor_dict_t dict, const char *key,
                                                       mpcomm_value_kind_t *kind) {
  return entry("mpcomm_tensor_dict_get_kind", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    mpcomm::require_not_null(kind, "kind");
    const auto *e = d.find(key);
    mpcomm::require_arg(e != nullptr, "no key '", key, "'");
    *kind = e->kind();
  });
}

// Getters: where the value goes, then the key (which must hold the getter's kind).

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor **tensor) {
  return entry("mpcomm_tensor_dict_get_tensor", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(tensor, "tensor");
    *tensor = &std::get<TensorValue>(d.get(key, MPCOMM_VALUE_TENSOR).value).tensor;
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t *value) {
  return entry("mpcomm_tensor_dict_get_int", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(value, "value");
    *value = std::get<int64_t>(d.get(key, MPCOMM_VALUE_INT).value);
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double *value) {
  return entry("mpcomm_tensor_dict_get_double", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(value, "value");
    *value = std::get<double>(d.get(key, MPCOMM_VALUE_DOUBLE).value);
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int *value) {
  return entry("mpcomm_tensor_dict_get_bool", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(value, "value");
    *value = std::get<bool>(d.get(key, MPCOMM_VALUE_BOOL).value) ? 1 : 0;
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char **value) {
  return entry("mpcomm_tensor_dict_get_string", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(value, "value");
    *value = std::get<std::string>(d.get(key, MPCOMM_VALUE_STRING).value).c_str();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_get_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void **data, size_t *len) {
  return entry("mpcomm_tensor_dict_get_bytes", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(data, "data");
    mpcomm::require_not_null(len, "len");
    const auto &bytes = std::get<Bytes>(d.get(key, MPCOMM_VALUE_BYTES).value);
    *data = bytes.data();
    *len = bytes.size();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_size(mpcomm_tensor_dict_t dict, size_t *n) {
  return entry("mpcomm_tensor_dict_size", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(n, "n");
    *n = d.size();
  });
}

extern "C" mpcomm_status_t mpcomm_tensor_dict_key_at(mpcomm_tensor_dict_t dict, size_t i,
                                                     const char **key) {
  return entry("mpcomm_tensor_dict_key_at", kNothing, dict, [&](mpcomm_tensor_dict_s &d) {
    mpcomm::require_not_null(key, "key");
    mpcomm::require_arg(i < d.size(), "i must be < the dict's size (", d.size(), "), got ", i);
    *key = d.at(i).key.c_str();
  });
}
