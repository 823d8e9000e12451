#!/bin/sh
# hpp-needs-cxx17.sh: mpcomm.hpp compiled as C++14 stops with one #error that names C++17 (and
# no error from inside the header); as C++17 it compiles.
srcdir=${MPCOMM_TEST_SRCDIR:-.}
cxx=${MPICXX:-mpicxx}
command -v "$cxx" >/dev/null 2>&1 || { echo "SKIP: no C++ compiler '$cxx'"; exit 77; }
out=$(mktemp "${TMPDIR:-/tmp}/mpcomm-hpp.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.cpp"' EXIT
printf '#include "mpcomm.hpp"\nint main() { return 0; }\n' >"$out.cpp"
failed=0
if "$cxx" -std=c++14 -fsyntax-only -I"$srcdir/include" "$out.cpp" >"$out" 2>&1; then
  echo "FAIL: mpcomm.hpp compiled as C++14"
  failed=$((failed + 1))
elif test "$(grep -c ': error: ' "$out")" -ne 1 || ! grep -q '#error.*needs C++17' "$out"; then
  echo "FAIL: C++14: not the one #error naming C++17:"
  cat "$out"
  failed=$((failed + 1))
else
  echo "ok: C++14: $(grep ': error: ' "$out")"
fi
if "$cxx" -std=c++17 -fsyntax-only -I"$srcdir/include" "$out.cpp" >"$out" 2>&1; then
  echo "ok: C++17 compiles"
else
  echo "FAIL: mpcomm.hpp does not compile as C++17:"
  cat "$out"
  failed=$((failed + 1))
fi
echo "# mpcomm-test: passed=$((2 - failed)) failed=$failed skipped=0"
test $failed -eq 0
