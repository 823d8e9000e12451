# Parallel configuration, rank layout and pipeline partition (pure: no MPI).
