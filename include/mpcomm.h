/*
 * mpcomm: the distributed layer of a parallel program, on MPI.
 *
 * C API. Every function returns an mpcomm_status_t unless its prototype says otherwise,
 * never aborts and never throws; on failure mpcomm_last_error() describes what went wrong.
 * See mpcomm(7) for the environment variables and each function's man page for details.
 */
#ifndef MPCOMM_H
#define MPCOMM_H

#include <dlpack/dlpack.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "mpcomm_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every function of the C API is declared MPCOMM_API: the library is built with hidden
 * visibility, and these are the only symbols it exports (all named mpcomm_*). */
#ifndef MPCOMM_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define MPCOMM_API __attribute__((visibility("default")))
#else
#define MPCOMM_API
#endif
#endif

/* Every enum is an int, and any int may reach the library through it (C allows that); in C++
 * the enums say so with a fixed underlying type, so that an out-of-range value is a status,
 * not undefined behaviour. */
#ifdef __cplusplus
#define MPCOMM_ENUM_INT : int
#else
#define MPCOMM_ENUM_INT
#endif

/* ---------------------------------------------------------------- statuses and errors */

typedef enum MPCOMM_ENUM_INT {
  MPCOMM_SUCCESS = 0,
  MPCOMM_ERR_INVALID_ARGUMENT = 1, /* a bad argument: null pointer, out-of-range value ... */
  MPCOMM_ERR_INVALID_USAGE = 2,    /* a call in the wrong state */
  MPCOMM_ERR_NO_MEMORY = 3,        /* an allocation failed */
  MPCOMM_ERR_TIMEOUT = 4,          /* a peer did not arrive before the deadline */
  MPCOMM_ERR_TRUNCATED = 5,        /* a receive buffer was too small; the needed size is returned */
  MPCOMM_ERR_MALFORMED = 6,        /* received bytes do not decode */
  MPCOMM_ERR_NOT_SUPPORTED = 7,    /* not built in, or not possible on this machine */
  MPCOMM_ERR_MPI = 8,              /* an MPI call failed */
  MPCOMM_ERR_CUDA = 9,             /* a CUDA call failed */
  MPCOMM_ERR_NCCL = 10,            /* an NCCL call failed */
  MPCOMM_ERR_SYSTEM = 11,          /* an operating-system call failed */
  MPCOMM_ERR_BROKEN = 12,          /* the group failed earlier and cannot be used */
  MPCOMM_ERR_INTERNAL = 13,        /* a bug in mpcomm */
  MPCOMM_NUM_STATUSES = 14
} mpcomm_status_t;

/* Static, one-line description of a status; never NULL. */
MPCOMM_API const char *mpcomm_status_string(mpcomm_status_t status);

/* Detail of this thread's most recent failure (empty string if none); valid until the next
 * failing call on this thread. */
MPCOMM_API const char *mpcomm_last_error(void);

/* Version of the library at run time (compare with MPCOMM_VERSION_CODE at build time).
 * Null pointers are skipped. */
MPCOMM_API void mpcomm_version(int *major, int *minor, int *patch);

/* ------------------------------------------- parallel configuration and rank layout
 * Pure functions: no MPI call, no communication. See mpcomm_parallel_config(3),
 * mpcomm_layout_group_ranks(3) and mpcomm_pp_indices(3). */

/* The kinds of process group, as vLLM names them. */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_GROUP_WORLD = 0, /* every rank */
  MPCOMM_GROUP_TP = 1,    /* tensor parallel */
  MPCOMM_GROUP_PP = 2,    /* pipeline parallel */
  MPCOMM_GROUP_DP = 3,    /* data parallel */
  MPCOMM_GROUP_EP = 4,    /* expert parallel (DP x PCP x TP) */
  MPCOMM_GROUP_DCP = 5,   /* decode context parallel (splits each TP group) */
  MPCOMM_GROUP_PCP = 6,   /* prefill context parallel */
  MPCOMM_NUM_GROUP_KINDS = 7
} mpcomm_group_kind_t;

/* ParallelConfig.data_parallel_backend */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_DP_BACKEND_MP = 0,
  MPCOMM_DP_BACKEND_RAY = 1
} mpcomm_data_parallel_backend_t;

/* ParallelConfig.expert_placement_strategy */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_EXPERT_PLACEMENT_LINEAR = 0,
  MPCOMM_EXPERT_PLACEMENT_ROUND_ROBIN = 1
} mpcomm_expert_placement_strategy_t;

/* ParallelConfig.all2all_backend; NONE is vLLM's None (not set). */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_ALL2ALL_NONE = 0,
  MPCOMM_ALL2ALL_NAIVE = 1,
  MPCOMM_ALL2ALL_PPLX = 2,
  MPCOMM_ALL2ALL_DEEPEP_HIGH_THROUGHPUT = 3,
  MPCOMM_ALL2ALL_DEEPEP_LOW_LATENCY = 4,
  MPCOMM_ALL2ALL_ALLGATHER_REDUCESCATTER = 5,
  MPCOMM_ALL2ALL_FLASHINFER_ALL2ALLV = 6
} mpcomm_all2all_backend_t;

