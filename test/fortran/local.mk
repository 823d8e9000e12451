# Fortran (use mpcomm, fortran/local.mk): the module's test with mpi_f08 and one from a `use mpi`
# program (integer communicators), under mpirun at 1, 2 and 4 ranks; a failing call without
# ierror (error stop); every constant of mpcomm.h against the module; the strict compile
# (-std=f2018 -Wall -Werror) and what must not compile; and an outside program built against an
# installed copy with pkg-config.
FORTRAN_TESTS = test/fortran/test_f08 test/fortran/test_mpi_int
EXTRA_DIST += test/fortran/test_f08.F90 test/fortran/test_mpi_int.F90 test/fortran/error_stop.F90 \
	test/fortran/outside.f90 test/fortran/constants.sh test/fortran/strict.sh \
	test/fortran/error-stop.sh test/tools/install_fortran.sh
if BUILD_FORTRAN
test_fortran_test_f08_SOURCES = test/fortran/test_f08.F90
test_fortran_test_f08_LDADD = libmpcomm_f.la libmpcomm.la
test_fortran_test_mpi_int_SOURCES = test/fortran/test_mpi_int.F90
test_fortran_test_mpi_int_LDADD = libmpcomm_f.la libmpcomm.la
test_fortran_error_stop_SOURCES = test/fortran/error_stop.F90
test_fortran_error_stop_LDADD = libmpcomm_f.la libmpcomm.la
check_PROGRAMS += $(FORTRAN_TESTS) test/fortran/error_stop
# A program that uses the module compiles after it.
test/fortran/test_f08.$(OBJEXT) test/fortran/test_mpi_int.$(OBJEXT) \
	test/fortran/error_stop.$(OBJEXT): libmpcomm_f.la
TESTS += $(FORTRAN_TESTS:=.1.mpi) $(FORTRAN_TESTS:=.2.mpi) $(FORTRAN_TESTS:=.4.mpi)
CLEANFILES += $(FORTRAN_TESTS:=.1.mpi) $(FORTRAN_TESTS:=.2.mpi) $(FORTRAN_TESTS:=.4.mpi)
TESTS += test/fortran/error-stop.sh test/fortran/constants.sh test/fortran/strict.sh \
	test/tools/install_fortran.sh
AM_TESTS_ENVIRONMENT += FC='$(FC)'; export FC;
# make install relinks libmpcomm_f (libtool), through one temporary file: one install at a time.
test/tools/install_fortran.log: test/tools/install_pkgconfig.log
endif
