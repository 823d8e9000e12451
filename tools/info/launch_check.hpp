// The launch that cannot work: srun without PMIx starting a program built with an Open MPI whose
// only process-management interface under srun is PMIx (Debian's Open MPI 4.1). Checked before
// MPI_Init, which would otherwise abort with a page about rebuilding Slurm.
#pragma once

#include <string>

namespace mpcomm::info {

// The one-line diagnostic when srun started this process without PMIx and the MPI library is
// Open MPI; empty otherwise (mpirun, salloc/sbatch + mpirun, srun --mpi=pmix, a plain run).
// mpi_library is MPI_Get_library_version's text; environment lookups use std::getenv.
std::string srun_without_pmix(const std::string &mpi_library);

}  // namespace mpcomm::info
