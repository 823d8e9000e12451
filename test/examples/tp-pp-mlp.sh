#!/bin/sh
# tp-pp-mlp.sh: the example examples/tp_pp_mlp under mpirun at 1 rank (TP 1 x PP 1), 2 ranks
# (DP 2, whose replicas run 10 and 11 steps and stop together; and PP 2) and 4 ranks (TP 2 x PP 2,
# and TP 2 x DP 2): each exits 0 and prints its layout and MATCH. With --inject-error it must
# print MISMATCH and exit 1, and a layout that does not fit the ranks is a usage error (exit 2).
# Skips (77) without mpirun.
prog=${MPCOMM_TEST_BUILDDIR:-.}/examples/tp_pp_mlp
if test -z "$MPIRUN"; then echo "SKIP: no mpirun was found by configure"; exit 77; fi
if ! test -x "$prog"; then echo "FAIL: $prog is not built"; exit 1; fi
# As scripts/mpi-test-run: root in containers, more ranks than cores, ranks that yield.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
preload=
test -n "$MPCOMM_TEST_PRELOAD" && preload="-x LD_PRELOAD=$MPCOMM_TEST_PRELOAD"
out=$(mktemp "${TMPDIR:-/tmp}/mpcomm-tp-pp-mlp.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
passed=0
failed=0
fail() { echo "FAIL: $*"; cat "$out"; failed=$((failed + 1)); }

# run NP WANT_RC ARGS...: runs the example and leaves its output in $out.
run() {
  np=$1 want=$2
  shift 2
  # shellcheck disable=SC2086
  timeout --kill-after=5 120 "$MPIRUN" $preload -np "$np" "$prog" "$@" >"$out" 2>&1
  rc=$?
  if test $rc -ne "$want"; then
    fail "-np $np $*: exit $rc, expected $want"
    return 1
  fi
  return 0
}

for case in "1 --tp 1 --pp 1" "2 --tp 1 --pp 1 --dp 2" "2 --pp 2" "4 --tp 2 --pp 2" \
    "4 --tp 2 --dp 2 --layers 3"; do
  # shellcheck disable=SC2086
  set -- $case
  np=$1
  shift
  run "$np" 0 "$@" || continue
  if ! grep -q '^MATCH$' "$out"; then fail "-np $np $*: no MATCH line"; continue; fi
  if ! grep -q '^TP groups: ' "$out" || ! grep -q '^rank 0: tp 0/' "$out"; then
    fail "-np $np $*: no layout"
    continue
  fi
  if ! grep -q '^time per step: mean ' "$out"; then fail "-np $np $*: no time per step"; continue; fi
  case "$*" in
    *"--dp 2"*)
      # Replica 1 runs one batch more; replica 0 runs a dummy batch meanwhile.
      grep -q '^replica 0: 10 real batches, 1 dummy batches$' "$out" &&
        grep -q '^replica 1: 11 real batches, 0 dummy batches$' "$out" ||
        { fail "-np $np $*: the replicas did not stop together"; continue; }
      ;;
  esac
  passed=$((passed + 1))
  echo "ok: -np $np $*: $(grep '^max abs error' "$out")"
done

# The comparison catches a wrong shard.
if run 4 1 --tp 2 --pp 2 --inject-error; then
  if grep -q '^MISMATCH$' "$out"; then
    passed=$((passed + 1))
    echo "ok: --inject-error: MISMATCH, exit 1"
  else
    fail "--inject-error: no MISMATCH line"
  fi
fi
# A layout that does not fit the ranks.
if run 2 2 --tp 2 --pp 2; then
  if grep -q 'is not the 2 ranks' "$out"; then
    passed=$((passed + 1))
    echo "ok: --tp 2 --pp 2 on 2 ranks: usage error"
  else
    fail "--tp 2 --pp 2 on 2 ranks: no message"
  fi
fi

echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
test $failed -eq 0
