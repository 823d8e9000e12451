# Unit tests: GoogleTest without MPI (pure rules, codecs, the CPU model of the kernels). Add a
# test with `UNIT_TESTS += test/unit/test_x` (source test/unit/test_x.cpp); its line below says
# what it covers.
UNIT_TESTS += \
	test/unit/test_core \
	test/unit/test_custom_allreduce_model \
	test/unit/test_custom_allreduce_rules \
	test/unit/test_device_dispatch \
	test/unit/test_dtype_tensor \
	test/unit/test_exchange_layout \
	test/unit/test_half \
	test/unit/test_layout \
	test/unit/test_node_reduce \
	test/unit/test_p2p_check \
	test/unit/test_parallel_config \
	test/unit/test_pp_indices \
	test/unit/test_rendezvous_protocol \
	test/unit/test_stream_copy \
	test/unit/test_tensor_dict \
	test/unit/test_topology
# test_core: errors, logging, environment, deadlines, the failure rule. test_custom_allreduce_*:
# the custom allreduce's pure rules and the CPU model of its kernels. test_device_dispatch: the
# device plane's dispatch rules. test_dtype_tensor, test_half: element types, DLPack tensors,
# 16-bit floats. test_exchange_layout: the v-collectives' layouts in the shared-memory exchange
# (what each member puts stays within what it announces; the takes give the results). test_layout, test_parallel_config, test_pp_indices: configuration, rank layout,
# pipeline partition. test_p2p_check: the P2P check's output, verdict and cache.
# test_rendezvous_protocol: the rendezvous wire format. test_stream_copy: the exchange's
# non-temporal copy. test_node_reduce: the host plane's float32 reduction kernel. test_tensor_dict: the dict API and its
# metadata codec. test_topology: hwloc, NVML links, the default GPU.
#
# mpcomm.hpp's MessagePack codec against msgpack-c (a test-only dependency).
if HAVE_MSGPACK
UNIT_TESTS += test/unit/test_msgpack
endif
test_unit_test_msgpack_CPPFLAGS = $(AM_CPPFLAGS) $(MSGPACK_CFLAGS)
test_unit_test_msgpack_LDADD = $(UNIT_LDADD) $(MSGPACK_LIBS)
# The unit tests' main (no MPI).
test_unit_test_core_LDADD = $(UNIT_LDADD)
test_unit_test_custom_allreduce_model_LDADD = $(UNIT_LDADD)
test_unit_test_custom_allreduce_rules_LDADD = $(UNIT_LDADD)
test_unit_test_device_dispatch_LDADD = $(UNIT_LDADD)
test_unit_test_dtype_tensor_LDADD = $(UNIT_LDADD)
test_unit_test_exchange_layout_LDADD = $(UNIT_LDADD)
test_unit_test_half_LDADD = $(UNIT_LDADD)
test_unit_test_layout_LDADD = $(UNIT_LDADD)
test_unit_test_node_reduce_LDADD = $(UNIT_LDADD)
test_unit_test_p2p_check_LDADD = $(UNIT_LDADD)
test_unit_test_parallel_config_LDADD = $(UNIT_LDADD)
test_unit_test_pp_indices_LDADD = $(UNIT_LDADD)
test_unit_test_rendezvous_protocol_LDADD = $(UNIT_LDADD)
test_unit_test_stream_copy_LDADD = $(UNIT_LDADD)
test_unit_test_tensor_dict_LDADD = $(UNIT_LDADD)
test_unit_test_topology_LDADD = $(UNIT_LDADD)