/* ParallelConfig.distributed_executor_backend; NONE is vLLM's None (not set). */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_EXECUTOR_NONE = 0,
  MPCOMM_EXECUTOR_RAY = 1,
  MPCOMM_EXECUTOR_MP = 2,
  MPCOMM_EXECUTOR_UNI = 3,
  MPCOMM_EXECUTOR_EXTERNAL_LAUNCHER = 4
} mpcomm_distributed_executor_backend_t;

/* vLLM's EPLBConfig: expert-parallel load balancing. Booleans are ints, 0 = false. */
typedef struct {
  int window_size;           /* 1000 */
  int step_interval;         /* 3000 */
  int num_redundant_experts; /* 0; must be >= 0 */
  int log_balancedness;      /* 0 */
} mpcomm_eplb_config_t;

/* Room for a host name or address, terminating NUL included. */
#define MPCOMM_HOST_MAX 256

#define MPCOMM_PARALLEL_CONFIG_MAGIC 0x6d70636du /* "mpcm" */
#define MPCOMM_PARALLEL_CONFIG_VERSION 1

/* vLLM's ParallelConfig, the fields that shape distributed behaviour. Always start from
 * mpcomm_parallel_config_init() (any language) or MPCOMM_PARALLEL_CONFIG_INIT (C, C++): they set
 * struct_size, magic and version, and every default. Later versions only append fields; the
 * library reads no byte beyond struct_size. Booleans are ints (0 = false); an Optional[int] that
 * is None in vLLM is -1 here. Members that hold an enum constant are int32_t, so that the layout
 * does not depend on the compiler's size of an enum (C, C++, Fortran's bind(c) agree). */
typedef struct {
  size_t struct_size;           /* sizeof(mpcomm_parallel_config_t) as the caller was compiled */
  unsigned int magic;           /* MPCOMM_PARALLEL_CONFIG_MAGIC */
  unsigned int version;         /* MPCOMM_PARALLEL_CONFIG_VERSION */
  int pipeline_parallel_size;   /* 1 */
  int tensor_parallel_size;     /* 1 */
  int data_parallel_size;       /* 1 */
  int data_parallel_size_local; /* 1 */
  int data_parallel_rank;       /* 0 */
  int data_parallel_rank_local; /* -1 (None) */
  char data_parallel_master_ip[MPCOMM_HOST_MAX]; /* "127.0.0.1" */
  int data_parallel_rpc_port;                    /* 29550 */
  int data_parallel_master_port;                 /* 29500 */
  int32_t data_parallel_backend;                 /* mpcomm_data_parallel_backend_t: MP */
  int data_parallel_external_lb;                 /* 0 */
  int data_parallel_hybrid_lb;                   /* 0 */
  int enable_expert_parallel;                    /* 0 */
  int enable_eplb;                               /* 0 */
  mpcomm_eplb_config_t eplb_config;              /* {1000, 3000, 0, 0} */
  int32_t expert_placement_strategy;             /* mpcomm_expert_placement_strategy_t: LINEAR */
  int32_t all2all_backend;                       /* mpcomm_all2all_backend_t: NONE */
  int max_parallel_loading_workers;              /* -1 (None) */
  int disable_custom_all_reduce;                 /* 0 */
  int enable_dbo;                                /* 0 */
  int dbo_decode_token_threshold;                /* 32 */
  int dbo_prefill_token_threshold;               /* 512 */
  int disable_nccl_for_dp_synchronization;       /* 0 */
  int32_t distributed_executor_backend;          /* mpcomm_distributed_executor_backend_t: NONE */
  int rank;                                      /* 0 */
  int decode_context_parallel_size;              /* 1 */
  int prefill_context_parallel_size;             /* 1 */
  int nnodes;                                    /* 1 */
  int node_rank;                                 /* 0 */
  char master_addr[MPCOMM_HOST_MAX];             /* "127.0.0.1" */
  int master_port;                               /* 29501 */
} mpcomm_parallel_config_t;

/* Positional, so that it compiles both as C99 and as C++. */
#define MPCOMM_PARALLEL_CONFIG_INIT                                                           \
  {                                                                                           \
    sizeof(mpcomm_parallel_config_t), MPCOMM_PARALLEL_CONFIG_MAGIC,                           \
        MPCOMM_PARALLEL_CONFIG_VERSION, 1, 1, 1, 1, 0, -1, "127.0.0.1", 29550, 29500,         \
        MPCOMM_DP_BACKEND_MP, 0, 0, 0, 0, {1000, 3000, 0, 0}, MPCOMM_EXPERT_PLACEMENT_LINEAR, \
        MPCOMM_ALL2ALL_NONE, -1, 0, 0, 32, 512, 0, MPCOMM_EXECUTOR_NONE, 0, 1, 1, 1, 0,       \
        "127.0.0.1", 29501                                                                    \
  }

