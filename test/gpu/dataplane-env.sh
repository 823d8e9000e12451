# shellcheck shell=bash disable=SC2034  # sourced; the MPCOMM_* variables are for the caller
# . test/gpu/dataplane-env.sh [STAGE]   (bash; sourced, not run)
#
# The environment under which the stage of test/gpu/stage-dataplane.sh (default:
# build-gpu/dataplane) runs on a machine with no MPI, no ssh and no network, as root or not:
#   - Open MPI and PMIx from the staged Debian packages: OPAL_PREFIX, PMIX_PREFIX and both
#     component folders (Debian's Open MPI uses the external libpmix2, whose components live
#     under .../pmix2/lib/pmix and whose own configuration names that folder absolutely);
#     orterun starts the ranks itself (plm isolated: no ssh, no rsh); btl self,vader, pml ob1,
#     no single-copy mechanism (CMA and KNEM need ptrace rights a container may not give);
#   - NCCL found where it is: $NCCL_LIB_DIR, /usr/local/cuda/lib64, PyTorch's nvidia-nccl wheel
#     (python3 -c 'import nvidia.nccl'), the site-packages of python3, ldconfig;
#   - MPCOMM_P2P_CHECK_PROGRAM: the staged mpcomm-p2p-check, where the stage has it;
#   - LD_LIBRARY_PATH: the staged lib/, Open MPI, /usr/local/cuda/lib64, NCCL's folder, and last
#     the staged libcudart (used only when the machine has none).
# Sets MPCOMM_STAGE, MPCOMM_STAGE_ROOT, MPCOMM_NCCL_LIB (empty when NCCL was not found) and
# MPCOMM_ENV_NOTES (what it found, one line each). Returns 1 when STAGE has no staged Open MPI.

