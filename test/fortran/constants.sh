#!/bin/sh
# constants.sh: every constant of mpcomm.h (enum members and object-like #defines with a value,
# mpcomm_version.h's included) is a parameter of the Fortran module with the same name and value.
# The names come from the headers, so a constant added to the C API and not to the module fails
# here (the generated Fortran program does not compile).
builddir=$(cd "${MPCOMM_TEST_BUILDDIR:-.}" && pwd)
srcdir=$(cd "${MPCOMM_TEST_SRCDIR:-.}" && pwd)
test -n "$FC" || { echo "SKIP: no Fortran compiler"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-fconst.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
headers="$srcdir/include/mpcomm.h $builddir/include/mpcomm_version.h"
# Not constants: include guards, attribute and enum-type macros, struct initialisers.
skip=' MPCOMM_H MPCOMM_VERSION_H MPCOMM_API MPCOMM_ENUM_INT MPCOMM_PARALLEL_CONFIG_INIT MPCOMM_GROUP_INFO_INIT '
{
  # shellcheck disable=SC2086
  sed -n 's/^[[:space:]]*\(MPCOMM_[A-Z0-9_]*\)[[:space:]]*=.*/\1/p' $headers
  # shellcheck disable=SC2086
  sed -n 's/^#define \(MPCOMM_[A-Z0-9_]*\)\([[:space:]].*\)\{0,1\}$/\1/p' $headers
} | sort -u | while read -r name; do
  case $skip in *" $name "*) ;; *) echo "$name" ;; esac
done >"$tmp/names"
count=$(wc -l <"$tmp/names")
test "$count" -gt 50 || { echo "FAIL: only $count constants found in the headers"; exit 1; }

{
  echo '#include <stdio.h>'
  echo '#include "mpcomm.h"'
  echo 'int main(void) {'
  while read -r name; do
    printf '  printf("%%s %%lld\\n", "%s", (long long)(%s));\n' "$name" "$name"
  done <"$tmp/names"
  echo '  return 0;'
  echo '}'
} >"$tmp/c_values.c"
{
  echo 'program f_values'
  echo '  use mpcomm'
  echo '  implicit none'
  while read -r name; do
    echo "  print '(a,1x,i0)', '$name', int($name, int64)"
  done <"$tmp/names"
  echo 'end program f_values'
} >"$tmp/f_values.f90"

dlpack=$(sed -n 's/^DLPACK_CFLAGS = //p' "$builddir/Makefile")
# shellcheck disable=SC2086
${CC:-mpicc} -I"$srcdir/include" -I"$builddir/include" $dlpack -o "$tmp/c_values" \
  "$tmp/c_values.c" || { echo "FAIL: the C list does not compile"; exit 1; }
(cd "$tmp" && $FC -I"$builddir/fortran" -o f_values f_values.f90 -L"$builddir/.libs" \
  -lmpcomm_f -lmpcomm) || {
  echo "FAIL: the module lacks a constant of mpcomm.h (the Fortran list does not compile)"
  exit 1
}
"$tmp/c_values" >"$tmp/c.txt"
LD_LIBRARY_PATH="$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/f_values" |
  sed 's/^ *//' >"$tmp/f.txt"
if diff "$tmp/c.txt" "$tmp/f.txt"; then
  echo "ok: $count constants of mpcomm.h have the same value in the module"
  echo "# mpcomm-test: passed=$count failed=0 skipped=0"
else
  echo "FAIL: constants differ (< C, > Fortran)"
  echo "# mpcomm-test: passed=0 failed=1 skipped=0"
  exit 1
fi