/* Sets *cfg to the defaults, exactly as MPCOMM_PARALLEL_CONFIG_INIT: struct_size, magic,
 * version and every field. The way to start a configuration from any language. */
MPCOMM_API mpcomm_status_t mpcomm_parallel_config_init(mpcomm_parallel_config_t *cfg);

/* MPCOMM_ERR_INVALID_ARGUMENT with vLLM's message for every configuration vLLM rejects. */
MPCOMM_API mpcomm_status_t mpcomm_parallel_config_validate(const mpcomm_parallel_config_t *cfg);

/* vLLM's ParallelConfig.compute_hash(): 64 lowercase hex digits and a NUL into hex. */
MPCOMM_API mpcomm_status_t mpcomm_parallel_config_hash(const mpcomm_parallel_config_t *cfg,
                                                       char hex[65]);

/* PP x TP x PCP (x DP under the external launcher), and that times DP. */
MPCOMM_API mpcomm_status_t mpcomm_parallel_config_world_size(const mpcomm_parallel_config_t *cfg,
                                                             int *world_size);
MPCOMM_API mpcomm_status_t
mpcomm_parallel_config_world_size_across_dp(const mpcomm_parallel_config_t *cfg, int *world_size);

/* The rank lists of every group of one kind, row-major ngroups x group_size, exactly as vLLM
 * lays them out. ranks may be NULL when capacity is 0, to ask for the sizes; a capacity below
 * ngroups * group_size gives MPCOMM_ERR_TRUNCATED with *ngroups and *group_size set. */
MPCOMM_API mpcomm_status_t mpcomm_layout_group_ranks(const mpcomm_parallel_config_t *cfg,
                                                     int world_size, mpcomm_group_kind_t kind,
                                                     int *ranks, size_t capacity, int *ngroups,
                                                     int *group_size);

/* Layers [*start, *end) of pipeline stage pp_rank of pp_size, as vLLM's get_pp_indices();
 * honours MPCOMM_PP_LAYER_PARTITION. */
MPCOMM_API mpcomm_status_t mpcomm_pp_indices(int num_layers, int pp_rank, int pp_size, int *start,
                                             int *end);

/* ---------------------------------------------------------------- groups (mpcomm_group(3)) */

/* One set of processes with its own MPI communicator: the control plane (objects, barrier) and,
 * through later layers, the data planes. A handle; any number of groups coexist. */
typedef struct mpcomm_group_s *mpcomm_group_t;

/* Where the calling process sits in a group, as vLLM's GroupCoordinator describes it. "Global"
 * ranks are ranks in MPI_COMM_WORLD (see mpcomm_group_info(3) for groups spanning several
 * worlds); local_rank is the rank among the processes of MPI_COMM_WORLD on this node, or -1
 * when it cannot be known. The caller sets struct_size to sizeof(mpcomm_group_info_t) (or
 * starts from MPCOMM_GROUP_INFO_INIT); later versions only append fields, and the library
 * fills no byte beyond struct_size. */
typedef struct {
  size_t struct_size; /* sizeof(mpcomm_group_info_t) as the caller was compiled */
  int rank_in_group;  /* 0 .. size-1 */
  int size;           /* number of processes in the group */
  int global_rank;    /* the caller's global rank */
  int local_rank;     /* the caller's rank on its node */
  int first_rank;     /* global rank of group rank 0 */
  int last_rank;      /* global rank of group rank size-1 */
  int next_rank;      /* global rank of group rank (rank_in_group+1) % size */
  int prev_rank;      /* global rank of group rank (rank_in_group-1+size) % size */
  int is_first_rank;  /* 1 if the caller is group rank 0, else 0 */
  int is_last_rank;   /* 1 if the caller is group rank size-1, else 0 */
} mpcomm_group_info_t;

