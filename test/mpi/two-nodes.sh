#!/bin/sh
# Runs the locality, message-queue, data-plane, agreement, exchange, mem_alloc and object-channel
# tests on two simulated nodes (nodea, nodeb) of two ranks each: Open MPI starts the ranks through
# test/mpi/fake-ssh, which gives each node its own host name. Skips (77) where namespaces cannot
# be made (not root, or no unshare).
srcdir=${MPCOMM_TEST_SRCDIR:-.}
builddir=${MPCOMM_TEST_BUILDDIR:-.}
if ! unshare --uts --ipc true 2>/dev/null; then
  echo "SKIP: cannot create UTS/IPC namespaces here (needs root and unshare)"
  exit 77
fi
mpirun=$(sed -n 's/^mpirun="\(.*\)"$/\1/p' "$builddir/scripts/mpi-test-run")
test -n "$mpirun" || { echo "SKIP: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
# The remote daemons must find the same libraries and programs.
export LD_LIBRARY_PATH="$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
for prog in test_locality test_message_queue test_dataplane_api test_agreement test_exchange \
  test_mem_alloc test_object_channels; do
  echo "== $prog on nodea:2,nodeb:2"
  timeout --kill-after=10 "${MPCOMM_TEST_TIMEOUT:-300}" "$mpirun" \
    --host nodea:2,nodeb:2 --mca plm_rsh_agent "$srcdir/test/mpi/fake-ssh" \
    --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
    -x LD_LIBRARY_PATH -x OMPI_MCA_mpi_yield_when_idle -x MPCOMM_TEST_EXPECT_NODES=2 \
    -np 4 "$builddir/test/mpi/$prog" || status=1
done
exit $status
