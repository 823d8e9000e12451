# Examples: programs that use mpcomm as an application would (built with the tree, not
# installed). tp_pp_mlp is Quick start (a): a TP x PP x DP MLP checked against one process.
noinst_PROGRAMS = examples/tp_pp_mlp
examples_tp_pp_mlp_SOURCES = examples/tp_pp_mlp.cpp
examples_tp_pp_mlp_LDADD = libmpcomm.la
# make check runs it at 1, 2 and 4 ranks.
TESTS += test/examples/tp-pp-mlp.sh
EXTRA_DIST += test/examples/tp-pp-mlp.sh
# moe_ep: an expert-parallel MoE layer (all_to_allv dispatch and combine, and the naive
# all_gatherv / reduce_scatterv form) checked against one process, at 1, 2 and 4 ranks.
MOE_EXAMPLES = examples/moe_ep
examples_moe_ep_SOURCES = examples/moe_ep.cpp
examples_moe_ep_LDADD = libmpcomm.la
check_PROGRAMS += $(MOE_EXAMPLES)
TESTS += $(MOE_EXAMPLES:=.1.mpi) $(MOE_EXAMPLES:=.2.mpi) $(MOE_EXAMPLES:=.4.mpi)
CLEANFILES += $(MOE_EXAMPLES:=.1.mpi) $(MOE_EXAMPLES:=.2.mpi) $(MOE_EXAMPLES:=.4.mpi)
# Examples: C programs that use only the public C API. make check builds them and runs them under
# mpirun at 1, 2 and 4 ranks (the .N.mpi runs of test/local.mk); their sources are installed with
# the documentation.
EXAMPLES = examples/c_state_allreduce
examples_c_state_allreduce_SOURCES = examples/c_state_allreduce.c
examples_c_state_allreduce_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra $(MPCOMM_SAN_FLAGS)
examples_c_state_allreduce_LDADD = libmpcomm.la
check_PROGRAMS += $(EXAMPLES)
TESTS += $(EXAMPLES:=.1.mpi) $(EXAMPLES:=.2.mpi) $(EXAMPLES:=.4.mpi)
CLEANFILES += $(EXAMPLES:=.1.mpi) $(EXAMPLES:=.2.mpi) $(EXAMPLES:=.4.mpi)
exampledir = $(docdir)/examples
dist_example_DATA = examples/c_state_allreduce.c
# The MLP in Fortran (use mpcomm), checked against one process, at 1, 2 and 4 ranks.
EXTRA_DIST += examples/tp_pp_mlp_f08.f90
if BUILD_FORTRAN
FORTRAN_EXAMPLES = examples/tp_pp_mlp_f08
examples_tp_pp_mlp_f08_SOURCES = examples/tp_pp_mlp_f08.f90
examples_tp_pp_mlp_f08_LDADD = libmpcomm_f.la libmpcomm.la
examples/tp_pp_mlp_f08.$(OBJEXT): libmpcomm_f.la
check_PROGRAMS += $(FORTRAN_EXAMPLES)
TESTS += $(FORTRAN_EXAMPLES:=.1.mpi) $(FORTRAN_EXAMPLES:=.2.mpi) $(FORTRAN_EXAMPLES:=.4.mpi)
CLEANFILES += $(FORTRAN_EXAMPLES:=.1.mpi) $(FORTRAN_EXAMPLES:=.2.mpi) $(FORTRAN_EXAMPLES:=.4.mpi)
dist_example_DATA += examples/tp_pp_mlp_f08.f90
endif