/* struct_size set, every other field 0 (C, C++). */
#define MPCOMM_GROUP_INFO_INIT \
  { sizeof(mpcomm_group_info_t), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* A group over a duplicate of comm (collective over comm). comm stays the caller's. */
MPCOMM_API mpcomm_status_t mpcomm_group_from_comm(MPI_Comm comm, mpcomm_group_t *group);
/* mpcomm_group_from_comm with a Fortran handle (MPI_Comm_c2f, mpi_f08's comm%MPI_VAL). */
MPCOMM_API mpcomm_status_t mpcomm_group_from_comm_f(MPI_Fint comm, mpcomm_group_t *group);
/* A group of the n processes ranks[0..n-1] of parent, in that order; only they call it, all with
 * the same list. */
MPCOMM_API mpcomm_status_t mpcomm_group_from_ranks(MPI_Comm parent, const int *ranks, int n,
                                                   mpcomm_group_t *group);
/* mpcomm_group_from_ranks with a Fortran handle for parent. */
MPCOMM_API mpcomm_status_t mpcomm_group_from_ranks_f(MPI_Fint parent, const int *ranks, int n,
                                                     mpcomm_group_t *group);
/* Frees the group and sets *group = NULL; NULL or *group == NULL is a no-op. */
MPCOMM_API mpcomm_status_t mpcomm_group_free(mpcomm_group_t *group);
/* info->struct_size must be set (at least the size of version 1 of the struct). */
MPCOMM_API mpcomm_status_t mpcomm_group_info(mpcomm_group_t group, mpcomm_group_info_t *info);
/* The group's MPI communicator, borrowed: valid until the group is freed (a state's group: until
 * the state is destroyed); never free it or change its error handler. The caller's own MPI calls
 * on it are allowed between mpcomm calls on the group, not during one (from another thread),
 * with no wildcard receives; MPI_Comm_dup it for traffic independent of the group. Local. */
MPCOMM_API mpcomm_status_t mpcomm_group_comm(mpcomm_group_t group, MPI_Comm *comm);
/* mpcomm_group_comm as a Fortran handle (MPI_Comm_c2f; mpi_f08: comm%MPI_VAL), same rules. */
MPCOMM_API mpcomm_status_t mpcomm_group_comm_f(mpcomm_group_t group, MPI_Fint *comm);
/* The global ranks of the members in group order; capacity is the number of ints at ranks. */
MPCOMM_API mpcomm_status_t mpcomm_group_ranks(mpcomm_group_t group, int *ranks, size_t capacity);
/* Timeout of the group's object calls in seconds; seconds <= 0 restores MPCOMM_TIMEOUT. */
MPCOMM_API mpcomm_status_t mpcomm_group_set_timeout(mpcomm_group_t group, double seconds);
MPCOMM_API mpcomm_status_t mpcomm_group_get_timeout(mpcomm_group_t group, double *seconds);

/* --------------------------------------- control plane: objects are bytes (mpcomm_objects(3)) */

/* Waits until every member has called it, at most timeout_s seconds (<= 0: the group's). */
MPCOMM_API mpcomm_status_t mpcomm_barrier(mpcomm_group_t group, double timeout_s);
/* dst and src are ranks in the group. A send does not wait for its receiver: the object is
 * copied and sent in the background (at most MPCOMM_SEND_OBJECT_BUFFER bytes per group). */
MPCOMM_API mpcomm_status_t mpcomm_send_object(mpcomm_group_t group, const void *buf, size_t len,
                                              int dst);
MPCOMM_API mpcomm_status_t mpcomm_recv_object(mpcomm_group_t group, void *buf, size_t capacity,
                                              size_t *len, int src);
/* At src, buf holds *len bytes to send; elsewhere it receives up to capacity bytes and *len
 * is set to the object's length. */
MPCOMM_API mpcomm_status_t mpcomm_broadcast_object(mpcomm_group_t group, void *buf, size_t capacity,
                                                   size_t *len, int src);
/* Every member's object, packed in group-rank order into out; lens[size] gets their lengths. */
MPCOMM_API mpcomm_status_t mpcomm_all_gather_object(mpcomm_group_t group, const void *buf,
                                                    size_t len, void *out, size_t capacity,
                                                    size_t *lens);
/* Gives the group a message-queue broadcaster: broadcasts from group rank 0 then reach the
 * members on its node through a shared-memory ring of `chunks` slots of chunk_bytes (0, 0: the
 * defaults, 256 KiB x 8), the others over MPI. Collective; the groups of a parallel state's TP
 * and DCP kinds have one, made by their first broadcast from rank 0. */
MPCOMM_API mpcomm_status_t mpcomm_group_enable_message_queue(mpcomm_group_t group,
                                                             size_t chunk_bytes, int chunks);

/* ---------------------------------------------------------------- node locality */

/* flags[i] = 1 if group rank i shares memory (a node) with group rank source_rank, else 0;
 * flags holds one int per member. Collective over the group. */
MPCOMM_API mpcomm_status_t mpcomm_in_the_same_node_as(mpcomm_group_t group, int source_rank,
                                                      int *flags);
/* The number of nodes the group's members span. Collective over the group. */
MPCOMM_API mpcomm_status_t mpcomm_node_count(mpcomm_group_t group, int *count);
/* ---------------------------------------------------------------- parallel state */

typedef struct mpcomm_state_s *mpcomm_state_t;

/* The world and model-parallel groups of cfg over a duplicate of comm: WORLD, TP, PP, DP, DCP,
 * PCP, and EP when cfg->enable_expert_parallel. Collective over comm; every rank must pass the
 * same configuration (every field that shapes the groups, and mpcomm_parallel_config_hash). */
MPCOMM_API mpcomm_status_t mpcomm_state_create(MPI_Comm comm, const mpcomm_parallel_config_t *cfg,
                                               mpcomm_state_t *state);
/* mpcomm_state_create with a Fortran handle (MPI_Comm_c2f, mpi_f08's comm%MPI_VAL). */
MPCOMM_API mpcomm_status_t mpcomm_state_create_f(MPI_Fint comm, const mpcomm_parallel_config_t *cfg,
                                                 mpcomm_state_t *state);
/* Frees the state and its groups, and sets *state = NULL; NULL or *state == NULL is a no-op. */
MPCOMM_API mpcomm_status_t mpcomm_state_destroy(mpcomm_state_t *state);
/* The state's group of a kind, borrowed: valid until the state is destroyed. */
MPCOMM_API mpcomm_status_t mpcomm_state_group(mpcomm_state_t state, mpcomm_group_kind_t kind,
                                              mpcomm_group_t *group);
/* The process-wide default state, for code ported from vLLM. Setting one whose TP or PP size
 * differs from the current default's is MPCOMM_ERR_INVALID_USAGE; NULL clears it. */
MPCOMM_API mpcomm_status_t mpcomm_default_state_set(mpcomm_state_t state);
MPCOMM_API mpcomm_status_t mpcomm_default_state_get(mpcomm_state_t *state);

/* Data-parallel helpers: *any = 1 if any member passed mine != 0 (MAX); *min = the smallest
 * mine over the members, where -1 means unlimited (INT64_MAX if all pass -1). Collective. */
MPCOMM_API mpcomm_status_t mpcomm_dp_has_unfinished(mpcomm_group_t dp, int mine, int *any);
MPCOMM_API mpcomm_status_t mpcomm_dp_sync_kv_cache_memory_size(mpcomm_group_t dp, int64_t mine,
                                                               int64_t *min);

/* ------------------------------------- rendezvous of separate launches (mpcomm_group_join(3)) */

/* A group of world_size processes that know only host:port: rank 0 listens on host:port (that
 * address only, never a wildcard), the others connect, each rank comes exactly once, and the
 * group's ranks are the ranks given. Works inside one mpirun job and across separate jobs (Open
 * MPI: all mpiruns name one ompi-server). Waits at most timeout_s seconds for every rank. */
MPCOMM_API mpcomm_status_t mpcomm_group_join(const char *host, int port, int rank, int world_size,
                                             double timeout_s, mpcomm_group_t *group);

/* ------------------------------------------------- data plane types (mpcomm_datatype(3)) */

/* Element types of the data plane. Tensors describe theirs with a DLPack DLDataType; these are
 * the types it accepts (lanes == 1). Bool and the 8-bit floats move (broadcast, gathers,
 * send/recv, all_to_all, tensor dicts); a reduction of them is MPCOMM_ERR_INVALID_ARGUMENT. */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_INT8 = 0,
  MPCOMM_UINT8 = 1,
  MPCOMM_INT32 = 2,
  MPCOMM_INT64 = 3,
  MPCOMM_FLOAT16 = 4,  /* IEEE binary16; reductions accumulate in float32 */
  MPCOMM_BFLOAT16 = 5, /* bfloat16; reductions accumulate in float32 */
  MPCOMM_FLOAT32 = 6,
  MPCOMM_FLOAT64 = 7,
  MPCOMM_BOOL = 8, /* one byte, 0 or 1 (DLPack kDLBool, 8 bits); moves, never reduces */
  MPCOMM_INT16 = 9,
  MPCOMM_UINT16 = 10,
  MPCOMM_UINT32 = 11,
  MPCOMM_UINT64 = 12,
  MPCOMM_FLOAT8_E4M3FN = 13, /* DLPack kDLFloat8_e4m3fn; moves, never reduces */
  MPCOMM_FLOAT8_E5M2 = 14,   /* DLPack kDLFloat8_e5m2; moves, never reduces */
  MPCOMM_NUM_DATATYPES = 15
} mpcomm_datatype_t;

