# MPI tests: GoogleTest under mpirun, each at 1, 2 and 4 ranks (scripts/mpi-test-run kills a
# hung one after MPCOMM_TEST_TIMEOUT seconds). Add a test with `MPI_TESTS += test/mpi/test_x`
# (source test/mpi/test_x.cpp).
MPI_TESTS += \
	test/mpi/test_abi \
	test/mpi/test_agreement \
	test/mpi/test_barrier_timeout \
	test/mpi/test_bounded_plane \
	test/mpi/test_check_mode \
	test/mpi/test_cpp_api \
	test/mpi/test_cpp_methods \
	test/mpi/test_dataplane_api \
	test/mpi/test_exchange \
	test/mpi/test_device_plane \
	test/mpi/test_groups \
	test/mpi/test_handles \
	test/mpi/test_host_collectives \
	test/mpi/test_join \
	test/mpi/test_join_attacks \
	test/mpi/test_locality \
	test/mpi/test_mem_alloc \
	test/mpi/test_message_queue \
	test/mpi/test_mpi_core \
	test/mpi/test_object_channels \
	test/mpi/test_objects \
	test/mpi/test_send_buffered \
	test/mpi/test_shm_allreduce \
	test/mpi/test_shm_ring \
	test/mpi/test_state \
	test/mpi/test_tensor_dict \
	test/mpi/test_vcollectives
# test_abi: the 1.0 ABI's additions (group communicator, Fortran handles, config initializer,
# struct_size). test_agreement: the v-collectives' agreement on one node (shared memory: the
# member that differs, many calls in step, a missing member's timeout, nothing left behind).
# test_barrier_timeout, test_groups, test_objects: groups and their control plane.
# test_object_channels: objects through shared memory between members on one node (also on two
# simulated nodes, two-nodes.sh).
# test_check_mode: MPCOMM_CHECK's cross-member agreement, and bounded calls without it.
# test_cpp_api: mpcomm.hpp; test_cpp_methods: every method of it. test_dataplane_api: the data
# plane's C API on groups (every operation, dtype and op, dispatch, errors). test_device_plane:
# the device calls without a GPU. test_exchange: the v-collectives' data through the shared-memory
# exchange on one node (which calls take it, members that disagree read nothing, many calls in
# step, also on two simulated nodes).
# test_send_buffered: send_object does not wait for its receiver. test_handles: dead handles.
# test_host_collectives, test_shm_allreduce: the host plane; test_bounded_plane: its MPI calls
# bounded by a deadline (MPCOMM_HOST_BOUNDED=1).
# test_mem_alloc: mpcomm_mem_alloc/mem_free and the shared-memory allreduce reading pool memory
# in place.
# test_join: mpcomm_group_join in one job; test_join_attacks: under attack (foreign, malformed
# and unproven hellos, idle connections). test_locality: node locality (also on two simulated
# nodes, two-nodes.sh). test_message_queue, test_shm_ring: the message-queue broadcaster.
# test_state: the parallel state and DP helpers. test_tensor_dict: tensor dict exchange.
# test_vcollectives: all_gatherv, reduce_scatterv, all_to_all, all_to_allv (every dtype, the
# large-count paths, the agreement of the members, every argument error).
noinst_HEADERS += test/mpi/group_test_util.hpp test/mpi/dataplane_test_util.hpp \
	test/mpi/shm_test_util.hpp

# Programs run by the scripts below, and calls after MPI_Finalize (at 1 and 2 ranks).
check_PROGRAMS += test/mpi/join_peer test/mpi/killed_rank test/mpi/node_cpus_probe \
	test/mpi/after_finalize test/mpi/killed_in_allreduce
test_mpi_join_peer_SOURCES = test/mpi/join_peer.c
test_mpi_join_peer_LDADD = libmpcomm.la
test_mpi_killed_rank_SOURCES = test/mpi/killed_rank.c
test_mpi_killed_rank_LDADD = libmpcomm.la
test_mpi_killed_in_allreduce_SOURCES = test/mpi/killed_in_allreduce.c
test_mpi_killed_in_allreduce_LDADD = libmpcomm.la
test_mpi_node_cpus_probe_LDADD = $(MPCOMM_INTERNAL_LIBS)
test_mpi_after_finalize_SOURCES = test/mpi/after_finalize.c
test_mpi_after_finalize_LDADD = libmpcomm.la
TESTS += test/mpi/after_finalize.1.mpi test/mpi/after_finalize.2.mpi
CLEANFILES += test/mpi/after_finalize.1.mpi test/mpi/after_finalize.2.mpi

# join-jobs.sh: mpcomm_group_join across separate mpirun jobs, with and without an ompi-server.
# killed-rank.sh: a rank killed while shared memory exists leaves nothing in /dev/shm.
# killed-in-allreduce.sh: a rank killed inside a host all_reduce, or while the others wait in
# the v-collectives' shared-memory agreement; the survivors get TIMEOUT,
# BROKEN, and finish MPI_Finalize. node-cpus.sh: the node's processes against the CPUs of their
# affinity masks, with and without binding.
# perf-smoke.sh: mpcomm-perf at 2 ranks (every operation, the JSON keys, the table, bad
# options). two-nodes.sh: the locality tests on two simulated nodes.
TESTS += test/mpi/join-jobs.sh test/mpi/killed-rank.sh test/mpi/killed-in-allreduce.sh \
	test/mpi/node-cpus.sh test/mpi/perf-smoke.sh
if HAVE_GTEST
TESTS += test/mpi/two-nodes.sh
endif
EXTRA_DIST += test/mpi/join-jobs.sh test/mpi/killed-rank.sh test/mpi/killed-in-allreduce.sh \
	test/mpi/node-cpus.sh test/mpi/perf-smoke.sh test/mpi/two-nodes.sh test/mpi/fake-ssh
