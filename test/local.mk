# make check: unit tests (no MPI), MPI tests under mpirun at 1, 2 and 4 ranks, the C99 header
# test and the GPU tests (which skip with 77 where there is no GPU).
# An MPI test named PROG.N.mpi runs PROG under mpirun with N ranks (scripts/mpi-test-run).
TEST_EXTENSIONS = .mpi
MPI_LOG_COMPILER = $(SHELL) $(top_builddir)/scripts/mpi-test-run
AM_TESTS_ENVIRONMENT = LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/test/lsan.supp:print_suppressions=0; export LSAN_OPTIONS; \
	MPCOMM_TEST_SRCDIR='$(abs_top_srcdir)'; export MPCOMM_TEST_SRCDIR; \
	MPCOMM_TEST_BUILDDIR='$(abs_top_builddir)'; export MPCOMM_TEST_BUILDDIR;

# The two test mains are built once, as small libraries; every test program names one of
# UNIT_LDADD (no MPI) or MPI_LDADD (under mpirun) as its _LDADD.
check_LIBRARIES = test/common/libunitmain.a test/common/libmpimain.a
test_common_libunitmain_a_SOURCES = test/common/unit_main.cpp test/common/test_summary.hpp test/common/scoped_env.hpp \
	test/common/expect_error.hpp
test_common_libmpimain_a_SOURCES = test/common/mpi_main.cpp test/common/test_summary.hpp
UNIT_LDADD = test/common/libunitmain.a $(MPCOMM_INTERNAL_LIBS) $(GTEST_LIBS)
MPI_LDADD = test/common/libmpimain.a $(MPCOMM_INTERNAL_LIBS) $(GTEST_LIBS)
AM_CPPFLAGS += $(GTEST_CFLAGS) -I$(top_srcdir)/test/common

# Sanitizer builds preload a shim that keeps MPI's components mapped (see no_dlclose.c).
if SANITIZERS
check_LTLIBRARIES = test/common/libnodlclose.la
test_common_libnodlclose_la_SOURCES = test/common/no_dlclose.c
test_common_libnodlclose_la_CFLAGS = -O1
test_common_libnodlclose_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
AM_TESTS_ENVIRONMENT += MPCOMM_TEST_PRELOAD=$(abs_top_builddir)/test/common/.libs/libnodlclose.so; \
	export MPCOMM_TEST_PRELOAD; ASAN_OPTIONS=verify_asan_link_order=0:fast_unwind_on_malloc=0; export ASAN_OPTIONS; \
	MPCOMM_TEST_TIME_SCALE=$${MPCOMM_TEST_TIME_SCALE:-4}; export MPCOMM_TEST_TIME_SCALE;
endif
EXTRA_DIST += test/common/no_dlclose.c

# Unit tests (GoogleTest, no MPI): add a program to UNIT_TESTS and give it _SOURCES.
UNIT_TESTS = test/unit/test_core
test_unit_test_core_SOURCES = test/unit/test_core.cpp
test_unit_test_core_LDADD = $(UNIT_LDADD)
UNIT_TESTS += test/unit/test_custom_allreduce_rules
test_unit_test_custom_allreduce_rules_SOURCES = test/unit/test_custom_allreduce_rules.cpp
test_unit_test_custom_allreduce_rules_LDADD = $(UNIT_LDADD)
UNIT_TESTS += test/unit/test_custom_allreduce_model
test_unit_test_custom_allreduce_model_SOURCES = test/unit/test_custom_allreduce_model.cpp
test_unit_test_custom_allreduce_model_LDADD = $(UNIT_LDADD)

UNIT_TESTS += test/unit/test_topology
test_unit_test_topology_SOURCES = test/unit/test_topology.cpp
test_unit_test_topology_LDADD = $(UNIT_LDADD)

# MPI tests (GoogleTest under mpirun): each runs at 1, 2 and 4 ranks.
MPI_TESTS = test/mpi/test_mpi_core
test_mpi_test_mpi_core_SOURCES = test/mpi/test_mpi_core.cpp
test_mpi_test_mpi_core_LDADD = $(MPI_LDADD)

