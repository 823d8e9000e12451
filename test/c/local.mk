# The public headers as their users compile them: mpcomm.h as strict C99 and as C11 (where its
# static assertions of the version 1 layout apply), and mpcomm.hpp under C++14 (one #error
# naming C++17).
check_PROGRAMS += test/c/header_c99 test/c/header_c11
TESTS += test/c/header_c99 test/c/header_c11 test/c/hpp-needs-cxx17.sh
test_c_header_c99_SOURCES = test/c/header_c99.c
test_c_header_c99_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
test_c_header_c99_LDADD = libmpcomm.la
test_c_header_c11_SOURCES = test/c/header_c99.c
test_c_header_c11_CFLAGS = -std=c11 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
test_c_header_c11_LDADD = libmpcomm.la
EXTRA_DIST += test/c/hpp-needs-cxx17.sh
