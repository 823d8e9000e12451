#!/bin/sh
# configure-summary.sh: the summary configure prints at its end names every program the build
# makes (installed, built, and the examples make check builds), as the Makefile lists them.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
test -f "$builddir/config.log" || { echo "SKIP: no config.log"; exit 77; }
summary=$(sed -n '/configuration summary/,/^$/p' "$builddir/config.log")
test -n "$summary" || { echo "FAIL: no configuration summary in config.log"; exit 1; }
# shellcheck disable=SC2016
programs=$(sed -n -e 's/\$(EXEEXT)//g' -e 's/^\(bin_PROGRAMS\|noinst_PROGRAMS\|EXAMPLES\) = //p' \
  "$builddir/Makefile")
test -n "$programs" || { echo "FAIL: no programs in the Makefile"; exit 1; }
passed=0
failed=0
for p in $programs; do
  case $p in tools/*) name=${p#tools/} ;; *) name=$p ;; esac
  if echo "$summary" | grep -qF "$name"; then
    passed=$((passed + 1))
  else
    echo "FAIL: the configure summary does not name $name"
    failed=$((failed + 1))
  fi
done
echo "$summary"
echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
test $failed -eq 0
