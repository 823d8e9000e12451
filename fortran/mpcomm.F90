! mpcomm: the Fortran 2008 + TS 29113 module over the C API (include/mpcomm.h).
!
! use mpi_f08          ! or use mpi: communicators may be integer handles too
! use mpcomm
!
! Every procedure is a subroutine whose last argument is an optional integer ierror, as in
! mpi_f08: present, it receives the status (MPCOMM_SUCCESS, MPCOMM_ERR_INVALID_ARGUMENT, ...);
! absent, a failure writes the status and mpcomm_last_error() to stderr and stops the program
! with error stop. Ranks are 0-based as in MPI; pipeline layers (mpcomm_pp_indices) and the keys
! of a tensor dict (mpcomm_tensor_dict_key_at) are numbered from 1. Data-plane buffers are
! Fortran arrays of any rank (or scalars) whose type and kind give the datatype; the dimensions
! of all_gather, reduce_scatter and gather are Fortran dimensions (1 .. rank). See mpcomm(7),
! section FORTRAN, and each function's man page.
module mpcomm
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit, int8, int16, int32, int64, real32, real64
  use mpi_f08, only: MPI_Comm
  implicit none
  private

  ! The kinds the data plane takes, for `use mpcomm` alone.
  public :: int8, int16, int32, int64, real32, real64

  ! ------------------------------------------------------------------ constants of mpcomm.h
  ! Checked against the C header, name by name, by test/fortran/constants.sh.
  include 'mpcomm_version_f.inc'
  integer(c_int), parameter, public :: MPCOMM_SUCCESS = 0
  integer(c_int), parameter, public :: MPCOMM_ERR_INVALID_ARGUMENT = 1
  integer(c_int), parameter, public :: MPCOMM_ERR_INVALID_USAGE = 2
  integer(c_int), parameter, public :: MPCOMM_ERR_NO_MEMORY = 3
  integer(c_int), parameter, public :: MPCOMM_ERR_TIMEOUT = 4
  integer(c_int), parameter, public :: MPCOMM_ERR_TRUNCATED = 5
  integer(c_int), parameter, public :: MPCOMM_ERR_MALFORMED = 6
  integer(c_int), parameter, public :: MPCOMM_ERR_NOT_SUPPORTED = 7
  integer(c_int), parameter, public :: MPCOMM_ERR_MPI = 8
  integer(c_int), parameter, public :: MPCOMM_ERR_CUDA = 9
  integer(c_int), parameter, public :: MPCOMM_ERR_NCCL = 10
  integer(c_int), parameter, public :: MPCOMM_ERR_SYSTEM = 11
  integer(c_int), parameter, public :: MPCOMM_ERR_BROKEN = 12
  integer(c_int), parameter, public :: MPCOMM_ERR_INTERNAL = 13
  integer(c_int), parameter, public :: MPCOMM_NUM_STATUSES = 14

  integer(c_int), parameter, public :: MPCOMM_GROUP_WORLD = 0
  integer(c_int), parameter, public :: MPCOMM_GROUP_TP = 1
  integer(c_int), parameter, public :: MPCOMM_GROUP_PP = 2
  integer(c_int), parameter, public :: MPCOMM_GROUP_DP = 3
  integer(c_int), parameter, public :: MPCOMM_GROUP_EP = 4
  integer(c_int), parameter, public :: MPCOMM_GROUP_DCP = 5
  integer(c_int), parameter, public :: MPCOMM_GROUP_PCP = 6
  integer(c_int), parameter, public :: MPCOMM_NUM_GROUP_KINDS = 7

  integer(c_int), parameter, public :: MPCOMM_DP_BACKEND_MP = 0
  integer(c_int), parameter, public :: MPCOMM_DP_BACKEND_RAY = 1
  integer(c_int), parameter, public :: MPCOMM_EXPERT_PLACEMENT_LINEAR = 0
  integer(c_int), parameter, public :: MPCOMM_EXPERT_PLACEMENT_ROUND_ROBIN = 1
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_NONE = 0
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_NAIVE = 1
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_PPLX = 2
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_DEEPEP_HIGH_THROUGHPUT = 3
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_DEEPEP_LOW_LATENCY = 4
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_ALLGATHER_REDUCESCATTER = 5
  integer(c_int), parameter, public :: MPCOMM_ALL2ALL_FLASHINFER_ALL2ALLV = 6
  integer(c_int), parameter, public :: MPCOMM_EXECUTOR_NONE = 0
  integer(c_int), parameter, public :: MPCOMM_EXECUTOR_RAY = 1
  integer(c_int), parameter, public :: MPCOMM_EXECUTOR_MP = 2
  integer(c_int), parameter, public :: MPCOMM_EXECUTOR_UNI = 3
  integer(c_int), parameter, public :: MPCOMM_EXECUTOR_EXTERNAL_LAUNCHER = 4

  integer(c_int), parameter, public :: MPCOMM_HOST_MAX = 256
  integer(c_int), parameter, public :: MPCOMM_PARALLEL_CONFIG_MAGIC = int(z'6d70636d', c_int)
  integer(c_int), parameter, public :: MPCOMM_PARALLEL_CONFIG_VERSION = 1
  integer(c_int), parameter, public :: MPCOMM_RANK_DEFAULT = -1

  integer(c_int), parameter, public :: MPCOMM_INT8 = 0
  integer(c_int), parameter, public :: MPCOMM_UINT8 = 1
  integer(c_int), parameter, public :: MPCOMM_INT32 = 2
  integer(c_int), parameter, public :: MPCOMM_INT64 = 3
  integer(c_int), parameter, public :: MPCOMM_FLOAT16 = 4
  integer(c_int), parameter, public :: MPCOMM_BFLOAT16 = 5
  integer(c_int), parameter, public :: MPCOMM_FLOAT32 = 6
  integer(c_int), parameter, public :: MPCOMM_FLOAT64 = 7
  integer(c_int), parameter, public :: MPCOMM_BOOL = 8
  integer(c_int), parameter, public :: MPCOMM_INT16 = 9
  integer(c_int), parameter, public :: MPCOMM_UINT16 = 10
  integer(c_int), parameter, public :: MPCOMM_UINT32 = 11
  integer(c_int), parameter, public :: MPCOMM_UINT64 = 12
  integer(c_int), parameter, public :: MPCOMM_FLOAT8_E4M3FN = 13
  integer(c_int), parameter, public :: MPCOMM_FLOAT8_E5M2 = 14
  integer(c_int), parameter, public :: MPCOMM_NUM_DATATYPES = 15

  integer(c_int), parameter, public :: MPCOMM_SUM = 0
  integer(c_int), parameter, public :: MPCOMM_PROD = 1
  integer(c_int), parameter, public :: MPCOMM_MAX = 2
  integer(c_int), parameter, public :: MPCOMM_MIN = 3
  integer(c_int), parameter, public :: MPCOMM_AVG = 4
  integer(c_int), parameter, public :: MPCOMM_NUM_OPS = 5

  integer(c_int), parameter, public :: MPCOMM_ALLREDUCE_PATH_COPY = 0
  integer(c_int), parameter, public :: MPCOMM_ALLREDUCE_PATH_CUSTOM_ONESHOT = 1
  integer(c_int), parameter, public :: MPCOMM_ALLREDUCE_PATH_CUSTOM_TWOSHOT = 2
  integer(c_int), parameter, public :: MPCOMM_ALLREDUCE_PATH_NCCL = 3

  integer(c_int), parameter, public :: MPCOMM_VALUE_TENSOR = 0
  integer(c_int), parameter, public :: MPCOMM_VALUE_INT = 1
  integer(c_int), parameter, public :: MPCOMM_VALUE_DOUBLE = 2
  integer(c_int), parameter, public :: MPCOMM_VALUE_BOOL = 3
  integer(c_int), parameter, public :: MPCOMM_VALUE_STRING = 4
  integer(c_int), parameter, public :: MPCOMM_VALUE_BYTES = 5

  ! DLPack's device types (dlpack.h), for mpcomm_tensor_t.
  integer(c_int), parameter, public :: MPCOMM_DEVICE_CPU = 1
  integer(c_int), parameter, public :: MPCOMM_DEVICE_CUDA = 2
  integer(c_int), parameter, public :: MPCOMM_DEVICE_CUDA_HOST = 3
  integer(c_int), parameter, public :: MPCOMM_DEVICE_CUDA_MANAGED = 13

  ! As the send buffer of mpcomm_all_reduce: reduce in place, as MPI_IN_PLACE.
  integer(c_int), bind(C, name="mpcomm_f_in_place_marker"), public, protected :: MPCOMM_IN_PLACE

  ! ------------------------------------------------------------------------------- types
  ! Handles: distinct types, so that a state cannot be passed where a group is expected.
  type, public :: mpcomm_state_t
    private
    type(c_ptr) :: ptr = c_null_ptr
  end type
  type, public :: mpcomm_group_t
    private
    type(c_ptr) :: ptr = c_null_ptr
  end type
  type, public :: mpcomm_tensor_dict_t
    private
    type(c_ptr) :: ptr = c_null_ptr
  end type
  type(mpcomm_state_t), parameter, public :: MPCOMM_STATE_NULL = mpcomm_state_t(c_null_ptr)
  type(mpcomm_group_t), parameter, public :: MPCOMM_GROUP_NULL = mpcomm_group_t(c_null_ptr)
  type(mpcomm_tensor_dict_t), parameter, public :: MPCOMM_TENSOR_DICT_NULL = &
    mpcomm_tensor_dict_t(c_null_ptr)

  type, bind(C), public :: mpcomm_eplb_config_t
    integer(c_int) :: window_size
    integer(c_int) :: step_interval
    integer(c_int) :: num_redundant_experts
    integer(c_int) :: log_balancedness
  end type

  ! The C struct's fields under the same names; host names are Fortran strings (trailing blanks
  ! are not part of the name). Start from mpcomm_parallel_config_init.
  type, public :: mpcomm_parallel_config_t
    integer(c_size_t) :: struct_size = 0
    integer(c_int) :: magic = 0
    integer(c_int) :: version = 0
    integer(c_int) :: pipeline_parallel_size = 0
    integer(c_int) :: tensor_parallel_size = 0
    integer(c_int) :: data_parallel_size = 0
    integer(c_int) :: data_parallel_size_local = 0
    integer(c_int) :: data_parallel_rank = 0
    integer(c_int) :: data_parallel_rank_local = 0
    character(len=MPCOMM_HOST_MAX - 1) :: data_parallel_master_ip = ''
    integer(c_int) :: data_parallel_rpc_port = 0
    integer(c_int) :: data_parallel_master_port = 0
    integer(c_int32_t) :: data_parallel_backend = 0
    integer(c_int) :: data_parallel_external_lb = 0
    integer(c_int) :: data_parallel_hybrid_lb = 0
    integer(c_int) :: enable_expert_parallel = 0
    integer(c_int) :: enable_eplb = 0
    type(mpcomm_eplb_config_t) :: eplb_config = mpcomm_eplb_config_t(0, 0, 0, 0)
    integer(c_int32_t) :: expert_placement_strategy = 0
    integer(c_int32_t) :: all2all_backend = 0
    integer(c_int) :: max_parallel_loading_workers = 0
    integer(c_int) :: disable_custom_all_reduce = 0
    integer(c_int) :: enable_dbo = 0
    integer(c_int) :: dbo_decode_token_threshold = 0
    integer(c_int) :: dbo_prefill_token_threshold = 0
    integer(c_int) :: disable_nccl_for_dp_synchronization = 0
    integer(c_int32_t) :: distributed_executor_backend = 0
    integer(c_int) :: rank = 0
    integer(c_int) :: decode_context_parallel_size = 0
    integer(c_int) :: prefill_context_parallel_size = 0
    integer(c_int) :: nnodes = 0
    integer(c_int) :: node_rank = 0
    character(len=MPCOMM_HOST_MAX - 1) :: master_addr = ''
    integer(c_int) :: master_port = 0
  end type

  ! The C struct itself (version 1 layout, 656 bytes).
  type, bind(C) :: c_parallel_config
    integer(c_size_t) :: struct_size
    integer(c_int) :: magic
    integer(c_int) :: version
    integer(c_int) :: pipeline_parallel_size
    integer(c_int) :: tensor_parallel_size
    integer(c_int) :: data_parallel_size
    integer(c_int) :: data_parallel_size_local
    integer(c_int) :: data_parallel_rank
    integer(c_int) :: data_parallel_rank_local
    character(kind=c_char) :: data_parallel_master_ip(MPCOMM_HOST_MAX)
    integer(c_int) :: data_parallel_rpc_port
    integer(c_int) :: data_parallel_master_port
    integer(c_int32_t) :: data_parallel_backend
    integer(c_int) :: data_parallel_external_lb
    integer(c_int) :: data_parallel_hybrid_lb
    integer(c_int) :: enable_expert_parallel
    integer(c_int) :: enable_eplb
    type(mpcomm_eplb_config_t) :: eplb_config
    integer(c_int32_t) :: expert_placement_strategy
    integer(c_int32_t) :: all2all_backend
    integer(c_int) :: max_parallel_loading_workers
    integer(c_int) :: disable_custom_all_reduce
    integer(c_int) :: enable_dbo
    integer(c_int) :: dbo_decode_token_threshold
    integer(c_int) :: dbo_prefill_token_threshold
    integer(c_int) :: disable_nccl_for_dp_synchronization
    integer(c_int32_t) :: distributed_executor_backend
    integer(c_int) :: rank
    integer(c_int) :: decode_context_parallel_size
    integer(c_int) :: prefill_context_parallel_size
    integer(c_int) :: nnodes
    integer(c_int) :: node_rank
    character(kind=c_char) :: master_addr(MPCOMM_HOST_MAX)
    integer(c_int) :: master_port
  end type

  ! The C struct; mpcomm_group_info sets struct_size.
  type, bind(C), public :: mpcomm_group_info_t
    integer(c_size_t) :: struct_size = 0
    integer(c_int) :: rank_in_group = 0
    integer(c_int) :: size = 0
    integer(c_int) :: global_rank = 0
    integer(c_int) :: local_rank = 0
    integer(c_int) :: first_rank = 0
    integer(c_int) :: last_rank = 0
    integer(c_int) :: next_rank = 0
    integer(c_int) :: prev_rank = 0
    integer(c_int) :: is_first_rank = 0
    integer(c_int) :: is_last_rank = 0
  end type

  ! A string of an array of strings (mpcomm_all_gather_string).
  type, public :: mpcomm_string_t
    character(len=:), allocatable :: s
  end type

  ! A tensor given by its address: device memory, or a tensor of a dict. shape is in Fortran
  ! order (shape(1) varies fastest), the C row-major shape reversed.
  type, public :: mpcomm_tensor_t
    type(c_ptr) :: data = c_null_ptr
    integer(c_int) :: dtype = MPCOMM_FLOAT32
    integer(c_int64_t), allocatable :: shape(:)
    integer(c_int) :: device_type = MPCOMM_DEVICE_CPU
    integer(c_int) :: device_id = 0
  end type

  ! DLPack's DLTensor.
  type, bind(C) :: c_dltensor
    type(c_ptr) :: data = c_null_ptr
    integer(c_int32_t) :: device_type = MPCOMM_DEVICE_CPU
    integer(c_int32_t) :: device_id = 0
    integer(c_int32_t) :: ndim = 0
    integer(c_int8_t) :: code = 0
    integer(c_int8_t) :: bits = 0
    integer(c_int16_t) :: lanes = 1
    type(c_ptr) :: shape = c_null_ptr
    type(c_ptr) :: strides = c_null_ptr
    integer(c_int64_t) :: byte_offset = 0
  end type

  integer, parameter :: max_ndim = 32
  ! DLPack code and bits of each mpcomm_datatype_t, in its order.
  integer(c_int8_t), parameter :: dl_code(0:14) = &
    int([0, 1, 0, 0, 2, 4, 2, 2, 6, 0, 1, 1, 1, 10, 12], c_int8_t)
  integer(c_int8_t), parameter :: dl_bits(0:14) = &
    int([8, 8, 32, 64, 16, 16, 32, 64, 8, 16, 16, 32, 64, 8, 8], c_int8_t)

  ! ------------------------------------------------------------------------ public names
  public :: mpcomm_status_string, mpcomm_last_error, mpcomm_version, mpcomm_is_null
  public :: mpcomm_parallel_config_init, mpcomm_parallel_config_validate
  public :: mpcomm_parallel_config_hash, mpcomm_parallel_config_world_size
  public :: mpcomm_parallel_config_world_size_across_dp, mpcomm_layout_group_ranks
  public :: mpcomm_pp_indices
  public :: mpcomm_group_from_comm, mpcomm_group_from_ranks, mpcomm_group_free
  public :: mpcomm_group_info, mpcomm_group_comm, mpcomm_group_ranks
  public :: mpcomm_group_set_timeout, mpcomm_group_get_timeout
  public :: mpcomm_barrier, mpcomm_send_object, mpcomm_recv_object, mpcomm_broadcast_object
  public :: mpcomm_all_gather_object, mpcomm_send_string, mpcomm_recv_string
  public :: mpcomm_broadcast_string, mpcomm_all_gather_string
  public :: mpcomm_group_enable_message_queue, mpcomm_in_the_same_node_as, mpcomm_node_count
  public :: mpcomm_state_create, mpcomm_state_destroy, mpcomm_state_group
  public :: mpcomm_default_state_set, mpcomm_default_state_get
  public :: mpcomm_dp_has_unfinished, mpcomm_dp_sync_kv_cache_memory_size, mpcomm_group_join
  public :: mpcomm_group_set_device, mpcomm_group_device_init
  public :: mpcomm_group_set_custom_allreduce, mpcomm_group_device_allreduce_path
  public :: mpcomm_graph_capture_begin, mpcomm_graph_capture_end
  public :: mpcomm_tensor_dict_create, mpcomm_tensor_dict_free
  public :: mpcomm_tensor_dict_set_tensor, mpcomm_tensor_dict_set_tensor_ptr
  public :: mpcomm_tensor_dict_set_int, mpcomm_tensor_dict_set_double
  public :: mpcomm_tensor_dict_set_bool, mpcomm_tensor_dict_set_string
  public :: mpcomm_tensor_dict_set_bytes, mpcomm_tensor_dict_get_kind
  public :: mpcomm_tensor_dict_get_tensor, mpcomm_tensor_dict_get_array
  public :: mpcomm_tensor_dict_get_int, mpcomm_tensor_dict_get_double
  public :: mpcomm_tensor_dict_get_bool, mpcomm_tensor_dict_get_string
  public :: mpcomm_tensor_dict_get_bytes, mpcomm_tensor_dict_size, mpcomm_tensor_dict_key_at
  public :: mpcomm_broadcast_tensor_dict, mpcomm_send_tensor_dict, mpcomm_recv_tensor_dict
  public :: mpcomm_all_reduce, mpcomm_broadcast, mpcomm_send, mpcomm_recv
  public :: mpcomm_all_gather, mpcomm_reduce_scatter, mpcomm_gather
  public :: mpcomm_all_gatherv, mpcomm_reduce_scatterv, mpcomm_all_to_all, mpcomm_all_to_allv
  public :: mpcomm_all_reduce_ptr, mpcomm_broadcast_ptr, mpcomm_send_ptr, mpcomm_recv_ptr
  public :: mpcomm_all_gather_ptr, mpcomm_reduce_scatter_ptr, mpcomm_gather_ptr
  public :: mpcomm_mem_alloc, mpcomm_mem_free

  interface mpcomm_is_null
    module procedure is_null_state, is_null_group, is_null_dict
  end interface
  interface mpcomm_group_from_comm
    module procedure group_from_comm_f08, group_from_comm_int
  end interface
  interface mpcomm_group_from_ranks
    module procedure group_from_ranks_f08, group_from_ranks_int
  end interface
  interface mpcomm_group_comm
    module procedure group_comm_f08, group_comm_int
  end interface
  interface mpcomm_state_create
    module procedure state_create_f08, state_create_int
  end interface
  interface mpcomm_tensor_dict_set_int
    module procedure dict_set_int64, dict_set_int32
  end interface

  ! ------------------------------------------------------------------ the C API, bound
  interface
    function c_status_string(status) bind(C, name="mpcomm_status_string")
      import :: c_int, c_ptr
      integer(c_int), value :: status
      type(c_ptr) :: c_status_string
    end function
    function c_last_error() bind(C, name="mpcomm_f_last_error")
      import :: c_ptr
      type(c_ptr) :: c_last_error
    end function
    subroutine c_set_error(message) bind(C, name="mpcomm_f_set_error")
      import :: c_char
      character(kind=c_char), intent(in) :: message(*)
    end subroutine
    subroutine c_failed() bind(C, name="mpcomm_f_c_failed")
    end subroutine
    function c_describe(buf, what, base, count, dtype, in_place) bind(C, name="mpcomm_f_describe")
      import :: c_int, c_char, c_ptr, c_size_t
      type(*), dimension(..), intent(in) :: buf
      character(kind=c_char), intent(in) :: what(*)
      type(c_ptr), intent(out) :: base
      integer(c_size_t), intent(out) :: count
      integer(c_int), intent(out) :: dtype, in_place
      integer(c_int) :: c_describe
    end function
    function c_bytes(buf, what, base, len) bind(C, name="mpcomm_f_bytes")
      import :: c_int, c_char, c_ptr, c_size_t
      type(*), dimension(..), intent(in) :: buf
      character(kind=c_char), intent(in) :: what(*)
      type(c_ptr), intent(out) :: base
      integer(c_size_t), intent(out) :: len
      integer(c_int) :: c_bytes
    end function
    function c_strlen(s) bind(C, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: c_strlen
    end function
    function c_memcpy(dst, src, n) bind(C, name="memcpy")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: dst, src
      integer(c_size_t), value :: n
      type(c_ptr) :: c_memcpy
    end function
    subroutine c_version(major, minor, patch) bind(C, name="mpcomm_version")
      import :: c_int
      integer(c_int), intent(out) :: major, minor, patch
    end subroutine

    function c_parallel_config_init(cfg) bind(C, name="mpcomm_parallel_config_init")
      import :: c_int, c_parallel_config
      type(c_parallel_config), intent(out) :: cfg
      integer(c_int) :: c_parallel_config_init
    end function
    function c_parallel_config_validate(cfg) bind(C, name="mpcomm_parallel_config_validate")
      import :: c_int, c_parallel_config
      type(c_parallel_config), intent(in) :: cfg
      integer(c_int) :: c_parallel_config_validate
    end function
    function c_parallel_config_hash(cfg, hex) bind(C, name="mpcomm_parallel_config_hash")
      import :: c_int, c_char, c_parallel_config
      type(c_parallel_config), intent(in) :: cfg
      character(kind=c_char), intent(out) :: hex(65)
      integer(c_int) :: c_parallel_config_hash
    end function
    function c_parallel_config_world_size(cfg, n) bind(C, name="mpcomm_parallel_config_world_size")
      import :: c_int, c_parallel_config
      type(c_parallel_config), intent(in) :: cfg
      integer(c_int), intent(out) :: n
      integer(c_int) :: c_parallel_config_world_size
    end function
    function c_parallel_config_world_size_across_dp(cfg, n) &
        bind(C, name="mpcomm_parallel_config_world_size_across_dp")
      import :: c_int, c_parallel_config
      type(c_parallel_config), intent(in) :: cfg
      integer(c_int), intent(out) :: n
      integer(c_int) :: c_parallel_config_world_size_across_dp
    end function
    function c_layout_group_ranks(cfg, world_size, kind, ranks, capacity, ngroups, group_size) &
        bind(C, name="mpcomm_layout_group_ranks")
      import :: c_int, c_ptr, c_size_t, c_parallel_config
      type(c_parallel_config), intent(in) :: cfg
      integer(c_int), value :: world_size, kind
      type(c_ptr), value :: ranks
      integer(c_size_t), value :: capacity
      integer(c_int), intent(out) :: ngroups, group_size
      integer(c_int) :: c_layout_group_ranks
    end function
    function c_pp_indices(num_layers, pp_rank, pp_size, start, end) bind(C, name="mpcomm_pp_indices")
      import :: c_int
      integer(c_int), value :: num_layers, pp_rank, pp_size
      integer(c_int), intent(out) :: start, end
      integer(c_int) :: c_pp_indices
    end function

    function c_group_from_comm_f(comm, group) bind(C, name="mpcomm_group_from_comm_f")
      import :: c_int, c_ptr
      integer(c_int), value :: comm
      type(c_ptr), intent(out) :: group
      integer(c_int) :: c_group_from_comm_f
    end function
    function c_group_from_ranks_f(parent, ranks, n, group) bind(C, name="mpcomm_group_from_ranks_f")
      import :: c_int, c_ptr
      integer(c_int), value :: parent
      integer(c_int), intent(in) :: ranks(*)
      integer(c_int), value :: n
      type(c_ptr), intent(out) :: group
      integer(c_int) :: c_group_from_ranks_f
    end function
    function c_group_free(group) bind(C, name="mpcomm_group_free")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: group
      integer(c_int) :: c_group_free
    end function
    function c_group_info(group, info) bind(C, name="mpcomm_group_info")
      import :: c_int, c_ptr, mpcomm_group_info_t
      type(c_ptr), value :: group
      type(mpcomm_group_info_t), intent(inout) :: info
      integer(c_int) :: c_group_info
    end function
    function c_group_comm_f(group, comm) bind(C, name="mpcomm_group_comm_f")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int), intent(inout) :: comm
      integer(c_int) :: c_group_comm_f
    end function
    function c_group_ranks(group, ranks, capacity) bind(C, name="mpcomm_group_ranks")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group
      integer(c_int), intent(out) :: ranks(*)
      integer(c_size_t), value :: capacity
      integer(c_int) :: c_group_ranks
    end function
    function c_group_set_timeout(group, seconds) bind(C, name="mpcomm_group_set_timeout")
      import :: c_int, c_ptr, c_double
      type(c_ptr), value :: group
      real(c_double), value :: seconds
      integer(c_int) :: c_group_set_timeout
    end function
    function c_group_get_timeout(group, seconds) bind(C, name="mpcomm_group_get_timeout")
      import :: c_int, c_ptr, c_double
      type(c_ptr), value :: group
      real(c_double), intent(out) :: seconds
      integer(c_int) :: c_group_get_timeout
    end function

    function c_barrier(group, timeout_s) bind(C, name="mpcomm_barrier")
      import :: c_int, c_ptr, c_double
      type(c_ptr), value :: group
      real(c_double), value :: timeout_s
      integer(c_int) :: c_barrier
    end function
    function c_send_object(group, buf, len, dst) bind(C, name="mpcomm_send_object")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: len
      integer(c_int), value :: dst
      integer(c_int) :: c_send_object
    end function
    function c_recv_object(group, buf, capacity, len, src) bind(C, name="mpcomm_recv_object")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: capacity
      integer(c_size_t), intent(out) :: len
      integer(c_int), value :: src
      integer(c_int) :: c_recv_object
    end function
    function c_broadcast_object(group, buf, capacity, len, src) &
        bind(C, name="mpcomm_broadcast_object")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: capacity
      integer(c_size_t), intent(inout) :: len
      integer(c_int), value :: src
      integer(c_int) :: c_broadcast_object
    end function
    function c_all_gather_object(group, buf, len, out, capacity, lens) &
        bind(C, name="mpcomm_all_gather_object")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: len
      type(c_ptr), value :: out
      integer(c_size_t), value :: capacity
      integer(c_size_t), intent(out) :: lens(*)
      integer(c_int) :: c_all_gather_object
    end function
    function c_group_enable_message_queue(group, chunk_bytes, chunks) &
        bind(C, name="mpcomm_group_enable_message_queue")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group
      integer(c_size_t), value :: chunk_bytes
      integer(c_int), value :: chunks
      integer(c_int) :: c_group_enable_message_queue
    end function
    function c_in_the_same_node_as(group, source_rank, flags) &
        bind(C, name="mpcomm_in_the_same_node_as")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int), value :: source_rank
      integer(c_int), intent(out) :: flags(*)
      integer(c_int) :: c_in_the_same_node_as
    end function
    function c_node_count(group, count) bind(C, name="mpcomm_node_count")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int), intent(out) :: count
      integer(c_int) :: c_node_count
    end function

    function c_state_create_f(comm, cfg, state) bind(C, name="mpcomm_state_create_f")
      import :: c_int, c_ptr, c_parallel_config
      integer(c_int), value :: comm
      type(c_parallel_config), intent(in) :: cfg
      type(c_ptr), intent(out) :: state
      integer(c_int) :: c_state_create_f
    end function
    function c_state_destroy(state) bind(C, name="mpcomm_state_destroy")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: state
      integer(c_int) :: c_state_destroy
    end function
    function c_state_group(state, kind, group) bind(C, name="mpcomm_state_group")
      import :: c_int, c_ptr
      type(c_ptr), value :: state
      integer(c_int), value :: kind
      type(c_ptr), intent(inout) :: group
      integer(c_int) :: c_state_group
    end function
    function c_default_state_set(state) bind(C, name="mpcomm_default_state_set")
      import :: c_int, c_ptr
      type(c_ptr), value :: state
      integer(c_int) :: c_default_state_set
    end function
    function c_default_state_get(state) bind(C, name="mpcomm_default_state_get")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: state
      integer(c_int) :: c_default_state_get
    end function
    function c_dp_has_unfinished(dp, mine, any) bind(C, name="mpcomm_dp_has_unfinished")
      import :: c_int, c_ptr
      type(c_ptr), value :: dp
      integer(c_int), value :: mine
      integer(c_int), intent(inout) :: any
      integer(c_int) :: c_dp_has_unfinished
    end function
    function c_dp_sync_kv_cache_memory_size(dp, mine, min) &
        bind(C, name="mpcomm_dp_sync_kv_cache_memory_size")
      import :: c_int, c_ptr, c_int64_t
      type(c_ptr), value :: dp
      integer(c_int64_t), value :: mine
      integer(c_int64_t), intent(inout) :: min
      integer(c_int) :: c_dp_sync_kv_cache_memory_size
    end function
    function c_group_join(host, port, rank, world_size, timeout_s, group) &
        bind(C, name="mpcomm_group_join")
      import :: c_int, c_ptr, c_char, c_double
      character(kind=c_char), intent(in) :: host(*)
      integer(c_int), value :: port, rank, world_size
      real(c_double), value :: timeout_s
      type(c_ptr), intent(out) :: group
      integer(c_int) :: c_group_join
    end function

    function c_group_set_device(group, device) bind(C, name="mpcomm_group_set_device")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int), value :: device
      integer(c_int) :: c_group_set_device
    end function
    function c_group_device_init(group) bind(C, name="mpcomm_group_device_init")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int) :: c_group_device_init
    end function
    function c_group_set_custom_allreduce(group, enabled) &
        bind(C, name="mpcomm_group_set_custom_allreduce")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      integer(c_int), value :: enabled
      integer(c_int) :: c_group_set_custom_allreduce
    end function
    function c_group_device_allreduce_path(group, count, dtype, op, path, why, why_len) &
        bind(C, name="mpcomm_group_device_allreduce_path")
      import :: c_int, c_ptr, c_size_t, c_char
      type(c_ptr), value :: group
      integer(c_size_t), value :: count, why_len
      integer(c_int), value :: dtype, op
      integer(c_int), intent(out) :: path
      character(kind=c_char), intent(out) :: why(*)
      integer(c_int) :: c_group_device_allreduce_path
    end function
    function c_graph_capture_begin(state, stream) bind(C, name="mpcomm_graph_capture_begin")
      import :: c_int, c_ptr
      type(c_ptr), value :: state, stream
      integer(c_int) :: c_graph_capture_begin
    end function
    function c_graph_capture_end(state) bind(C, name="mpcomm_graph_capture_end")
      import :: c_int, c_ptr
      type(c_ptr), value :: state
      integer(c_int) :: c_graph_capture_end
    end function

    function c_tensor_dict_create(dict) bind(C, name="mpcomm_tensor_dict_create")
      import :: c_int, c_ptr
      type(c_ptr), intent(out) :: dict
      integer(c_int) :: c_tensor_dict_create
    end function
    function c_tensor_dict_free(dict) bind(C, name="mpcomm_tensor_dict_free")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: dict
      integer(c_int) :: c_tensor_dict_free
    end function
    function c_tensor_dict_set_tensor(dict, key, tensor) bind(C, name="mpcomm_tensor_dict_set_tensor")
      import :: c_int, c_ptr, c_char, c_dltensor
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      type(c_dltensor), intent(in) :: tensor
      integer(c_int) :: c_tensor_dict_set_tensor
    end function
    function c_tensor_dict_set_int(dict, key, value) bind(C, name="mpcomm_tensor_dict_set_int")
      import :: c_int, c_ptr, c_char, c_int64_t
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      integer(c_int64_t), value :: value
      integer(c_int) :: c_tensor_dict_set_int
    end function
    function c_tensor_dict_set_double(dict, key, value) bind(C, name="mpcomm_tensor_dict_set_double")
      import :: c_int, c_ptr, c_char, c_double
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      real(c_double), value :: value
      integer(c_int) :: c_tensor_dict_set_double
    end function
    function c_tensor_dict_set_bool(dict, key, value) bind(C, name="mpcomm_tensor_dict_set_bool")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      integer(c_int), value :: value
      integer(c_int) :: c_tensor_dict_set_bool
    end function
    function c_tensor_dict_set_string(dict, key, value) bind(C, name="mpcomm_tensor_dict_set_string")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*), value(*)
      integer(c_int) :: c_tensor_dict_set_string
    end function
    function c_tensor_dict_set_bytes(dict, key, data, len) bind(C, name="mpcomm_tensor_dict_set_bytes")
      import :: c_int, c_ptr, c_char, c_size_t
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      type(c_ptr), value :: data
      integer(c_size_t), value :: len
      integer(c_int) :: c_tensor_dict_set_bytes
    end function
    function c_tensor_dict_get_kind(dict, key, kind) bind(C, name="mpcomm_tensor_dict_get_kind")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      integer(c_int), intent(inout) :: kind
      integer(c_int) :: c_tensor_dict_get_kind
    end function
    function c_tensor_dict_get_tensor(dict, key, tensor) bind(C, name="mpcomm_tensor_dict_get_tensor")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      type(c_ptr), intent(inout) :: tensor
      integer(c_int) :: c_tensor_dict_get_tensor
    end function
    function c_tensor_dict_get_int(dict, key, value) bind(C, name="mpcomm_tensor_dict_get_int")
      import :: c_int, c_ptr, c_char, c_int64_t
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      integer(c_int64_t), intent(inout) :: value
      integer(c_int) :: c_tensor_dict_get_int
    end function
    function c_tensor_dict_get_double(dict, key, value) bind(C, name="mpcomm_tensor_dict_get_double")
      import :: c_int, c_ptr, c_char, c_double
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      real(c_double), intent(inout) :: value
      integer(c_int) :: c_tensor_dict_get_double
    end function
    function c_tensor_dict_get_bool(dict, key, value) bind(C, name="mpcomm_tensor_dict_get_bool")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      integer(c_int), intent(inout) :: value
      integer(c_int) :: c_tensor_dict_get_bool
    end function
    function c_tensor_dict_get_string(dict, key, value) bind(C, name="mpcomm_tensor_dict_get_string")
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      type(c_ptr), intent(inout) :: value
      integer(c_int) :: c_tensor_dict_get_string
    end function
    function c_tensor_dict_get_bytes(dict, key, data, len) bind(C, name="mpcomm_tensor_dict_get_bytes")
      import :: c_int, c_ptr, c_char, c_size_t
      type(c_ptr), value :: dict
      character(kind=c_char), intent(in) :: key(*)
      type(c_ptr), intent(inout) :: data
      integer(c_size_t), intent(inout) :: len
      integer(c_int) :: c_tensor_dict_get_bytes
    end function
    function c_tensor_dict_size(dict, n) bind(C, name="mpcomm_tensor_dict_size")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: dict
      integer(c_size_t), intent(inout) :: n
      integer(c_int) :: c_tensor_dict_size
    end function
    function c_tensor_dict_key_at(dict, i, key) bind(C, name="mpcomm_tensor_dict_key_at")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: dict
      integer(c_size_t), value :: i
      type(c_ptr), intent(inout) :: key
      integer(c_int) :: c_tensor_dict_key_at
    end function
    function c_broadcast_tensor_dict(group, dict, src) bind(C, name="mpcomm_broadcast_tensor_dict")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      type(c_ptr), intent(inout) :: dict
      integer(c_int), value :: src
      integer(c_int) :: c_broadcast_tensor_dict
    end function
    function c_send_tensor_dict(group, dict, dst, all_gather_group) &
        bind(C, name="mpcomm_send_tensor_dict")
      import :: c_int, c_ptr
      type(c_ptr), value :: group, dict
      integer(c_int), value :: dst
      type(c_ptr), value :: all_gather_group
      integer(c_int) :: c_send_tensor_dict
    end function
    function c_recv_tensor_dict(group, dict, src, all_gather_group) &
        bind(C, name="mpcomm_recv_tensor_dict")
      import :: c_int, c_ptr
      type(c_ptr), value :: group
      type(c_ptr), intent(inout) :: dict
      integer(c_int), value :: src
      type(c_ptr), value :: all_gather_group
      integer(c_int) :: c_recv_tensor_dict
    end function

    function c_all_reduce(group, send, recv, count, dtype, op, stream) bind(C, name="mpcomm_all_reduce")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, send, recv
      integer(c_size_t), value :: count
      integer(c_int), value :: dtype, op
      type(c_ptr), value :: stream
      integer(c_int) :: c_all_reduce
    end function
    function c_mem_alloc(group, bytes, ptr) bind(C, name="mpcomm_mem_alloc")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group
      integer(c_size_t), value :: bytes
      type(c_ptr) :: ptr
      integer(c_int) :: c_mem_alloc
    end function
    function c_mem_free(group, ptr) bind(C, name="mpcomm_mem_free")
      import :: c_int, c_ptr
      type(c_ptr), value :: group, ptr
      integer(c_int) :: c_mem_free
    end function
    function c_broadcast(group, buf, count, dtype, src, stream) bind(C, name="mpcomm_broadcast")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: count
      integer(c_int), value :: dtype, src
      type(c_ptr), value :: stream
      integer(c_int) :: c_broadcast
    end function
    function c_send(group, buf, count, dtype, dst, stream) bind(C, name="mpcomm_send")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: count
      integer(c_int), value :: dtype, dst
      type(c_ptr), value :: stream
      integer(c_int) :: c_send
    end function
    function c_recv(group, buf, count, dtype, src, stream) bind(C, name="mpcomm_recv")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, buf
      integer(c_size_t), value :: count
      integer(c_int), value :: dtype, src
      type(c_ptr), value :: stream
      integer(c_int) :: c_recv
    end function
    function c_all_gather(group, in, out, dim, stream) bind(C, name="mpcomm_all_gather")
      import :: c_int, c_ptr, c_dltensor
      type(c_ptr), value :: group
      type(c_dltensor), intent(in) :: in
      type(c_dltensor), intent(in) :: out
      integer(c_int), value :: dim
      type(c_ptr), value :: stream
      integer(c_int) :: c_all_gather
    end function
    function c_all_gatherv(group, in, out, sizes, dim, stream) bind(C, name="mpcomm_all_gatherv")
      import :: c_int, c_ptr, c_dltensor, c_size_t
      type(c_ptr), value :: group
      type(c_dltensor), intent(in) :: in
      type(c_dltensor), intent(in) :: out
      integer(c_size_t), intent(in) :: sizes(*)
      integer(c_int), value :: dim
      type(c_ptr), value :: stream
      integer(c_int) :: c_all_gatherv
    end function
    function c_reduce_scatterv(group, in, out, sizes, dim, op, stream) &
        bind(C, name="mpcomm_reduce_scatterv")
      import :: c_int, c_ptr, c_dltensor, c_size_t
      type(c_ptr), value :: group
      type(c_dltensor), intent(in) :: in
      type(c_dltensor), intent(in) :: out
      integer(c_size_t), intent(in) :: sizes(*)
      integer(c_int), value :: dim, op
      type(c_ptr), value :: stream
      integer(c_int) :: c_reduce_scatterv
    end function
    function c_all_to_all(group, send, recv, count, dtype, stream) bind(C, name="mpcomm_all_to_all")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, send, recv, stream
      integer(c_size_t), value :: count
      integer(c_int), value :: dtype
      integer(c_int) :: c_all_to_all
    end function
    function c_all_to_allv(group, send, send_counts, send_displs, recv, recv_counts, &
                           recv_displs, dtype, stream) bind(C, name="mpcomm_all_to_allv")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: group, send, recv, stream
      integer(c_size_t), intent(in) :: send_counts(*), send_displs(*), recv_counts(*)
      integer(c_size_t), intent(in) :: recv_displs(*)
      integer(c_int), value :: dtype
      integer(c_int) :: c_all_to_allv
    end function
    function c_reduce_scatter(group, in, out, dim, op, stream) bind(C, name="mpcomm_reduce_scatter")
      import :: c_int, c_ptr, c_dltensor
      type(c_ptr), value :: group
      type(c_dltensor), intent(in) :: in
      type(c_dltensor), intent(in) :: out
      integer(c_int), value :: dim, op
      type(c_ptr), value :: stream
      integer(c_int) :: c_reduce_scatter
    end function
    function c_gather(group, in, out, dst, dim, stream) bind(C, name="mpcomm_gather")
      import :: c_int, c_ptr, c_dltensor
      type(c_ptr), value :: group
      type(c_dltensor), intent(in) :: in
      type(c_dltensor), intent(in) :: out
      integer(c_int), value :: dst, dim
      type(c_ptr), value :: stream
      integer(c_int) :: c_gather
    end function
  end interface

