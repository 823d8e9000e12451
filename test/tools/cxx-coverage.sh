#!/bin/sh
# cxx-coverage.sh: the C++ API covers the C API. Every function include/mpcomm.h declares
# MPCOMM_API is called by include/mpcomm.hpp, except the few listed below with the reason.
srcdir=${MPCOMM_TEST_SRCDIR:-.}
header="$srcdir/include/mpcomm.h"
hpp="$srcdir/include/mpcomm.hpp"

# name: why the C++ API does not call it (keep this short; each entry needs a reason).
exceptions='
'

# Declarations may wrap (the return type on its own line): join the lines first.
functions=$(tr '\n' ' ' <"$header" | grep -o 'MPCOMM_API [^(;]*(' | grep -o 'mpcomm_[a-z0-9_]*($' |
  tr -d '(' | sort -u)
test -n "$functions" || { echo "FAIL: no MPCOMM_API functions found in $header"; exit 1; }
total=0
missing=0
for f in $functions; do
  total=$((total + 1))
  if printf '%s\n' "$exceptions" | grep -q "^$f:"; then
    echo "not wrapped, by design: $(printf '%s\n' "$exceptions" | grep "^$f:")"
    continue
  fi
  grep -q "[^a-z0-9_]$f(" "$hpp" || { echo "FAIL: mpcomm.hpp does not call $f"; missing=$((missing + 1)); }
done
# A listed exception must still exist in the header.
for f in $(printf '%s\n' "$exceptions" | sed -n 's/^\(mpcomm_[a-z0-9_]*\):.*/\1/p'); do
  printf '%s\n' "$functions" | grep -qx "$f" || { echo "FAIL: exception $f is not in mpcomm.h"; missing=$((missing + 1)); }
done
echo "$total functions in mpcomm.h, $missing not wrapped by mpcomm.hpp"
echo "# mpcomm-test: passed=$((total - missing)) failed=$missing skipped=0"
test "$missing" -eq 0
