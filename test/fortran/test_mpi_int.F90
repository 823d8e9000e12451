! The module from a `use mpi` program: communicators are integer handles (group_from_comm,
! group_from_ranks, group_comm, state_create), at 1, 2 and 4 ranks. Prints
! "# mpcomm-test: passed=N failed=N skipped=0" at rank 0; fails on any failed check.
program test_mpi_int
  use mpi
  use mpcomm
  implicit none
  type(mpcomm_group_t) :: world, self, tp
  type(mpcomm_state_t) :: state
  type(mpcomm_parallel_config_t) :: cfg
  type(mpcomm_group_info_t) :: info
  integer :: ierr, me, np, comm, sum, passed, failed, total(2)
  real(real64) :: x(3)
  character(len=:), allocatable :: msg

  passed = 0
  failed = 0
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, me, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, np, ierr)

  call mpcomm_group_from_comm(MPI_COMM_WORLD, world, ierr)
  call check(ierr == MPCOMM_SUCCESS, 'group_from_comm with an integer communicator')
  call mpcomm_group_info(world, info)
  call check(info%size == np .and. info%rank_in_group == me, 'the world group')
  comm = MPI_COMM_NULL
  call mpcomm_group_comm(world, comm, ierr)
  call check(ierr == MPCOMM_SUCCESS .and. comm /= MPI_COMM_WORLD .and. comm /= MPI_COMM_NULL, &
             'group_comm gives an integer handle of a duplicate')
  call MPI_Allreduce(me + 1, sum, 1, MPI_INTEGER, MPI_SUM, comm, ierr)
  call check(ierr == MPI_SUCCESS .and. sum == np * (np + 1) / 2, 'MPI_Allreduce on it')

  call mpcomm_group_from_ranks(MPI_COMM_WORLD, [me], self, ierr)
  call mpcomm_group_info(self, info)
  call check(ierr == MPCOMM_SUCCESS .and. info%size == 1 .and. info%global_rank == me, &
             'group_from_ranks with an integer parent')
  call mpcomm_group_free(self)

  call mpcomm_parallel_config_init(cfg)
  cfg%tensor_parallel_size = np
  call mpcomm_state_create(MPI_COMM_WORLD, cfg, state, ierr)
  call check(ierr == MPCOMM_SUCCESS, 'state_create with an integer communicator')
  call mpcomm_state_group(state, MPCOMM_GROUP_TP, tp)
  x = 1
  call mpcomm_all_reduce(tp, MPCOMM_IN_PLACE, x, MPCOMM_SUM, ierr)
  call check(ierr == MPCOMM_SUCCESS .and. all(x == np), 'all_reduce on the TP group')
  call mpcomm_state_destroy(state)

  ! Bad handles: the status and the C library's message naming the value.
  call mpcomm_group_from_comm(-1, self, ierr)
  msg = mpcomm_last_error()
  call check(ierr == MPCOMM_ERR_INVALID_ARGUMENT .and. &
             index(msg, 'comm is not a Fortran communicator handle, got -1') > 0, &
             'group_from_comm(-1): ' // msg)
  call mpcomm_state_create(MPI_COMM_NULL, cfg, state, ierr)
  msg = mpcomm_last_error()
  call check(ierr == MPCOMM_ERR_INVALID_ARGUMENT .and. index(msg, 'MPI_COMM_NULL') > 0, &
             'state_create(MPI_COMM_NULL): ' // msg)
  call mpcomm_group_free(world)

  call MPI_Allreduce([passed, failed], total, 2, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD, ierr)
  if (me == 0) write (*, '(a,i0,a,i0,a)') '# mpcomm-test: passed=', total(1) / np, ' failed=', &
    total(2), ' skipped=0'
  deallocate (msg)  ! a main program's allocatables outlive it (LeakSanitizer counts them)
  call MPI_Finalize(ierr)
  if (total(2) > 0) error stop 1

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

end program test_mpi_int
