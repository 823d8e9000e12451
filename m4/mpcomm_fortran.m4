# MPCOMM_CHECK_FORTRAN: the Fortran module (`use mpcomm`, fortran/mpcomm.F90) and its library
# libmpcomm_f. --enable-fortran: the default (check) builds it when the MPI Fortran wrapper
# (mpif90, mpifort, or FC) compiles and links a TS 29113 program with mpi_f08; yes makes its
# absence an error; no never builds it. Called before LT_INIT, so that libtool knows Fortran.
# Sets FC (the wrapper), FC_MODINC, FC_MODOUT, fmoddir (--with-fmoddir, default includedir) and
# the conditional BUILD_FORTRAN.

# _MPCOMM_PROG_FC: FC, the MPI Fortran wrapper first; a macro of its own, so that the
# AC_REQUIRE([AC_PROG_FC]) of the Fortran checks finds it expanded.
AC_DEFUN([_MPCOMM_PROG_FC], [
  AC_ARG_ENABLE([fortran],
    [AS_HELP_STRING([--enable-fortran],
      [build the Fortran 2008 module mpcomm over mpi_f08 and libmpcomm_f (default: when an MPI Fortran compiler with mpi_f08 works)])],
    [], [enable_fortran=check])
  AC_ARG_WITH([fmoddir],
    [AS_HELP_STRING([--with-fmoddir=DIR], [install the Fortran module files in DIR (default: INCLUDEDIR)])],
    [fmoddir=$withval], [fmoddir='${includedir}'])
  AC_SUBST([fmoddir])
  AC_ARG_VAR([MPIFC], [MPI Fortran compiler wrapper (FC defaults to it)])
  mpcomm_fortran=no
  mpcomm_fortran_why=
  mpcomm_fc_f90=
  AS_IF([test "x$enable_fortran" != xno && test -z "$FC"],
        [AC_PATH_PROGS([MPIFC], [mpif90 mpifort])
         AS_IF([test -n "$MPIFC"], [FC=$MPIFC])])
  # AC_PROG_FC stops configure when there is no working Fortran compiler: here that only means
  # no Fortran (as libtool does for its own Fortran check).
  mpcomm_fc_works=yes
  m4_pushdef([AC_MSG_ERROR], [mpcomm_fc_works=no])
  AS_IF([test "x$enable_fortran" = xno], [FC=no])
  AC_PROG_FC([mpif90 mpifort])
  m4_popdef([AC_MSG_ERROR])
])

AC_DEFUN([MPCOMM_CHECK_FORTRAN], [
  AC_REQUIRE([_MPCOMM_PROG_FC])
  AS_IF([test "x$enable_fortran" = xno],
        [mpcomm_fortran_why="disabled (--disable-fortran)"],
        [test "$mpcomm_fc_works" != yes || test -z "$FC" || test "x$FC" = xno],
        [mpcomm_fortran_why="no working Fortran compiler (Debian: apt-get install gfortran libopenmpi-dev)"],
        [AC_LANG_PUSH([Fortran])
         AC_FC_SRCEXT([F90], [mpcomm_fc_f90=yes], [mpcomm_fc_f90=no])
         AC_LANG_POP([Fortran])])
  AS_IF([test "x$mpcomm_fc_f90" = xno],
        [mpcomm_fortran_why="$FC does not compile .F90 files (no working Fortran compiler?)"])
  AS_IF([test "x$mpcomm_fc_f90" = xyes],
        [AC_LANG_PUSH([Fortran])
         AC_FC_MODULE_FLAG([], [FC_MODINC=-I])
         AC_FC_MODULE_OUTPUT_FLAG([], [FC_MODOUT=-J])
         AC_MSG_CHECKING([whether $FC builds an mpi_f08 program with assumed-type, assumed-rank arguments])
         AC_LINK_IFELSE([AC_LANG_SOURCE([[
module mpcomm_conftest
  implicit none
contains
  subroutine take(buf)
    type(*), dimension(..), intent(in) :: buf
    if (rank(buf) < 0) stop 1
  end subroutine
end module
program conftest
  use mpi_f08
  use mpcomm_conftest
  implicit none
  type(MPI_Comm) :: comm
  real :: x(3, 2)
  comm = MPI_COMM_WORLD
  x = 0
  call take(x)
  if (comm%MPI_VAL < 0) stop 1
end program
]])],
           [mpcomm_fortran=yes; AC_MSG_RESULT([yes])],
           [AC_MSG_RESULT([no])
            mpcomm_fortran_why="$FC cannot build an mpi_f08 program with TS 29113 type(*), dimension(..)"])
         rm -f mpcomm_conftest.mod
         AC_LANG_POP([Fortran])])
  AS_IF([test "x$enable_fortran" = xyes && test "$mpcomm_fortran" != yes],
        [AC_MSG_ERROR([--enable-fortran: $mpcomm_fortran_why])])
  # Without the module, libtool configures no Fortran either.
  AS_IF([test "$mpcomm_fortran" != yes], [FC=no])
  AC_SUBST([FC_MODINC])
  AC_SUBST([FC_MODOUT])
  AS_IF([test "$mpcomm_fortran" = yes],
        [mpcomm_fortran_summary="yes ($FC; module mpcomm in $fmoddir, libmpcomm_f, mpcomm-fortran.pc)"],
        [mpcomm_fortran_summary="no: $mpcomm_fortran_why"])
  AM_CONDITIONAL([BUILD_FORTRAN], [test "$mpcomm_fortran" = yes])
])

# MPCOMM_FORTRAN_FLAGS (after MPCOMM_CHECK_WARNINGS): MPCOMM_FCFLAGS, strict with gfortran
# (-std=f2018 -Wall, and -Werror with --enable-werror).
AC_DEFUN([MPCOMM_FORTRAN_FLAGS], [
  MPCOMM_FCFLAGS=
  AS_IF([test "$mpcomm_fortran" = yes && test "x$ac_cv_fc_compiler_gnu" = xyes],
        [MPCOMM_FCFLAGS="-std=f2018 -Wall"
         AS_IF([test "$enable_werror" = yes], [MPCOMM_FCFLAGS="$MPCOMM_FCFLAGS -Werror"])])
  AC_SUBST([MPCOMM_FCFLAGS])
])

# MPCOMM_FORTRAN_LIBTOOL_FIX (after LT_INIT): libtool reads the libraries the Fortran compiler
# links from its -v output, and from Open MPI's wrapper it keeps empty "-l" words, which make
# every Fortran link fail ("cannot find -l-L..."). The wrapper links those libraries itself.
AC_DEFUN([MPCOMM_FORTRAN_LIBTOOL_FIX], [
  for mpcomm_var in predeps_FC postdeps_FC; do
    eval "mpcomm_val=\" \$$mpcomm_var \""
    while :; do
      case $mpcomm_val in
        *" -l "*) mpcomm_val=`echo "$mpcomm_val" | sed 's/ -l / /g'` ;;
        *) break ;;
      esac
    done
    eval "$mpcomm_var=\$mpcomm_val"
  done
])
