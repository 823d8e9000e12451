# Examples: programs that use mpcomm as an application would (built with the tree, not
# installed). tp_pp_mlp is Quick start (a): a TP x PP x DP MLP checked against one process.
noinst_PROGRAMS = examples/tp_pp_mlp
examples_tp_pp_mlp_SOURCES = examples/tp_pp_mlp.cpp
examples_tp_pp_mlp_LDADD = libmpcomm.la
# make check runs it at 1, 2 and 4 ranks.
TESTS += test/examples/tp-pp-mlp.sh
EXTRA_DIST += test/examples/tp-pp-mlp.sh
