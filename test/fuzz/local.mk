# libFuzzer harnesses for every decoder of received bytes (test/fuzz/README.md). `make fuzz`
# builds them when configure found clang with libFuzzer (FUZZ_CXX); make check replays the seed
# corpora and runs each harness for a few seconds (fuzz-smoke.sh, which skips without them).
FUZZ_HARNESSES = fuzz_msgpack fuzz_tensordict_metadata fuzz_tensordict_message fuzz_eager_header \
	fuzz_rendezvous fuzz_ring_slot fuzz_object_slot
EXTRA_DIST += test/fuzz/README.md test/fuzz/build.sh test/fuzz/fuzz-smoke.sh \
	test/fuzz/fuzz_common.hpp $(FUZZ_HARNESSES:%=test/fuzz/%.cpp) test/fuzz/corpus
if HAVE_FUZZER
fuzz: libmpcomm_internal.la
	@FUZZ_CXX='$(FUZZ_CXX)' MPICXX='$(MPICXX)' \
	FUZZ_CPPFLAGS='$(DEFS) -I$(top_builddir) $(AM_CPPFLAGS) $(CPPFLAGS)' \
	FUZZ_LIBS='$(HWLOC_LIBS) $(CRYPTO_LIBS) $(CUDA_LDFLAGS) $(CUDA_LIBS) $(NCCL_LDFLAGS) $(NCCL_LIBS) $(LIBS)' \
	$(SHELL) $(top_srcdir)/test/fuzz/build.sh $(top_srcdir) $(top_builddir)
else
fuzz:
	@echo "make fuzz: configure found no clang++ with libFuzzer (FUZZ_CXX); nothing to build"
endif
.PHONY: fuzz
TESTS += test/fuzz/fuzz-smoke.sh
test/fuzz/fuzz-smoke.log: fuzz
AM_TESTS_ENVIRONMENT += MPCOMM_TEST_FUZZ_CXX='$(FUZZ_CXX)'; export MPCOMM_TEST_FUZZ_CXX; \
	MPCOMM_TEST_FUZZ_SECONDS=$${MPCOMM_TEST_FUZZ_SECONDS:-4}; export MPCOMM_TEST_FUZZ_SECONDS;
CLEANFILES += $(FUZZ_HARNESSES:%=test/fuzz/%) test/fuzz/obj/*.o
# The seed corpora's generator (not built by default; see make_seeds.cpp).
EXTRA_PROGRAMS = test/fuzz/make_seeds
test_fuzz_make_seeds_SOURCES = test/fuzz/make_seeds.cpp
test_fuzz_make_seeds_LDADD = $(MPCOMM_INTERNAL_LIBS)
CLEANFILES += test/fuzz/make_seeds
EXTRA_DIST += test/fuzz/make_seeds.cpp
