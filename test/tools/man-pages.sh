#!/bin/sh
# man-pages.sh: every installed man page renders without a warning (groff -man -z -ww, from
# another directory, as man does), the alias pages are links to an installed page, mpcomm(7)
# names every page, and no page uses the project's internal words. The install goes to a
# temporary DESTDIR.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
srcdir=${MPCOMM_TEST_SRCDIR:-.}
command -v groff >/dev/null 2>&1 || { echo "SKIP: no groff (Debian: groff-base)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# A fresh make, not the one running the tests.
# shellcheck disable=SC2086
(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s install-data \
  DESTDIR="$tmp" >"$tmp/install.log" 2>&1) ||
  { cat "$tmp/install.log"; echo "FAIL: make install-data"; exit 1; }
mandir=$(find "$tmp" -type d -name man7 | head -n 1 | xargs dirname)
test -n "$mandir" || { echo "FAIL: no man pages installed"; exit 1; }

for page in "$mandir"/man*/*; do
  name=${page#"$mandir"/}
  if test -L "$page" && ! test -f "$page"; then
    fail "$name: a link to nothing ($(readlink "$page"))"
    continue
  fi
  if ! test -L "$page" && head -n 1 "$page" | grep -q '^\.so'; then
    fail "$name: a .so page, which man -l renders only from one directory"
    continue
  fi
  out=$(cd / && groff -man -z -ww "$page" 2>&1)
  if test -n "$out"; then
    fail "$name: groff warns:"
    echo "$out"
  else
    passed=$((passed + 1))
  fi
done
echo "ok: $passed pages render without warnings"

# mpcomm(7)'s index names every page.
for page in "$srcdir"/man/man*/*; do
  base=${page##*/}
  sec=${base##*.}
  name=${base%.*}
  test "$name.$sec" = mpcomm.7 && continue
  grep -qE "(^\.BR $name \($sec\)|[ ,]$name(,|$))" "$srcdir/man/man7/mpcomm.7" ||
    fail "mpcomm(7) does not name $name($sec)"
done
# Words of the project's own history, which a reader cannot know.
words=$(grep -n -i -w -E 'seed|seed.s' "$srcdir"/man/man*/* 2>/dev/null)
test -z "$words" || fail "internal words in the man pages: $words"
test $failed -eq 0 && passed=$((passed + 1)) && echo "ok: mpcomm(7) names every page; no internal words"
echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
test $failed -eq 0
