! tp_pp_mlp_f08: the MLP of examples/tp_pp_mlp.cpp in Fortran, through `use mpcomm` alone.
!
! A model of --layers layers (hidden size --hidden, a batch of --batch columns) runs the way vLLM
! runs one: the layers split over the pipeline stages (mpcomm_pp_indices), each layer split
! Megatron-style over the TP ranks (the rows of its first matrix and the columns of its second,
! then an mpcomm_all_reduce of the partial outputs), and the activations passed from stage to
! stage as tensor dicts with the TP group as all_gather_group. The last stage compares the output
! with the same model computed in one process and prints the largest error and MATCH (exit 0)
! or MISMATCH (error stop 1).
!
!   mpirun -np 4 examples/tp_pp_mlp_f08 --tp 2 --pp 2
!
! Without --tp and --pp: TP 2 where the rank count is even, PP the rest.
program tp_pp_mlp_f08
  use mpi_f08
  use mpcomm
  implicit none
  integer :: tp_size, pp_size, layers, hidden, batch, np, me
  type(mpcomm_parallel_config_t) :: cfg
  type(mpcomm_state_t) :: state
  type(mpcomm_group_t) :: tp, pp
  type(mpcomm_group_info_t) :: tp_info, pp_info
  type(mpcomm_tensor_dict_t) :: dict
  real(real64), allocatable, target :: x(:, :)
  real(real64), allocatable :: ref(:, :)
  real(real64) :: err, max_err
  integer :: first, last, l, i

  call MPI_Init()
  call MPI_Comm_size(MPI_COMM_WORLD, np)
  call MPI_Comm_rank(MPI_COMM_WORLD, me)
  tp_size = merge(2, 1, mod(np, 2) == 0)
  pp_size = -1
  layers = 8
  hidden = 16
  batch = 4
  call options()
  if (pp_size < 0) pp_size = np / tp_size
  if (tp_size * pp_size /= np .or. mod(2 * hidden, tp_size) /= 0) then
    if (me == 0) print '(a,i0,a,i0,a,i0,a)', 'tp_pp_mlp_f08: TP ', tp_size, ' x PP ', pp_size, &
      ' must be the rank count ', np, ', and TP must divide 2 x hidden'
    call MPI_Finalize()
    error stop 2
  end if

  call mpcomm_parallel_config_init(cfg)
  cfg%tensor_parallel_size = tp_size
  cfg%pipeline_parallel_size = pp_size
  call mpcomm_state_create(MPI_COMM_WORLD, cfg, state)
  call mpcomm_state_group(state, MPCOMM_GROUP_TP, tp)
  call mpcomm_state_group(state, MPCOMM_GROUP_PP, pp)
  call mpcomm_group_info(tp, tp_info)
  call mpcomm_group_info(pp, pp_info)
  call mpcomm_pp_indices(layers, pp_info%rank_in_group, pp_size, first, last)
  print '(a,i0,a,i0,a,i0,a,i0,a,i0)', 'rank ', me, ': TP rank ', tp_info%rank_in_group, &
    ', PP stage ', pp_info%rank_in_group, ', layers ', first, '..', last

  ! Stage 0 starts from the input; the others receive the previous stage's activations.
  allocate (x(hidden, batch))
  if (pp_info%is_first_rank == 1) then
    call input(x)
  else
    call mpcomm_recv_tensor_dict(pp, dict, pp_info%rank_in_group - 1, tp)
    call mpcomm_tensor_dict_get_array(dict, 'hidden_states', x)
    call mpcomm_tensor_dict_free(dict)
  end if
  do l = first, last
    call layer(l, x, tp_info%rank_in_group, tp_size)
    call mpcomm_all_reduce(tp, MPCOMM_IN_PLACE, x, MPCOMM_SUM)
  end do
  if (pp_info%is_last_rank == 0) then
    call mpcomm_tensor_dict_create(dict)
    call mpcomm_tensor_dict_set_tensor(dict, 'hidden_states', x)
    call mpcomm_tensor_dict_set_int(dict, 'last_layer', last)
    call mpcomm_send_tensor_dict(pp, dict, pp_info%rank_in_group + 1, tp)
    call mpcomm_tensor_dict_free(dict)
  end if

  ! The last stage against one process.
  err = 0
  if (pp_info%is_last_rank == 1) then
    allocate (ref(hidden, batch))
    call input(ref)
    do i = 1, layers
      call layer(i, ref, 0, 1)
    end do
    err = maxval(abs(x - ref))
  end if
  call MPI_Allreduce(err, max_err, 1, MPI_DOUBLE_PRECISION, MPI_MAX, MPI_COMM_WORLD)
  call mpcomm_state_destroy(state)
  if (me == 0) then
    print '(a,es10.3)', 'largest error against one process: ', max_err
    if (max_err < 1e-12_real64) then
      print '(a)', 'MATCH'
    else
      print '(a)', 'MISMATCH'
    end if
  end if
  ! A main program's allocatables outlive it: free them, as LeakSanitizer expects.
  if (allocated(x)) deallocate (x)
  if (allocated(ref)) deallocate (ref)
  call MPI_Finalize()
  if (max_err >= 1e-12_real64) error stop 1

contains

  subroutine options()
    character(len=32) :: arg, val
    integer :: k, v
    k = 1
    do while (k < command_argument_count())
      call get_command_argument(k, arg)
      call get_command_argument(k + 1, val)
      read (val, *) v
      select case (arg)
      case ('--tp')
        tp_size = v
      case ('--pp')
        pp_size = v
      case ('--layers')
        layers = v
      case ('--hidden')
        hidden = v
      case ('--batch')
        batch = v
      end select
      k = k + 2
    end do
  end subroutine

  subroutine input(a)
    real(real64), intent(out) :: a(:, :)
    integer :: r, c
    do c = 1, size(a, 2)
      do r = 1, size(a, 1)
        a(r, c) = sin(0.3_real64 * r + 0.7_real64 * c)
      end do
    end do
  end subroutine

  ! Layer l on x: x = B tanh(A x) / sqrt(2 hidden) with A (2 hidden x hidden) and B (hidden x
  ! 2 hidden), of which TP rank t of n holds rows t*f+1 .. (t+1)*f of A and those columns of B
  ! (f = 2 hidden / n); the caller sums the partial results over the TP group.
  subroutine layer(l, a, t, n)
    integer, intent(in) :: l, t, n
    real(real64), intent(inout) :: a(:, :)
    real(real64), allocatable :: h(:, :), wa(:, :), wb(:, :)
    integer :: f, r, c, lo
    f = 2 * hidden / n
    lo = t * f
    allocate (wa(f, hidden), wb(hidden, f))
    do c = 1, hidden
      do r = 1, f
        wa(r, c) = cos(0.11_real64 * (lo + r) + 0.05_real64 * c + 0.3_real64 * l)
      end do
    end do
    do c = 1, f
      do r = 1, hidden
        wb(r, c) = sin(0.07_real64 * r - 0.13_real64 * (lo + c) + 0.2_real64 * l)
      end do
    end do
    h = tanh(matmul(wa, a) / sqrt(real(hidden, real64)))
    a = matmul(wb, h) / sqrt(real(2 * hidden, real64))
  end subroutine

end program tp_pp_mlp_f08