/* Reduction operators. MPCOMM_AVG is the sum divided by the group size (integers truncate
 * toward zero). */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_SUM = 0,
  MPCOMM_PROD = 1,
  MPCOMM_MAX = 2,
  MPCOMM_MIN = 3,
  MPCOMM_AVG = 4,
  MPCOMM_NUM_OPS = 5
} mpcomm_op_t;

/* ------------------------------------------------------------- GPU data plane (mpcomm_gpu(3))
 * Device buffers given to a group's data-plane calls travel over NCCL, or, for an all_reduce on
 * one node, over the CUDA-IPC custom allreduce. Each group makes its device context (an NCCL
 * communicator, the custom allreduce's buffers) at its first device collective, or here. Built
 * without CUDA and NCCL, or on a machine without a GPU, these return MPCOMM_ERR_NOT_SUPPORTED. */

/* The CUDA device the group's device context uses (before it is made); device < 0 restores the
 * default, the process's node-local rank modulo the number of visible devices. Local. */
MPCOMM_API mpcomm_status_t mpcomm_group_set_device(mpcomm_group_t group, int device);
/* Makes the group's device context now rather than at its first device operation. Collective
 * over the group; a second call does nothing. */
MPCOMM_API mpcomm_status_t mpcomm_group_device_init(mpcomm_group_t group);
/* Whether the group's device all_reduce may take the CUDA-IPC custom allreduce (1) or never (0),
 * over the default (a parallel state's TP group only, as vLLM; any other group: when eligible).
 * Before the group's device context is made; every member must choose the same (agreed when the
 * context is made). Local. */
