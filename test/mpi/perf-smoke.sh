#!/bin/sh
# perf-smoke.sh: mpcomm-perf runs every operation at 2 ranks (a few iterations) and its --json
# lines have the documented keys and sane values; the GPU modes measure or say "# skipped:" and
# exit 0; a bad option prints one line and the hint to --help and exits 2; --help and --version
# exit 0. Checks behaviour, not speed. Skips (77) without mpirun.
perf=${MPCOMM_TEST_BUILDDIR:-.}/tools/mpcomm-perf
if test -z "$MPIRUN"; then echo "SKIP: no mpirun was found by configure"; exit 77; fi
if ! test -x "$perf"; then echo "FAIL: $perf is not built"; exit 1; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
preload=
test -n "$MPCOMM_TEST_PRELOAD" && preload="-x LD_PRELOAD=$MPCOMM_TEST_PRELOAD"
out=$(mktemp "${TMPDIR:-/tmp}/mpcomm-perf-smoke.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
failures=0
passed=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

num='[0-9]+(\.[0-9]+)?'
for op in barrier broadcast_object all_gather_object sendrecv_object; do
  # shellcheck disable=SC2086
  if ! timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" "$op" -n 5 -w 1 -b 64 -e 256 \
      --json --baseline mpi >"$out" 2>&1; then
    fail "$op: mpcomm-perf failed"; cat "$out"; continue
  fi
  if test "$op" = barrier; then want="0"; else want="64 128 256"; fi
  got=$(sed -n 's/.*"bytes":\([0-9]*\),.*/\1/p' "$out" | tr '\n' ' ' | sed 's/ $//')
  test "$got" = "$want" || fail "$op: sizes '$got', expected '$want'"
  pattern="^\{\"op\":\"$op\",\"np\":2,\"bytes\":[0-9]+,\"us\":$num,\"algbw_GBps\":$num,\"busbw_GBps\":$num,\"baseline_us\":$num,\"wrong\":0\}$"
  bad=$(grep -v -E "$pattern" "$out")
  test -z "$bad" || fail "$op: lines that do not match the JSON format: $bad"
  # A positive time on every line.
  if grep -q -E '"us":0\.000,' "$out"; then fail "$op: a zero time"; fi
  test $failures -eq 0 && passed=$((passed + 1))
  echo "ok: $op: $(wc -l <"$out") JSON line(s)"
done

# The data plane on typed host buffers: the type and the operator are in every line.
for spec in "all_reduce -d float32 -o sum" "all_reduce -d bfloat16 -o max" \
    "all_reduce -d int64 -o avg" "all_gather -d float16" "reduce_scatter -d float64 -o prod" \
    "broadcast -d int8" "sendrecv -d float32" "tensor_dict -d bfloat16"; do
  # shellcheck disable=SC2086
  set -- $spec
  op=$1
  dtype=$3
  redop=${5:-none}
  # shellcheck disable=SC2086
  if ! timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" $spec -n 5 -w 1 -b 64 -e 256 \
      --json --baseline mpi >"$out" 2>&1; then
    fail "$spec: mpcomm-perf failed"; cat "$out"; continue
  fi
  got=$(sed -n 's/.*"bytes":\([0-9]*\),.*/\1/p' "$out" | tr '\n' ' ' | sed 's/ $//')
  test "$got" = "64 128 256" || fail "$spec: sizes '$got', expected '64 128 256'"
  # all_reduce, on one node, carries its memory bound.
  bound=
  test "$op" = all_reduce && bound=",\"bound_us\":$num"
  pattern="^\{\"op\":\"$op\",\"np\":2,\"bytes\":[0-9]+,\"us\":$num,\"algbw_GBps\":$num,\"busbw_GBps\":$num,\"type\":\"$dtype\",\"redop\":\"$redop\",\"baseline_us\":$num$bound,\"wrong\":0\}$"
  bad=$(grep -v -E "$pattern" "$out")
  test -z "$bad" || fail "$spec: lines that do not match the JSON format: $bad"
  test $failures -eq 0 && passed=$((passed + 1))
  echo "ok: $spec: $(wc -l <"$out") JSON line(s)"
done

# all_reduce: nccl-tests' bus bandwidth, 2 (n - 1) / n x algbw = algbw at 2 ranks.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" all_reduce -n 2 -w 0 -b 1K -e 1K \
  >"$out" 2>&1 || fail "all_reduce table run failed"
# And its memory bound, positive, with the time over it.
grep -q -E '^ +1024 +256 +float32 +sum +-1 +[0-9.]+ +([0-9.]+) +\1 +0 +[0-9.]+ +[0-9.]+$' "$out" ||
  { fail "all_reduce table row for 1K (count 256, busbw = algbw, bound)"; cat "$out"; }
grep -q -E '^# +size .* +#wrong +bound +/bound$' "$out" || { fail "all_reduce bound columns"; cat "$out"; }
if grep -q -E ' 0\.00 +[0-9.]+$' "$out"; then fail "all_reduce: a zero bound"; cat "$out"; fi

# state_create: one row, and the time in milliseconds.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" state_create --tp 2 -n 2 -w 1 \
  --baseline mpi >"$out" 2>&1 || fail "state_create failed"
grep -q -E '^# state_create: [0-9.]+ ms per call, MPI baseline [0-9.]+ ms$' "$out" ||
  { fail "state_create: no time in ms"; cat "$out"; }
grep -q '^# Out of bounds values : 0 OK' "$out" || fail "state_create: the groups are wrong"

# The GPU modes: a table, or one "# skipped:" line where there is no GPU; exit 0 either way.
for spec in "all_reduce --device cuda --algo auto" "custom_allreduce_sim -d bfloat16"; do
  # shellcheck disable=SC2086
  if ! timeout --kill-after=5 300 "$MPIRUN" $preload -np 2 "$perf" $spec -n 2 -w 1 -b 4K -e 4K \
      >"$out" 2>&1; then
    fail "$spec: exit status not 0"; cat "$out"; continue
  fi
  if grep -q '^# skipped: ' "$out"; then
    echo "ok: $spec: $(grep '^# skipped: ' "$out")"
  elif grep -q -E '^ +4096 ' "$out"; then
    echo "ok: $spec: measured"
  else
    fail "$spec: neither a row nor a skipped line"; cat "$out"
  fi
done

# The table: nccl-tests' columns, and the baseline's.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" broadcast_object -n 2 -w 0 -b 1K -e 1K \
  --baseline mpi >"$out" 2>&1 || fail "table run failed"
grep -q -E '^# +size +count +type +redop +root +time +algbw +busbw +#wrong +baseline +ratio' "$out" ||
  { fail "table header"; cat "$out"; }
grep -q -E '^ +1024 +1024 +char +none +0 ' "$out" || { fail "table row for 1K"; cat "$out"; }
grep -q '^# Out of bounds values : 0 OK' "$out" || fail "table footer"

# The message-queue broadcaster: the header says so, and the objects arrive intact.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" broadcast_object --message-queue \
  -n 20 -w 2 -b 64 -e 4K --baseline mpi >"$out" 2>&1 || fail "broadcast_object --message-queue failed"
grep -q '^#  group: with a message-queue broadcaster' "$out" ||
  { fail "broadcast_object --message-queue: no header line"; cat "$out"; }
grep -q '^# Out of bounds values : 0 OK' "$out" ||
  { fail "broadcast_object --message-queue: wrong bytes"; cat "$out"; }

# Send/recv through the object channels a first barrier makes: the header says so, and the
# objects below, at and above a slot arrive intact.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" sendrecv_object --barrier-first \
  -n 20 -w 2 -b 512 -e 2K --baseline mpi >"$out" 2>&1 || fail "sendrecv_object --barrier-first failed"
grep -q '^#  group: a barrier first' "$out" ||
  { fail "sendrecv_object --barrier-first: no header line"; cat "$out"; }
grep -q '^# Out of bounds values : 0 OK' "$out" ||
  { fail "sendrecv_object --barrier-first: wrong bytes"; cat "$out"; }

# Buffers of mpcomm_mem_alloc: the header says so, and the results are right across pieces.
# shellcheck disable=SC2086
timeout --kill-after=5 120 "$MPIRUN" $preload -np 2 "$perf" all_reduce --mem-alloc \
  -n 5 -w 1 -b 4K -e 1M -f 16 --baseline mpi >"$out" 2>&1 || fail "all_reduce --mem-alloc failed"
grep -q '^#  buffers: mpcomm_mem_alloc' "$out" ||
  { fail "all_reduce --mem-alloc: no header line"; cat "$out"; }
grep -q '^# Out of bounds values : 0 OK' "$out" ||
  { fail "all_reduce --mem-alloc: wrong results"; cat "$out"; }

# Bad command lines: one line and the hint to --help on stderr, exit status 2.
for args in "-n 0 barrier" "bogus_op" "barrier -b 4K -e 1K" "barrier --baseline nccl" "barrier -x" \
    "all_reduce -d bogus" "all_gather -o avg" "broadcast_object -d float32" \
    "broadcast --device cuda" "all_reduce --algo nccl" "all_reduce --device gpu" \
    "state_create --tp 0" "all_reduce --tp 2" "state_create --tp 2 --pp 2" \
    "all_reduce --message-queue" "tensor_dict --message-queue" "broadcast --mem-alloc" \
    "all_reduce --mem-alloc --device cuda"; do
  # shellcheck disable=SC2086
  timeout --kill-after=5 60 "$MPIRUN" $preload -np 1 "$perf" $args >"$out" 2>&1
  rc=$?
  test $rc -eq 2 || fail "'$args' exited $rc, expected 2"
  # (mpirun adds its own lines about the exit status.)
  { test "$(grep -c '^mpcomm-perf: ' "$out")" -eq 1 && ! grep -q '^usage: ' "$out" &&
    grep -qxF "Try 'mpcomm-perf --help' for more information." "$out"; } ||
    { fail "'$args': not one line and the hint to --help"; cat "$out"; }
done
# --help prints the usage, --version the version; both exit 0.
# shellcheck disable=SC2086
timeout --kill-after=5 60 "$MPIRUN" $preload -np 1 "$perf" --help >"$out" 2>&1 &&
  grep -q '^usage: mpirun -np N mpcomm-perf OP' "$out" || fail "--help printed no usage"
version=$(sed -n 's/^PACKAGE_VERSION = //p' "${MPCOMM_TEST_BUILDDIR:-.}/Makefile")
# shellcheck disable=SC2086
timeout --kill-after=5 60 "$MPIRUN" $preload -np 1 "$perf" --version >"$out" 2>&1 &&
  test "$(cat "$out")" = "mpcomm-perf $version" || { fail "--version"; cat "$out"; }
echo "ok: table and bad command lines"

if test $failures -ne 0; then
  echo "# mpcomm-test: passed=$passed failed=$failures skipped=0"
  exit 1
fi
echo "# mpcomm-test: passed=$((passed + 1)) failed=0 skipped=0"
exit 0
