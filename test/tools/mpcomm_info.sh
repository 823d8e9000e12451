#!/bin/sh
# mpcomm-info as a user runs it: vLLM's example layouts in text and JSON, usage errors exit 2
# with one line and the hint to --help, and under mpirun every rank reports its groups.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
info="$builddir/tools/mpcomm-info"
out=${TMPDIR:-/tmp}/mpcomm-info-test.$$
trap 'rm -f "$out" "$out.err"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# expect_in TEXT ARGS...: mpcomm-info ARGS succeeds and its output contains TEXT.
expect_in() {
  text=$1; shift
  if ! "$info" "$@" >"$out" 2>"$out.err"; then
    fail "mpcomm-info $* exited with $?"; cat "$out.err"; return
  fi
  grep -F -e "$text" "$out" >/dev/null || { fail "mpcomm-info $*: no '$text' in"; cat "$out"; }
}

# expect_usage_error ARGS...: exit status 2, and on stderr one line and the hint to --help.
expect_usage_error() {
  "$info" "$@" >"$out" 2>"$out.err"
  rc=$?
  test $rc -eq 2 || fail "mpcomm-info $* exited with $rc, not 2"
  if test "$(wc -l <"$out.err")" -ne 2 || ! head -n 1 "$out.err" | grep -q "^mpcomm-info: " ||
    ! tail -n 1 "$out.err" | grep -qxF "Try 'mpcomm-info --help' for more information."; then
    fail "mpcomm-info $*: not one line and the hint on stderr:"
    cat "$out.err"
  fi
}

# The seed's 8-rank example, as the issue asks: TP=2, PP=2 over 8 ranks (DP 1, two blocks).
expect_in '"tp": [[0, 1], [2, 3], [4, 5], [6, 7]]' --tp 2 --pp 2 --world 8 --json
expect_in '"pp": [[0, 2], [1, 3], [4, 6], [5, 7]]' --tp 2 --pp 2 --world 8 --json
# With DP=2 and EP, the full worked example.
expect_in '"dp": [[0, 4], [2, 6], [1, 5], [3, 7]]' --tp 2 --pp 2 --dp 2 --ep --json
expect_in '"ep": [[0, 1, 4, 5], [2, 3, 6, 7]]' --tp 2 --pp 2 --dp 2 --ep --json
expect_in '"world_size": 8' --tp 2 --pp 2 --dp 2 --json
expect_in '  dp  1: 2 6' --tp 2 --pp 2 --dp 2
expect_in '# EP: 2 groups of 4' --tp 2 --pp 2 --dp 2 --ep
expect_in '  dcp 1: 2 3' --tp 4 --dcp 2 --world 8
expect_in '# build: CUDA ' --tp 2
expect_in 'Usage: mpcomm-info' --help
if command -v python3 >/dev/null 2>&1; then
  "$info" --tp 2 --pp 2 --dp 2 --ep --json | python3 -m json.tool >/dev/null ||
    fail "--json output is not valid JSON"
  "$info" --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["locality"][0]["local_rank"] == 0 and d["locality"][0]["numa"], d["locality"]
assert d["nodes"][0]["machine"].endswith(("NUMA node", "NUMA nodes")), d["nodes"]' ||
    fail "--json has no locality or nodes"
fi

expect_usage_error --tp 0
expect_usage_error --tp x
expect_usage_error --tp
expect_usage_error --bogus
expect_usage_error stray
expect_usage_error --tp 2 --pp 2 --world 6
expect_usage_error --tp 4 --dcp 3
expect_in "mpcomm-info $(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")" --version

# Under mpirun: each rank's groups, in rank order.
if test -n "$MPCOMM_TEST_MPIRUN"; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
  if timeout 120 "$MPCOMM_TEST_MPIRUN" -np 2 "$info" --tp 2 >"$out" 2>"$out.err"; then
    grep -E '^rank 0 \(.*\): TP group 0 \(pos 0\)' "$out" >/dev/null || fail "no rank 0 line"
    grep -E '^rank 1 \(.*\): TP group 0 \(pos 1\)' "$out" >/dev/null || fail "no rank 1 line"
    # Locality: each rank's node, cores, NUMA node and GPU (none here unless CUDA sees one),
    # and one machine line for the node.
    for r in 0 1; do
      grep -E "^rank $r: node $(hostname), local rank $r, cores [0-9,]+ \(PUs [0-9,-]+\), NUMA [0-9,]+, GPU " \
        "$out" >/dev/null || fail "no locality line for rank $r"
    done
    test "$(grep -c '^# node ' "$out")" -eq 1 || fail "not exactly one node block"
  else
    fail "mpirun -np 2 mpcomm-info --tp 2 failed"; cat "$out" "$out.err"
  fi
fi

test $failed -eq 0 && echo "PASS: mpcomm-info"
exit $failed
