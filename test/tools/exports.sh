#!/bin/sh
# The installed library exports the C API and nothing else: every defined dynamic symbol of
# libmpcomm.so is an mpcomm_* function of include/mpcomm.h (or one of the linker's own markers),
# and every function the header declares MPCOMM_API is exported. Skips (77) without a shared
# library or without nm.
srcdir=${MPCOMM_TEST_SRCDIR:-.}
builddir=${MPCOMM_TEST_BUILDDIR:-.}
lib="$builddir/.libs/libmpcomm.so"
tmp=${TMPDIR:-/tmp}/mpcomm-exports-test.$$
trap 'rm -f "$tmp".*' EXIT
test -f "$lib" || { echo "SKIP: no $lib (built without shared libraries)"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
failed=0

# Defined dynamic symbols, names only (without symbol versions).
nm -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | sort -u >"$tmp.exported" ||
  { echo "FAIL: nm -D $lib"; exit 1; }
echo "libmpcomm.so exports $(wc -l <"$tmp.exported") symbols"

# Anything else is a leak of an internal symbol (a C++ name, a dependency's symbol).
grep -v -E '^(mpcomm_[a-z0-9_]+|_init|_fini|_edata|_end|__bss_start)$' "$tmp.exported" \
  >"$tmp.leaked"
if test -s "$tmp.leaked"; then
  echo "FAIL: libmpcomm.so exports $(wc -l <"$tmp.leaked") symbols outside the C API, e.g.:"
  head -n 20 "$tmp.leaked"
  failed=1
fi

# The header's functions, from the preprocessed header (comments gone) with MPCOMM_API marked.
${CC:-cc} -E -P -DMPCOMM_API=MPCOMM_API_MARK -I"$srcdir/include" -I"$builddir/include" \
  "$srcdir/include/mpcomm.h" >"$tmp.pre" || { echo "FAIL: cannot preprocess mpcomm.h"; exit 1; }
tr '\n' ' ' <"$tmp.pre" | grep -o 'MPCOMM_API_MARK[^(;]*(' |
  sed 's/.*[^a-z0-9_]\(mpcomm_[a-z0-9_]*\) *($/\1/' | sort -u >"$tmp.declared"
n=$(wc -l <"$tmp.declared")
if test "$n" -lt 60; then
  echo "FAIL: found only $n MPCOMM_API declarations in mpcomm.h"
  failed=1
fi
comm -23 "$tmp.declared" "$tmp.exported" >"$tmp.missing"
if test -s "$tmp.missing"; then
  echo "FAIL: declared MPCOMM_API in mpcomm.h but not exported:"
  cat "$tmp.missing"
  failed=1
fi
comm -13 "$tmp.declared" "$tmp.exported" | grep '^mpcomm_' >"$tmp.undeclared"
if test -s "$tmp.undeclared"; then
  echo "FAIL: exported but not declared in mpcomm.h:"
  cat "$tmp.undeclared"
  failed=1
fi

test $failed -eq 0 && echo "PASS: $n functions declared and exported, nothing else"
exit $failed
