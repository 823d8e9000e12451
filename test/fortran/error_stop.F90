! Without ierror a failing call writes its status and message to stderr and ends the program
! with error stop (test/fortran/error-stop.sh checks both).
program error_stop
  use mpi_f08
  use mpcomm
  implicit none
  type(mpcomm_group_t) :: none
  call MPI_Init()
  call mpcomm_barrier(none, 1.0_real64)
  print '(a)', 'not reached'
  call MPI_Finalize()
end program error_stop
