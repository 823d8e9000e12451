# GPU tests: run on a machine with a GPU, skip with 77 elsewhere. They use neither GoogleTest nor
# MPI (gpu_check.hpp), so that test/gpu/run-on-gpu.sh also builds them with nvcc alone on a GPU
# machine (README, "GPU"). custom_allreduce_sim_perf is the timing table of the simulated
# allreduce: built, not run.
GPU_PLAIN_TESTS =
GPU_LDADD = $(MPCOMM_INTERNAL_LIBS) $(CUDA_LDFLAGS) $(CUDA_LIBS)
if HAVE_CUDA
GPU_PLAIN_TESTS += test/gpu/test_device_probe test/gpu/test_custom_allreduce_sim
check_PROGRAMS += $(GPU_PLAIN_TESTS) test/gpu/custom_allreduce_sim_perf
TESTS += $(GPU_PLAIN_TESTS)
test_gpu_test_device_probe_LDADD = $(GPU_LDADD)
test_gpu_test_custom_allreduce_sim_LDADD = $(GPU_LDADD)
test_gpu_custom_allreduce_sim_perf_LDADD = $(GPU_LDADD)
# The tests run the P2P check from the build tree, not from where it will be installed.
AM_TESTS_ENVIRONMENT += MPCOMM_P2P_CHECK_PROGRAM='$(abs_top_builddir)/tools/mpcomm-p2p-check'; \
	export MPCOMM_P2P_CHECK_PROGRAM;
endif
# The device plane on one GPU: the custom allreduce over CUDA IPC, NCCL, graph capture.
if HAVE_NCCL
GPU_PLAIN_TESTS += test/gpu/test_device_plane_gpu
test_gpu_test_device_plane_gpu_LDADD = $(GPU_LDADD)
endif
noinst_HEADERS += test/gpu/gpu_check.hpp
EXTRA_DIST += test/gpu/run-on-gpu.sh test/gpu/stage-dataplane.sh test/gpu/dataplane-env.sh \
	test/gpu/without-system-mpi.sh
