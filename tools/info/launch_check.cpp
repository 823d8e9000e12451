// srun without PMIx under Open MPI: see launch_check.hpp.
#include "info/launch_check.hpp"

#include <cstdlib>

namespace mpcomm::info {

std::string srun_without_pmix(const std::string &mpi_library) {
  // srun sets SLURM_STEP_ID for the tasks of a step (not in a batch script or salloc's shell);
  // with --mpi=pmix Slurm's PMIx server sets PMIX_RANK, and Open MPI's own daemons (mpirun
  // inside an allocation) set OMPI_COMM_WORLD_SIZE.
  if (std::getenv("SLURM_STEP_ID") == nullptr || std::getenv("PMIX_RANK") != nullptr ||
      std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr)
    return {};
  if (mpi_library.find("Open MPI") == std::string::npos) return {};
  const char *type = std::getenv("SLURM_MPI_TYPE");
  const std::string plugin = type != nullptr && *type != '\0' ? type : "none";
  std::string version = mpi_library.substr(0, mpi_library.find(','));
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ')) version.pop_back();
  return "started by srun with --mpi=" + plugin + ", but " + version +
         " starts under srun only through PMIx (MPI_Init would abort): run srun --mpi=pmix, set "
         "MpiDefault=pmix in slurm.conf, or run mpirun inside salloc or sbatch";
}

}  // namespace mpcomm::info
