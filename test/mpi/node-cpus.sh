#!/bin/sh
# node-cpus.sh: under mpirun, the node's processes are counted against the CPUs of their
# affinity masks, whatever the binding: unbound (every CPU this shell may use), bound to a core
# each, and restricted by taskset to one CPU (two processes on it are oversubscribed, though
# the machine has more cores). test/slurm/slurm-cluster.sh does the same under srun.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
probe=$builddir/test/mpi/node_cpus_probe
test -n "$MPIRUN" || { echo "SKIP: no mpirun"; exit 77; }
test -x "$probe" || { echo "FAIL: $probe is not built"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
preload=
test -n "$MPCOMM_TEST_PRELOAD" && preload="-x LD_PRELOAD=$MPCOMM_TEST_PRELOAD"
cpus=$(nproc)
passed=0
failed=0
# expect WHAT WANT COMMAND...: the probe's line must match the regular expression WANT.
expect() {
  what=$1 want=$2
  shift 2
  # shellcheck disable=SC2086
  out=$(timeout --kill-after=5 60 "$@" 2>&1)
  rc=$?
  line=$(echo "$out" | grep '^node_cpus: ')
  if test $rc -eq 0 && echo "$line" | grep -qE "^node_cpus: $want$"; then
    echo "ok: $what: $line"
    passed=$((passed + 1))
  else
    echo "FAIL: $what: exit $rc, expected 'node_cpus: $want':"
    echo "$out"
    failed=$((failed + 1))
  fi
}
over() { if test "$1" -gt "$2"; then echo 1; else echo 0; fi; }

# shellcheck disable=SC2086
expect "4 unbound processes on $cpus CPUs" \
  "processes=4 cpus=$cpus oversubscribed=$(over 4 "$cpus") host_allreduce=$(over 4 "$cpus")" \
  "$MPIRUN" $preload --bind-to none -np 4 "$probe"
# shellcheck disable=SC2086
expect "2 unbound processes on $cpus CPUs" \
  "processes=2 cpus=$cpus oversubscribed=$(over 2 "$cpus") host_allreduce=$(over 2 "$cpus")" \
  "$MPIRUN" $preload --bind-to none -np 2 "$probe"
if command -v taskset >/dev/null 2>&1 && test "$cpus" -ge 2; then
  first=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
  # shellcheck disable=SC2086
  expect "2 processes under taskset -c $first" \
    "processes=2 cpus=1 oversubscribed=1 host_allreduce=1" \
    taskset -c "$first" "$MPIRUN" $preload --bind-to none -np 2 "$probe"
  # One core each (a core may have several PUs): never oversubscribed.
  # shellcheck disable=SC2086
  expect "2 processes bound to a core each" \
    "processes=2 cpus=[2-9][0-9]* oversubscribed=0 host_allreduce=0" \
    "$MPIRUN" $preload --bind-to core -np 2 "$probe"
else
  echo "(taskset or a second CPU missing: the binding cases are not run)"
fi
echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
test $failed -eq 0
