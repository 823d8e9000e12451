# The Fortran module (use mpcomm) and its library libmpcomm_f: the module over the C API, and a
# small C file for what Fortran cannot see (the type of an assumed-type array). A library of
# its own, not objects in libmpcomm, so that C and C++ programs never depend on the Fortran
# runtime and the MPI Fortran bindings; Fortran programs link -lmpcomm_f -lmpcomm
# (mpcomm-fortran.pc). Built when configure found an MPI Fortran compiler with mpi_f08
# (--enable-fortran).
EXTRA_DIST += fortran/mpcomm.F90 fortran/mpcomm_f_shim.c fortran/mpcomm_version_f.inc.in \
	mpcomm-fortran.pc.in
# Every Fortran compile finds the module and its include file in fortran/ of the build tree.
AM_FCFLAGS = $(FC_MODINC)$(top_builddir)/fortran -I$(top_builddir)/fortran $(MPCOMM_FCFLAGS)
if BUILD_FORTRAN
lib_LTLIBRARIES += libmpcomm_f.la
libmpcomm_f_la_SOURCES = fortran/mpcomm.F90 fortran/mpcomm_f_shim.c
libmpcomm_f_la_FCFLAGS = $(AM_FCFLAGS) $(FC_MODOUT)$(top_builddir)/fortran
libmpcomm_f_la_CFLAGS = $(AM_CFLAGS) -std=c11
libmpcomm_f_la_LIBADD = libmpcomm.la
libmpcomm_f_la_LDFLAGS = -version-info $(MPCOMM_LT_VERSION)
pkgconfig_DATA += mpcomm-fortran.pc
# The module file (mpcomm.mod with gfortran) goes to fmoddir (--with-fmoddir; includedir).
MPCOMM_FMOD = fortran/mpcomm.mod
install-data-local: install-fortran-module
install-fortran-module: libmpcomm_f.la
	$(MKDIR_P) '$(DESTDIR)$(fmoddir)'
	$(INSTALL_DATA) $(MPCOMM_FMOD) '$(DESTDIR)$(fmoddir)/'
uninstall-local: uninstall-fortran-module
uninstall-fortran-module:
	rm -f '$(DESTDIR)$(fmoddir)/mpcomm.mod'
CLEANFILES += $(MPCOMM_FMOD)
endif
.PHONY: install-fortran-module uninstall-fortran-module
