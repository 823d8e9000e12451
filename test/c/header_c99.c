/* The public header is C: this file is compiled with -std=c99 -pedantic -Werror (and again with
 * -std=c11, where the header's layout assertions apply) and calls the C API, checking the
 * results it can check without MPI. It links the installed library, libmpcomm, so every call is
 * also a check that the function is exported. */
#include <stdio.h>
#include <string.h>

#include "mpcomm.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static void check_core(void) {
  int major = -1, minor = -1, patch = -1;
  mpcomm_version(&major, &minor, &patch);
  CHECK(major == MPCOMM_VERSION_MAJOR && minor == MPCOMM_VERSION_MINOR &&
        patch == MPCOMM_VERSION_PATCH);
  CHECK(strcmp(mpcomm_status_string(MPCOMM_SUCCESS), "success") == 0);
  CHECK(mpcomm_last_error() != NULL);
}

/* Parallel configuration and layout: the init macro compiles as C99; vLLM's 8-rank example. */
static void check_parallel_config(void) {
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  char hex[65];
  int ranks[8], ngroups = 0, group_size = 0, world = 0, start = -1, end = -1, i;
  static const int tp_groups[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  static const int dp_groups[8] = {0, 4, 2, 6, 1, 5, 3, 7};
  mpcomm_group_kind_t kind = MPCOMM_GROUP_TP;

  CHECK(cfg.struct_size == sizeof(mpcomm_parallel_config_t));
  CHECK(mpcomm_parallel_config_validate(&cfg) == MPCOMM_SUCCESS);
  CHECK(mpcomm_parallel_config_hash(&cfg, hex) == MPCOMM_SUCCESS);
  CHECK(strcmp(hex, "f3d5bc03e0e11aea1211f9ea0893cd6d6f03a8768ad4916935be82657fdca618") == 0);

  cfg.tensor_parallel_size = 2;
  cfg.pipeline_parallel_size = 2;
  cfg.data_parallel_size = 2;
  CHECK(mpcomm_parallel_config_world_size(&cfg, &world) == MPCOMM_SUCCESS && world == 4);
  CHECK(mpcomm_parallel_config_world_size_across_dp(&cfg, &world) == MPCOMM_SUCCESS && world == 8);
  CHECK(mpcomm_layout_group_ranks(&cfg, 8, kind, ranks, 8, &ngroups, &group_size) ==
        MPCOMM_SUCCESS);
  CHECK(ngroups == 4 && group_size == 2);
  for (i = 0; i < 8; ++i) CHECK(ranks[i] == tp_groups[i]);
  CHECK(mpcomm_layout_group_ranks(&cfg, 8, MPCOMM_GROUP_DP, ranks, 8, &ngroups, &group_size) ==
        MPCOMM_SUCCESS);
  for (i = 0; i < 8; ++i) CHECK(ranks[i] == dp_groups[i]);
  CHECK(mpcomm_layout_group_ranks(&cfg, 8, MPCOMM_GROUP_EP, NULL, 0, &ngroups, &group_size) ==
        MPCOMM_ERR_TRUNCATED);
  CHECK(ngroups == 2 && group_size == 4);
  CHECK(mpcomm_layout_group_ranks(&cfg, 6, MPCOMM_GROUP_TP, ranks, 8, &ngroups, &group_size) ==
        MPCOMM_ERR_INVALID_ARGUMENT);

  cfg.data_parallel_size_local = 3;
  CHECK(mpcomm_parallel_config_validate(&cfg) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "data_parallel_size_local (3)") != NULL);

  /* 10 layers on 4 stages: 2, 3, 3, 2 (the override variable is not set under make check). */
  CHECK(mpcomm_pp_indices(10, 1, 4, &start, &end) == MPCOMM_SUCCESS && start == 2 && end == 5);
  CHECK(mpcomm_pp_indices(10, 4, 4, &start, &end) == MPCOMM_ERR_INVALID_ARGUMENT);
}