# The public header, compiled as strict C99.
C_TESTS = test/c/header_c99
test_c_header_c99_SOURCES = test/c/header_c99.c
test_c_header_c99_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
test_c_header_c99_LDADD = libmpcomm.la
# The same as C11: the header's static assertions of the version 1 layout then apply.
C_TESTS += test/c/header_c11
test_c_header_c11_SOURCES = test/c/header_c99.c
test_c_header_c11_CFLAGS = -std=c11 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
test_c_header_c11_LDADD = libmpcomm.la

# GPU tests: run on a machine with a GPU (scripts in test/gpu), skip with 77 elsewhere.
# GoogleTest GPU tests go in GPU_TESTS (under `if HAVE_CUDA`); none at present.
GPU_TESTS =

# GPU tests without GoogleTest or MPI (test/gpu/gpu_check.hpp), so that test/gpu/run-on-gpu.sh
# also builds them with nvcc alone on a GPU machine; they skip with 77 where there is no GPU.
# custom_allreduce_sim_perf is the timing table of the simulated allreduce: built, not run.
GPU_PLAIN_TESTS =
GPU_LDADD = $(MPCOMM_INTERNAL_LIBS) $(CUDA_LDFLAGS) $(CUDA_LIBS)
if HAVE_CUDA
GPU_PLAIN_TESTS += test/gpu/test_device_probe test/gpu/test_custom_allreduce_sim
test_gpu_test_device_probe_SOURCES = test/gpu/test_device_probe.cpp test/gpu/gpu_check.hpp
test_gpu_test_device_probe_LDADD = $(GPU_LDADD)
test_gpu_test_custom_allreduce_sim_SOURCES = test/gpu/test_custom_allreduce_sim.cpp \
	test/gpu/gpu_check.hpp
test_gpu_test_custom_allreduce_sim_LDADD = $(GPU_LDADD)
check_PROGRAMS += $(GPU_PLAIN_TESTS) test/gpu/custom_allreduce_sim_perf
TESTS += $(GPU_PLAIN_TESTS)
test_gpu_custom_allreduce_sim_perf_SOURCES = test/gpu/custom_allreduce_sim_perf.cpp
test_gpu_custom_allreduce_sim_perf_LDADD = $(GPU_LDADD)
endif
EXTRA_DIST += test/gpu/run-on-gpu.sh test/gpu/stage-dataplane.sh test/gpu/dataplane-env.sh \
	test/gpu/without-system-mpi.sh

if HAVE_GTEST
check_PROGRAMS += $(UNIT_TESTS) $(MPI_TESTS) $(GPU_TESTS)
TESTS += $(UNIT_TESTS) $(GPU_TESTS)
TESTS += $(MPI_TESTS:=.1.mpi) $(MPI_TESTS:=.2.mpi) $(MPI_TESTS:=.4.mpi)
endif
check_PROGRAMS += $(C_TESTS)
TESTS += $(C_TESTS)
# The C++ header under C++14: one #error naming C++17.
TESTS += test/c/hpp-needs-cxx17.sh
EXTRA_DIST += test/c/hpp-needs-cxx17.sh
AM_TESTS_ENVIRONMENT += MPICXX='$(MPICXX)'; export MPICXX;

# The .N.mpi file only stands for the run; its name carries the program and the rank count.
%.1.mpi: %$(EXEEXT)
	@echo "$* on 1 rank" >$@
%.2.mpi: %$(EXEEXT)
	@echo "$* on 2 ranks" >$@
%.4.mpi: %$(EXEEXT)
	@echo "$* on 4 ranks" >$@
CLEANFILES += $(MPI_TESTS:=.1.mpi) $(MPI_TESTS:=.2.mpi) $(MPI_TESTS:=.4.mpi)

# The closing line of a run: N passed, N failed[, N skipped].
check-summary:
	@$(SHELL) $(top_srcdir)/scripts/test-summary $(top_builddir)
EXTRA_DIST += test/lsan.supp scripts/mpi-test-run.in scripts/test-summary scripts/install-deps scripts/check \
	scripts/build .ci/run
.PHONY: check-summary

