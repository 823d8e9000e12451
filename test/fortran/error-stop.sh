#!/bin/sh
# error-stop.sh: a failing call without ierror writes "mpcomm: <status>: <message>" to stderr
# and ends the program with error stop (exit status not 0), on 1 rank under mpirun.
builddir=$(cd "${MPCOMM_TEST_BUILDDIR:-.}" && pwd)
mpirun=${MPCOMM_TEST_MPIRUN:-}
test -n "$mpirun" || { echo "SKIP: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-fstop.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
timeout 120 "$mpirun" -np 1 "$builddir/test/fortran/error_stop" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
failed=0
test $rc -ne 0 || { echo "FAIL: exit status 0"; failed=1; }
grep -q 'not reached' "$tmp/out" && { echo "FAIL: the program went on"; failed=1; }
grep -q '^mpcomm: invalid argument: mpcomm_barrier: group must not be NULL' "$tmp/err" ||
  { echo "FAIL: no status and message on stderr"; failed=1; }
echo "# mpcomm-test: passed=$((1 - failed)) failed=$failed skipped=0"
test $failed -eq 0
