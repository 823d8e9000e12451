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
test_common_libunitmain_a_SOURCES = test/common/unit_main.cpp test/common/test_summary.hpp
test_common_libmpimain_a_SOURCES = test/common/mpi_main.cpp test/common/test_summary.hpp
UNIT_LDADD = test/common/libunitmain.a libmpcomm.la $(GTEST_LIBS)
MPI_LDADD = test/common/libmpimain.a libmpcomm.la $(GTEST_LIBS)
AM_CPPFLAGS += $(GTEST_CFLAGS) -I$(top_srcdir)/test/common

# Sanitizer builds preload a shim that keeps MPI's components mapped (see no_dlclose.c).
if SANITIZERS
check_LTLIBRARIES = test/common/libnodlclose.la
test_common_libnodlclose_la_SOURCES = test/common/no_dlclose.c
test_common_libnodlclose_la_CFLAGS = -O1
test_common_libnodlclose_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
AM_TESTS_ENVIRONMENT += MPCOMM_TEST_PRELOAD=$(abs_top_builddir)/test/common/.libs/libnodlclose.so; \
	export MPCOMM_TEST_PRELOAD; ASAN_OPTIONS=verify_asan_link_order=0:fast_unwind_on_malloc=0; export ASAN_OPTIONS;
endif
EXTRA_DIST += test/common/no_dlclose.c

# Unit tests (GoogleTest, no MPI): add a program to UNIT_TESTS and give it _SOURCES.
UNIT_TESTS = test/unit/test_core
test_unit_test_core_SOURCES = test/unit/test_core.cpp
test_unit_test_core_LDADD = $(UNIT_LDADD)

# MPI tests (GoogleTest under mpirun): each runs at 1, 2 and 4 ranks.
MPI_TESTS = test/mpi/test_mpi_core
test_mpi_test_mpi_core_SOURCES = test/mpi/test_mpi_core.cpp
test_mpi_test_mpi_core_LDADD = $(MPI_LDADD)

# The public header, compiled as strict C99.
C_TESTS = test/c/header_c99
test_c_header_c99_SOURCES = test/c/header_c99.c
test_c_header_c99_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
test_c_header_c99_LDADD = libmpcomm.la

# GPU tests: run on a machine with a GPU (scripts in test/gpu), skip with 77 elsewhere.
GPU_TESTS =
if HAVE_CUDA
GPU_TESTS += test/gpu/test_device_probe
test_gpu_test_device_probe_SOURCES = test/gpu/test_device_probe.cpp
test_gpu_test_device_probe_LDADD = $(UNIT_LDADD)
endif

if HAVE_GTEST
check_PROGRAMS += $(UNIT_TESTS) $(MPI_TESTS) $(GPU_TESTS)
TESTS += $(UNIT_TESTS) $(GPU_TESTS)
TESTS += $(MPI_TESTS:=.1.mpi) $(MPI_TESTS:=.2.mpi) $(MPI_TESTS:=.4.mpi)
endif
check_PROGRAMS += $(C_TESTS)
TESTS += $(C_TESTS)

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
