#!/bin/sh
# soak.sh: the soak program (test/soak/soak.cpp) at 4 ranks, oversubscribed, for
# MPCOMM_TEST_SOAK_OPS operations (default 10000); fails on a mismatch, a failed call or a hang
# (MPCOMM_TEST_TIMEOUT, default 300 s). The long run (10^6): README.md, "Running tests by hand".
if test -z "$MPCOMM_TEST_MPIRUN"; then echo "SKIP: no mpirun was found by configure"; exit 77; fi
prog=${MPCOMM_TEST_BUILDDIR:-.}/test/soak/soak
ops=${MPCOMM_TEST_SOAK_OPS:-10000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
preload=
test -n "$MPCOMM_TEST_PRELOAD" && preload="-x LD_PRELOAD=$MPCOMM_TEST_PRELOAD"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
timeout --kill-after=10 "${MPCOMM_TEST_TIMEOUT:-300}" "$MPCOMM_TEST_MPIRUN" $preload -np 4 \
  "$prog" "$ops" >"$out" 2>&1
rc=$?
cat "$out"
if test $rc -eq 124 || test $rc -eq 137; then echo "FAIL: the soak hung"; exit 1; fi
if test $rc -ne 0 || ! grep -q "soak: ops=$ops mismatches=0 " "$out"; then
  echo "FAIL: the soak failed (exit $rc)"
  exit 1
fi
echo "# mpcomm-test: passed=1 failed=0 skipped=0"
