! An outside Fortran program, built against an installed mpcomm with only the MPI Fortran
! wrapper and pkg-config (test/tools/install_fortran.sh): the names of the issue, verbatim.
program outside
  use mpi_f08
  use mpcomm
  implicit none
  integer, parameter :: n = 4, num_layers = 8
  type(mpcomm_parallel_config_t) :: cfg
  type(mpcomm_state_t) :: state
  type(mpcomm_group_t) :: tp
  type(mpcomm_group_info_t) :: info
  real(real32) :: x(n), y(n)
  character(len=:), allocatable :: s, msg
  integer :: ierr, first, last, np, me
  call MPI_Init()
  call MPI_Comm_size(MPI_COMM_WORLD, np)
  call MPI_Comm_rank(MPI_COMM_WORLD, me)
  call mpcomm_parallel_config_init(cfg)
  cfg%tensor_parallel_size = np
  call mpcomm_state_create(MPI_COMM_WORLD, cfg, state, ierr)
  call mpcomm_state_group(state, MPCOMM_GROUP_TP, tp, ierr)
  call mpcomm_group_info(tp, info, ierr)
  x = real(info%rank_in_group + 1, real32)
  call mpcomm_all_reduce(tp, x, y, MPCOMM_SUM, ierr)
  call mpcomm_all_reduce(tp, MPCOMM_IN_PLACE, y, MPCOMM_SUM, ierr)
  if (me == 0) s = 'from the root'
  call mpcomm_broadcast_string(tp, s, 0, ierr)
  call mpcomm_pp_indices(num_layers, 0, 2, first, last, ierr)
  call mpcomm_pp_indices(num_layers, 9, 2, first, last, ierr)
  msg = mpcomm_last_error()
  if (all(y == real(np * np * (np + 1) / 2, real32)) .and. s == 'from the root' .and. &
      ierr == MPCOMM_ERR_INVALID_ARGUMENT .and. len(msg) > 0) then
    if (me == 0) print '(a)', 'outside: OK'
  else
    print '(a)', 'outside: WRONG'
  end if
  call mpcomm_state_destroy(state, ierr)
  deallocate (s, msg)
  call MPI_Finalize()
end program outside