/* mpcomm_group_join: bad arguments, and a group of one (no socket). */
static void check_group_join(void) {
  mpcomm_group_t group = NULL;
  CHECK(mpcomm_group_join(NULL, 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "host must not be NULL") != NULL);
  CHECK(group == NULL);
  CHECK(mpcomm_group_join("127.0.0.1", 0, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("0.0.0.0", 29500, 0, 2, 1.0, &group) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("127.0.0.1", 29500, 0, 2, 1.0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_join("127.0.0.1", 29500, 0, 1, 1.0, &group) == MPCOMM_SUCCESS);
  CHECK(group != NULL && mpcomm_barrier(group, 1.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS && group == NULL);
}

/* Groups and objects on MPI_COMM_SELF (a singleton MPI job), and NULL arguments refused. */
static void check_groups(void) {
  mpcomm_group_t group = NULL;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  int ranks[1] = {-1};
  int self = 0;
  char buf[8] = "abc";
  char out[8] = {0};
  size_t len = 3, lens[1] = {0};
  double timeout = 0;
  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_info(group, &info) == MPCOMM_SUCCESS);
  CHECK(info.size == 1 && info.rank_in_group == 0 && info.is_first_rank && info.is_last_rank);
  CHECK(info.local_rank == 0);
  CHECK(mpcomm_group_ranks(group, ranks, 1) == MPCOMM_SUCCESS && ranks[0] == 0);
  CHECK(mpcomm_group_set_timeout(group, 5.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_get_timeout(group, &timeout) == MPCOMM_SUCCESS && timeout == 5.0);
  CHECK(mpcomm_barrier(group, 0.0) == MPCOMM_SUCCESS);
  CHECK(mpcomm_broadcast_object(group, buf, sizeof buf, &len, 0) == MPCOMM_SUCCESS && len == 3);
  CHECK(mpcomm_all_gather_object(group, buf, 3, out, sizeof out, lens) == MPCOMM_SUCCESS);
  CHECK(lens[0] == 3 && strcmp(out, "abc") == 0);
  CHECK(mpcomm_send_object(group, buf, 3, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_recv_object(group, buf, sizeof buf, &len, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_info(NULL, &info) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "group must not be NULL") != NULL);
  CHECK(mpcomm_group_ranks(group, NULL, 1) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_barrier(NULL, 1.0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_broadcast_object(group, buf, sizeof buf, NULL, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_gather_object(group, buf, 3, out, sizeof out, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_from_ranks(MPI_COMM_SELF, &self, 1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_free(NULL) == MPCOMM_SUCCESS); /* a no-op, as free(NULL) */
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS && group == NULL);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_from_ranks(MPI_COMM_SELF, &self, 1, &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
}

/* GPU data plane: NULL handles are refused whatever was built; without a GPU (or without CUDA
 * and NCCL) the device calls say NOT_SUPPORTED, and with one they work on a group of one. */
static void check_gpu_plane(void) {
  mpcomm_group_t group = NULL;
  mpcomm_state_t state = NULL;
  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  int stream_stand_in = 0;
  mpcomm_status_t st;
  CHECK(mpcomm_group_set_device(NULL, 0) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_device_init(NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_graph_capture_begin(NULL, &stream_stand_in) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_graph_capture_end(NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, &group) == MPCOMM_SUCCESS);
  st = mpcomm_group_set_device(group, -1);
  CHECK(st == MPCOMM_SUCCESS || st == MPCOMM_ERR_NOT_SUPPORTED);
  if (st == MPCOMM_ERR_NOT_SUPPORTED) {
    CHECK(strstr(mpcomm_last_error(), "mpcomm_group_set_device: ") != NULL);
    CHECK(mpcomm_group_device_init(group) == MPCOMM_ERR_NOT_SUPPORTED);
  } else {
    CHECK(mpcomm_group_device_init(group) == MPCOMM_SUCCESS);
    CHECK(mpcomm_group_set_device(group, 0) == MPCOMM_ERR_INVALID_USAGE);
  }
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_state_create(MPI_COMM_SELF, &cfg, &state) == MPCOMM_SUCCESS);
  CHECK(mpcomm_graph_capture_begin(state, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "stream must not be NULL") != NULL);
  st = mpcomm_graph_capture_end(state);
  CHECK(st == MPCOMM_ERR_INVALID_USAGE || st == MPCOMM_ERR_NOT_SUPPORTED);
  CHECK(mpcomm_state_destroy(&state) == MPCOMM_SUCCESS);
}

/* Tensor dicts: every setter and getter, the errors, and the exchange on a group of one (which,
 * as in vLLM, sends and receives nothing). */
static void check_tensor_dict(void) {
  mpcomm_tensor_dict_t d = NULL, received = NULL;
  mpcomm_group_t self = NULL;
  mpcomm_value_kind_t kind = MPCOMM_VALUE_BYTES;
  float data[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  DLTensor t;
  const DLTensor *got = NULL;
  const char *s = NULL;
  const void *bytes = NULL;
  size_t len = 0, n = 0;
  int64_t i = 0;
  double x = 0;
  int b = -1;

  memset(&t, 0, sizeof t);
  t.data = data;
  t.device.device_type = kDLCPU;
  t.ndim = 2;
  t.dtype.code = kDLFloat;
  t.dtype.bits = 32;
  t.dtype.lanes = 1;
  t.shape = shape;
  CHECK(MPCOMM_RANK_DEFAULT == -1);
  CHECK(mpcomm_tensor_dict_create(NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_tensor_dict_create(&d) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_tensor(d, "t", &t) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_int(d, "i", -5) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_double(d, "x", 0.25) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_bool(d, "b", 7) == MPCOMM_ERR_INVALID_ARGUMENT); /* 0 or 1 */
  CHECK(mpcomm_tensor_dict_set_bool(d, "b", 1) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_string(d, "s", "text") == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_set_bytes(d, "y", "\0\1", 2) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_get_tensor(d, "t", &got) == MPCOMM_SUCCESS && got->shape[1] == 3);
  CHECK(mpcomm_tensor_dict_get_int(d, "i", &i) == MPCOMM_SUCCESS && i == -5);
  CHECK(mpcomm_tensor_dict_get_double(d, "x", &x) == MPCOMM_SUCCESS && x == 0.25);
  CHECK(mpcomm_tensor_dict_get_bool(d, "b", &b) == MPCOMM_SUCCESS && b == 1);
  CHECK(mpcomm_tensor_dict_get_string(d, "s", &s) == MPCOMM_SUCCESS && strcmp(s, "text") == 0);
  CHECK(mpcomm_tensor_dict_get_bytes(d, "y", &bytes, &len) == MPCOMM_SUCCESS && len == 2 &&
        ((const char *)bytes)[1] == 1);
  CHECK(mpcomm_tensor_dict_get_kind(d, "x", &kind) == MPCOMM_SUCCESS &&
        kind == MPCOMM_VALUE_DOUBLE);
  CHECK(mpcomm_tensor_dict_size(d, &n) == MPCOMM_SUCCESS && n == 6);
  CHECK(mpcomm_tensor_dict_key_at(d, 5, &s) == MPCOMM_SUCCESS && strcmp(s, "y") == 0);
  CHECK(mpcomm_tensor_dict_key_at(d, 6, &s) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_tensor_dict_get_int(d, "missing", &i) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "no key 'missing'") != NULL);
  CHECK(mpcomm_tensor_dict_get_tensor(d, "i", &got) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "key 'i' holds an int, not a tensor") != NULL);
  CHECK(mpcomm_tensor_dict_set_int(NULL, "k", 1) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_tensor_dict_set_int(d, NULL, 1) == MPCOMM_ERR_INVALID_ARGUMENT);

  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, &self) == MPCOMM_SUCCESS);
  CHECK(mpcomm_broadcast_tensor_dict(self, &d, MPCOMM_RANK_DEFAULT) == MPCOMM_SUCCESS);
  CHECK(mpcomm_send_tensor_dict(self, d, MPCOMM_RANK_DEFAULT, NULL) == MPCOMM_SUCCESS);
  CHECK(mpcomm_recv_tensor_dict(self, &received, MPCOMM_RANK_DEFAULT, self) == MPCOMM_SUCCESS);
  CHECK(received == NULL);
  CHECK(mpcomm_send_tensor_dict(self, d, 1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_recv_tensor_dict(self, NULL, 0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_group_free(&self) == MPCOMM_SUCCESS);

  CHECK(mpcomm_tensor_dict_free(&d) == MPCOMM_SUCCESS && d == NULL);
  CHECK(mpcomm_tensor_dict_free(&d) == MPCOMM_SUCCESS);
  CHECK(mpcomm_tensor_dict_free(NULL) == MPCOMM_SUCCESS);
}

/* Data plane on groups: bad arguments are refused, and a group of one copies and returns. */
static void check_data_plane(void) {
  mpcomm_group_t group = NULL;
  float send[4] = {1, 2, 3, 4}, recv[4] = {0, 0, 0, 0};
  int64_t in_shape[2] = {2, 2}, bad_shape[2] = {2, 3};
  DLTensor in, out, bad;
  int i;
  memset(&in, 0, sizeof in);
  in.data = send;
  in.device.device_type = kDLCPU;
  in.ndim = 2;
  in.dtype.code = kDLFloat;
  in.dtype.bits = 32;
  in.dtype.lanes = 1;
  in.shape = in_shape;
  out = in;
  out.data = recv;
  bad = out;
  bad.shape = bad_shape;
  CHECK(mpcomm_all_reduce(NULL, send, recv, 4, MPCOMM_FLOAT32, MPCOMM_SUM, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "mpcomm_all_reduce: group must not be NULL") != NULL);
  CHECK(mpcomm_broadcast(NULL, send, 4, MPCOMM_FLOAT32, 0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_send(NULL, send, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_recv(NULL, recv, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_gather(NULL, &in, &out, -1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_reduce_scatter(NULL, &in, &out, 0, MPCOMM_SUM, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_gather(NULL, &in, &out, 0, -1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);

  CHECK(mpcomm_group_from_comm(MPI_COMM_SELF, &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_all_reduce(group, NULL, recv, 4, MPCOMM_FLOAT32, MPCOMM_SUM, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_reduce(group, send, recv, 4, (mpcomm_datatype_t)99, MPCOMM_SUM, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_reduce(group, send, recv, 4, MPCOMM_FLOAT32, (mpcomm_op_t)7, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_broadcast(group, send, 4, MPCOMM_FLOAT32, 1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_send(group, send, 4, MPCOMM_FLOAT32, MPCOMM_RANK_DEFAULT, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "a group of one has no peer") != NULL);
  CHECK(mpcomm_recv(group, recv, 4, MPCOMM_FLOAT32, 0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_all_gather(group, &in, &bad, -1, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "out.shape[1] (3)") != NULL);
  CHECK(mpcomm_all_gather(group, &in, &out, 2, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_reduce_scatter(group, &in, NULL, 0, MPCOMM_SUM, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(mpcomm_gather(group, &in, &out, 1, 0, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);

  CHECK(mpcomm_all_reduce(group, send, recv, 4, MPCOMM_FLOAT32, MPCOMM_AVG, NULL) ==
        MPCOMM_SUCCESS);
  for (i = 0; i < 4; ++i) CHECK(recv[i] == send[i]);
  CHECK(mpcomm_broadcast(group, send, 4, MPCOMM_FLOAT32, 0, NULL) == MPCOMM_SUCCESS);
  memset(recv, 0, sizeof recv);
  CHECK(mpcomm_all_gather(group, &in, &out, -1, NULL) == MPCOMM_SUCCESS);
  for (i = 0; i < 4; ++i) CHECK(recv[i] == send[i]);
  CHECK(mpcomm_reduce_scatter(group, &in, &out, -2, MPCOMM_MAX, NULL) == MPCOMM_SUCCESS);
  CHECK(mpcomm_gather(group, &in, &out, 0, 0, NULL) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
}

/* The 1.0 ABI: a config started by a function, the struct_size of mpcomm_group_info_t, a
 * group's communicator, communicators given as Fortran handles. */
static void check_abi(void) {
  mpcomm_parallel_config_t cfg, macro = MPCOMM_PARALLEL_CONFIG_INIT;
  mpcomm_group_t group = NULL, tp = NULL;
  mpcomm_state_t state = NULL;
  mpcomm_group_info_t info = MPCOMM_GROUP_INFO_INIT;
  MPI_Comm comm = MPI_COMM_NULL;
  int size = 0, result = MPI_UNEQUAL;

  memset(&cfg, 0xab, sizeof cfg);
  CHECK(mpcomm_parallel_config_init(&cfg) == MPCOMM_SUCCESS);
  CHECK(memcmp(&cfg, &macro, sizeof cfg) == 0);
  CHECK(cfg.data_parallel_backend == MPCOMM_DP_BACKEND_MP && sizeof cfg.all2all_backend == 4);
  CHECK(mpcomm_parallel_config_init(NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "mpcomm_parallel_config_init: cfg must not be NULL") != NULL);

  CHECK(mpcomm_group_from_comm_f(MPI_Comm_c2f(MPI_COMM_SELF), &group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_comm(group, &comm) == MPCOMM_SUCCESS);
  CHECK(MPI_Comm_compare(comm, MPI_COMM_SELF, &result) == MPI_SUCCESS && result == MPI_CONGRUENT);
  CHECK(MPI_Comm_size(comm, &size) == MPI_SUCCESS && size == 1);
  CHECK(mpcomm_group_comm(group, NULL) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "comm must not be NULL") != NULL);
  CHECK(mpcomm_group_comm(NULL, &comm) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "mpcomm_group_comm: group must not be NULL") != NULL);
  info.struct_size = 4;
  info.size = -7;
  CHECK(mpcomm_group_info(group, &info) == MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "info->struct_size (4)") != NULL && info.size == -7);
  info.struct_size = sizeof info;
  CHECK(mpcomm_group_info(group, &info) == MPCOMM_SUCCESS && info.size == 1);
  CHECK(mpcomm_group_free(&group) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_from_comm_f(-1, &group) == MPCOMM_ERR_INVALID_ARGUMENT && group == NULL);
  CHECK(strstr(mpcomm_last_error(), "not a Fortran communicator handle, got -1") != NULL);

  CHECK(mpcomm_state_create_f(MPI_Comm_c2f(MPI_COMM_SELF), &cfg, &state) == MPCOMM_SUCCESS);
  CHECK(mpcomm_state_group(state, MPCOMM_GROUP_TP, &tp) == MPCOMM_SUCCESS);
  CHECK(mpcomm_group_comm(tp, &comm) == MPCOMM_SUCCESS);
  CHECK(MPI_Comm_size(comm, &size) == MPI_SUCCESS && size == 1);
  CHECK(mpcomm_state_destroy(&state) == MPCOMM_SUCCESS);
  CHECK(mpcomm_state_create_f(MPI_Comm_c2f(MPI_COMM_SELF), &cfg, NULL) ==
        MPCOMM_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mpcomm_last_error(), "mpcomm_state_create_f: state must not be NULL") != NULL);
}

int main(void) {
  check_core();
  check_parallel_config();
  MPI_Init(NULL, NULL);
  check_groups();
  check_group_join();
  check_gpu_plane();
  check_tensor_dict();
  check_data_plane();
  check_abi();
  MPI_Finalize();
  printf("# mpcomm-test: passed=%d failed=%d skipped=0\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