contains

  ! ----------------------------------------------------------------------------- helpers

  ! A status from the C API: on failure, its message is the latest.
  integer(c_int) function cc(status)
    integer(c_int), intent(in) :: status
    if (status /= MPCOMM_SUCCESS) call c_failed()
    cc = status
  end function

  ! A failure found in Fortran: its message becomes the latest; INVALID_ARGUMENT.
  integer(c_int) function fail(message)
    character(len=*), intent(in) :: message
    call c_set_error(message // c_null_char)
    fail = MPCOMM_ERR_INVALID_ARGUMENT
  end function

  ! ierror present: the status; absent: a failure is reported on stderr and stops the program.
  subroutine finish(status, ierror)
    integer(c_int), intent(in) :: status
    integer, optional, intent(out) :: ierror
    if (present(ierror)) then
      ierror = int(status)
    else if (status /= MPCOMM_SUCCESS) then
      write (error_unit, '(a)') 'mpcomm: ' // mpcomm_status_string(int(status)) // ': ' // &
        mpcomm_last_error()
      error stop int(status)
    end if
  end subroutine

  ! A NUL-terminated C string as a Fortran string.
  function f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ''
      return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function

  ! n bytes at p as an int8 array.
  subroutine copy_bytes(p, n, out)
    type(c_ptr), intent(in) :: p
    integer(c_size_t), intent(in) :: n
    integer(int8), allocatable, intent(inout) :: out(:)
    integer(int8), pointer :: b(:)
    if (allocated(out)) deallocate (out)
    allocate (out(n))
    if (n > 0) then
      call c_f_pointer(p, b, [n])
      out(:) = b(:)
    end if
  end subroutine

  ! The address of an int8 array's first element, or NULL when it is empty.
  type(c_ptr) function address(b)
    integer(int8), intent(in), target :: b(:)
    address = c_null_ptr
    if (size(b) > 0) address = c_loc(b(1))
  end function

  subroutine to_c_chars(s, c)
    character(len=*), intent(in) :: s
    character(kind=c_char), intent(out) :: c(:)
    integer :: i, n
    n = min(len_trim(s), size(c) - 1)
    c(:) = c_null_char
    do i = 1, n
      c(i) = s(i:i)
    end do
  end subroutine

  function from_c_chars(c) result(s)
    character(kind=c_char), intent(in) :: c(:)
    character(len=size(c) - 1) :: s
    integer :: i
    s = ''
    do i = 1, size(c) - 1
      if (c(i) == c_null_char) exit
      s(i:i) = c(i)
    end do
  end function

  subroutine cfg_to_c(f, c)
    type(mpcomm_parallel_config_t), intent(in) :: f
    type(c_parallel_config), intent(out) :: c
    c%struct_size = f%struct_size
    c%magic = f%magic
    c%version = f%version
    c%pipeline_parallel_size = f%pipeline_parallel_size
    c%tensor_parallel_size = f%tensor_parallel_size
    c%data_parallel_size = f%data_parallel_size
    c%data_parallel_size_local = f%data_parallel_size_local
    c%data_parallel_rank = f%data_parallel_rank
    c%data_parallel_rank_local = f%data_parallel_rank_local
    call to_c_chars(f%data_parallel_master_ip, c%data_parallel_master_ip)
    c%data_parallel_rpc_port = f%data_parallel_rpc_port
    c%data_parallel_master_port = f%data_parallel_master_port
    c%data_parallel_backend = f%data_parallel_backend
    c%data_parallel_external_lb = f%data_parallel_external_lb
    c%data_parallel_hybrid_lb = f%data_parallel_hybrid_lb
    c%enable_expert_parallel = f%enable_expert_parallel
    c%enable_eplb = f%enable_eplb
    c%eplb_config = f%eplb_config
    c%expert_placement_strategy = f%expert_placement_strategy
    c%all2all_backend = f%all2all_backend
    c%max_parallel_loading_workers = f%max_parallel_loading_workers
    c%disable_custom_all_reduce = f%disable_custom_all_reduce
    c%enable_dbo = f%enable_dbo
    c%dbo_decode_token_threshold = f%dbo_decode_token_threshold
    c%dbo_prefill_token_threshold = f%dbo_prefill_token_threshold
    c%disable_nccl_for_dp_synchronization = f%disable_nccl_for_dp_synchronization
    c%distributed_executor_backend = f%distributed_executor_backend
    c%rank = f%rank
    c%decode_context_parallel_size = f%decode_context_parallel_size
    c%prefill_context_parallel_size = f%prefill_context_parallel_size
    c%nnodes = f%nnodes
    c%node_rank = f%node_rank
    call to_c_chars(f%master_addr, c%master_addr)
    c%master_port = f%master_port
  end subroutine

  subroutine cfg_from_c(c, f)
    type(c_parallel_config), intent(in) :: c
    type(mpcomm_parallel_config_t), intent(out) :: f
    f%struct_size = c%struct_size
    f%magic = c%magic
    f%version = c%version
    f%pipeline_parallel_size = c%pipeline_parallel_size
    f%tensor_parallel_size = c%tensor_parallel_size
    f%data_parallel_size = c%data_parallel_size
    f%data_parallel_size_local = c%data_parallel_size_local
    f%data_parallel_rank = c%data_parallel_rank
    f%data_parallel_rank_local = c%data_parallel_rank_local
    f%data_parallel_master_ip = from_c_chars(c%data_parallel_master_ip)
    f%data_parallel_rpc_port = c%data_parallel_rpc_port
    f%data_parallel_master_port = c%data_parallel_master_port
    f%data_parallel_backend = c%data_parallel_backend
    f%data_parallel_external_lb = c%data_parallel_external_lb
    f%data_parallel_hybrid_lb = c%data_parallel_hybrid_lb
    f%enable_expert_parallel = c%enable_expert_parallel
    f%enable_eplb = c%enable_eplb
    f%eplb_config = c%eplb_config
    f%expert_placement_strategy = c%expert_placement_strategy
    f%all2all_backend = c%all2all_backend
    f%max_parallel_loading_workers = c%max_parallel_loading_workers
    f%disable_custom_all_reduce = c%disable_custom_all_reduce
    f%enable_dbo = c%enable_dbo
    f%dbo_decode_token_threshold = c%dbo_decode_token_threshold
    f%dbo_prefill_token_threshold = c%dbo_prefill_token_threshold
    f%disable_nccl_for_dp_synchronization = c%disable_nccl_for_dp_synchronization
    f%distributed_executor_backend = c%distributed_executor_backend
    f%rank = c%rank
    f%decode_context_parallel_size = c%decode_context_parallel_size
    f%prefill_context_parallel_size = c%prefill_context_parallel_size
    f%nnodes = c%nnodes
    f%node_rank = c%node_rank
    f%master_addr = from_c_chars(c%master_addr)
    f%master_port = c%master_port
  end subroutine

  ! The calling process's rank in group and the group's size.
  integer(c_int) function rank_and_size(group, rank, size)
    type(mpcomm_group_t), intent(in) :: group
    integer, intent(out) :: rank, size
    type(mpcomm_group_info_t) :: info
    info%struct_size = c_sizeof(info)
    rank_and_size = cc(c_group_info(group%ptr, info))
    rank = int(info%rank_in_group)
    size = int(info%size)
  end function

  ! A DLTensor over base with a Fortran shape; rshape (the caller's, target) holds the C shape.
  integer(c_int) function make_tensor(what, base, dtype, fshape, device_type, device_id, &
                                      rshape, t)
    character(len=*), intent(in) :: what
    type(c_ptr), intent(in) :: base
    integer(c_int), intent(in) :: dtype, device_type, device_id
    integer(c_int64_t), intent(in) :: fshape(:)
    integer(c_int64_t), intent(inout), target :: rshape(max_ndim)
    type(c_dltensor), intent(out) :: t
    integer :: n
    make_tensor = MPCOMM_SUCCESS
    n = size(fshape)
    if (dtype < 0 .or. dtype >= MPCOMM_NUM_DATATYPES) then
      make_tensor = fail(what // ': dtype is not an mpcomm datatype')
      return
    end if
    if (n > max_ndim) then
      make_tensor = fail(what // ': more than 32 dimensions')
      return
    end if
    rshape(1:n) = fshape(n:1:-1)
    t%data = base
    t%device_type = device_type
    t%device_id = device_id
    t%ndim = int(n, c_int32_t)
    t%code = dl_code(dtype)
    t%bits = dl_bits(dtype)
    t%lanes = 1_c_int16_t
    t%shape = c_loc(rshape)
    t%strides = c_null_ptr
    t%byte_offset = 0
  end function

  ! The C dimension of Fortran dimension dim of a rank-n array (C order is reversed).
  integer(c_int) function c_dim(what, dim, n, cdim)
    character(len=*), intent(in) :: what
    integer, intent(in) :: dim, n
    integer(c_int), intent(out) :: cdim
    character(len=80) :: text
    c_dim = MPCOMM_SUCCESS
    cdim = int(n - dim, c_int)
    if (dim < 1 .or. dim > n) then
      write (text, '(a,i0,a,i0,a)') 'dim must be in 1 .. ', n, ' (the rank), got ', dim, ''
      c_dim = fail(what // ': ' // trim(text))
    end if
  end function

  ! ------------------------------------------------------------------- statuses and errors

  !> A one-line description of a status.
  function mpcomm_status_string(status) result(s)
    integer, intent(in) :: status
    character(len=:), allocatable :: s
    s = f_string(c_status_string(int(status, c_int)))
  end function

  !> This thread's latest failure, described ('' if none).
  function mpcomm_last_error() result(s)
    character(len=:), allocatable :: s
    s = f_string(c_last_error())
  end function

  subroutine mpcomm_version(major, minor, patch, ierror)
    integer, intent(out) :: major, minor, patch
    integer, optional, intent(out) :: ierror
    integer(c_int) :: a, b, c
    call c_version(a, b, c)
    major = int(a)
    minor = int(b)
    patch = int(c)
    call finish(MPCOMM_SUCCESS, ierror)
  end subroutine

  logical function is_null_state(handle)
    type(mpcomm_state_t), intent(in) :: handle
    is_null_state = .not. c_associated(handle%ptr)
  end function
  logical function is_null_group(handle)
    type(mpcomm_group_t), intent(in) :: handle
    is_null_group = .not. c_associated(handle%ptr)
  end function
  logical function is_null_dict(handle)
    type(mpcomm_tensor_dict_t), intent(in) :: handle
    is_null_dict = .not. c_associated(handle%ptr)
  end function

  ! ------------------------------------------------- parallel configuration and rank layout

  subroutine mpcomm_parallel_config_init(cfg, ierror)
    type(mpcomm_parallel_config_t), intent(out) :: cfg
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    integer(c_int) :: st
    st = cc(c_parallel_config_init(c))
    call cfg_from_c(c, cfg)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_parallel_config_validate(cfg, ierror)
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    call cfg_to_c(cfg, c)
    call finish(cc(c_parallel_config_validate(c)), ierror)
  end subroutine

  subroutine mpcomm_parallel_config_hash(cfg, hex, ierror)
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    character(len=:), allocatable, intent(out) :: hex
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    character(kind=c_char) :: h(65)
    integer(c_int) :: st
    call cfg_to_c(cfg, c)
    h(:) = c_null_char
    st = cc(c_parallel_config_hash(c, h))
    hex = trim(from_c_chars(h))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_parallel_config_world_size(cfg, world_size, ierror)
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    integer, intent(out) :: world_size
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    integer(c_int) :: n, st
    call cfg_to_c(cfg, c)
    n = 0
    st = cc(c_parallel_config_world_size(c, n))
    world_size = int(n)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_parallel_config_world_size_across_dp(cfg, world_size, ierror)
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    integer, intent(out) :: world_size
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    integer(c_int) :: n, st
    call cfg_to_c(cfg, c)
    n = 0
    st = cc(c_parallel_config_world_size_across_dp(c, n))
    world_size = int(n)
    call finish(st, ierror)
  end subroutine

  !> ranks(:, g) are the (0-based) ranks of group g of the kind, in group order.
  subroutine mpcomm_layout_group_ranks(cfg, world_size, kind, ranks, ierror)
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    integer, intent(in) :: world_size, kind
    integer, allocatable, target, intent(inout) :: ranks(:, :)
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    integer(c_int) :: st, ngroups, group_size
    call cfg_to_c(cfg, c)
    ngroups = 0
    group_size = 0
    st = c_layout_group_ranks(c, int(world_size, c_int), int(kind, c_int), c_null_ptr, &
                              0_c_size_t, ngroups, group_size)
    if (st == MPCOMM_ERR_TRUNCATED .or. st == MPCOMM_SUCCESS) then
      if (allocated(ranks)) deallocate (ranks)
      allocate (ranks(group_size, ngroups))
      if (size(ranks) > 0) then
        st = c_layout_group_ranks(c, int(world_size, c_int), int(kind, c_int), c_loc(ranks), &
                                  int(size(ranks), c_size_t), ngroups, group_size)
      else
        st = MPCOMM_SUCCESS
      end if
    end if
    call finish(cc(st), ierror)
  end subroutine

  !> Layers first .. last (1-based, inclusive) of pipeline stage pp_rank (0-based) of pp_size.
  subroutine mpcomm_pp_indices(num_layers, pp_rank, pp_size, first, last, ierror)
    integer, intent(in) :: num_layers, pp_rank, pp_size
    integer, intent(out) :: first, last
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st, s, e
    s = 0
    e = 0
    st = cc(c_pp_indices(int(num_layers, c_int), int(pp_rank, c_int), int(pp_size, c_int), s, e))
    first = int(s) + 1
    last = int(e)
    call finish(st, ierror)
  end subroutine

  ! ------------------------------------------------------------------------------ groups

  subroutine group_from_comm_f08(comm, group, ierror)
    type(MPI_Comm), intent(in) :: comm
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_from_comm_f(int(comm%MPI_VAL, c_int), group%ptr)), ierror)
  end subroutine

  subroutine group_from_comm_int(comm, group, ierror)
    integer, intent(in) :: comm
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_from_comm_f(int(comm, c_int), group%ptr)), ierror)
  end subroutine

  subroutine group_from_ranks_f08(parent, ranks, group, ierror)
    type(MPI_Comm), intent(in) :: parent
    integer, intent(in) :: ranks(:)
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    integer(c_int) :: r(max(1, size(ranks)))
    r(1:size(ranks)) = int(ranks, c_int)
    call finish(cc(c_group_from_ranks_f(int(parent%MPI_VAL, c_int), r, int(size(ranks), c_int), &
                                        group%ptr)), ierror)
  end subroutine

  subroutine group_from_ranks_int(parent, ranks, group, ierror)
    integer, intent(in) :: parent
    integer, intent(in) :: ranks(:)
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    integer(c_int) :: r(max(1, size(ranks)))
    r(1:size(ranks)) = int(ranks, c_int)
    call finish(cc(c_group_from_ranks_f(int(parent, c_int), r, int(size(ranks), c_int), &
                                        group%ptr)), ierror)
  end subroutine

  subroutine mpcomm_group_free(group, ierror)
    type(mpcomm_group_t), intent(inout) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_free(group%ptr)), ierror)
  end subroutine

  subroutine mpcomm_group_info(group, info, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_group_info_t), intent(out) :: info
    integer, optional, intent(out) :: ierror
    info%struct_size = c_sizeof(info)
    call finish(cc(c_group_info(group%ptr, info)), ierror)
  end subroutine

  subroutine group_comm_f08(group, comm, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(MPI_Comm), intent(inout) :: comm
    integer, optional, intent(out) :: ierror
    integer(c_int) :: f
    integer(c_int) :: st
    f = int(comm%MPI_VAL, c_int)
    st = cc(c_group_comm_f(group%ptr, f))
    if (st == MPCOMM_SUCCESS) comm%MPI_VAL = int(f)
    call finish(st, ierror)
  end subroutine

  subroutine group_comm_int(group, comm, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, intent(inout) :: comm
    integer, optional, intent(out) :: ierror
    integer(c_int) :: f, st
    f = int(comm, c_int)
    st = cc(c_group_comm_f(group%ptr, f))
    if (st == MPCOMM_SUCCESS) comm = int(f)
    call finish(st, ierror)
  end subroutine

  !> ranks(i) is the global rank of group rank i-1.
  subroutine mpcomm_group_ranks(group, ranks, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, allocatable, intent(inout) :: ranks(:)
    integer, optional, intent(out) :: ierror
    integer(c_int), allocatable :: r(:)
    integer :: me, n
    integer(c_int) :: st
    st = rank_and_size(group, me, n)
    if (st == MPCOMM_SUCCESS) then
      allocate (r(max(n, 1)))
      st = cc(c_group_ranks(group%ptr, r, int(n, c_size_t)))
      if (allocated(ranks)) deallocate (ranks)
      if (st == MPCOMM_SUCCESS) ranks = int(r(1:n))
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_group_set_timeout(group, seconds, ierror)
    type(mpcomm_group_t), intent(in) :: group
    real(real64), intent(in) :: seconds
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_set_timeout(group%ptr, real(seconds, c_double))), ierror)
  end subroutine

  subroutine mpcomm_group_get_timeout(group, seconds, ierror)
    type(mpcomm_group_t), intent(in) :: group
    real(real64), intent(out) :: seconds
    integer, optional, intent(out) :: ierror
    real(c_double) :: s
    integer(c_int) :: st
    s = 0
    st = cc(c_group_get_timeout(group%ptr, s))
    seconds = real(s, real64)
    call finish(st, ierror)
  end subroutine

  ! --------------------------------------------------------- control plane: objects

  subroutine mpcomm_barrier(group, timeout_s, ierror)
    type(mpcomm_group_t), intent(in) :: group
    real(real64), intent(in) :: timeout_s
    integer, optional, intent(out) :: ierror
    call finish(cc(c_barrier(group%ptr, real(timeout_s, c_double))), ierror)
  end subroutine

  !> Sends the bytes of buf (any contiguous array or scalar) to group rank dst.
  subroutine mpcomm_send_object(group, buf, dst, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: buf
    integer, intent(in) :: dst
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: st
    st = c_bytes(buf, 'mpcomm_send_object: buf' // c_null_char, p, n)
    if (st == MPCOMM_SUCCESS) st = cc(c_send_object(group%ptr, p, n, int(dst, c_int)))
    call finish(st, ierror)
  end subroutine

  ! Receives one object from src (recv, or broadcast when bcast) into buf, sized to it.
  integer(c_int) function receive_sized(group, bcast, src, buf)
    type(mpcomm_group_t), intent(in) :: group
    logical, intent(in) :: bcast
    integer, intent(in) :: src
    integer(int8), allocatable, target, intent(inout) :: buf(:)
    integer(c_size_t) :: n, capacity
    integer(c_int) :: st
    if (allocated(buf)) deallocate (buf)
    allocate (buf(1024))
    n = 0
    if (bcast) then
      st = c_broadcast_object(group%ptr, c_loc(buf), int(size(buf), c_size_t), n, int(src, c_int))
    else
      st = c_recv_object(group%ptr, c_loc(buf), int(size(buf), c_size_t), n, int(src, c_int))
    end if
    if (st == MPCOMM_ERR_TRUNCATED) then
      ! The object is kept: the retry with room for it returns it without communicating.
      deallocate (buf)
      allocate (buf(max(1_c_size_t, n)))
      capacity = n
      if (bcast) then
        st = c_broadcast_object(group%ptr, c_loc(buf), capacity, n, int(src, c_int))
      else
        st = c_recv_object(group%ptr, c_loc(buf), capacity, n, int(src, c_int))
      end if
    end if
    if (st == MPCOMM_SUCCESS) then
      buf = buf(1:n)
    else
      deallocate (buf)
      allocate (buf(0))
    end if
    receive_sized = cc(st)
  end function

  !> Receives the next object from group rank src; buf is allocated to its length.
  subroutine mpcomm_recv_object(group, buf, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer(int8), allocatable, target, intent(inout) :: buf(:)
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    call finish(receive_sized(group, .false., src, buf), ierror)
  end subroutine

  !> At group rank src, buf (allocated) is sent; elsewhere it is allocated to the object.
  subroutine mpcomm_broadcast_object(group, buf, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer(int8), allocatable, target, intent(inout) :: buf(:)
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    integer :: me, n
    integer(c_int) :: st
    integer(c_size_t) :: len
    st = rank_and_size(group, me, n)
    if (st == MPCOMM_SUCCESS) then
      if (me == src) then
        if (.not. allocated(buf)) allocate (buf(0))
        len = int(size(buf), c_size_t)
        st = cc(c_broadcast_object(group%ptr, address(buf), len, len, int(src, c_int)))
      else
        st = receive_sized(group, .true., src, buf)
      end if
    end if
    call finish(st, ierror)
  end subroutine

  !> Every member's bytes of buf, in group-rank order, into out; lens(i) is group rank i-1's.
  subroutine mpcomm_all_gather_object(group, buf, out, lens, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: buf
    integer(int8), allocatable, target, intent(inout) :: out(:)
    integer(int64), allocatable, intent(inout) :: lens(:)
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_size_t), allocatable :: l(:)
    integer :: me, gsize
    integer(c_int) :: st
    st = rank_and_size(group, me, gsize)
    if (st == MPCOMM_SUCCESS) st = c_bytes(buf, 'mpcomm_all_gather_object: buf' // c_null_char, p, n)
    if (st == MPCOMM_SUCCESS) then
      allocate (l(gsize))
      l(:) = 0
      if (allocated(out)) deallocate (out)
      allocate (out(max(1_c_size_t, n * int(gsize, c_size_t))))
      st = c_all_gather_object(group%ptr, p, n, c_loc(out), int(ubound(out, 1), c_size_t), l)
      if (st == MPCOMM_ERR_TRUNCATED) then
        deallocate (out)
        allocate (out(max(1_c_size_t, sum(l))))
        st = c_all_gather_object(group%ptr, p, n, c_loc(out), int(ubound(out, 1), c_size_t), l)
      end if
      st = cc(st)
      if (st == MPCOMM_SUCCESS) then
        out = out(1:sum(l))
        lens = int(l, int64)
      end if
    end if
    call finish(st, ierror)
  end subroutine

  !> Objects as strings: the bytes of s.
  subroutine mpcomm_send_string(group, s, dst, ierror)
    type(mpcomm_group_t), intent(in) :: group
    character(len=*), intent(in) :: s
    integer, intent(in) :: dst
    integer, optional, intent(out) :: ierror
    call mpcomm_send_object(group, transfer(s, [0_int8], len(s)), dst, ierror)
  end subroutine

  subroutine mpcomm_recv_string(group, s, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    character(len=:), allocatable, intent(inout) :: s
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    integer(int8), allocatable, target :: b(:)
    integer(c_int) :: st
    st = receive_sized(group, .false., src, b)
    if (st == MPCOMM_SUCCESS) s = transfer(b, repeat(' ', size(b)))
    call finish(st, ierror)
  end subroutine

  !> At group rank src, s is sent; elsewhere s is set to it, sized on receipt.
  subroutine mpcomm_broadcast_string(group, s, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    character(len=:), allocatable, intent(inout) :: s
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    integer(int8), allocatable, target :: b(:)
    integer :: me, n
    integer(c_int) :: st
    st = rank_and_size(group, me, n)
    if (st == MPCOMM_SUCCESS) then
      if (me == src) then
        if (.not. allocated(s)) s = ''
        b = transfer(s, [0_int8], len(s))
      end if
      call mpcomm_broadcast_object(group, b, src, ierror=st)
      if (st == MPCOMM_SUCCESS .and. me /= src) s = transfer(b, repeat(' ', size(b)))
    end if
    call finish(st, ierror)
  end subroutine

  !> out(i)%s is group rank i-1's s.
  subroutine mpcomm_all_gather_string(group, s, out, ierror)
    type(mpcomm_group_t), intent(in) :: group
    character(len=*), intent(in) :: s
    type(mpcomm_string_t), allocatable, intent(inout) :: out(:)
    integer, optional, intent(out) :: ierror
    integer(int8), allocatable :: bytes(:)
    integer(int64), allocatable :: lens(:)
    integer :: i, at, n
    integer(c_int) :: st
    call mpcomm_all_gather_object(group, transfer(s, [0_int8], len(s)), bytes, lens, ierror=st)
    if (st == MPCOMM_SUCCESS) then
      if (allocated(out)) deallocate (out)
      allocate (out(size(lens)))
      at = 0
      do i = 1, size(lens)
        n = int(lens(i))
        out(i)%s = transfer(bytes(at + 1:at + n), repeat(' ', n))
        at = at + n
      end do
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_group_enable_message_queue(group, chunk_bytes, chunks, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer(int64), intent(in) :: chunk_bytes
    integer, intent(in) :: chunks
    integer, optional, intent(out) :: ierror
    character(len=80) :: text
    if (chunk_bytes < 0) then
      write (text, '(a,i0)') 'chunk_bytes must be >= 0, got ', chunk_bytes
      call finish(fail('mpcomm_group_enable_message_queue: ' // trim(text)), ierror)
      return
    end if
    call finish(cc(c_group_enable_message_queue(group%ptr, int(chunk_bytes, c_size_t), &
                                                int(chunks, c_int))), ierror)
  end subroutine

  ! ------------------------------------------------------------------------ node locality

  !> flags(i): group rank i-1 shares a node with group rank source_rank.
  subroutine mpcomm_in_the_same_node_as(group, source_rank, flags, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, intent(in) :: source_rank
    logical, allocatable, intent(inout) :: flags(:)
    integer, optional, intent(out) :: ierror
    integer(c_int), allocatable :: f(:)
    integer :: me, n
    integer(c_int) :: st
    st = rank_and_size(group, me, n)
    if (st == MPCOMM_SUCCESS) then
      allocate (f(max(1, n)))
      st = cc(c_in_the_same_node_as(group%ptr, int(source_rank, c_int), f))
      if (allocated(flags)) deallocate (flags)
      if (st == MPCOMM_SUCCESS) flags = f(1:n) /= 0
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_node_count(group, count, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, intent(out) :: count
    integer, optional, intent(out) :: ierror
    integer(c_int) :: n, st
    n = 0
    st = cc(c_node_count(group%ptr, n))
    count = int(n)
    call finish(st, ierror)
  end subroutine

  ! ----------------------------------------------------------------------- parallel state

  subroutine state_create_f08(comm, cfg, state, ierror)
    type(MPI_Comm), intent(in) :: comm
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    type(mpcomm_state_t), intent(out) :: state
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    call cfg_to_c(cfg, c)
    call finish(cc(c_state_create_f(int(comm%MPI_VAL, c_int), c, state%ptr)), ierror)
  end subroutine

  subroutine state_create_int(comm, cfg, state, ierror)
    integer, intent(in) :: comm
    type(mpcomm_parallel_config_t), intent(in) :: cfg
    type(mpcomm_state_t), intent(out) :: state
    integer, optional, intent(out) :: ierror
    type(c_parallel_config) :: c
    call cfg_to_c(cfg, c)
    call finish(cc(c_state_create_f(int(comm, c_int), c, state%ptr)), ierror)
  end subroutine

  subroutine mpcomm_state_destroy(state, ierror)
    type(mpcomm_state_t), intent(inout) :: state
    integer, optional, intent(out) :: ierror
    call finish(cc(c_state_destroy(state%ptr)), ierror)
  end subroutine

  !> The state's group of a kind, borrowed: valid until the state is destroyed.
  subroutine mpcomm_state_group(state, kind, group, ierror)
    type(mpcomm_state_t), intent(in) :: state
    integer, intent(in) :: kind
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_state_group(state%ptr, int(kind, c_int), group%ptr)), ierror)
  end subroutine

  !> MPCOMM_STATE_NULL clears the default state.
  subroutine mpcomm_default_state_set(state, ierror)
    type(mpcomm_state_t), intent(in) :: state
    integer, optional, intent(out) :: ierror
    call finish(cc(c_default_state_set(state%ptr)), ierror)
  end subroutine

  subroutine mpcomm_default_state_get(state, ierror)
    type(mpcomm_state_t), intent(out) :: state
    integer, optional, intent(out) :: ierror
    call finish(cc(c_default_state_get(state%ptr)), ierror)
  end subroutine

  !> any: some member of dp passed mine = .true.
  subroutine mpcomm_dp_has_unfinished(dp, mine, any, ierror)
    type(mpcomm_group_t), intent(in) :: dp
    logical, intent(in) :: mine
    logical, intent(out) :: any
    integer, optional, intent(out) :: ierror
    integer(c_int) :: a, st
    a = 0
    st = cc(c_dp_has_unfinished(dp%ptr, merge(1_c_int, 0_c_int, mine), a))
    any = a /= 0
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_dp_sync_kv_cache_memory_size(dp, mine, min, ierror)
    type(mpcomm_group_t), intent(in) :: dp
    integer(int64), intent(in) :: mine
    integer(int64), intent(out) :: min
    integer, optional, intent(out) :: ierror
    integer(c_int64_t) :: m
    integer(c_int) :: st
    m = 0
    st = cc(c_dp_sync_kv_cache_memory_size(dp%ptr, int(mine, c_int64_t), m))
    min = int(m, int64)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_group_join(host, port, rank, world_size, timeout_s, group, ierror)
    character(len=*), intent(in) :: host
    integer, intent(in) :: port, rank, world_size
    real(real64), intent(in) :: timeout_s
    type(mpcomm_group_t), intent(out) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_join(trim(host) // c_null_char, int(port, c_int), int(rank, c_int), &
                                int(world_size, c_int), real(timeout_s, c_double), group%ptr)), &
                ierror)
  end subroutine

  ! ------------------------------------------------------------------------ GPU data plane

  subroutine mpcomm_group_set_device(group, device, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, intent(in) :: device
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_set_device(group%ptr, int(device, c_int))), ierror)
  end subroutine

  subroutine mpcomm_group_device_init(group, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_device_init(group%ptr)), ierror)
  end subroutine

  subroutine mpcomm_group_set_custom_allreduce(group, enabled, ierror)
    type(mpcomm_group_t), intent(in) :: group
    logical, intent(in) :: enabled
    integer, optional, intent(out) :: ierror
    call finish(cc(c_group_set_custom_allreduce(group%ptr, merge(1_c_int, 0_c_int, enabled))), &
                ierror)
  end subroutine

  !> path: MPCOMM_ALLREDUCE_PATH_*; why (optional): the reason, blank-padded, cut to len(why).
  subroutine mpcomm_group_device_allreduce_path(group, count, dtype, op, path, why, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer(c_size_t), intent(in) :: count
    integer, intent(in) :: dtype, op
    integer, intent(out) :: path
    character(len=*), optional, intent(out) :: why
    integer, optional, intent(out) :: ierror
    character(kind=c_char), allocatable :: c_why(:)
    integer(c_int) :: c_path, st
    integer :: n
    n = 0
    if (present(why)) n = len(why)
    allocate(c_why(n + 1))
    c_why(:) = c_null_char
    c_path = -1
    st = cc(c_group_device_allreduce_path(group%ptr, count, int(dtype, c_int), int(op, c_int), &
                                          c_path, c_why, int(n + 1, c_size_t)))
    path = int(c_path)
    if (present(why)) why = from_c_chars(c_why)
    call finish(st, ierror)
  end subroutine

  !> stream: a cudaStream_t.
  subroutine mpcomm_graph_capture_begin(state, stream, ierror)
    type(mpcomm_state_t), intent(in) :: state
    type(c_ptr), intent(in) :: stream
    integer, optional, intent(out) :: ierror
    call finish(cc(c_graph_capture_begin(state%ptr, stream)), ierror)
  end subroutine

  subroutine mpcomm_graph_capture_end(state, ierror)
    type(mpcomm_state_t), intent(in) :: state
    integer, optional, intent(out) :: ierror
    call finish(cc(c_graph_capture_end(state%ptr)), ierror)
  end subroutine

  ! --------------------------------------------------------------------- tensor dicts

  subroutine mpcomm_tensor_dict_create(dict, ierror)
    type(mpcomm_tensor_dict_t), intent(out) :: dict
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_create(dict%ptr)), ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_free(dict, ierror)
    type(mpcomm_tensor_dict_t), intent(inout) :: dict
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_free(dict%ptr)), ierror)
  end subroutine

  !> Borrows array (give it the target attribute): it must stay valid while the dict is sent.
  subroutine mpcomm_tensor_dict_set_tensor(dict, key, array, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    type(*), dimension(..), intent(in), target :: array
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: dtype, in_place, st
    integer(c_int64_t), target :: rs(max_ndim)
    type(c_dltensor) :: t
    st = c_describe(array, 'mpcomm_tensor_dict_set_tensor: array' // c_null_char, p, n, dtype, &
                    in_place)
    if (st == MPCOMM_SUCCESS) &
      st = make_tensor('mpcomm_tensor_dict_set_tensor', p, dtype, shape(array, c_int64_t), &
                       MPCOMM_DEVICE_CPU, 0_c_int, rs, t)
    if (st == MPCOMM_SUCCESS) st = cc(c_tensor_dict_set_tensor(dict%ptr, key // c_null_char, t))
    call finish(st, ierror)
  end subroutine

  !> A tensor given by address (device memory, for example).
  subroutine mpcomm_tensor_dict_set_tensor_ptr(dict, key, tensor, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    type(mpcomm_tensor_t), intent(in) :: tensor
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs(max_ndim)
    type(c_dltensor) :: t
    integer(c_int) :: st
    if (.not. allocated(tensor%shape)) then
      st = fail('mpcomm_tensor_dict_set_tensor_ptr: tensor%shape is not allocated')
    else
      st = make_tensor('mpcomm_tensor_dict_set_tensor_ptr', tensor%data, tensor%dtype, &
                       tensor%shape, tensor%device_type, tensor%device_id, rs, t)
    end if
    if (st == MPCOMM_SUCCESS) st = cc(c_tensor_dict_set_tensor(dict%ptr, key // c_null_char, t))
    call finish(st, ierror)
  end subroutine

  subroutine dict_set_int64(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    integer(int64), intent(in) :: value
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_set_int(dict%ptr, key // c_null_char, int(value, c_int64_t))), &
                ierror)
  end subroutine

  subroutine dict_set_int32(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    integer(int32), intent(in) :: value
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_set_int(dict%ptr, key // c_null_char, int(value, c_int64_t))), &
                ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_set_double(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    real(real64), intent(in) :: value
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_set_double(dict%ptr, key // c_null_char, real(value, c_double))), &
                ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_set_bool(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    logical, intent(in) :: value
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_set_bool(dict%ptr, key // c_null_char, &
                                          merge(1_c_int, 0_c_int, value))), ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_set_string(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key, value
    integer, optional, intent(out) :: ierror
    call finish(cc(c_tensor_dict_set_string(dict%ptr, key // c_null_char, value // c_null_char)), &
                ierror)
  end subroutine

  !> The bytes of data (any contiguous array or scalar), copied.
  subroutine mpcomm_tensor_dict_set_bytes(dict, key, data, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    type(*), dimension(..), intent(in) :: data
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: st
    st = c_bytes(data, 'mpcomm_tensor_dict_set_bytes: data' // c_null_char, p, n)
    if (st == MPCOMM_SUCCESS) st = cc(c_tensor_dict_set_bytes(dict%ptr, key // c_null_char, p, n))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_kind(dict, key, kind, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    integer, intent(out) :: kind
    integer, optional, intent(out) :: ierror
    integer(c_int) :: k, st
    k = -1
    st = cc(c_tensor_dict_get_kind(dict%ptr, key // c_null_char, k))
    kind = int(k)
    call finish(st, ierror)
  end subroutine

  !> The tensor of key, borrowed (valid until the key is set again or the dict changes).
  subroutine mpcomm_tensor_dict_get_tensor(dict, key, tensor, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    type(mpcomm_tensor_t), intent(out) :: tensor
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    type(c_dltensor), pointer :: t
    integer(c_int64_t), pointer :: s(:)
    integer(c_int) :: st, d
    p = c_null_ptr
    st = cc(c_tensor_dict_get_tensor(dict%ptr, key // c_null_char, p))
    if (st == MPCOMM_SUCCESS) then
      call c_f_pointer(p, t)
      allocate (tensor%shape(t%ndim))
      if (t%ndim > 0) then
        call c_f_pointer(t%shape, s, [t%ndim])
        tensor%shape(:) = s(t%ndim:1:-1)
      end if
      tensor%dtype = -1
      do d = 0, MPCOMM_NUM_DATATYPES - 1
        if (dl_code(d) == t%code .and. dl_bits(d) == t%bits) tensor%dtype = d
      end do
      tensor%data = transfer(transfer(t%data, 0_c_intptr_t) + int(t%byte_offset, c_intptr_t), &
                             c_null_ptr)
      tensor%device_type = int(t%device_type, c_int)
      tensor%device_id = int(t%device_id, c_int)
    end if
    call finish(st, ierror)
  end subroutine

  !> Copies the host tensor of key into array, of the same type, kind and shape.
  subroutine mpcomm_tensor_dict_get_array(dict, key, array, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    type(*), dimension(..), intent(inout) :: array
    integer, optional, intent(out) :: ierror
    type(mpcomm_tensor_t) :: t
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: dtype, in_place, st
    type(c_ptr) :: ignored
    character(len=*), parameter :: what = 'mpcomm_tensor_dict_get_array'
    call mpcomm_tensor_dict_get_tensor(dict, key, t, ierror=st)
    if (st == MPCOMM_SUCCESS) st = c_describe(array, what // ': array' // c_null_char, p, n, &
                                              dtype, in_place)
    if (st == MPCOMM_SUCCESS) then
      if (t%device_type /= MPCOMM_DEVICE_CPU .and. t%device_type /= MPCOMM_DEVICE_CUDA_HOST) then
        st = fail(what // ': the tensor of "' // key // '" is in device memory')
      else if (t%dtype /= dtype) then
        st = fail(what // ': the tensor of "' // key // '" has another type or kind than array')
      else if (size(t%shape) /= rank(array)) then
        st = fail(what // ': the tensor of "' // key // '" has another rank than array')
      else if (any(t%shape /= shape(array, c_int64_t))) then
        st = fail(what // ': the tensor of "' // key // '" has another shape than array')
      else if (n > 0) then
        ignored = c_memcpy(p, t%data, n * int(dl_bits(dtype) / 8, c_size_t))
      end if
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_int(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    integer(int64), intent(out) :: value
    integer, optional, intent(out) :: ierror
    integer(c_int64_t) :: v
    integer(c_int) :: st
    v = 0
    st = cc(c_tensor_dict_get_int(dict%ptr, key // c_null_char, v))
    value = int(v, int64)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_double(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    real(real64), intent(out) :: value
    integer, optional, intent(out) :: ierror
    real(c_double) :: v
    integer(c_int) :: st
    v = 0
    st = cc(c_tensor_dict_get_double(dict%ptr, key // c_null_char, v))
    value = real(v, real64)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_bool(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    logical, intent(out) :: value
    integer, optional, intent(out) :: ierror
    integer(c_int) :: v, st
    v = 0
    st = cc(c_tensor_dict_get_bool(dict%ptr, key // c_null_char, v))
    value = v /= 0
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_string(dict, key, value, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    character(len=:), allocatable, intent(inout) :: value
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_int) :: st
    p = c_null_ptr
    st = cc(c_tensor_dict_get_string(dict%ptr, key // c_null_char, p))
    if (st == MPCOMM_SUCCESS) value = f_string(p)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_get_bytes(dict, key, data, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    character(len=*), intent(in) :: key
    integer(int8), allocatable, intent(inout) :: data(:)
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: st
    p = c_null_ptr
    n = 0
    st = cc(c_tensor_dict_get_bytes(dict%ptr, key // c_null_char, p, n))
    if (st == MPCOMM_SUCCESS) call copy_bytes(p, n, data)
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_tensor_dict_size(dict, n, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    integer, intent(out) :: n
    integer, optional, intent(out) :: ierror
    integer(c_size_t) :: m
    integer(c_int) :: st
    m = 0
    st = cc(c_tensor_dict_size(dict%ptr, m))
    n = int(m)
    call finish(st, ierror)
  end subroutine

  !> The key at position i, 1 .. n, in insertion order.
  subroutine mpcomm_tensor_dict_key_at(dict, i, key, ierror)
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    integer, intent(in) :: i
    character(len=:), allocatable, intent(inout) :: key
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_int) :: st
    character(len=80) :: text
    p = c_null_ptr
    if (i < 1) then
      write (text, '(a,i0)') 'i must be >= 1 (keys are numbered from 1), got ', i
      st = fail('mpcomm_tensor_dict_key_at: ' // trim(text))
    else
      st = cc(c_tensor_dict_key_at(dict%ptr, int(i - 1, c_size_t), p))
      if (st == MPCOMM_SUCCESS) key = f_string(p)
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_broadcast_tensor_dict(group, dict, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_dict_t), intent(inout) :: dict
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    call finish(cc(c_broadcast_tensor_dict(group%ptr, dict%ptr, int(src, c_int))), ierror)
  end subroutine

  subroutine mpcomm_send_tensor_dict(group, dict, dst, all_gather_group, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_dict_t), intent(in) :: dict
    integer, intent(in) :: dst
    type(mpcomm_group_t), optional, intent(in) :: all_gather_group
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: ag
    ag = c_null_ptr
    if (present(all_gather_group)) ag = all_gather_group%ptr
    call finish(cc(c_send_tensor_dict(group%ptr, dict%ptr, int(dst, c_int), ag)), ierror)
  end subroutine

  subroutine mpcomm_recv_tensor_dict(group, dict, src, all_gather_group, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_dict_t), intent(inout) :: dict
    integer, intent(in) :: src
    type(mpcomm_group_t), optional, intent(in) :: all_gather_group
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: ag
    ag = c_null_ptr
    if (present(all_gather_group)) ag = all_gather_group%ptr
    call finish(cc(c_recv_tensor_dict(group%ptr, dict%ptr, int(src, c_int), ag)), ierror)
  end subroutine

  ! ------------------------------------------------------------------ data plane on groups

  !> recvbuf = op over the members of sendbuf; sendbuf = MPCOMM_IN_PLACE reduces recvbuf in
  !> place. Arrays of any rank, of the same type, kind and size.
  subroutine mpcomm_all_reduce(group, sendbuf, recvbuf, op, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer, intent(in) :: op
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: sp, rp
    integer(c_size_t) :: sn, rn
    integer(c_int) :: sd, rd, sip, rip, st
    character(len=*), parameter :: what = 'mpcomm_all_reduce'
    st = c_describe(recvbuf, what // ': recvbuf' // c_null_char, rp, rn, rd, rip)
    if (st == MPCOMM_SUCCESS .and. rip /= 0) st = fail(what // ': recvbuf cannot be MPCOMM_IN_PLACE')
    if (st == MPCOMM_SUCCESS) st = c_describe(sendbuf, what // ': sendbuf' // c_null_char, sp, sn, &
                                              sd, sip)
    if (st == MPCOMM_SUCCESS) then
      if (sip /= 0) then
        sp = rp
      else if (sd /= rd) then
        st = fail(what // ': sendbuf and recvbuf differ in type or kind')
      else if (sn /= rn) then
        st = fail(what // ': sendbuf and recvbuf differ in size')
      end if
    end if
    if (st == MPCOMM_SUCCESS) st = cc(c_all_reduce(group%ptr, sp, rp, rn, rd, int(op, c_int), &
                                                   c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> buf at group rank src is copied into buf at every other member.
  subroutine mpcomm_broadcast(group, buf, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(inout) :: buf
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: d, ip, st
    st = c_describe(buf, 'mpcomm_broadcast: buf' // c_null_char, p, n, d, ip)
    if (st == MPCOMM_SUCCESS) st = cc(c_broadcast(group%ptr, p, n, d, int(src, c_int), c_null_ptr))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_send(group, buf, dst, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: buf
    integer, intent(in) :: dst
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: d, ip, st
    st = c_describe(buf, 'mpcomm_send: buf' // c_null_char, p, n, d, ip)
    if (st == MPCOMM_SUCCESS) st = cc(c_send(group%ptr, p, n, d, int(dst, c_int), c_null_ptr))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_recv(group, buf, src, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(inout) :: buf
    integer, intent(in) :: src
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: d, ip, st
    st = c_describe(buf, 'mpcomm_recv: buf' // c_null_char, p, n, d, ip)
    if (st == MPCOMM_SUCCESS) st = cc(c_recv(group%ptr, p, n, d, int(src, c_int), c_null_ptr))
    call finish(st, ierror)
  end subroutine

  ! The DLTensors of two host arrays for a collective along Fortran dimension dim.
  integer(c_int) function two_tensors(what, sendbuf, recvbuf, dim, rs_in, rs_out, tin, tout, &
                                      cdim)
    character(len=*), intent(in) :: what
    type(*), dimension(..), intent(in) :: sendbuf, recvbuf
    integer, intent(in) :: dim
    integer(c_int64_t), intent(inout), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor), intent(out) :: tin, tout
    integer(c_int), intent(out) :: cdim
    type(c_ptr) :: sp, rp
    integer(c_size_t) :: sn, rn
    integer(c_int) :: sd, rd, ip, st
    cdim = 0
    st = c_describe(sendbuf, what // ': sendbuf' // c_null_char, sp, sn, sd, ip)
    if (st == MPCOMM_SUCCESS) st = c_describe(recvbuf, what // ': recvbuf' // c_null_char, rp, &
                                              rn, rd, ip)
    if (st == MPCOMM_SUCCESS) st = c_dim(what, dim, rank(sendbuf), cdim)
    if (st == MPCOMM_SUCCESS) st = make_tensor(what, sp, sd, shape(sendbuf, c_int64_t), &
                                               MPCOMM_DEVICE_CPU, 0_c_int, rs_in, tin)
    if (st == MPCOMM_SUCCESS) st = make_tensor(what, rp, rd, shape(recvbuf, c_int64_t), &
                                               MPCOMM_DEVICE_CPU, 0_c_int, rs_out, tout)
    two_tensors = st
  end function

  !> recvbuf is every member's sendbuf, in group-rank order, side by side along dimension dim
  !> (size(recvbuf, dim) = size(sendbuf, dim) * group size).
  subroutine mpcomm_all_gather(group, sendbuf, recvbuf, dim, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer, intent(in) :: dim
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_tensors('mpcomm_all_gather', sendbuf, recvbuf, dim, rs_in, rs_out, tin, tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_all_gather(group%ptr, tin, tout, cdim, c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> Member r gets op over the members of the r-th slice of sendbuf along dimension dim.
  subroutine mpcomm_reduce_scatter(group, sendbuf, recvbuf, dim, op, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer, intent(in) :: dim, op
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_tensors('mpcomm_reduce_scatter', sendbuf, recvbuf, dim, rs_in, rs_out, tin, tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_reduce_scatter(group%ptr, tin, tout, cdim, int(op, c_int), &
                                                       c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> mpcomm_all_gather delivered to group rank dst only; recvbuf is not used elsewhere.
  subroutine mpcomm_gather(group, sendbuf, recvbuf, dst, dim, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer, intent(in) :: dst, dim
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_tensors('mpcomm_gather', sendbuf, recvbuf, dim, rs_in, rs_out, tin, tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_gather(group%ptr, tin, tout, int(dst, c_int), cdim, &
                                               c_null_ptr))
    call finish(st, ierror)
  end subroutine

  ! A group-sized array of non-negative extents or counts as size_t; `what` names it.
  integer(c_int) function size_t_array(what, group, v, c)
    character(len=*), intent(in) :: what
    type(mpcomm_group_t), intent(in) :: group
    integer(int64), intent(in) :: v(:)
    integer(c_size_t), allocatable, intent(out) :: c(:)
    integer :: rank, n
    size_t_array = rank_and_size(group, rank, n)
    if (size_t_array /= MPCOMM_SUCCESS) return
    if (size(v) /= n) then
      size_t_array = fail(what // ' must have one entry per member of the group')
    else if (any(v < 0)) then
      size_t_array = fail(what // ' must not be negative')
    else
      c = int(v, c_size_t)
    end if
  end function

  !> recvbuf is every member's sendbuf side by side along dimension dim, member r's of extent
  !> sizes(r+1) (size(sendbuf, dim) = sizes(rank+1), size(recvbuf, dim) = sum(sizes)).
  subroutine mpcomm_all_gatherv(group, sendbuf, recvbuf, sizes, dim, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer(int64), intent(in) :: sizes(:)
    integer, intent(in) :: dim
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_size_t), allocatable :: csizes(:)
    integer(c_int) :: cdim, st
    st = size_t_array('mpcomm_all_gatherv: sizes', group, sizes, csizes)
    if (st == MPCOMM_SUCCESS) st = two_tensors('mpcomm_all_gatherv', sendbuf, recvbuf, dim, &
                                               rs_in, rs_out, tin, tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_all_gatherv(group%ptr, tin, tout, csizes, cdim, &
                                                    c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> Member r gets op over the members of the (r+1)-th block along dimension dim, blocks of
  !> extents sizes (size(sendbuf, dim) = sum(sizes), size(recvbuf, dim) = sizes(rank+1)).
  subroutine mpcomm_reduce_scatterv(group, sendbuf, recvbuf, sizes, dim, op, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer(int64), intent(in) :: sizes(:)
    integer, intent(in) :: dim, op
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_size_t), allocatable :: csizes(:)
    integer(c_int) :: cdim, st
    st = size_t_array('mpcomm_reduce_scatterv: sizes', group, sizes, csizes)
    if (st == MPCOMM_SUCCESS) st = two_tensors('mpcomm_reduce_scatterv', sendbuf, recvbuf, dim, &
                                               rs_in, rs_out, tin, tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_reduce_scatterv(group%ptr, tin, tout, csizes, cdim, &
                                                        int(op, c_int), c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> sendbuf and recvbuf hold one block per member, in group-rank order, of size(sendbuf) /
  !> group size elements each: block r of sendbuf goes to member r, block r of recvbuf comes
  !> from it.
  subroutine mpcomm_all_to_all(group, sendbuf, recvbuf, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    type(*), dimension(..), intent(inout) :: recvbuf
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: sp, rp
    integer(c_size_t) :: sn, rn
    integer(c_int) :: sd, rd, ip, st
    integer :: rank, n
    st = c_describe(sendbuf, 'mpcomm_all_to_all: sendbuf' // c_null_char, sp, sn, sd, ip)
    if (st == MPCOMM_SUCCESS) st = c_describe(recvbuf, 'mpcomm_all_to_all: recvbuf' // &
                                              c_null_char, rp, rn, rd, ip)
    if (st == MPCOMM_SUCCESS) st = rank_and_size(group, rank, n)
    if (st == MPCOMM_SUCCESS) then
      if (sd /= rd) then
        st = fail('mpcomm_all_to_all: sendbuf and recvbuf differ in type or kind')
      else if (sn /= rn) then
        st = fail('mpcomm_all_to_all: sendbuf and recvbuf differ in size')
      else if (mod(sn, int(n, c_size_t)) /= 0) then
        st = fail('mpcomm_all_to_all: the size of sendbuf is not a multiple of the group size')
      end if
    end if
    if (st == MPCOMM_SUCCESS) st = cc(c_all_to_all(group%ptr, sp, rp, sn / int(n, c_size_t), sd, &
                                                   c_null_ptr))
    call finish(st, ierror)
  end subroutine

  !> Block r of sendbuf (send_counts(r+1) elements from element send_displs(r+1), 0-based) goes
  !> to member r; block r of recvbuf (recv_counts(r+1) at recv_displs(r+1)) comes from it.
  subroutine mpcomm_all_to_allv(group, sendbuf, send_counts, send_displs, recvbuf, recv_counts, &
                                recv_displs, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(*), dimension(..), intent(in) :: sendbuf
    integer(int64), intent(in) :: send_counts(:), send_displs(:)
    type(*), dimension(..), intent(inout) :: recvbuf
    integer(int64), intent(in) :: recv_counts(:), recv_displs(:)
    integer, optional, intent(out) :: ierror
    type(c_ptr) :: sp, rp
    integer(c_size_t) :: sn, rn
    integer(c_size_t), allocatable :: sc(:), sdp(:), rc(:), rdp(:)
    integer(c_int) :: sd, rd, ip, st
    st = size_t_array('mpcomm_all_to_allv: send_counts', group, send_counts, sc)
    if (st == MPCOMM_SUCCESS) st = size_t_array('mpcomm_all_to_allv: send_displs', group, &
                                                send_displs, sdp)
    if (st == MPCOMM_SUCCESS) st = size_t_array('mpcomm_all_to_allv: recv_counts', group, &
                                                recv_counts, rc)
    if (st == MPCOMM_SUCCESS) st = size_t_array('mpcomm_all_to_allv: recv_displs', group, &
                                                recv_displs, rdp)
    if (st == MPCOMM_SUCCESS) st = c_describe(sendbuf, 'mpcomm_all_to_allv: sendbuf' // &
                                              c_null_char, sp, sn, sd, ip)
    if (st == MPCOMM_SUCCESS) st = c_describe(recvbuf, 'mpcomm_all_to_allv: recvbuf' // &
                                              c_null_char, rp, rn, rd, ip)
    if (st == MPCOMM_SUCCESS) then
      if (sd /= rd) then
        st = fail('mpcomm_all_to_allv: sendbuf and recvbuf differ in type or kind')
      else if (any(sc + sdp > sn)) then
        st = fail('mpcomm_all_to_allv: a block of send_counts and send_displs ends past sendbuf')
      else if (any(rc + rdp > rn)) then
        st = fail('mpcomm_all_to_allv: a block of recv_counts and recv_displs ends past recvbuf')
      end if
    end if
    if (st == MPCOMM_SUCCESS) st = cc(c_all_to_allv(group%ptr, sp, sc, sdp, rp, rc, rdp, sd, &
                                                    c_null_ptr))
    call finish(st, ierror)
  end subroutine

  ! Buffers by address (device memory; stream is a cudaStream_t or c_null_ptr).

  subroutine mpcomm_all_reduce_ptr(group, sendbuf, recvbuf, count, dtype, op, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(c_ptr), intent(in) :: sendbuf, recvbuf, stream
    integer(int64), intent(in) :: count
    integer, intent(in) :: dtype, op
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st
    if (count < 0) then
      st = fail('mpcomm_all_reduce_ptr: count must be >= 0')
    else
      st = cc(c_all_reduce(group%ptr, sendbuf, recvbuf, int(count, c_size_t), int(dtype, c_int), &
                           int(op, c_int), stream))
    end if
    call finish(st, ierror)
  end subroutine

  ! Shared memory that mpcomm_all_reduce reads in place (mpcomm_mem_alloc(3)); map it onto an
  ! array with c_f_pointer. Collective; bytes may differ between members (0: c_null_ptr).
  subroutine mpcomm_mem_alloc(group, bytes, ptr, ierror)
    type(mpcomm_group_t), intent(in) :: group
    integer(int64), intent(in) :: bytes
    type(c_ptr), intent(out) :: ptr
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st
    ptr = c_null_ptr
    if (bytes < 0) then
      st = fail('mpcomm_mem_alloc: bytes must be >= 0')
    else
      st = cc(c_mem_alloc(group%ptr, int(bytes, c_size_t), ptr))
    end if
    call finish(st, ierror)
  end subroutine

  ! Local; c_null_ptr: nothing.
  subroutine mpcomm_mem_free(group, ptr, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(c_ptr), intent(in) :: ptr
    integer, optional, intent(out) :: ierror
    call finish(cc(c_mem_free(group%ptr, ptr)), ierror)
  end subroutine

  subroutine mpcomm_broadcast_ptr(group, buf, count, dtype, src, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(c_ptr), intent(in) :: buf, stream
    integer(int64), intent(in) :: count
    integer, intent(in) :: dtype, src
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st
    if (count < 0) then
      st = fail('mpcomm_broadcast_ptr: count must be >= 0')
    else
      st = cc(c_broadcast(group%ptr, buf, int(count, c_size_t), int(dtype, c_int), &
                          int(src, c_int), stream))
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_send_ptr(group, buf, count, dtype, dst, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(c_ptr), intent(in) :: buf, stream
    integer(int64), intent(in) :: count
    integer, intent(in) :: dtype, dst
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st
    if (count < 0) then
      st = fail('mpcomm_send_ptr: count must be >= 0')
    else
      st = cc(c_send(group%ptr, buf, int(count, c_size_t), int(dtype, c_int), int(dst, c_int), &
                     stream))
    end if
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_recv_ptr(group, buf, count, dtype, src, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(c_ptr), intent(in) :: buf, stream
    integer(int64), intent(in) :: count
    integer, intent(in) :: dtype, src
    integer, optional, intent(out) :: ierror
    integer(c_int) :: st
    if (count < 0) then
      st = fail('mpcomm_recv_ptr: count must be >= 0')
    else
      st = cc(c_recv(group%ptr, buf, int(count, c_size_t), int(dtype, c_int), int(src, c_int), &
                     stream))
    end if
    call finish(st, ierror)
  end subroutine

  ! The DLTensors of two mpcomm_tensor_t for a collective along Fortran dimension dim.
  integer(c_int) function two_ptr_tensors(what, tin_f, tout_f, dim, rs_in, rs_out, tin, tout, cdim)
    character(len=*), intent(in) :: what
    type(mpcomm_tensor_t), intent(in) :: tin_f, tout_f
    integer, intent(in) :: dim
    integer(c_int64_t), intent(inout), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor), intent(out) :: tin, tout
    integer(c_int), intent(out) :: cdim
    integer(c_int) :: st
    cdim = 0
    if (.not. allocated(tin_f%shape) .or. .not. allocated(tout_f%shape)) then
      two_ptr_tensors = fail(what // ': the shape of a tensor is not allocated')
      return
    end if
    st = c_dim(what, dim, size(tin_f%shape), cdim)
    if (st == MPCOMM_SUCCESS) st = make_tensor(what, tin_f%data, tin_f%dtype, tin_f%shape, &
                                               tin_f%device_type, tin_f%device_id, rs_in, tin)
    if (st == MPCOMM_SUCCESS) st = make_tensor(what, tout_f%data, tout_f%dtype, tout_f%shape, &
                                               tout_f%device_type, tout_f%device_id, rs_out, tout)
    two_ptr_tensors = st
  end function

  subroutine mpcomm_all_gather_ptr(group, sendbuf, recvbuf, dim, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_t), intent(in) :: sendbuf, recvbuf
    integer, intent(in) :: dim
    type(c_ptr), intent(in) :: stream
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_ptr_tensors('mpcomm_all_gather_ptr', sendbuf, recvbuf, dim, rs_in, rs_out, tin, &
                         tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_all_gather(group%ptr, tin, tout, cdim, stream))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_reduce_scatter_ptr(group, sendbuf, recvbuf, dim, op, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_t), intent(in) :: sendbuf, recvbuf
    integer, intent(in) :: dim, op
    type(c_ptr), intent(in) :: stream
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_ptr_tensors('mpcomm_reduce_scatter_ptr', sendbuf, recvbuf, dim, rs_in, rs_out, tin, &
                         tout, cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_reduce_scatter(group%ptr, tin, tout, cdim, &
                                                       int(op, c_int), stream))
    call finish(st, ierror)
  end subroutine

  subroutine mpcomm_gather_ptr(group, sendbuf, recvbuf, dst, dim, stream, ierror)
    type(mpcomm_group_t), intent(in) :: group
    type(mpcomm_tensor_t), intent(in) :: sendbuf, recvbuf
    integer, intent(in) :: dst, dim
    type(c_ptr), intent(in) :: stream
    integer, optional, intent(out) :: ierror
    integer(c_int64_t), target :: rs_in(max_ndim), rs_out(max_ndim)
    type(c_dltensor) :: tin, tout
    integer(c_int) :: cdim, st
    st = two_ptr_tensors('mpcomm_gather_ptr', sendbuf, recvbuf, dim, rs_in, rs_out, tin, tout, &
                         cdim)
    if (st == MPCOMM_SUCCESS) st = cc(c_gather(group%ptr, tin, tout, int(dst, c_int), cdim, &
                                               stream))
    call finish(st, ierror)
  end subroutine

end module mpcomm