MPCOMM_API mpcomm_status_t mpcomm_group_set_custom_allreduce(mpcomm_group_t group, int enabled);

/* The path of a device all_reduce (mpcomm_group_device_allreduce_path(3)). */
typedef enum MPCOMM_ENUM_INT {
  MPCOMM_ALLREDUCE_PATH_COPY = 0,           /* a group of one: the output is a copy */
  MPCOMM_ALLREDUCE_PATH_CUSTOM_ONESHOT = 1, /* the custom allreduce, one-shot algorithm */
  MPCOMM_ALLREDUCE_PATH_CUSTOM_TWOSHOT = 2, /* the custom allreduce, two-shot algorithm */
  MPCOMM_ALLREDUCE_PATH_NCCL = 3            /* ncclAllReduce */
} mpcomm_allreduce_path_t;

/* *path: how the group's device all_reduce of count elements of dtype with op travels; why (if
 * why_len > 0): a NUL-terminated reason, cut to why_len - 1 bytes. Makes the group's device
 * context (collective over the group) the first time; every member gets the same answer. */
MPCOMM_API mpcomm_status_t mpcomm_group_device_allreduce_path(mpcomm_group_t group, size_t count,
                                                              mpcomm_datatype_t dtype,
                                                              mpcomm_op_t op,
                                                              mpcomm_allreduce_path_t *path,
                                                              char *why, size_t why_len);

/* Brackets the capture of a CUDA graph that contains device operations of the state's groups:
 * begin makes every group's device context (collective over the state's processes) so nothing
 * is allocated or agreed while the stream captures, then the caller captures on stream (a
 * cudaStream_t, not NULL) with cudaStreamBeginCapture / cudaStreamEndCapture, then calls end. */
MPCOMM_API mpcomm_status_t mpcomm_graph_capture_begin(mpcomm_state_t state, void *stream);
MPCOMM_API mpcomm_status_t mpcomm_graph_capture_end(mpcomm_state_t state);

/* -------------------------------- tensor dictionaries (mpcomm_tensor_dict(3)) */

/* "No explicit rank": src and dst of the tensor-dict calls then mean vLLM's defaults (the
 * previous member for a receive, the next for a send, group rank 0 for a broadcast). */
#ifndef MPCOMM_RANK_DEFAULT
#define MPCOMM_RANK_DEFAULT (-1)
#endif

/* A dictionary from string keys to tensors and small values, in insertion order (as a Python
 * dict). Tensors set by the caller are borrowed (their data must stay valid while the dict is
 * sent); tensors the library received are owned and freed with the dict. */
typedef struct mpcomm_tensor_dict_s *mpcomm_tensor_dict_t;

typedef enum MPCOMM_ENUM_INT {
  MPCOMM_VALUE_TENSOR = 0,
  MPCOMM_VALUE_INT = 1,    /* int64_t */
  MPCOMM_VALUE_DOUBLE = 2, /* double */
  MPCOMM_VALUE_BOOL = 3,   /* int, 0 or 1 */
  MPCOMM_VALUE_STRING = 4, /* NUL-terminated, copied */
  MPCOMM_VALUE_BYTES = 5   /* any bytes, copied */
} mpcomm_value_kind_t;

/* An empty dict into *dict. */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_create(mpcomm_tensor_dict_t *dict);
/* Frees the dict (and the tensors it owns) and sets *dict = NULL; NULL or *dict == NULL is a
 * no-op. */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_free(mpcomm_tensor_dict_t *dict);
/* Setting a key that exists replaces its value in place (its position is kept). set_tensor
 * copies the descriptor and the shape, not the data: a compact row-major tensor of a data-plane
 * type in host (cpu, cuda_host) or CUDA (cuda, cuda_managed) memory. */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor *tensor);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double value);
