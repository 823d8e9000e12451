#!/bin/sh
# strict.sh: the module (also with -Wextra), the Fortran tests and the Fortran example compile
# with gfortran's -std=f2018 -Wall -Werror; and what the module's types forbid does not compile: a
# state where a group is expected, and MPCOMM_IN_PLACE as a receive buffer.
srcdir=$(cd "${MPCOMM_TEST_SRCDIR:-.}" && pwd)
builddir=$(cd "${MPCOMM_TEST_BUILDDIR:-.}" && pwd)
test -n "$FC" || { echo "SKIP: no Fortran compiler"; exit 77; }
$FC --version 2>/dev/null | grep -q 'GNU Fortran' || { echo "SKIP: $FC is not gfortran"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-fstrict.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
strict="-std=f2018 -Wall -Werror"

cd "$tmp" || exit 1
# shellcheck disable=SC2086
if $FC $strict -Wextra -I"$builddir/fortran" -c "$srcdir/fortran/mpcomm.F90" -o mpcomm.o; then
  ok "fortran/mpcomm.F90 with $strict -Wextra"
else
  fail "fortran/mpcomm.F90 with $strict -Wextra"
fi
for f in "$srcdir"/test/fortran/*.F90 "$srcdir"/examples/*.f90; do
  test -f "$f" || continue
  # shellcheck disable=SC2086
  if $FC $strict -I. -c "$f" -o unit.o; then ok "${f#"$srcdir"/}"; else fail "${f#"$srcdir"/}"; fi
done

# Must not compile.
cat >wrong_handle.f90 <<'EOF_F'
subroutine wrong(state)
  use mpcomm
  implicit none
  type(mpcomm_state_t), intent(in) :: state
  call mpcomm_barrier(state, 1.0_real64)
end subroutine
EOF_F
cat >in_place_recv.f90 <<'EOF_F'
subroutine wrong(group, x)
  use mpcomm
  implicit none
  type(mpcomm_group_t), intent(in) :: group
  real(real32), intent(in) :: x(4)
  call mpcomm_all_reduce(group, x, MPCOMM_IN_PLACE, MPCOMM_SUM)
end subroutine
EOF_F
for f in wrong_handle.f90 in_place_recv.f90; do
  if $FC -I. -c "$f" -o wrong.o >"$f.log" 2>&1; then
    fail "$f compiles, but must not"
  else
    ok "$f does not compile: $(grep -m 1 'Error' "$f.log")"
  fi
done
echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
test $failed -eq 0
