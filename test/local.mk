# make check: unit tests (no MPI), MPI tests under mpirun at 1, 2 and 4 ranks, the C header
# tests, the GPU tests (which skip with 77 where there is no GPU), the programs and the tree as
# a user and a reviewer meet them. Each folder of test/ adds its tests in its own local.mk.
#
# Adding a test: a GoogleTest file test/unit/test_x.cpp is one line in test/unit/local.mk,
# `UNIT_TESTS += test/unit/test_x`; a file test/mpi/test_x.cpp is one line in
# test/mpi/local.mk, `MPI_TESTS += test/mpi/test_x`, and runs at 1, 2 and 4 ranks. Sources
# default to the program's name with .cpp, and every test program links LDADD below unless it
# says otherwise.
#
# An MPI test named PROG.N.mpi runs PROG under mpirun with N ranks (scripts/mpi-test-run).
# Tests run in checking mode (MPCOMM_CHECK=1, unless the caller's environment sets it).
TEST_EXTENSIONS = .mpi .sh
MPI_LOG_COMPILER = $(SHELL) $(top_builddir)/scripts/mpi-test-run
SH_LOG_COMPILER = env MPIRUN='$(MPIRUN)' OMPI_SERVER='$(OMPI_SERVER)' $(SHELL) \
	$(top_srcdir)/scripts/sh-test-run $(SHELL)
AM_TESTS_ENVIRONMENT = LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/test/lsan.supp:print_suppressions=0; export LSAN_OPTIONS; \
	MPCOMM_TEST_SRCDIR='$(abs_top_srcdir)'; export MPCOMM_TEST_SRCDIR; \
	MPCOMM_TEST_BUILDDIR='$(abs_top_builddir)'; export MPCOMM_TEST_BUILDDIR; \
	MPCOMM_TEST_MPIRUN='$(MPIRUN)'; export MPCOMM_TEST_MPIRUN; \
	CC='$(CC)'; export CC; MPCOMM_TEST_SAN_FLAGS='$(MPCOMM_SAN_FLAGS)'; export MPCOMM_TEST_SAN_FLAGS; \
	PKG_CONFIG='$(PKG_CONFIG)'; export PKG_CONFIG; MAKE='$(MAKE)'; export MAKE; \
	MPICXX='$(MPICXX)'; export MPICXX; \
	MPCOMM_CHECK=$${MPCOMM_CHECK:-1}; export MPCOMM_CHECK;

# The two test mains are built once, as small libraries: the MPI tests' (every rank runs every
# test and the ranks agree on each outcome) is the default, the unit tests name theirs.
check_LIBRARIES = test/common/libunitmain.a test/common/libmpimain.a
test_common_libunitmain_a_SOURCES = test/common/unit_main.cpp test/common/test_summary.hpp test/common/scoped_env.hpp \
	test/common/expect_error.hpp
test_common_libmpimain_a_SOURCES = test/common/mpi_main.cpp test/common/test_summary.hpp
UNIT_LDADD = test/common/libunitmain.a $(MPCOMM_INTERNAL_LIBS) $(GTEST_LIBS)
MPI_LDADD = test/common/libmpimain.a $(MPCOMM_INTERNAL_LIBS) $(GTEST_LIBS)
LDADD = $(MPI_LDADD)
AM_DEFAULT_SOURCE_EXT = .cpp
AM_CPPFLAGS += $(GTEST_CFLAGS) -I$(top_srcdir)/test/common

# Sanitizer builds preload a shim that keeps MPI's components mapped (see no_dlclose.c).
# intercept_tls_get_addr=0: up to GCC 13, the runtime takes a dynamic TLS block that malloc
# happened to place at a page offset of 16 for a glibc 2.19 header, and LeakSanitizer's tracer
# then reads a bogus range and dies at exit (google/sanitizers#1322; seen in test_device_plane).
if SANITIZERS
check_LTLIBRARIES = test/common/libnodlclose.la
test_common_libnodlclose_la_SOURCES = test/common/no_dlclose.c
test_common_libnodlclose_la_CFLAGS = -O1
test_common_libnodlclose_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
AM_TESTS_ENVIRONMENT += MPCOMM_TEST_PRELOAD=$(abs_top_builddir)/test/common/.libs/libnodlclose.so; \
	export MPCOMM_TEST_PRELOAD; ASAN_OPTIONS=verify_asan_link_order=0:fast_unwind_on_malloc=0:intercept_tls_get_addr=0; export ASAN_OPTIONS; \
	MPCOMM_TEST_TIME_SCALE=$${MPCOMM_TEST_TIME_SCALE:-4}; export MPCOMM_TEST_TIME_SCALE;
endif
EXTRA_DIST += test/common/no_dlclose.c test/lsan.supp

UNIT_TESTS =
MPI_TESTS =
GPU_TESTS =
include $(srcdir)/test/unit/local.mk
include $(srcdir)/test/mpi/local.mk
include $(srcdir)/test/c/local.mk
include $(srcdir)/test/gpu/local.mk
include $(srcdir)/test/tools/local.mk
include $(srcdir)/test/slurm/local.mk
include $(srcdir)/test/fortran/local.mk
include $(srcdir)/test/soak/local.mk
include $(srcdir)/test/fuzz/local.mk

if HAVE_GTEST
check_PROGRAMS += $(UNIT_TESTS) $(MPI_TESTS) $(GPU_TESTS)
TESTS += $(UNIT_TESTS) $(GPU_TESTS)
TESTS += $(MPI_TESTS:=.1.mpi) $(MPI_TESTS:=.2.mpi) $(MPI_TESTS:=.4.mpi)
endif

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
EXTRA_DIST += scripts/mpi-test-run.in scripts/sh-test-run scripts/test-summary scripts/install-deps scripts/check \
	scripts/build .ci/run
.PHONY: check-summary