# Parallel configuration, rank layout and pipeline partition (pure: no MPI).
UNIT_TESTS += test/unit/test_parallel_config test/unit/test_layout test/unit/test_pp_indices
test_unit_test_parallel_config_SOURCES = test/unit/test_parallel_config.cpp
test_unit_test_parallel_config_LDADD = $(UNIT_LDADD)
test_unit_test_layout_SOURCES = test/unit/test_layout.cpp
test_unit_test_layout_LDADD = $(UNIT_LDADD)
test_unit_test_pp_indices_SOURCES = test/unit/test_pp_indices.cpp
test_unit_test_pp_indices_LDADD = $(UNIT_LDADD)

# The installed programs and the installed library, used as a user would.
TEST_EXTENSIONS += .sh
SH_LOG_COMPILER = env MPIRUN='$(MPIRUN)' OMPI_SERVER='$(OMPI_SERVER)' $(SHELL)
TESTS += test/tools/mpcomm_info.sh test/tools/install_pkgconfig.sh test/tools/configure-summary.sh \
	test/tools/man-pages.sh
EXTRA_DIST += test/tools/mpcomm_info.sh test/tools/install_pkgconfig.sh test/tools/outside.c \
	test/tools/configure-summary.sh test/tools/man-pages.sh
# The tree itself: the include graph follows the layers of HACKING.md, and every source follows
# .clang-format.
TESTS += test/tools/layers.sh test/tools/format.sh
EXTRA_DIST += test/tools/layers.sh test/tools/format.sh
AM_TESTS_ENVIRONMENT += MPCOMM_TEST_MPIRUN='$(MPIRUN)'; export MPCOMM_TEST_MPIRUN; \
	CC='$(CC)'; export CC; MPCOMM_TEST_SAN_FLAGS='$(MPCOMM_SAN_FLAGS)'; export MPCOMM_TEST_SAN_FLAGS; PKG_CONFIG='$(PKG_CONFIG)'; export PKG_CONFIG; \
	MAKE='$(MAKE)'; export MAKE;
# Groups and their control plane (objects, barrier, timeouts).
MPI_TESTS += test/mpi/test_groups
test_mpi_test_groups_SOURCES = test/mpi/test_groups.cpp test/mpi/group_test_util.hpp
test_mpi_test_groups_LDADD = $(MPI_LDADD)
MPI_TESTS += test/mpi/test_objects test/mpi/test_barrier_timeout
test_mpi_test_objects_SOURCES = test/mpi/test_objects.cpp test/mpi/group_test_util.hpp
test_mpi_test_objects_LDADD = $(MPI_LDADD)
test_mpi_test_barrier_timeout_SOURCES = test/mpi/test_barrier_timeout.cpp
test_mpi_test_barrier_timeout_LDADD = $(MPI_LDADD)
# mpcomm.hpp's MessagePack codec against msgpack-c (a test-only dependency).
if HAVE_MSGPACK
UNIT_TESTS += test/unit/test_msgpack
endif
test_unit_test_msgpack_SOURCES = test/unit/test_msgpack.cpp
test_unit_test_msgpack_CPPFLAGS = $(AM_CPPFLAGS) $(MSGPACK_CFLAGS)
test_unit_test_msgpack_LDADD = $(UNIT_LDADD) $(MSGPACK_LIBS)
MPI_TESTS += test/mpi/test_cpp_api
test_mpi_test_cpp_api_SOURCES = test/mpi/test_cpp_api.cpp test/mpi/group_test_util.hpp
test_mpi_test_cpp_api_LDADD = $(MPI_LDADD)

# Node locality (also run on two simulated nodes by test/mpi/two-nodes.sh).
MPI_TESTS += test/mpi/test_locality
test_mpi_test_locality_SOURCES = test/mpi/test_locality.cpp
test_mpi_test_locality_LDADD = $(MPI_LDADD)
if HAVE_GTEST
TESTS += test/mpi/two-nodes.sh
endif
EXTRA_DIST += test/mpi/two-nodes.sh test/mpi/fake-ssh

