# Required libraries: hwloc, the DLPack header, a SHA-256 provider; msgpack-c for make check.

AC_DEFUN([MPCOMM_CHECK_HWLOC], [
  PKG_CHECK_MODULES([HWLOC], [hwloc >= 2.0], [],
    [AC_MSG_ERROR([hwloc >= 2.0 is required (Debian: apt-get install libhwloc-dev)])])
  HWLOC_VERSION=`$PKG_CONFIG --modversion hwloc`
  AC_SUBST([HWLOC_VERSION])
])

# The library has its own MessagePack codec; msgpack-c is needed only by make check's
# interoperation test (test/unit/test_msgpack), which is not built without it.
AC_DEFUN([MPCOMM_CHECK_MSGPACK], [
  mpcomm_have_msgpack=no
  PKG_CHECK_MODULES([MSGPACK], [msgpack], [mpcomm_have_msgpack=yes],
    [AC_CHECK_HEADER([msgpack.h], [MSGPACK_LIBS=-lmsgpackc; mpcomm_have_msgpack=yes],
      [AC_MSG_WARN([msgpack-c not found: the MessagePack interoperation test is not built (Debian: apt-get install libmsgpack-dev)])])])
  AM_CONDITIONAL([HAVE_MSGPACK], [test "$mpcomm_have_msgpack" = yes])
])

# DLPack has no pkg-config file: DLPACK_CFLAGS (e.g. -I/opt/dlpack/include) names a header
# outside the compiler's search path; mpcomm.pc passes it on, since mpcomm.h includes the header.
AC_DEFUN([MPCOMM_CHECK_DLPACK], [
  AC_ARG_VAR([DLPACK_CFLAGS], [C preprocessor flags for dlpack/dlpack.h, e.g. -I/opt/dlpack/include])
  mpcomm_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $DLPACK_CFLAGS"
  AC_CHECK_HEADER([dlpack/dlpack.h], [],
    [AC_MSG_ERROR([the DLPack header dlpack/dlpack.h is required (Debian: apt-get install libdlpack-dev; elsewhere set DLPACK_CFLAGS=-I<dir>)])])
  CPPFLAGS=$mpcomm_save_CPPFLAGS
])

# mpcomm.pc's Libs.private: what a static link of libmpcomm.a needs beyond the Requires.private
# packages: SHA-256, CUDA and NCCL when built, and the C++ runtime (a C program's link does not
# add it). Each -L and -Wl,-rpath directory once.
AC_DEFUN([MPCOMM_SET_PC_LIBS_PRIVATE], [
  mpcomm_cxx_runtime=
  AS_IF([test "$GXX" = yes], [mpcomm_cxx_runtime="-lstdc++ -lm"])
  MPCOMM_PC_LIBS_PRIVATE=
  for mpcomm_word in $CRYPTO_LIBS $CUDA_LDFLAGS $CUDA_LIBS $NCCL_LDFLAGS $NCCL_LIBS \
      $mpcomm_cxx_runtime; do
    case "$mpcomm_word" in
      -L*|-Wl,-rpath,*)
        case " $MPCOMM_PC_LIBS_PRIVATE " in *" $mpcomm_word "*) continue ;; esac ;;
    esac
    MPCOMM_PC_LIBS_PRIVATE="${MPCOMM_PC_LIBS_PRIVATE:+$MPCOMM_PC_LIBS_PRIVATE }$mpcomm_word"
  done
  AC_SUBST([MPCOMM_PC_LIBS_PRIVATE])
])

# SHA-256 comes from OpenSSL's libcrypto when present, else from nettle.
AC_DEFUN([MPCOMM_CHECK_CRYPTO], [
  PKG_CHECK_MODULES([CRYPTO], [libcrypto], [MPCOMM_CRYPTO_NAME="OpenSSL libcrypto"
     AC_DEFINE([MPCOMM_SHA256_OPENSSL], [1], [SHA-256 from OpenSSL])],
    [PKG_CHECK_MODULES([CRYPTO], [nettle], [MPCOMM_CRYPTO_NAME="nettle"
       AC_DEFINE([MPCOMM_SHA256_NETTLE], [1], [SHA-256 from nettle])],
      [AC_MSG_ERROR([a SHA-256 provider is required (Debian: apt-get install libssl-dev or nettle-dev)])])])
  AC_SUBST([MPCOMM_CRYPTO_NAME])
])

# GoogleTest is needed for make check only.
AC_DEFUN([MPCOMM_CHECK_GTEST], [
  mpcomm_have_gtest=no
  PKG_CHECK_MODULES([GTEST], [gtest], [mpcomm_have_gtest=yes],
    [AC_CHECK_HEADER([gtest/gtest.h], [GTEST_LIBS=-lgtest; mpcomm_have_gtest=yes])])
  AM_CONDITIONAL([HAVE_GTEST], [test "$mpcomm_have_gtest" = yes])
])

# Strict warnings; --enable-werror turns them into errors (CI uses it).
AC_DEFUN([MPCOMM_CHECK_WARNINGS], [
  AC_ARG_ENABLE([werror], [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  MPCOMM_WARN_CXXFLAGS="-Wall -Wextra"
  AS_IF([test "$enable_werror" = yes], [MPCOMM_WARN_CXXFLAGS="$MPCOMM_WARN_CXXFLAGS -Werror"])
  AC_SUBST([MPCOMM_WARN_CXXFLAGS])
])

# --enable-sanitizers builds everything with AddressSanitizer and UndefinedBehaviorSanitizer.
AC_DEFUN([MPCOMM_CHECK_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers], [AS_HELP_STRING([--enable-sanitizers],
    [build with -fsanitize=address,undefined])], [], [enable_sanitizers=no])
  MPCOMM_SAN_FLAGS=
  AS_IF([test "$enable_sanitizers" = yes], [
    MPCOMM_SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    mpcomm_sanitize="address,undefined"])
  AC_SUBST([MPCOMM_SAN_FLAGS])
  AM_CONDITIONAL([SANITIZERS], [test "$enable_sanitizers" = yes])
])
