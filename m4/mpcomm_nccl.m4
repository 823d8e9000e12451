# MPCOMM_CHECK_NCCL: --with-nccl[=DIR]; needs CUDA. Default: used when found next to CUDA.
AC_DEFUN([MPCOMM_CHECK_NCCL], [
  AC_ARG_WITH([nccl], [AS_HELP_STRING([--with-nccl@<:@=DIR@:>@],
    [use NCCL for device collectives (default: when found with CUDA)])],
    [], [with_nccl=check])
  mpcomm_have_nccl=no
  mpcomm_nccl_summary=no
  AS_CASE([$with_nccl],
    [no], [mpcomm_nccl_summary="no (--without-nccl)"],
    [yes|check], [mpcomm_nccl_dir=${NCCL_HOME:-$mpcomm_cuda_dir}],
    [mpcomm_nccl_dir=$with_nccl])
  AS_IF([test "$with_nccl" != no], [
    AS_IF([test "$mpcomm_have_cuda" = yes], [
      mpcomm_save_CPPFLAGS=$CPPFLAGS
      mpcomm_save_LIBS=$LIBS
      CPPFLAGS="$CPPFLAGS $CUDA_CPPFLAGS -I$mpcomm_nccl_dir/include"
      LIBS="-L$mpcomm_nccl_dir/lib64 -L$mpcomm_nccl_dir/lib -lnccl $CUDA_LDFLAGS $CUDA_LIBS $LIBS"
      AC_MSG_CHECKING([for NCCL in $mpcomm_nccl_dir])
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <nccl.h>]], [[int v; ncclGetVersion(&v);]])],
        [mpcomm_have_nccl=yes])
      AC_MSG_RESULT([$mpcomm_have_nccl])
      CPPFLAGS=$mpcomm_save_CPPFLAGS
      LIBS=$mpcomm_save_LIBS
    ])
    AS_IF([test "$mpcomm_have_nccl" = yes], [
      NCCL_CPPFLAGS="-I$mpcomm_nccl_dir/include"
      NCCL_LDFLAGS="-L$mpcomm_nccl_dir/lib64 -L$mpcomm_nccl_dir/lib -Wl,-rpath,$mpcomm_nccl_dir/lib64"
      NCCL_LIBS="-lnccl"
      AC_DEFINE([MPCOMM_HAVE_NCCL], [1], [NCCL is used for device collectives])
      mpcomm_nccl_summary="yes ($mpcomm_nccl_dir)"
    ], [
      AS_IF([test "$with_nccl" != check],
        [AC_MSG_ERROR([--with-nccl was given but NCCL (with CUDA) was not found in $mpcomm_nccl_dir])])
      mpcomm_nccl_summary="no"
    ])
  ])
  AC_SUBST([NCCL_CPPFLAGS])
  AC_SUBST([NCCL_LDFLAGS])
  AC_SUBST([NCCL_LIBS])
  AM_CONDITIONAL([HAVE_NCCL], [test "$mpcomm_have_nccl" = yes])
])
