#!/bin/bash
# without-system-mpi.sh COMMAND...: runs COMMAND (as root) in a private mount namespace in which
# this machine's Open MPI, PMIx and the other libraries that test/gpu/stage-dataplane.sh stages
# are hidden (empty files and folders mounted over them), as on a GPU machine without MPI: what
# the staged programs then load can only come from the stage. For checking a stage here:
#   test/gpu/without-system-mpi.sh bash test/gpu/run-on-gpu.sh --quick
set -eu
[ $# -gt 0 ] || { echo "usage: $0 COMMAND..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (unshare -m)" >&2; exit 2; }
exec unshare -m bash -c '
  set -e
  mount --make-rprivate /
  empty=$(mktemp)
  lib=/usr/lib/x86_64-linux-gnu
  for d in $lib/openmpi $lib/pmix2 $lib/hwloc /usr/share/openmpi /etc/openmpi; do
    [ -d "$d" ] && mount -t tmpfs none "$d"
  done
  hidden=0
  for f in $(find $lib -maxdepth 1 -type f \( -name "libmpi*.so*" -o -name "libopen-*.so*" \
      -o -name "libpmix.so*" -o -name "libmca_common_*.so*" -o -name "liboshmem.so*" \
      -o -name "libompitrace.so*" -o -name "libhwloc.so*" -o -name "libevent*.so*" \
      -o -name "libmunge.so*" -o -name "libudev.so*" -o -name "libcrypto.so*" \)) \
      $(dpkg -L openmpi-bin 2>/dev/null | grep "^/usr/bin/"); do
    if [ -f "$f" ] && ! [ -L "$f" ]; then mount --bind "$empty" "$f"; hidden=$((hidden + 1)); fi
  done
  echo "without-system-mpi: hid $hidden files and the Open MPI, PMIx and hwloc folders" >&2
  exec "$@"
' without-system-mpi "$@"
