! The Fortran module with mpi_f08, at 1, 2 and 4 ranks: every procedure of `use mpcomm` is
! called and its result checked (every kind, in place and out of place, each dimension), and bad
! arguments give their status through ierror and their message through mpcomm_last_error().
! Prints "# mpcomm-test: passed=N failed=N skipped=0" at rank 0; fails on any failed check.
program test_f08
  use, intrinsic :: iso_c_binding, only: c_ptr, c_null_ptr, c_loc, c_int64_t, c_bool, c_size_t, &
                                         c_f_pointer, c_associated
  use mpi_f08
  use mpcomm
  implicit none
  integer :: me, np, passed, failed

  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, me)
  call MPI_Comm_size(MPI_COMM_WORLD, np)
  passed = 0
  failed = 0

  call test_errors_and_version()
  call test_config()
  call test_groups()
  call test_objects()
  call test_all_reduce()
  call test_broadcast_send_recv()
  call test_along_dims()
  call test_variable_sizes()
  call test_by_address()
  call test_mem_alloc()
  call test_tensor_dict()
  call test_state()
  call test_locality_join_gpu()
  call finish_test()

contains

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (ok) then
      passed = passed + 1
    else
      failed = failed + 1
      write (*, '(a,i0,a,a)') 'FAIL (rank ', me, '): ', what
    end if
  end subroutine

  ! The call failed with `want` and mpcomm_last_error() contains `text`.
  subroutine check_failure(ierr, want, text, what)
    integer, intent(in) :: ierr, want
    character(len=*), intent(in) :: text, what
    character(len=:), allocatable :: msg
    msg = mpcomm_last_error()
    call check(ierr == want, what // ': status ' // mpcomm_status_string(ierr))
    call check(index(msg, text) > 0, what // ': no "' // text // '" in "' // msg // '"')
  end subroutine

  subroutine finish_test()
    integer :: total_failed, total_passed
    call MPI_Allreduce(failed, total_failed, 1, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD)
    call MPI_Allreduce(passed, total_passed, 1, MPI_INTEGER, MPI_MIN, MPI_COMM_WORLD)
    if (me == 0) write (*, '(a,i0,a,i0,a)') '# mpcomm-test: passed=', total_passed, &
      ' failed=', total_failed, ' skipped=0'
    call MPI_Finalize()
    if (total_failed > 0) error stop 1
  end subroutine

  ! A config over the world: TP 2 where the size is even, PP the rest.
  subroutine world_config(cfg)
    type(mpcomm_parallel_config_t), intent(out) :: cfg
    integer :: ierr
    call mpcomm_parallel_config_init(cfg, ierr)
    cfg%tensor_parallel_size = merge(2, 1, mod(np, 2) == 0)
    cfg%pipeline_parallel_size = np / cfg%tensor_parallel_size
  end subroutine

  subroutine test_errors_and_version()
    integer :: major, minor, patch, ierr
    type(mpcomm_group_t) :: none
    real(real32) :: x(4), y(2)
    call mpcomm_version(major, minor, patch)
    call check(major == MPCOMM_VERSION_MAJOR .and. minor == MPCOMM_VERSION_MINOR .and. &
               patch == MPCOMM_VERSION_PATCH, 'mpcomm_version is the module''s version')
    call check(MPCOMM_VERSION_CODE == major * 10000 + minor * 100 + patch, 'MPCOMM_VERSION_CODE')
    call check(len(mpcomm_status_string(MPCOMM_ERR_TIMEOUT)) > 0 .and. &
               mpcomm_status_string(MPCOMM_ERR_TIMEOUT) /= &
               mpcomm_status_string(MPCOMM_SUCCESS), 'mpcomm_status_string')
    ! A C failure, then a failure found in Fortran, then a C failure: each is the latest.
    x = 1
    call mpcomm_barrier(none, 1.0_real64, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'mpcomm_barrier: group must not be NULL', &
                       'barrier on a null group')
    call mpcomm_all_reduce(none, x(1:4:2), y, MPCOMM_SUM, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, &
                       'mpcomm_all_reduce: sendbuf must be contiguous', 'strided sendbuf')
    call mpcomm_group_set_timeout(none, 1.0_real64, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'mpcomm_group_set_timeout: group', &
                       'the C failure after a Fortran one is the latest')
    call check(mpcomm_is_null(none) .and. mpcomm_is_null(MPCOMM_GROUP_NULL) .and. &
               mpcomm_is_null(MPCOMM_STATE_NULL) .and. mpcomm_is_null(MPCOMM_TENSOR_DICT_NULL), &
               'mpcomm_is_null of the null handles')
  end subroutine

  subroutine test_config()
    type(mpcomm_parallel_config_t) :: cfg, other
    character(len=:), allocatable :: hex, hex2
    integer :: ierr, n, first, last, l, covered
    integer, allocatable :: ranks(:, :)
    call mpcomm_parallel_config_init(cfg, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'mpcomm_parallel_config_init')
    call check(cfg%struct_size == 656 .and. cfg%magic == MPCOMM_PARALLEL_CONFIG_MAGIC .and. &
               cfg%version == MPCOMM_PARALLEL_CONFIG_VERSION, 'config header fields')
    call check(cfg%tensor_parallel_size == 1 .and. cfg%pipeline_parallel_size == 1 .and. &
               cfg%data_parallel_rank_local == -1 .and. cfg%data_parallel_rpc_port == 29550 .and. &
               cfg%master_port == 29501 .and. cfg%dbo_prefill_token_threshold == 512 .and. &
               cfg%max_parallel_loading_workers == -1, 'vLLM''s integer defaults')
    call check(cfg%master_addr == '127.0.0.1' .and. cfg%data_parallel_master_ip == '127.0.0.1', &
               'host defaults as Fortran strings')
    call check(cfg%eplb_config%window_size == 1000 .and. cfg%eplb_config%step_interval == 3000, &
               'eplb_config defaults')
    call check(cfg%data_parallel_backend == MPCOMM_DP_BACKEND_MP .and. &
               cfg%all2all_backend == MPCOMM_ALL2ALL_NONE .and. &
               cfg%distributed_executor_backend == MPCOMM_EXECUTOR_NONE .and. &
               cfg%expert_placement_strategy == MPCOMM_EXPERT_PLACEMENT_LINEAR, 'enum defaults')
    call mpcomm_parallel_config_validate(cfg, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'the defaults validate')

    call mpcomm_parallel_config_hash(cfg, hex, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. len(hex) == 64 .and. verify(hex, '0123456789abcdef') == 0, &
               'hash: 64 lowercase hex digits, got ' // hex)
    other = cfg
    other%master_addr = '10.0.0.7'
    call mpcomm_parallel_config_hash(other, hex2)
    ! master_addr is not in vLLM's hash; tensor_parallel_size is.
    call check(hex2 == hex, 'master_addr does not change the hash')
    other%tensor_parallel_size = 2
    call mpcomm_parallel_config_hash(other, hex2)
    call check(hex2 /= hex, 'tensor_parallel_size changes the hash')

    cfg%tensor_parallel_size = 2
    cfg%pipeline_parallel_size = 2
    cfg%data_parallel_size = 3
    call mpcomm_parallel_config_world_size(cfg, n, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. n == 4, 'world_size = PP x TP')
    call mpcomm_parallel_config_world_size_across_dp(cfg, n, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. n == 12, 'world_size_across_dp = PP x TP x DP')
    cfg%data_parallel_size = 1
    call mpcomm_layout_group_ranks(cfg, 4, MPCOMM_GROUP_TP, ranks, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(shape(ranks) == [2, 2]), 'TP layout shape')
    if (ierr == MPCOMM_SUCCESS) call check(all(ranks(:, 1) == [0, 1]) .and. &
                                           all(ranks(:, 2) == [2, 3]), 'TP groups [0,1] [2,3]')
    call mpcomm_layout_group_ranks(cfg, 4, MPCOMM_GROUP_PP, ranks, ierr)
    if (ierr == MPCOMM_SUCCESS) call check(all(ranks(:, 1) == [0, 2]) .and. &
                                           all(ranks(:, 2) == [1, 3]), 'PP groups [0,2] [1,3]')
    call mpcomm_layout_group_ranks(cfg, 4, 99, ranks, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'kind', 'layout of kind 99')

    cfg%tensor_parallel_size = 0
    call mpcomm_parallel_config_validate(cfg, ierr)
    call check(ierr == MPCOMM_ERR_INVALID_ARGUMENT, 'tensor_parallel_size 0 does not validate')

    ! Layers 1-based and inclusive; 10 layers over 3 stages cover 1..10 once, in order.
    covered = 0
    do l = 0, 2
      call mpcomm_pp_indices(10, l, 3, first, last, ierr)
      call check(ierr == MPCOMM_SUCCESS .and. first == covered + 1 .and. last >= first, &
                 'pp_indices: stages are contiguous, from layer 1')
      covered = last
    end do
    call check(covered == 10, 'pp_indices: the last stage ends at layer 10')
    call mpcomm_pp_indices(8, 1, 2, first, last)
    call check(first == 5 .and. last == 8, 'pp_indices(8, 1, 2) = 5..8')
    call mpcomm_pp_indices(8, 2, 2, first, last, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'mpcomm_pp_indices', &
                       'pp_rank out of range')
  end subroutine

  subroutine test_groups()
    type(mpcomm_group_t) :: world, half, evens_group
    type(mpcomm_group_info_t) :: info
    type(MPI_Comm) :: split, comm
    integer, allocatable :: ranks(:), evens(:)
    integer :: ierr, r, sum, n
    real(real64) :: t
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. mpcomm_is_null(world), 'group_from_comm(world)')
    call mpcomm_group_info(world, info, ierr)
    call check(info%struct_size == 48 .and. info%size == np .and. info%rank_in_group == me .and. &
               info%global_rank == me .and. info%first_rank == 0 .and. &
               info%last_rank == np - 1 .and. info%next_rank == mod(me + 1, np) .and. &
               info%prev_rank == mod(me - 1 + np, np) .and. &
               ((info%is_first_rank == 1) .eqv. (me == 0)), 'group_info of the world')
    call mpcomm_group_ranks(world, ranks, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. size(ranks) == np, 'group_ranks size')
    call check(all(ranks == [(r, r = 0, np - 1)]), 'group_ranks of the world')

    ! The group's own communicator as a type(MPI_Comm): MPI of the caller's own on it.
    call mpcomm_group_comm(world, comm, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. comm /= MPI_COMM_WORLD, 'group_comm: a duplicate')
    call MPI_Allreduce(me, sum, 1, MPI_INTEGER, MPI_SUM, comm)
    call check(sum == np * (np - 1) / 2, 'MPI_Allreduce on the group''s communicator')
    call MPI_Comm_size(comm, n)
    call check(n == np, 'the group''s communicator has the group''s size')

    call mpcomm_group_set_timeout(world, 12.5_real64, ierr)
    call mpcomm_group_get_timeout(world, t, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. abs(t - 12.5_real64) < 1e-9_real64, 'timeout 12.5')
    call mpcomm_group_set_timeout(world, 0.0_real64)
    call mpcomm_group_get_timeout(world, t)
    call check(t > 0, 'timeout <= 0 restores the default')
    call mpcomm_barrier(world, 30.0_real64, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'barrier')

    ! A communicator of the caller's (even and odd ranks).
    call MPI_Comm_split(MPI_COMM_WORLD, mod(me, 2), me, split)
    call mpcomm_group_from_comm(split, half, ierr)
    call mpcomm_group_info(half, info)
    call check(ierr == MPCOMM_SUCCESS .and. info%rank_in_group == me / 2, 'group of a split comm')
    call mpcomm_group_free(half, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. mpcomm_is_null(half), 'group_free clears the handle')
    call mpcomm_group_free(half, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'group_free of a null handle is a no-op')
    call MPI_Comm_free(split)

    ! The even ranks, descending, from the world.
    evens = [(r, r = (np - 1) / 2 * 2, 0, -2)]
    if (mod(me, 2) == 0) then
      call mpcomm_group_from_ranks(MPI_COMM_WORLD, evens, evens_group, ierr)
      call check(ierr == MPCOMM_SUCCESS, 'group_from_ranks')
      call mpcomm_group_ranks(evens_group, ranks)
      call check(all(ranks == evens), 'group_from_ranks keeps the order')
      call mpcomm_group_free(evens_group)
    end if
    call mpcomm_group_from_ranks(MPI_COMM_WORLD, [me, me], evens_group, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'appears twice', 'a rank twice')

    call mpcomm_group_comm(MPCOMM_GROUP_NULL, comm, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'mpcomm_group_comm_f: group', &
                       'group_comm of a null group')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_objects()
    type(mpcomm_group_t) :: world
    character(len=:), allocatable :: s, got
    type(mpcomm_string_t), allocatable :: all_s(:)
    integer(int8), allocatable :: bytes(:), out(:)
    integer(int64), allocatable :: lens(:)
    integer(int32), allocatable :: back(:)
    integer :: ierr, peer, r, at
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)

    ! broadcast_string: sized on receipt, longer than the first receive buffer.
    if (me == 0) s = repeat('abc', 1000) // 'end'
    call mpcomm_broadcast_string(world, s, 0, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. len(s) == 3003, 'broadcast_string sizes itself')
    call check(s(3001:) == 'end', 'broadcast_string contents')
    if (me == 0) s = 'x'
    call mpcomm_broadcast_string(world, s, 0)
    call check(s == 'x' .and. len(s) == 1, 'a short broadcast_string after a long one')

    ! broadcast_object: bytes.
    if (allocated(bytes)) deallocate (bytes)
    if (me == np - 1) bytes = [integer(int8) :: 1, 2, 3, -4]
    call mpcomm_broadcast_object(world, bytes, np - 1, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. size(bytes) == 4, 'broadcast_object size')
    call check(all(bytes == [integer(int8) :: 1, 2, 3, -4]), 'broadcast_object contents')

    ! send/recv strings and objects in pairs (0,1), (2,3).
    if (np > 1) then
      peer = merge(me + 1, me - 1, mod(me, 2) == 0)
      if (mod(me, 2) == 0) then
        call mpcomm_send_string(world, 'hello from ' // achar(48 + me), peer, ierr)
        call check(ierr == MPCOMM_SUCCESS, 'send_string')
        call mpcomm_send_object(world, [(int(r, int32), r = 1, 2000)], peer, ierr)
        call mpcomm_recv_string(world, got, peer, ierr)
        call check(got == '', 'recv_string of an empty string')
      else
        call mpcomm_recv_string(world, got, peer, ierr)
        call check(ierr == MPCOMM_SUCCESS .and. got == 'hello from ' // achar(48 + peer), &
                   'recv_string')
        call mpcomm_recv_object(world, bytes, peer, ierr)
        call check(ierr == MPCOMM_SUCCESS .and. size(bytes) == 8000, 'recv_object sizes itself')
        allocate (back(size(bytes) / 4))
        back(:) = transfer(bytes, [0_int32], size(back))
        call check(all(back == [(int(r, int32), r = 1, 2000)]), 'recv_object contents')
        call mpcomm_send_string(world, '', peer, ierr)
      end if
    end if
    call mpcomm_recv_object(world, bytes, me, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'src', 'recv_object from oneself')

    ! all_gather_object and all_gather_string: rank r gives r+1 bytes / characters.
    call mpcomm_all_gather_object(world, [(int(me, int8), r = 0, me)], out, lens, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. size(lens) == np .and. &
               size(out) == np * (np + 1) / 2, 'all_gather_object sizes')
    at = 0
    do r = 0, np - 1
      call check(lens(r + 1) == r + 1 .and. all(out(at + 1:at + r + 1) == int(r, int8)), &
                 'all_gather_object: member r''s bytes in order')
      at = at + r + 1
    end do
    call mpcomm_all_gather_string(world, repeat(achar(97 + me), me + 1), all_s, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. size(all_s) == np, 'all_gather_string size')
    do r = 0, np - 1
      call check(all_s(r + 1)%s == repeat(achar(97 + r), r + 1) .and. len(all_s(r + 1)%s) == r + 1, &
                 'all_gather_string: member r''s string')
    end do

    ! A group with a message queue broadcasts through it.
    call mpcomm_group_enable_message_queue(world, 0_int64, 0, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'enable_message_queue')
    if (me == 0) s = repeat('q', 5000)
    call mpcomm_broadcast_string(world, s, 0, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. s == repeat('q', 5000), &
               'broadcast_string through the message queue')
    call mpcomm_group_enable_message_queue(world, -1_int64, 0, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'chunk_bytes must be >= 0', &
                       'negative chunk_bytes')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_all_reduce()
    type(mpcomm_group_t) :: world
    integer(int8) :: i8(5), o8(5)
    integer(int32) :: i32(3, 2), o32(3, 2)
    integer(int64) :: i64(2, 2, 2), o64(2, 2, 2)
    real(real32) :: r32(7), o32r(7), s32
    real(real64) :: r64(4, 3), o64r(4, 3)
    logical :: flags(3)
    integer :: ierr, k
    integer :: tri
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    tri = np * (np + 1) / 2

    i8 = int([(k, k = 1, 5)], int8)
    call mpcomm_all_reduce(world, i8, o8, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(o8 == int(np * [(k, k = 1, 5)], int8)), &
               'all_reduce int8 sum')
    i32 = me + 1
    call mpcomm_all_reduce(world, i32, o32, MPCOMM_MAX, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(o32 == np), 'all_reduce int32 max (rank 2)')
    i64 = int(me + 1, int64) * 10000000000_int64
    call mpcomm_all_reduce(world, i64, o64, MPCOMM_SUM, ierr)
    call check(all(o64 == int(tri, int64) * 10000000000_int64), 'all_reduce int64 sum (rank 3)')
    r32 = real(me + 1, real32)
    call mpcomm_all_reduce(world, r32, o32r, MPCOMM_PROD, ierr)
    call check(all(o32r == real(product([(k, k = 1, np)]), real32)), 'all_reduce real32 prod')
    r64 = real(me, real64)
    call mpcomm_all_reduce(world, r64, o64r, MPCOMM_MIN, ierr)
    call check(all(o64r == 0), 'all_reduce real64 min')

    ! In place, as MPI_IN_PLACE; and scalars.
    r64 = real(me + 1, real64)
    call mpcomm_all_reduce(world, MPCOMM_IN_PLACE, r64, MPCOMM_AVG, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(abs(r64 - real(tri, real64) / np) < 1e-12_real64), &
               'all_reduce in place, real64 avg')
    i32 = 1
    call mpcomm_all_reduce(world, MPCOMM_IN_PLACE, i32, MPCOMM_SUM)
    call check(all(i32 == np), 'all_reduce in place, int32, without ierror')
    s32 = 2.0_real32
    call mpcomm_all_reduce(world, MPCOMM_IN_PLACE, s32, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. s32 == 2.0_real32 * np, 'all_reduce of a scalar')

    ! Bad arguments.
    call mpcomm_all_reduce(world, r32, o64r, MPCOMM_SUM, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'differ in type or kind', &
                       'all_reduce real32 into real64')
    call mpcomm_all_reduce(world, r32(1:6), o32r, MPCOMM_SUM, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'differ in size', 'all_reduce sizes')
    call mpcomm_all_reduce(world, flags, flags, MPCOMM_SUM, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'has no mpcomm datatype', &
                       'all_reduce of logicals')
    call mpcomm_all_reduce(world, r32, o32r, 77, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'op', 'all_reduce with op 77')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_broadcast_send_recv()
    type(mpcomm_group_t) :: world
    real(real64) :: a(3, 4)
    integer(int64) :: b(6)
    integer :: ierr, peer
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    a = -1
    if (me == np - 1) a = reshape([(real(peer, real64), peer = 1, 12)], [3, 4])
    call mpcomm_broadcast(world, a, np - 1, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. a(3, 4) == 12 .and. a(1, 2) == 4, 'broadcast 2-d')
    if (np > 1) then
      peer = merge(me + 1, me - 1, mod(me, 2) == 0)
      if (peer < np) then
        if (mod(me, 2) == 0) then
          b = [(int(me * 100 + peer, int64), peer = 1, 6)]
          call mpcomm_send(world, b, me + 1, ierr)
          call check(ierr == MPCOMM_SUCCESS, 'send int64')
        else
          b = 0
          call mpcomm_recv(world, b, me - 1, ierr)
          call check(ierr == MPCOMM_SUCCESS .and. b(6) == (me - 1) * 100 + 6, 'recv int64')
        end if
      end if
    end if
    call mpcomm_send(world, b, np + 3, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'dst', 'send to a rank not in the group')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_along_dims()
    type(mpcomm_group_t) :: world
    real(real32) :: x(2, 3)
    real(real32), allocatable :: g1(:, :), g2(:, :), r1(:, :)
    real(real32) :: small(1, 3)
    integer(int32) :: v(4), w(4 * 4)
    integer :: ierr, r, i, j
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    do j = 1, 3
      do i = 1, 2
        x(i, j) = real(100 * me + 10 * i + j, real32)
      end do
    end do
    ! Along dimension 1: member r's x lands in rows 2r+1 .. 2r+2.
    allocate (g1(2 * np, 3), g2(2, 3 * np))
    call mpcomm_all_gather(world, x, g1, 1, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'all_gather along dim 1')
    do r = 0, np - 1
      call check(all(g1(2 * r + 1:2 * r + 2, :) == x - real(100 * (me - r), real32)), &
                 'all_gather dim 1: member r''s block')
    end do
    call mpcomm_all_gather(world, x, g2, 2, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'all_gather along dim 2')
    do r = 0, np - 1
      call check(all(g2(:, 3 * r + 1:3 * r + 3) == x - real(100 * (me - r), real32)), &
                 'all_gather dim 2: member r''s block')
    end do
    ! gather along dim 2 to the last rank.
    g2 = 0
    call mpcomm_gather(world, x, g2, np - 1, 2, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'gather')
    if (me == np - 1) call check(all(g2(:, 1:3) == x - real(100 * me, real32)), &
                                 'gather: member 0''s block at the root')
    ! reduce_scatter along dim 1 of g1 (2np x 3): member r gets the sum of rows 2r+1..2r+2.
    allocate (r1(2, 3))
    call mpcomm_reduce_scatter(world, g1, r1, 1, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(r1 == np * g1(2 * me + 1:2 * me + 2, :)), &
               'reduce_scatter along dim 1')
    ! 1-d, and the reduce_scatter of a vector of np slices.
    v = me
    call mpcomm_all_gather(world, v, w(1:4 * np), 1, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(w(1:4 * np) == [((r, i = 1, 4), r = 0, np - 1)]), &
               'all_gather 1-d')
    call mpcomm_reduce_scatter(world, w(1:4 * np), v, 1, MPCOMM_MAX, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(v == me), 'reduce_scatter 1-d max')

    call mpcomm_all_gather(world, x, g1, 3, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'dim must be in 1 .. 2', 'dim 3 of 2')
    call mpcomm_all_gather(world, x, small, 1, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'mpcomm_all_gather', &
                       'all_gather into a too small recvbuf')
    call mpcomm_all_gather(world, x, g1(1:1, :), 1, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'recvbuf must be contiguous', &
                       'all_gather into a strided section')
    call mpcomm_group_free(world)
  end subroutine

  ! all_gatherv / reduce_scatterv with member r's extent r+1 along dim 2, all_to_all and
  ! all_to_allv with member r sending r+j+1 elements to member j; int16 and logical(c_bool).
  subroutine test_variable_sizes()
    type(mpcomm_group_t) :: world
    integer(int64) :: sizes(np), sc(np), sd(np), rc(np), rd(np)
    real(real64), allocatable :: x(:, :), g(:, :), back(:, :)
    integer(int16), allocatable :: s16(:), r16(:)
    logical(c_bool) :: flags(np), got(np)
    integer(int32), allocatable :: sv(:), rv(:)
    integer :: ierr, r, j, total, off
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    sizes = [(int(r + 1, int64), r = 0, np - 1)]
    total = np * (np + 1) / 2
    allocate (x(2, me + 1), g(2, total), back(2, me + 1))
    x = real(10 * me, real64)
    call mpcomm_all_gatherv(world, x, g, sizes, 2, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'all_gatherv along dim 2')
    off = 0
    do r = 0, np - 1
      call check(all(g(:, off + 1:off + r + 1) == real(10 * r, real64)), &
                 'all_gatherv: member r''s columns')
      off = off + r + 1
    end do
    call mpcomm_reduce_scatterv(world, g, back, sizes, 2, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(back == real(np * 10 * me, real64)), &
               'reduce_scatterv along dim 2')
    call mpcomm_all_gatherv(world, x, g, sizes(1:np - 1), 2, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'one entry per member', &
                       'all_gatherv with too few sizes')
    ! all_to_all: int16 and logical(c_bool), one element to and from each member.
    allocate (s16(np), r16(np))
    s16 = [(int(100 * me + j, int16), j = 0, np - 1)]
    call mpcomm_all_to_all(world, s16, r16, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(r16 == [(int(100 * j + me, int16), j = 0, np - 1)]), &
               'all_to_all int16')
    flags = [(mod(me + j, 2) == 0, j = 0, np - 1)]
    call mpcomm_all_to_all(world, flags, got, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(got .eqv. [(mod(j + me, 2) == 0, j = 0, np - 1)]), &
               'all_to_all logical(c_bool)')
    ! all_to_allv: member me sends me+j+1 elements, all equal to me, to member j.
    do j = 1, np
      sc(j) = me + j
      rc(j) = me + j
    end do
    sd(1) = 0
    rd(1) = 0
    do j = 2, np
      sd(j) = sd(j - 1) + sc(j - 1)
      rd(j) = rd(j - 1) + rc(j - 1)
    end do
    allocate (sv(sum(sc)), rv(sum(rc)))
    sv = me
    call mpcomm_all_to_allv(world, sv, sc, sd, rv, rc, rd, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'all_to_allv')
    do j = 1, np
      call check(all(rv(rd(j) + 1:rd(j) + rc(j)) == j - 1), 'all_to_allv: member j''s block')
    end do
    sd(np) = sd(np) + 100
    call mpcomm_all_to_allv(world, sv, sc, sd, rv, rc, rd, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'ends past sendbuf', &
                       'all_to_allv past the end of sendbuf')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_by_address()
    type(mpcomm_group_t) :: world
    ! volatile: written through their addresses, which the compiler cannot see (as MPI's
    ! buffers given by address; device memory is the real use).
    real(real32), target, volatile :: a(8), b(8), g(8 * 4)
    type(mpcomm_tensor_t) :: tin, tout
    integer :: ierr
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    a = 1
    b = 0
    g = 0
    call mpcomm_all_reduce_ptr(world, c_loc(a), c_loc(b), 8_int64, MPCOMM_FLOAT32, MPCOMM_SUM, &
                               c_null_ptr, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(b == np), 'all_reduce_ptr on host memory')
    if (me == 0) b = 7
    call mpcomm_broadcast_ptr(world, c_loc(b), 8_int64, MPCOMM_FLOAT32, 0, c_null_ptr, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(b == 7), 'broadcast_ptr')
    if (np > 1) then
      if (me == 0) call mpcomm_send_ptr(world, c_loc(a), 8_int64, MPCOMM_FLOAT32, 1, c_null_ptr, ierr)
      if (me == 1) then
        b = 0
        call mpcomm_recv_ptr(world, c_loc(b), 8_int64, MPCOMM_FLOAT32, 0, c_null_ptr, ierr)
        call check(ierr == MPCOMM_SUCCESS .and. all(b == 1), 'recv_ptr')
      end if
    end if
    a = real(me, real32)
    tin%data = c_loc(a)
    tin%dtype = MPCOMM_FLOAT32
    tin%shape = [8_c_int64_t]
    tout%data = c_loc(g)
    tout%dtype = MPCOMM_FLOAT32
    tout%shape = [int(8 * np, c_int64_t)]
    call mpcomm_all_gather_ptr(world, tin, tout, 1, c_null_ptr, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. g(8 * np) == np - 1 .and. g(1) == 0, 'all_gather_ptr')
    g(1:8 * np) = 1
    call mpcomm_reduce_scatter_ptr(world, tout, tin, 1, MPCOMM_SUM, c_null_ptr, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(a == np), 'reduce_scatter_ptr')
    call mpcomm_gather_ptr(world, tin, tout, 0, 1, c_null_ptr, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'gather_ptr')
    call mpcomm_all_reduce_ptr(world, c_loc(a), c_loc(b), -1_int64, MPCOMM_FLOAT32, MPCOMM_SUM, &
                               c_null_ptr, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'count must be >= 0', 'negative count')
    call mpcomm_group_free(world)
  end subroutine

  ! Shared memory that all_reduce reads in place, mapped onto an array.
  subroutine test_mem_alloc()
    type(mpcomm_group_t) :: world
    type(c_ptr) :: p
    real(real32), pointer :: x(:)
    integer :: ierr
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    call mpcomm_mem_alloc(world, 1000_int64 * 4, p, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. c_associated(p), 'mem_alloc')
    call c_f_pointer(p, x, [1000])
    x = real(me + 1, real32)
    call mpcomm_all_reduce(world, MPCOMM_IN_PLACE, x, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(x == real(np * (np + 1) / 2, real32)), &
               'all_reduce in place in mem_alloc memory')
    call mpcomm_mem_free(world, p, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'mem_free')
    call mpcomm_mem_free(world, p, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'ptr (', 'mem_free twice')
    call mpcomm_mem_alloc(world, -1_int64, p, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'bytes must be >= 0', 'mem_alloc of -1')
    call mpcomm_mem_alloc(world, 0_int64, p, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. c_associated(p), 'mem_alloc of 0 bytes')
    call mpcomm_mem_free(world, p)
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_tensor_dict()
    type(mpcomm_group_t) :: world
    type(mpcomm_tensor_dict_t) :: d, got
    type(mpcomm_tensor_t) :: t
    real(real32), target :: w(3, 2)
    real(real32) :: back(3, 2), wrong(2, 3)
    integer(int64) :: iv
    real(real64) :: dv
    logical :: bv
    character(len=:), allocatable :: sv, key
    integer(int8), allocatable :: bytes(:)
    integer :: ierr, n, kind, i
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    call mpcomm_tensor_dict_create(d, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. mpcomm_is_null(d), 'tensor_dict_create')
    w = reshape([1, 2, 3, 4, 5, 6], [3, 2])
    call mpcomm_tensor_dict_set_tensor(d, 'w', w, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'set_tensor')
    call mpcomm_tensor_dict_set_int(d, 'step', 42_int64)
    call mpcomm_tensor_dict_set_int(d, 'small', 7)
    call mpcomm_tensor_dict_set_double(d, 'lr', 0.5_real64)
    call mpcomm_tensor_dict_set_bool(d, 'done', .true.)
    call mpcomm_tensor_dict_set_string(d, 'name', 'layer 3')
    call mpcomm_tensor_dict_set_bytes(d, 'raw', [integer(int8) :: 9, 8, 7])
    call mpcomm_tensor_dict_size(d, n)
    call check(n == 7, 'tensor_dict_size')
    call mpcomm_tensor_dict_key_at(d, 1, key)
    call check(key == 'w', 'key_at(1) is the first key')
    call mpcomm_tensor_dict_key_at(d, 7, key)
    call check(key == 'raw', 'key_at(7) is the last key')
    call mpcomm_tensor_dict_key_at(d, 0, key, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'numbered from 1', 'key_at(0)')
    call mpcomm_tensor_dict_get_kind(d, 'lr', kind)
    call check(kind == MPCOMM_VALUE_DOUBLE, 'get_kind')
    call mpcomm_tensor_dict_get_tensor(d, 'w', t, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. t%dtype == MPCOMM_FLOAT32 .and. &
               all(t%shape == [3, 2]) .and. t%device_type == MPCOMM_DEVICE_CPU, &
               'get_tensor: the Fortran shape')
    call mpcomm_tensor_dict_get_int(d, 'small', iv, ierr)
    call mpcomm_tensor_dict_get_double(d, 'lr', dv, ierr)
    call mpcomm_tensor_dict_get_bool(d, 'done', bv, ierr)
    call mpcomm_tensor_dict_get_string(d, 'name', sv, ierr)
    call mpcomm_tensor_dict_get_bytes(d, 'raw', bytes, ierr)
    call check(iv == 7 .and. dv == 0.5_real64 .and. bv .and. sv == 'layer 3' .and. &
               all(bytes == [integer(int8) :: 9, 8, 7]), 'the getters')
    call mpcomm_tensor_dict_get_int(d, 'lr', iv, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'key ''lr'' holds', 'get_int of a double')
    call mpcomm_tensor_dict_get_array(d, 'w', wrong, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'another shape', 'get_array of 2x3')

    ! Broadcast from rank 0: the others start from a null dict.
    if (me == 0) got = d
    call mpcomm_broadcast_tensor_dict(world, got, 0, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. mpcomm_is_null(got), 'broadcast_tensor_dict')
    back = 0
    call mpcomm_tensor_dict_get_array(got, 'w', back, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(back == w), 'broadcast_tensor_dict: the tensor')
    call mpcomm_tensor_dict_get_string(got, 'name', sv)
    call check(sv == 'layer 3', 'broadcast_tensor_dict: the string')
    if (me /= 0) call mpcomm_tensor_dict_free(got)

    ! send/recv between pairs, with and without an all_gather_group.
    if (np > 1) then
      i = merge(me + 1, me - 1, mod(me, 2) == 0)
      if (i < np) then
        if (mod(me, 2) == 0) then
          call mpcomm_send_tensor_dict(world, d, i, ierror=ierr)
          call check(ierr == MPCOMM_SUCCESS, 'send_tensor_dict')
        else
          got = MPCOMM_TENSOR_DICT_NULL
          call mpcomm_recv_tensor_dict(world, got, i, ierror=ierr)
          call check(ierr == MPCOMM_SUCCESS, 'recv_tensor_dict')
          back = 0
          call mpcomm_tensor_dict_get_array(got, 'w', back)
          call check(all(back == w), 'recv_tensor_dict: the tensor')
          call mpcomm_tensor_dict_free(got)
        end if
      end if
    end if
    call mpcomm_tensor_dict_free(d, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. mpcomm_is_null(d), 'tensor_dict_free')
    call mpcomm_group_free(world)
  end subroutine

  subroutine test_state()
    type(mpcomm_parallel_config_t) :: cfg
    type(mpcomm_state_t) :: state, current
    type(mpcomm_group_t) :: tp, pp, dp, ep
    type(mpcomm_group_info_t) :: info
    type(MPI_Comm) :: tp_comm
    type(mpcomm_tensor_dict_t) :: d
    real(real32) :: x(4), y(4)
    logical :: any
    integer(int64) :: mn
    integer :: ierr, sum
    call world_config(cfg)
    call mpcomm_state_create(MPI_COMM_WORLD, cfg, state, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. mpcomm_is_null(state), 'state_create')
    call mpcomm_state_group(state, MPCOMM_GROUP_TP, tp, ierr)
    call mpcomm_group_info(tp, info, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. info%size == cfg%tensor_parallel_size .and. &
               info%rank_in_group == mod(me, cfg%tensor_parallel_size), 'TP group of the state')
    call mpcomm_state_group(state, MPCOMM_GROUP_PP, pp)
    call mpcomm_group_info(pp, info)
    call check(info%size == cfg%pipeline_parallel_size, 'PP group of the state')
    x = real(me, real32)
    call mpcomm_all_reduce(tp, x, y, MPCOMM_SUM, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. all(y == real(sum_tp(), real32)), 'all_reduce on TP')
    call mpcomm_group_comm(tp, tp_comm)
    call MPI_Allreduce(1, sum, 1, MPI_INTEGER, MPI_SUM, tp_comm)
    call check(sum == cfg%tensor_parallel_size, 'MPI of one''s own on the TP communicator')

    call mpcomm_default_state_set(state, ierr)
    call mpcomm_default_state_get(current, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. .not. mpcomm_is_null(current), 'default state')
    call mpcomm_default_state_set(MPCOMM_STATE_NULL, ierr)
    call mpcomm_default_state_get(current, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_USAGE, 'no default state is set', &
                       'default state cleared')

    call mpcomm_state_group(state, MPCOMM_GROUP_DP, dp)
    call mpcomm_dp_has_unfinished(dp, me == 0, any, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. (any .eqv. (me == 0)), 'dp_has_unfinished (DP of 1)')
    call mpcomm_dp_sync_kv_cache_memory_size(dp, int(me + 5, int64), mn, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. mn == me + 5, 'dp_sync_kv_cache_memory_size')
    call mpcomm_state_group(state, MPCOMM_GROUP_EP, ep, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_USAGE, 'enable_expert_parallel is 0', &
                       'no EP group without enable_expert_parallel')

    ! Graph capture needs a stream (and a GPU); never a crash.
    call mpcomm_graph_capture_begin(state, c_null_ptr, ierr)
    call check(ierr == MPCOMM_ERR_INVALID_ARGUMENT .or. ierr == MPCOMM_ERR_NOT_SUPPORTED, &
               'graph_capture_begin with a null stream')
    call mpcomm_graph_capture_end(state, ierr)
    call check(ierr /= MPCOMM_SUCCESS, 'graph_capture_end without a capture')

    call mpcomm_state_destroy(state, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. mpcomm_is_null(state), 'state_destroy')

    ! A config every rank rejects.
    cfg%tensor_parallel_size = np + 1
    call mpcomm_state_create(MPI_COMM_WORLD, cfg, state, ierr)
    call check(ierr /= MPCOMM_SUCCESS .and. mpcomm_is_null(state), 'state_create of a bad config')
    call check(len(mpcomm_last_error()) > 0, 'state_create: a message')
    d = MPCOMM_TENSOR_DICT_NULL
    call check(mpcomm_is_null(d), 'a null dict')
  end subroutine

  integer function sum_tp()
    integer :: tp, base
    tp = merge(2, 1, mod(np, 2) == 0)
    base = me - mod(me, tp)
    sum_tp = tp * base + tp * (tp - 1) / 2
  end function

  subroutine test_locality_join_gpu()
    type(mpcomm_group_t) :: world
    logical, allocatable :: flags(:)
    integer :: ierr, n, path
    character(len=200) :: why
    call mpcomm_group_from_comm(MPI_COMM_WORLD, world)
    call mpcomm_in_the_same_node_as(world, 0, flags, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. size(flags) == np .and. all(flags), &
               'in_the_same_node_as: one node')
    call mpcomm_node_count(world, n, ierr)
    call check(ierr == MPCOMM_SUCCESS .and. n == 1, 'node_count: one node')

    ! join: not where the launcher cannot connect separately made groups (Open MPI started by
    ! srun: MPI_Comm_accept needs mpirun's server), which sets MPCOMM_TEST_NO_JOIN.
    call get_environment_variable('MPCOMM_TEST_NO_JOIN', length=n, status=ierr)
    if (ierr == 0) then
      if (me == 0) print '(a)', 'group_join not tested (MPCOMM_TEST_NO_JOIN is set)'
    else
      call test_join()
    end if

    ! The GPU plane: works on a GPU machine, NOT_SUPPORTED elsewhere.
    call mpcomm_group_set_custom_allreduce(world, .false., ierr)
    call check(ierr == MPCOMM_SUCCESS .or. ierr == MPCOMM_ERR_NOT_SUPPORTED, &
               'group_set_custom_allreduce')
    call mpcomm_group_device_allreduce_path(world, 1024_c_size_t, 99, MPCOMM_SUM, path, why, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'dtype', 'allreduce_path: a bad dtype')
    call mpcomm_group_device_allreduce_path(world, 1024_c_size_t, MPCOMM_FLOAT16, MPCOMM_SUM, &
                                            path, why, ierr)
    if (ierr == MPCOMM_SUCCESS) then
      ! Turned off above: a copy in a group of one, NCCL otherwise, and the reason says so.
      call check(path == merge(MPCOMM_ALLREDUCE_PATH_COPY, MPCOMM_ALLREDUCE_PATH_NCCL, np == 1) &
                 .and. len_trim(why) > 0, 'group_device_allreduce_path: ' // trim(why))
    else
      call check(ierr == MPCOMM_ERR_NOT_SUPPORTED, 'group_device_allreduce_path')
    end if
    call mpcomm_group_set_device(world, -1, ierr)
    call check(ierr == MPCOMM_SUCCESS .or. ierr == MPCOMM_ERR_NOT_SUPPORTED, 'group_set_device')
    call mpcomm_group_device_init(world, ierr)
    call check(ierr == MPCOMM_SUCCESS .or. ierr == MPCOMM_ERR_NOT_SUPPORTED, 'group_device_init')
    call mpcomm_group_free(world)
  end subroutine

  ! join at 127.0.0.1 on a port rank 0 picks.
  subroutine test_join()
    type(mpcomm_group_t) :: joined
    type(mpcomm_group_info_t) :: info
    integer :: ierr, port
    integer(int64) :: clock
    call system_clock(clock)
    port = 20000 + int(mod(clock, 20000_int64))
    call MPI_Bcast(port, 1, MPI_INTEGER, 0, MPI_COMM_WORLD)
    call mpcomm_group_join('127.0.0.1', port, me, np, 60.0_real64, joined, ierr)
    call check(ierr == MPCOMM_SUCCESS, 'group_join: ' // mpcomm_last_error())
    if (ierr == MPCOMM_SUCCESS) then
      call mpcomm_group_info(joined, info)
      call check(info%size == np .and. info%rank_in_group == me, 'the joined group')
      call mpcomm_group_free(joined)
    end if
    call mpcomm_group_join('127.0.0.1', port, np, np, 1.0_real64, joined, ierr)
    call check_failure(ierr, MPCOMM_ERR_INVALID_ARGUMENT, 'rank', 'join with rank = world_size')
  end subroutine

end program test_f08