mpcomm_stage_env() {
  local stage=$1 multiarch nccl="" cand py_dirs d cuda_home
  MPCOMM_ENV_NOTES=""
  MPCOMM_STAGE=$stage
  MPCOMM_STAGE_ROOT=$stage/root/usr
  multiarch=$MPCOMM_STAGE_ROOT/lib/x86_64-linux-gnu
  if ! [ -x "$MPCOMM_STAGE_ROOT/bin/orterun" ] || ! [ -d "$multiarch/openmpi/lib/openmpi3" ]; then
    MPCOMM_ENV_NOTES="no staged Open MPI in $stage (run test/gpu/stage-dataplane.sh)"
    return 1
  fi
  cuda_home=${CUDA_HOME:-/usr/local/cuda}

  # NCCL: the first folder that holds libnccl.so.2.
  for cand in ${NCCL_LIB_DIR:-} "$cuda_home/lib64" "$cuda_home/targets/x86_64-linux/lib" \
    /usr/lib/x86_64-linux-gnu; do
    if [ -n "$cand" ] && [ -e "$cand/libnccl.so.2" ]; then nccl=$cand; break; fi
  done
  if [ -z "$nccl" ] && command -v python3 >/dev/null; then
    # The wheel nvidia-nccl-cu13 (PyTorch's NCCL): nvidia/nccl/lib/libnccl.so.2.
    nccl=$(timeout 30 python3 -c 'import nvidia.nccl, os
for d in nvidia.nccl.__path__:
    if os.path.exists(os.path.join(d, "lib", "libnccl.so.2")):
        print(os.path.join(d, "lib")); break' 2>/dev/null)
    if [ -z "$nccl" ]; then
      py_dirs=$(timeout 30 python3 -c 'import site, sys
print("\n".join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))' 2>/dev/null)
      for d in $py_dirs; do
        [ -d "$d/nvidia" ] || continue
        cand=$(find "$d/nvidia" -maxdepth 4 -name libnccl.so.2 2>/dev/null | head -n 1)
        if [ -n "$cand" ]; then nccl=$(dirname "$cand"); break; fi
      done
    fi
  fi
  if [ -z "$nccl" ]; then
    cand=$(ldconfig -p 2>/dev/null | awk '$1 == "libnccl.so.2" {print $NF; exit}')
    [ -n "$cand" ] && nccl=$(dirname "$cand")
  fi
  if [ -z "$nccl" ]; then
    cand=$(timeout 30 find /opt /usr/local /usr/lib -maxdepth 9 -name libnccl.so.2 2>/dev/null | head -n 1)
    [ -n "$cand" ] && nccl=$(dirname "$cand")
  fi
  MPCOMM_NCCL_LIB=$nccl
  if [ -n "$nccl" ]; then
    # The wheel's version, where it came from one (nvidia_nccl_cu13-2.x.y.dist-info).
    cand=$(cd "${nccl%%/nvidia/*}" 2>/dev/null && ls -d nvidia_nccl*.dist-info 2>/dev/null | head -n 1)
    MPCOMM_ENV_NOTES+="NCCL: $nccl/libnccl.so.2${cand:+ ($cand)}"$'\n'
  else
    MPCOMM_ENV_NOTES+="NCCL: libnccl.so.2 NOT FOUND (set NCCL_LIB_DIR); libmpcomm cannot load"$'\n'
  fi

  export LD_LIBRARY_PATH=$stage/lib:$multiarch:$multiarch/openmpi/lib:$multiarch/pmix2/lib:$cuda_home/lib64${nccl:+:$nccl}:$stage/cuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PATH=$MPCOMM_STAGE_ROOT/bin:$PATH
  export OPAL_PREFIX=$MPCOMM_STAGE_ROOT
  # Debian's libpmix2 names its folders absolutely (prefix, libdir, datadir): each one moves here.
  export PMIX_PREFIX=$multiarch/pmix2 PMIX_EXEC_PREFIX=$multiarch/pmix2
  export PMIX_LIBDIR=$multiarch/pmix2/lib PMIX_PKGLIBDIR=$multiarch/pmix2/lib/pmix
  export PMIX_DATAROOTDIR=$multiarch/pmix2/share PMIX_DATADIR=$multiarch/pmix2/share
  export PMIX_PKGDATADIR=$multiarch/pmix2/share/pmix PMIX_SYSCONFDIR=$multiarch/pmix2/share
  export OMPI_MCA_mca_base_component_path=$multiarch/openmpi/lib/openmpi3
  export PMIX_MCA_mca_base_component_path=$multiarch/pmix2/lib/pmix
  # The library's GPU P2P check program (on 2+ distinct GPUs), where the stage has it.
  [ -x "$stage/bin/mpcomm-p2p-check" ] && export MPCOMM_P2P_CHECK_PROGRAM=$stage/bin/mpcomm-p2p-check
  export OMPI_MCA_plm=isolated
  export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1
  export OMPI_MCA_btl_vader_single_copy_mechanism=none
  export OMPI_MCA_btl_base_warn_component_unused=0
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # Shared memory (vader's segments, MPI shared windows) lives in /dev/shm: /tmp where it cannot.
  if ! [ -d /dev/shm ] || ! [ -w /dev/shm ]; then
    export OMPI_MCA_btl_vader_backing_directory=/tmp OMPI_MCA_shmem_mmap_backing_file_base_dir=/tmp
    MPCOMM_ENV_NOTES+="no writable /dev/shm: Open MPI's shared memory in /tmp"$'\n'
  fi
  # PMIx's shared-memory data store (gds ds12/ds21) has failed in containers; the hash store
  # does the same for one node.
  export PMIX_MCA_gds=hash
  MPCOMM_ENV_NOTES+="Open MPI: $MPCOMM_STAGE_ROOT/bin/orterun (plm isolated, btl self,vader, pml ob1)"$'\n'
  return 0
}

mpcomm_stage_env "${1:-${MPCOMM_STAGE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build-gpu/dataplane}}"
