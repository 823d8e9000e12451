#!/bin/sh
# fuzz-smoke.sh: replays each fuzz harness's seed corpus (test/fuzz/corpus/NAME), then fuzzes it
# for MPCOMM_TEST_FUZZ_SECONDS (default 4) from there, keeping what it finds in a temporary
# folder. Fails on any crash, leak or UB report; skips (77) when configure found no clang++
# with libFuzzer. Prints executions per harness.
if test -z "$MPCOMM_TEST_FUZZ_CXX"; then
  echo "SKIP: configure found no clang++ with libFuzzer"
  exit 77
fi
src=${MPCOMM_TEST_SRCDIR:-.} build=${MPCOMM_TEST_BUILDDIR:-.}
seconds=${MPCOMM_TEST_FUZZ_SECONDS:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0
for h in fuzz_msgpack fuzz_tensordict_metadata fuzz_tensordict_message fuzz_eager_header \
  fuzz_rendezvous fuzz_ring_slot fuzz_object_slot; do
  bin=$build/test/fuzz/$h corpus=$src/test/fuzz/corpus/$h
  if ! test -x "$bin"; then
    echo "FAIL: $h is not built (make fuzz)"
    failures=$((failures + 1))
    continue
  fi
  if ! test -d "$corpus" || test -z "$(ls "$corpus")"; then
    echo "FAIL: $h has no seed corpus in $corpus"
    failures=$((failures + 1))
    continue
  fi
  mkdir -p "$tmp/$h"
  if ! "$bin" -runs=0 "$corpus" >"$tmp/$h.replay" 2>&1; then
    echo "FAIL: $h: replaying $corpus:"
    tail -n 30 "$tmp/$h.replay"
    failures=$((failures + 1))
    continue
  fi
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$tmp/" \
    "$tmp/$h" "$corpus" >"$tmp/$h.run" 2>&1; then
    echo "FAIL: $h found a problem in $seconds s:"
    tail -n 40 "$tmp/$h.run"
    for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
      test -f "$f" && echo "  input (base64): $(base64 -w0 "$f")"
    done
    failures=$((failures + 1))
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$h.run")
  echo "ok: $h: $(ls "$corpus" | wc -l) seeds replayed, $runs executions in $seconds s"
  passed=$((passed + 1))
done
echo "# mpcomm-test: passed=$passed failed=$failures skipped=0"
test $failures -eq 0
