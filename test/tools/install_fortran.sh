#!/bin/sh
# After `make install`, an outside Fortran program (test/fortran/outside.f90: use mpi_f08, use
# mpcomm) builds with only the MPI Fortran wrapper and `pkg-config --cflags --libs
# mpcomm-fortran`, and runs under mpirun on 2 ranks. The install goes to a temporary DESTDIR;
# pkg-config is pointed at it by redefining the prefix.
builddir=$(cd "${MPCOMM_TEST_BUILDDIR:-.}" && pwd)
srcdir=$(cd "${MPCOMM_TEST_SRCDIR:-.}" && pwd)
pkg_config=${PKG_CONFIG:-pkg-config}
test -n "$FC" || { echo "SKIP: built without Fortran"; exit 77; }
command -v "$pkg_config" >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
mpirun=${MPCOMM_TEST_MPIRUN:-}
test -n "$mpirun" || { echo "SKIP: no mpirun"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-finstall.XXXXXX") || exit 1
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

# The lock keeps other tests off the libraries while libtool relinks them (scripts/sh-test-run).
(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL flock -x .libs/test-libraries.lock \
  ${MAKE:-make} -s install DESTDIR="$tmp" >"$tmp/install.log" 2>&1) || { cat "$tmp/install.log"; fail "make install"; finish; }
prefix=$(sed -n 's/^prefix=//p' "$builddir/mpcomm-fortran.pc")
pcdir=$(find "$tmp" -name mpcomm-fortran.pc -path '*/pkgconfig/*' | head -n 1 | xargs dirname)
test -n "$pcdir" || { fail "mpcomm-fortran.pc was not installed"; finish; }
libdir=$(dirname "$pcdir")
pc() {
  PKG_CONFIG_PATH="$pcdir" "$pkg_config" --define-variable=prefix="$tmp$prefix" "$@" mpcomm-fortran
}
flags=$(pc --cflags --libs) || { fail "pkg-config --cflags --libs mpcomm-fortran"; finish; }
echo "pkg-config --cflags --libs mpcomm-fortran: $flags"
fmoddir=$(pc --variable=fmoddir)
if test -f "$fmoddir/mpcomm.mod"; then ok "the module is installed in fmoddir ($fmoddir)"; else
  fail "no mpcomm.mod in fmoddir ($fmoddir)"
fi
case " $flags " in *" -lmpcomm_f "*"-lmpcomm "*) ok "Libs: -lmpcomm_f before -lmpcomm" ;;
  *) fail "Libs lack -lmpcomm_f -lmpcomm" ;; esac

# A sanitizer build of the library needs the sanitizers' runtimes in the program too.
# shellcheck disable=SC2086
if (cd "$tmp" && $FC $MPCOMM_TEST_SAN_FLAGS -o outside "$srcdir/test/fortran/outside.f90" $flags); then
  ok "an outside Fortran program builds with \$FC and pkg-config alone"
else
  fail "the outside Fortran program does not build"
  finish
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
out=$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 120 "$mpirun" \
  -x LD_LIBRARY_PATH -np 2 "$tmp/outside" 2>&1)
echo "$out"
if echo "$out" | grep -q '^outside: OK' && ! echo "$out" | grep -q WRONG; then
  ok "it runs under mpirun on 2 ranks"
else
  fail "the outside program on 2 ranks"
fi
finish