/* value: 0 or 1. */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char *value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_set_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void *data, size_t len);
/* Getters: a missing key or a value of another kind is MPCOMM_ERR_INVALID_ARGUMENT. Pointers
 * returned are borrowed: valid until the key is set again or the dict is freed or received
 * into. */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_kind(mpcomm_tensor_dict_t dict, const char *key,
                                                       mpcomm_value_kind_t *kind);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_tensor(mpcomm_tensor_dict_t dict, const char *key,
                                                         const DLTensor **tensor);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_int(mpcomm_tensor_dict_t dict, const char *key,
                                                      int64_t *value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_double(mpcomm_tensor_dict_t dict, const char *key,
                                                         double *value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_bool(mpcomm_tensor_dict_t dict, const char *key,
                                                       int *value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_string(mpcomm_tensor_dict_t dict, const char *key,
                                                         const char **value);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_get_bytes(mpcomm_tensor_dict_t dict, const char *key,
                                                        const void **data, size_t *len);
/* Iteration in insertion order: *n keys, key number i (0 <= i < n). */
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_size(mpcomm_tensor_dict_t dict, size_t *n);
MPCOMM_API mpcomm_status_t mpcomm_tensor_dict_key_at(mpcomm_tensor_dict_t dict, size_t i,
                                                     const char **key);

/* Exchange (mpcomm_broadcast_tensor_dict(3)): the metadata (keys, kinds, dtypes, shapes,
 * devices, small values) as one MessagePack object on the control plane, then the non-empty
 * tensors in key order on the data plane. Received dicts are new (*dict NULL on entry) or
 * replace the contents of *dict; their tensors are allocated by the library. */
/* At src, *dict is sent; elsewhere it receives src's dict. Collective over the group. */
MPCOMM_API mpcomm_status_t mpcomm_broadcast_tensor_dict(mpcomm_group_t group,
                                                        mpcomm_tensor_dict_t *dict, int src);
/* With an all_gather_group (or NULL), each tensor whose element count it divides travels as
 * the caller's 1/n slice and the receivers all-gather it over their all_gather_group. */
MPCOMM_API mpcomm_status_t mpcomm_send_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t dict,
                                                   int dst, mpcomm_group_t all_gather_group);
MPCOMM_API mpcomm_status_t mpcomm_recv_tensor_dict(mpcomm_group_t group, mpcomm_tensor_dict_t *dict,
                                                   int src, mpcomm_group_t all_gather_group);
/* ------------------------------------- data plane on groups (mpcomm_all_reduce(3),
 * mpcomm_all_gather(3)) Host buffers travel over the group's MPI communicator (an all_reduce of
 * float32, float16 or bfloat16 may go through shared memory, see MPCOMM_HOST_ALLREDUCE in
 * mpcomm(7)) and stream is ignored; device buffers over the GPU data plane (mpcomm_gpu(3)) on
 * stream, a cudaStream_t or NULL. Every call is collective over the group except send and recv;
 * ranks are group ranks. A group of one returns at once (out of place, after copying the input to
 * the output). */

/* As dst of mpcomm_send: the next rank in the group; as src of mpcomm_recv: the previous one. */
#define MPCOMM_RANK_DEFAULT (-1)

/* recv[i] = op over the members of send[i] for count elements; send == recv is in place. */
MPCOMM_API mpcomm_status_t mpcomm_all_reduce(mpcomm_group_t group, const void *send, void *recv,
                                             size_t count, mpcomm_datatype_t dtype, mpcomm_op_t op,
                                             void *stream);
/* buf at group rank src is copied into buf at every other member. */
MPCOMM_API mpcomm_status_t mpcomm_broadcast(mpcomm_group_t group, void *buf, size_t count,
                                            mpcomm_datatype_t dtype, int src, void *stream);
/* Blocking point to point; the receiver gives exactly the count and type that were sent. */
MPCOMM_API mpcomm_status_t mpcomm_send(mpcomm_group_t group, const void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int dst, void *stream);
MPCOMM_API mpcomm_status_t mpcomm_recv(mpcomm_group_t group, void *buf, size_t count,
                                       mpcomm_datatype_t dtype, int src, void *stream);
/* Along dim (negative counts from the end) of contiguous tensors: out is every member's in, in
 * group-rank order, side by side along dim (out.shape[dim] = in.shape[dim] x size). */
MPCOMM_API mpcomm_status_t mpcomm_all_gather(mpcomm_group_t group, const DLTensor *in,
                                             DLTensor *out, int dim, void *stream);
/* in.shape[dim] divisible by the size; member r gets op over the members of in's r-th slice
 * along dim (out.shape[dim] = in.shape[dim] / size). */
MPCOMM_API mpcomm_status_t mpcomm_reduce_scatter(mpcomm_group_t group, const DLTensor *in,
                                                 DLTensor *out, int dim, mpcomm_op_t op,
                                                 void *stream);
/* mpcomm_all_gather delivered to group rank dst only; out is ignored (may be NULL) elsewhere. */
MPCOMM_API mpcomm_status_t mpcomm_gather(mpcomm_group_t group, const DLTensor *in, DLTensor *out,
                                         int dst, int dim, void *stream);
/* Variable sizes (mpcomm_all_gatherv(3), mpcomm_all_to_all(3)); every member must pass the same
 * sizes, or counts that pair up, which is checked before any data moves. */
/* sizes[size]: each member's extent along dim; in.shape[dim] == sizes[rank_in_group] */
MPCOMM_API mpcomm_status_t mpcomm_all_gatherv(mpcomm_group_t group, const DLTensor *in,
                                              DLTensor *out, const size_t *sizes, int dim,
                                              void *stream);
/* in.shape[dim] == sum(sizes); member r gets op over the members of the r-th block */
MPCOMM_API mpcomm_status_t mpcomm_reduce_scatterv(mpcomm_group_t group, const DLTensor *in,
                                                  DLTensor *out, const size_t *sizes, int dim,
                                                  mpcomm_op_t op, void *stream);
/* count elements to and from each member, blocks in group-rank order */
MPCOMM_API mpcomm_status_t mpcomm_all_to_all(mpcomm_group_t group, const void *send, void *recv,
                                             size_t count, mpcomm_datatype_t dtype, void *stream);
/* counts and displacements in elements, one per member */
MPCOMM_API mpcomm_status_t mpcomm_all_to_allv(mpcomm_group_t group, const void *send,
                                              const size_t *send_counts, const size_t *send_displs,
                                              void *recv, const size_t *recv_counts,
                                              const size_t *recv_displs, mpcomm_datatype_t dtype,
                                              void *stream);
/* Zero copy for the host all_reduce (mpcomm_mem_alloc(3)): a buffer of the node's shared memory,
 * mapped by every member of the group on the caller's node, as ncclMemAlloc and buffer
 * registration are for NCCL. A host all_reduce whose send lies in one is read there by the peers
 * instead of being copied in; every other use is that of ordinary memory. mpcomm_mem_alloc is
 * collective (every member, in the same order, each with its own bytes; 0 gives *ptr NULL); the
 * buffer is page-aligned and zero-filled. mpcomm_mem_free is local (ptr NULL: nothing); free a
 * buffer on every member once no member's all_reduce reads it any more. mpcomm_group_free frees
 * the group's buffers that are left. */
MPCOMM_API mpcomm_status_t mpcomm_mem_alloc(mpcomm_group_t group, size_t bytes, void **ptr);
MPCOMM_API mpcomm_status_t mpcomm_mem_free(mpcomm_group_t group, void *ptr);

/* ------------------------------------------------------------- the version 1 layout
 * The public structs are part of the ABI (Fortran's bind(c) types mirror them): version 1 is
 * pinned here, member by member, for LP64 platforms, wherever a C11 or C++11 compiler reads this
 * header. Later versions only append members. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define MPCOMM_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MPCOMM_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#if defined(MPCOMM_STATIC_ASSERT) && defined(__SIZEOF_SIZE_T__) && __SIZEOF_SIZE_T__ == 8 && \
    defined(__SIZEOF_INT__) && __SIZEOF_INT__ == 4
#define MPCOMM_ASSERT_OFFSET(type, member, offset) \
  MPCOMM_STATIC_ASSERT(offsetof(type, member) == offset, #type "." #member " moved")
#define MPCOMM_ASSERT_SIZE(type, size) \
  MPCOMM_STATIC_ASSERT(sizeof(type) == size, "the size of " #type " changed")
MPCOMM_ASSERT_OFFSET(mpcomm_eplb_config_t, window_size, 0);
MPCOMM_ASSERT_OFFSET(mpcomm_eplb_config_t, step_interval, 4);
MPCOMM_ASSERT_OFFSET(mpcomm_eplb_config_t, num_redundant_experts, 8);
MPCOMM_ASSERT_OFFSET(mpcomm_eplb_config_t, log_balancedness, 12);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, struct_size, 0);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, magic, 8);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, version, 12);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, pipeline_parallel_size, 16);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, tensor_parallel_size, 20);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_size, 24);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_size_local, 28);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_rank, 32);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_rank_local, 36);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_master_ip, 40);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_rpc_port, 296);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_master_port, 300);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_backend, 304);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_external_lb, 308);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, data_parallel_hybrid_lb, 312);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, enable_expert_parallel, 316);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, enable_eplb, 320);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, eplb_config, 324);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, expert_placement_strategy, 340);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, all2all_backend, 344);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, max_parallel_loading_workers, 348);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, disable_custom_all_reduce, 352);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, enable_dbo, 356);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, dbo_decode_token_threshold, 360);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, dbo_prefill_token_threshold, 364);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, disable_nccl_for_dp_synchronization, 368);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, distributed_executor_backend, 372);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, rank, 376);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, decode_context_parallel_size, 380);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, prefill_context_parallel_size, 384);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, nnodes, 388);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, node_rank, 392);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, master_addr, 396);
MPCOMM_ASSERT_OFFSET(mpcomm_parallel_config_t, master_port, 652);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, struct_size, 0);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, rank_in_group, 8);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, size, 12);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, global_rank, 16);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, local_rank, 20);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, first_rank, 24);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, last_rank, 28);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, next_rank, 32);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, prev_rank, 36);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, is_first_rank, 40);
MPCOMM_ASSERT_OFFSET(mpcomm_group_info_t, is_last_rank, 44);
MPCOMM_ASSERT_SIZE(mpcomm_eplb_config_t, 16);
MPCOMM_ASSERT_SIZE(mpcomm_parallel_config_t, 656);
MPCOMM_ASSERT_SIZE(mpcomm_group_info_t, 48);
#undef MPCOMM_ASSERT_OFFSET
#undef MPCOMM_ASSERT_SIZE
#endif
#undef MPCOMM_STATIC_ASSERT

#ifdef __cplusplus
}
#endif

#endif /* MPCOMM_H */
