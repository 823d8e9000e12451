# The soak: 10^4 mixed operations at 4 ranks, every result checked (10^6 by hand: README.md,
# "Running tests by hand").
check_PROGRAMS += test/soak/soak
test_soak_soak_SOURCES = test/soak/soak.cpp
test_soak_soak_LDADD = libmpcomm.la
TESTS += test/soak/soak.sh
EXTRA_DIST += test/soak/soak.sh