# The shared-memory ring of the message-queue broadcaster.
MPI_TESTS += test/mpi/test_shm_ring
test_mpi_test_shm_ring_SOURCES = test/mpi/test_shm_ring.cpp
test_mpi_test_shm_ring_LDADD = $(MPI_LDADD)
# Parallel state and DP helpers.
MPI_TESTS += test/mpi/test_state
test_mpi_test_state_SOURCES = test/mpi/test_state.cpp
test_mpi_test_state_LDADD = $(MPI_LDADD)
MPI_TESTS += test/mpi/test_message_queue
test_mpi_test_message_queue_SOURCES = test/mpi/test_message_queue.cpp
test_mpi_test_message_queue_LDADD = $(MPI_LDADD)
# mpcomm_group_join inside one job (and, with join-jobs.sh, across separate mpirun jobs).
MPI_TESTS += test/mpi/test_join
test_mpi_test_join_SOURCES = test/mpi/test_join.cpp test/mpi/group_test_util.hpp
test_mpi_test_join_LDADD = $(MPI_LDADD)
# mpcomm_group_join across separate mpirun jobs, with and without an ompi-server.
check_PROGRAMS += test/mpi/join_peer
test_mpi_join_peer_SOURCES = test/mpi/join_peer.c
test_mpi_join_peer_LDADD = libmpcomm.la
TESTS += test/mpi/join-jobs.sh
EXTRA_DIST += test/mpi/join-jobs.sh
# The rendezvous wire format and policy (no MPI).
UNIT_TESTS += test/unit/test_rendezvous_protocol
test_unit_test_rendezvous_protocol_SOURCES = test/unit/test_rendezvous_protocol.cpp
test_unit_test_rendezvous_protocol_LDADD = $(UNIT_LDADD)
# mpcomm-perf at 2 ranks: every operation, the JSON keys, the table, bad options (exit 2).
TESTS += test/mpi/perf-smoke.sh
EXTRA_DIST += test/mpi/perf-smoke.sh
# The shared-memory allreduce of the host data plane.
MPI_TESTS += test/mpi/test_shm_allreduce
test_mpi_test_shm_allreduce_SOURCES = test/mpi/test_shm_allreduce.cpp
test_mpi_test_shm_allreduce_LDADD = $(MPI_LDADD)
# The host data plane (lib/dataplane): 16-bit float conversions, dtypes and tensor checks
# without MPI; the collectives on MPI_COMM_WORLD at every rank count.
UNIT_TESTS += test/unit/test_half test/unit/test_dtype_tensor
test_unit_test_half_SOURCES = test/unit/test_half.cpp
test_unit_test_half_LDADD = $(UNIT_LDADD)
test_unit_test_dtype_tensor_SOURCES = test/unit/test_dtype_tensor.cpp
test_unit_test_dtype_tensor_LDADD = $(UNIT_LDADD)
MPI_TESTS += test/mpi/test_host_collectives
test_mpi_test_host_collectives_SOURCES = test/mpi/test_host_collectives.cpp
test_mpi_test_host_collectives_LDADD = $(MPI_LDADD)

# GPU data plane: the dispatch rules (pure), the device calls without a GPU (MPI), and, with
# CUDA and NCCL, the one-GPU tests (skip with 77 where there is no GPU).
UNIT_TESTS += test/unit/test_device_dispatch
test_unit_test_device_dispatch_SOURCES = test/unit/test_device_dispatch.cpp
test_unit_test_device_dispatch_LDADD = $(UNIT_LDADD)
# The P2P check's pure parts (its output, verdict and cache) and the child-process runner.
UNIT_TESTS += test/unit/test_p2p_check
test_unit_test_p2p_check_SOURCES = test/unit/test_p2p_check.cpp
test_unit_test_p2p_check_LDADD = $(UNIT_LDADD)
# The tests run the P2P check from the build tree, not from where it will be installed.
if HAVE_CUDA
AM_TESTS_ENVIRONMENT += MPCOMM_P2P_CHECK_PROGRAM='$(abs_top_builddir)/tools/mpcomm-p2p-check'; \
	export MPCOMM_P2P_CHECK_PROGRAM;
