# MPCOMM_CHECK_MPI: MPI is required. Use the mpicc/mpicxx wrappers as CC/CXX
# (unless the user set CC/CXX) and find a launcher for the MPI tests.
AC_DEFUN([MPCOMM_CHECK_MPI], [
  AC_ARG_VAR([MPICC], [MPI C compiler wrapper])
  AC_ARG_VAR([MPICXX], [MPI C++ compiler wrapper])
  AC_ARG_VAR([MPIRUN], [MPI launcher used by make check])
  AC_PATH_PROGS([MPICC], [mpicc])
  AC_PATH_PROGS([MPICXX], [mpicxx mpic++ mpiCC])
  AS_IF([test -z "$MPICC" || test -z "$MPICXX"],
        [AC_MSG_ERROR([MPI is required: no mpicc/mpicxx found (Debian: apt-get install libopenmpi-dev openmpi-bin)])])
  AS_IF([test -z "$CC"], [CC="$MPICC"])
  AS_IF([test -z "$CXX"], [CXX="$MPICXX"])
  AC_PATH_PROGS([MPIRUN], [mpirun mpiexec])
  AC_PATH_PROGS([OMPI_SERVER], [ompi-server])
  AM_CONDITIONAL([HAVE_MPIRUN], [test -n "$MPIRUN"])
])

# MPCOMM_CHECK_MPI_WORKS: after the compilers are set, prove mpi.h and MPI_Init link.
AC_DEFUN([MPCOMM_CHECK_MPI_WORKS], [
  AC_MSG_CHECKING([whether $CXX compiles and links an MPI program])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]], [[MPI_Init(0, 0); MPI_Finalize();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([$CXX cannot build MPI programs])])
])
