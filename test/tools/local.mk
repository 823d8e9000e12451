# The installed programs and the installed library, used as a user would: mpcomm-info, an
# outside program built with pkg-config against an installed copy, the configure summary, the
# man pages, and the exports of libmpcomm.so (only the functions of mpcomm.h, nm -D).
TESTS += test/tools/mpcomm_info.sh test/tools/install_pkgconfig.sh test/tools/configure-summary.sh \
	test/tools/man-pages.sh test/tools/exports.sh
EXTRA_DIST += test/tools/mpcomm_info.sh test/tools/install_pkgconfig.sh test/tools/outside.c \
	test/tools/configure-summary.sh test/tools/man-pages.sh test/tools/exports.sh
# The tree itself: the include graph follows the layers of HACKING.md, every source follows
# .clang-format, and the C++ API calls every function of the C API.
TESTS += test/tools/layers.sh test/tools/format.sh test/tools/cxx-coverage.sh
EXTRA_DIST += test/tools/layers.sh test/tools/format.sh test/tools/cxx-coverage.sh
