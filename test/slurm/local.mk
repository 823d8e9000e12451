# mpcomm on a private one-node Slurm cluster: srun --mpi=pmix, sbatch (examples/slurm), salloc +
# mpirun, and the diagnostic for srun without PMIx. Skips (77) where Slurm is not installed.
if HAVE_GTEST
TESTS += test/slurm/slurm-cluster.sh
endif
EXTRA_DIST += test/slurm/slurm-cluster.sh examples/slurm/tp_pp_mlp.sbatch
