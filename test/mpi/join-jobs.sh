#!/bin/sh
# join-jobs.sh: mpcomm_group_join across separate mpirun jobs, each rank its own job.
#  1. two jobs that share an ompi-server form a group;
#  2. three jobs do too (the group grows by connect/accept across jobs);
#  3. two jobs without an ompi-server both fail with MPCOMM_ERR_NOT_SUPPORTED (7) instead of
#     hanging in MPI_Comm_accept: rank 1 at once, rank 0 at its timeout (it refuses only that
#     connection and waits for a rank 1 it can connect, which never comes).
# Skips (77) without mpirun or ompi-server. Every launch runs under `timeout`: it never hangs.
# MPIRUN and OMPI_SERVER come from configure (test/local.mk); join_peer from the build tree.
peer=${MPCOMM_TEST_BUILDDIR:-.}/test/mpi/join_peer
if test -z "$MPIRUN"; then echo "SKIP: no mpirun was found by configure"; exit 77; fi
if test -z "$OMPI_SERVER"; then echo "SKIP: no ompi-server was found by configure"; exit 77; fi
if ! test -x "$peer"; then echo "FAIL: $peer is not built"; exit 1; fi

# As scripts/mpi-test-run: root in containers, oversubscription, ranks that yield.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
limit=60
# Sanitizer builds: the same preloaded shim as scripts/mpi-test-run.
preload=
test -n "$MPCOMM_TEST_PRELOAD" && preload="-x LD_PRELOAD=$MPCOMM_TEST_PRELOAD"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-join-jobs.XXXXXX") || exit 1
server=
cleanup() {
  if test -n "$server"; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$OMPI_SERVER" --no-daemonize -r "$tmp/uri" >"$tmp/server.log" 2>&1 &
server=$!
tries=0
while ! test -s "$tmp/uri"; do
  tries=$((tries + 1))
  if test $tries -gt 100 || ! kill -0 "$server" 2>/dev/null; then
    echo "FAIL: ompi-server did not start"; cat "$tmp/server.log"; exit 1
  fi
  sleep 0.1
done

failures=0
# run_jobs NAME N EXPECT [MPIRUN OPTIONS]: starts ranks N-1..0 as N mpirun jobs of one rank
# each, waits for all, and checks that each printed EXPECT.
run_jobs() {
  name=$1 n=$2 expect=$3
  shift 3
  port=$("$peer" --free-port) || { echo "FAIL: no free port"; exit 1; }
  pids=
  r=$((n - 1))
  while test $r -ge 0; do
    # shellcheck disable=SC2086
    timeout --kill-after=5 $limit "$MPIRUN" $preload "$@" -np 1 "$peer" 127.0.0.1 "$port" $r "$n" 20 \
      >"$tmp/$name.$r.out" 2>&1 &
    pids="$pids $!"
    r=$((r - 1))
  done
  for pid in $pids; do wait "$pid"; done
  r=0
  while test $r -lt "$n"; do
    if grep -q -- "$expect" "$tmp/$name.$r.out"; then
      echo "ok: $name: rank $r: $(grep -- "$expect" "$tmp/$name.$r.out" | head -n 1)"
    else
      echo "FAIL: $name: rank $r did not print '$expect':"
      sed 's/^/    /' "$tmp/$name.$r.out"
      failures=$((failures + 1))
    fi
    r=$((r + 1))
  done
}

start=$(date +%s)
run_jobs two-jobs 2 ": ok" --ompi-server "file:$tmp/uri"
run_jobs three-jobs 3 ": ok" --ompi-server "file:$tmp/uri"
run_jobs no-server 2 "status=7:"
echo "took $(($(date +%s) - start)) s"
if test $failures -ne 0; then echo "FAIL: $failures check(s)"; exit 1; fi
echo "# mpcomm-test: passed=3 failed=0 skipped=0"
exit 0
