#!/bin/sh
# After `make install`, a C program outside the tree builds with only pkg-config and gets
# vLLM's layouts and partitions: linked against the shared library (`pkg-config --cflags --libs
# mpcomm`) and against the static one (`--static`, from an install without the shared
# library). The flags name no -L or -Wl,-rpath directory twice and carry the DLPack include
# path the build used (mpcomm.h includes <dlpack/dlpack.h>). The install goes to a temporary
# DESTDIR; pkg-config is pointed at it by redefining the prefix.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
srcdir=${MPCOMM_TEST_SRCDIR:-.}
pkg_config=${PKG_CONFIG:-pkg-config}
command -v "$pkg_config" >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
  test $failed -eq 0
  exit
}

# A fresh make, not the one running the tests.
# The lock keeps other tests off the libraries while libtool relinks them (scripts/sh-test-run).
(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL flock -x .libs/test-libraries.lock \
  ${MAKE:-make} -s install DESTDIR="$tmp" >"$tmp/install.log" 2>&1) || { cat "$tmp/install.log"; fail "make install"; finish; }

prefix=$(sed -n 's/^prefix=//p' "$builddir/mpcomm.pc")
libdir=$(find "$tmp" -name mpcomm.pc -path '*/pkgconfig/*' | head -n 1 | xargs dirname | xargs dirname)
test -n "$libdir" || { fail "mpcomm.pc was not installed"; finish; }
pc() {
  PKG_CONFIG_PATH="$libdir/pkgconfig" "$pkg_config" --define-variable=prefix="$tmp$prefix" "$@" mpcomm
}
flags=$(pc --cflags --libs) || { fail "pkg-config --cflags --libs mpcomm"; finish; }
static_flags=$(pc --static --cflags --libs) || { fail "pkg-config --static --cflags --libs mpcomm"; finish; }
echo "pkg-config --cflags --libs mpcomm: $flags"
echo "pkg-config --static --cflags --libs mpcomm: $static_flags"

# shellcheck disable=SC2086
dups=$(printf '%s\n' $static_flags | grep -E '^(-L|-Wl,-rpath,)' | sort | uniq -d)
if test -z "$dups"; then ok "no -L or rpath directory twice"; else fail "named twice: $dups"; fi
dlpack=$(sed -n 's/^DLPACK_CFLAGS = //p' "$builddir/Makefile")
missing=
for f in $dlpack; do
  case " $flags " in *" $f "*) ;; *) missing="$missing $f" ;; esac
done
if test -z "$missing"; then
  ok "Cflags carry DLPACK_CFLAGS (${dlpack:-empty: the header is on the default path})"
else
  fail "Cflags lack the DLPack flags$missing"
fi

# The C compiler configure chose (the MPI wrapper: mpcomm.h includes mpi.h).
# A sanitizer build of the library needs the sanitizers' runtimes in the program too.
# shellcheck disable=SC2086
if ${CC:-mpicc} $MPCOMM_TEST_SAN_FLAGS -o "$tmp/outside" "$srcdir/test/tools/outside.c" $flags &&
  LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/outside"; then
  ok "shared link of an outside C program with pkg-config --cflags --libs"
else
  fail "shared link or run of the outside program"
fi

# Static: the same install without the shared library, so that -lmpcomm is libmpcomm.a; a C
# link gets the C++ runtime and the other private libraries from Libs.private only.
rm -f "$libdir"/libmpcomm.so* "$libdir"/libmpcomm.la
# shellcheck disable=SC2086
if ${CC:-mpicc} $MPCOMM_TEST_SAN_FLAGS -o "$tmp/outside-static" "$srcdir/test/tools/outside.c" \
  $static_flags && "$tmp/outside-static"; then
  if LC_ALL=C readelf -d "$tmp/outside-static" 2>/dev/null | grep -q 'NEEDED.*libmpcomm'; then
    fail "the static link still needs libmpcomm.so"
  else
    ok "static link of an outside C program with pkg-config --static --cflags --libs"
  fi
else
  fail "static link or run of the outside program"
fi
finish
