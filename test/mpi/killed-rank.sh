#!/bin/sh
# Kills a rank while mpcomm holds shared-memory windows and checks that the job leaves nothing
# in /dev/shm. The job uses the TCP transport, so that Open MPI's own shared-memory transport
# (whose vader_segment.* files a killed job leaves behind) creates nothing there either; other
# jobs' vader segments, which come and go while tests run in parallel, are not counted.
builddir=${MPCOMM_TEST_BUILDDIR:-.}
test -n "$MPIRUN" || { echo "SKIP: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
listing() { ls /dev/shm | grep -v '^vader_segment\.' | sort; }
before=$(listing)
timeout --kill-after=10 60 "$MPIRUN" --mca btl self,tcp -np 4 "$builddir/test/mpi/killed_rank" \
  >/dev/null 2>&1
status=$?
after=$(listing)
if test $status -eq 0 || test $status -eq 124; then
  echo "FAIL: the job should end with the killed rank's failure, not status $status"
  exit 1
fi
if test "$before" != "$after"; then
  echo "FAIL: /dev/shm changed:"
  echo "$before" >/tmp/killed-rank.before.$$
  echo "$after" | diff /tmp/killed-rank.before.$$ - ; rm -f /tmp/killed-rank.before.$$
  exit 1
fi
echo "PASS: nothing left in /dev/shm after a killed rank"