endif
MPI_TESTS += test/mpi/test_device_plane
test_mpi_test_device_plane_SOURCES = test/mpi/test_device_plane.cpp
test_mpi_test_device_plane_LDADD = $(MPI_LDADD)
if HAVE_NCCL
GPU_PLAIN_TESTS += test/gpu/test_device_plane_gpu
test_gpu_test_device_plane_gpu_SOURCES = test/gpu/test_device_plane_gpu.cpp test/gpu/gpu_check.hpp
test_gpu_test_device_plane_gpu_LDADD = $(GPU_LDADD)
endif
# A rank killed while windows exist leaves nothing in /dev/shm.
check_PROGRAMS += test/mpi/killed_rank
test_mpi_killed_rank_SOURCES = test/mpi/killed_rank.c
test_mpi_killed_rank_LDADD = libmpcomm.la
TESTS += test/mpi/killed-rank.sh
EXTRA_DIST += test/mpi/killed-rank.sh

# Tensor dicts: the dict API and the metadata codec (malformed metadata) without MPI; broadcast,
# send/recv and the all_gather_group path at every rank count.
UNIT_TESTS += test/unit/test_tensor_dict
test_unit_test_tensor_dict_SOURCES = test/unit/test_tensor_dict.cpp
test_unit_test_tensor_dict_LDADD = $(UNIT_LDADD)
MPI_TESTS += test/mpi/test_tensor_dict
test_mpi_test_tensor_dict_SOURCES = test/mpi/test_tensor_dict.cpp test/mpi/group_test_util.hpp
test_mpi_test_tensor_dict_LDADD = $(MPI_LDADD)
# The data plane's C API on groups: every operation, dtype and op, dispatch, errors, states.
MPI_TESTS += test/mpi/test_dataplane_api
test_mpi_test_dataplane_api_SOURCES = test/mpi/test_dataplane_api.cpp test/mpi/group_test_util.hpp
test_mpi_test_dataplane_api_LDADD = $(MPI_LDADD)
# mpcomm on a private one-node Slurm cluster: srun --mpi=pmix, sbatch (examples/slurm), salloc +
# mpirun, and the diagnostic for srun without PMIx. Skips (77) where Slurm is not installed.
if HAVE_GTEST
TESTS += test/slurm/slurm-cluster.sh
endif
EXTRA_DIST += test/slurm/slurm-cluster.sh examples/slurm/tp_pp_mlp.sbatch
# The node's processes against the CPUs of their affinity masks (locality::node_cpus), under
# mpirun with and without binding (and under srun in test/slurm/slurm-cluster.sh).
check_PROGRAMS += test/mpi/node_cpus_probe
test_mpi_node_cpus_probe_SOURCES = test/mpi/node_cpus_probe.cpp
test_mpi_node_cpus_probe_LDADD = $(MPCOMM_INTERNAL_LIBS)
TESTS += test/mpi/node-cpus.sh
EXTRA_DIST += test/mpi/node-cpus.sh
# The 1.0 ABI's additions: a group's communicator, Fortran handles, the config initializer and
# the group info's struct_size, in C and C++.
MPI_TESTS += test/mpi/test_abi
test_mpi_test_abi_SOURCES = test/mpi/test_abi.cpp test/mpi/group_test_util.hpp
test_mpi_test_abi_LDADD = $(MPI_LDADD)
# The installed library: libmpcomm.so exports exactly the functions of mpcomm.h (nm -D).
TESTS += test/tools/exports.sh
EXTRA_DIST += test/tools/exports.sh
# mpcomm_group_join under attack: foreign, malformed and unproven hellos, idle connections.
MPI_TESTS += test/mpi/test_join_attacks
test_mpi_test_join_attacks_SOURCES = test/mpi/test_join_attacks.cpp test/mpi/group_test_util.hpp
test_mpi_test_join_attacks_LDADD = $(MPI_LDADD)
# The soak: 10^4 mixed operations at 4 ranks, every result checked (10^6 by hand: README.md, "Running tests by hand").
check_PROGRAMS += test/soak/soak
test_soak_soak_SOURCES = test/soak/soak.cpp
test_soak_soak_LDADD = libmpcomm.la
TESTS += test/soak/soak.sh
EXTRA_DIST += test/soak/soak.sh
