# MPCOMM_CHECK_FUZZER: a clang++ that links libFuzzer with ASan and UBSan (FUZZ_CXX), for the
# harnesses of test/fuzz (make fuzz). Without one, make fuzz builds nothing and the fuzz test
# skips. FUZZ_CXX=no turns the check off.
AC_DEFUN([MPCOMM_CHECK_FUZZER], [
  AC_ARG_VAR([FUZZ_CXX], [clang++ with libFuzzer for the fuzz harnesses (no: none)])
  AS_IF([test -z "$FUZZ_CXX"], [AC_CHECK_PROGS([FUZZ_CXX], [clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14])])
  mpcomm_have_fuzzer=no
  AS_IF([test -n "$FUZZ_CXX" && test "$FUZZ_CXX" != no], [
    AC_MSG_CHECKING([whether $FUZZ_CXX links libFuzzer with ASan and UBSan])
    cat >conftest-fuzz.cpp <<'_MPCOMM_EOF'
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }
_MPCOMM_EOF
    AS_IF([$FUZZ_CXX -std=c++17 -fsanitize=fuzzer,address,undefined conftest-fuzz.cpp \
             -o conftest-fuzz >&AS_MESSAGE_LOG_FD 2>&1],
          [mpcomm_have_fuzzer=yes])
    rm -f conftest-fuzz.cpp conftest-fuzz
    AC_MSG_RESULT([$mpcomm_have_fuzzer])
  ])
  AS_IF([test "$mpcomm_have_fuzzer" != yes], [FUZZ_CXX=])
  AM_CONDITIONAL([HAVE_FUZZER], [test "$mpcomm_have_fuzzer" = yes])
])
