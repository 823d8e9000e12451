#!/bin/sh
# After `make install`, a C program outside the tree builds with
# `pkg-config --cflags --libs mpcomm` and gets vLLM's layouts and partitions. The install goes
# to a temporary DESTDIR; pkg-config is pointed at it by redefining the prefix.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
srcdir=${MPCOMM_TEST_SRCDIR:-.}
command -v "${PKG_CONFIG:-pkg-config}" >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# A fresh make, not the one running the tests.
(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s install \
  DESTDIR="$tmp" >"$tmp/install.log" 2>&1) || { cat "$tmp/install.log"; echo "FAIL: make install"; exit 1; }

prefix=$(sed -n 's/^prefix=//p' "$builddir/mpcomm.pc")
libdir=$(find "$tmp" -name mpcomm.pc -path '*/pkgconfig/*' | head -n 1 | xargs dirname | xargs dirname)
test -n "$libdir" || { echo "FAIL: mpcomm.pc was not installed"; exit 1; }
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" ${PKG_CONFIG:-pkg-config} \
  --define-variable=prefix="$tmp$prefix" --cflags --libs mpcomm) ||
  { echo "FAIL: pkg-config --cflags --libs mpcomm"; exit 1; }
echo "pkg-config --cflags --libs mpcomm: $flags"

# The C compiler configure chose (the MPI wrapper: mpcomm.h includes mpi.h).
# A sanitizer build of the library needs the sanitizers' runtimes in the program too.
# shellcheck disable=SC2086
${CC:-mpicc} $MPCOMM_TEST_SAN_FLAGS -o "$tmp/outside" "$srcdir/test/tools/outside.c" $flags ||
  { echo "FAIL: building an outside program with pkg-config's flags"; exit 1; }
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/outside" ||
  { echo "FAIL: the outside program"; exit 1; }
echo "PASS: installed library used from outside the tree"
