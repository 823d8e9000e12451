# MPCOMM_CHECK_CUDA: --with-cuda[=DIR]. Default: use /usr/local/cuda (or $CUDA_HOME) when
# nvcc and the runtime are there. Asked for explicitly and absent is an error.
AC_DEFUN([MPCOMM_CHECK_CUDA], [
  AC_ARG_WITH([cuda], [AS_HELP_STRING([--with-cuda@<:@=DIR@:>@],
    [build the CUDA device code (default: when found in $CUDA_HOME or /usr/local/cuda)])],
    [], [with_cuda=check])
  AC_ARG_VAR([NVCC], [CUDA compiler])
  AC_ARG_VAR([NVCC_GENCODE], [nvcc -gencode flags (default: sm_80, sm_90 and compute_90 PTX)])
  mpcomm_have_cuda=no
  mpcomm_cuda_summary=no
  AS_CASE([$with_cuda],
    [no], [mpcomm_cuda_summary="no (--without-cuda)"],
    [yes|check], [mpcomm_cuda_dir=${CUDA_HOME:-/usr/local/cuda}],
    [mpcomm_cuda_dir=$with_cuda])
  AS_IF([test "$with_cuda" != no], [
    AS_IF([test -z "$NVCC"], [AC_PATH_PROG([NVCC], [nvcc], [], [$mpcomm_cuda_dir/bin$PATH_SEPARATOR$PATH])])
    mpcomm_save_CPPFLAGS=$CPPFLAGS
    mpcomm_save_LIBS=$LIBS
    CPPFLAGS="$CPPFLAGS -I$mpcomm_cuda_dir/include"
    LIBS="-L$mpcomm_cuda_dir/lib64 -lcudart $LIBS"
    AC_MSG_CHECKING([for the CUDA runtime in $mpcomm_cuda_dir])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <cuda_runtime.h>]], [[int n; cudaGetDeviceCount(&n);]])],
      [AS_IF([test -n "$NVCC"], [mpcomm_have_cuda=yes])])
    AC_MSG_RESULT([$mpcomm_have_cuda])
    CPPFLAGS=$mpcomm_save_CPPFLAGS
    LIBS=$mpcomm_save_LIBS
    AS_IF([test "$mpcomm_have_cuda" = yes], [
      CUDA_CPPFLAGS="-I$mpcomm_cuda_dir/include"
      CUDA_LDFLAGS="-L$mpcomm_cuda_dir/lib64 -Wl,-rpath,$mpcomm_cuda_dir/lib64"
      CUDA_LIBS="-lcudart"
      AS_IF([test -z "$NVCC_GENCODE"],
        [NVCC_GENCODE="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"])
      AC_DEFINE([MPCOMM_HAVE_CUDA], [1], [CUDA device code is built])
      mpcomm_cuda_summary="yes ($mpcomm_cuda_dir, `$NVCC --version | sed -n 's/.*release \(@<:@0-9.@:>@*\).*/\1/p'`)"
    ], [
      AS_IF([test "$with_cuda" != check],
        [AC_MSG_ERROR([--with-cuda was given but nvcc and the CUDA runtime were not found in $mpcomm_cuda_dir])])
      mpcomm_cuda_summary="no (not found in $mpcomm_cuda_dir)"
    ])
  ])
  AC_SUBST([CUDA_CPPFLAGS])
  AC_SUBST([CUDA_LDFLAGS])
  AC_SUBST([CUDA_LIBS])
  AC_SUBST([NVCC_GENCODE])
  AM_CONDITIONAL([HAVE_CUDA], [test "$mpcomm_have_cuda" = yes])
])
