#!/bin/bash
# stage-dataplane.sh [BUILD_TREE]: run on the BUILD machine to stage what test/gpu/run-on-gpu.sh
# runs on a GPU machine that has CUDA (and NCCL, in /usr/local/cuda or PyTorch's wheel) but no MPI,
# no ssh and no network.
#
# BUILD_TREE (the argument, else $BUILD_TREE, else the repository holding this script) is an
# autotools build with CUDA and NCCL in which `make && make check TESTS=` built the programs. The
# stage goes to $STAGE_DIR (default: build-gpu/dataplane of the repository holding this script;
# build-gpu/ is ignored by git): carry that folder to the GPU machine.
#   bin/   the real programs (libtool's .libs/ binaries, not its wrapper scripts): test_device_probe,
#          test_custom_allreduce_sim, custom_allreduce_sim_perf, test_device_plane_gpu, mpcomm-perf,
#          and mpcomm-p2p-check where the build tree has it
#   lib/   libmpcomm.so* and every library they and Open MPI need that a CUDA base image may lack
#          (found with ldd; the C/C++ runtime, zlib, CUDA and NCCL are the GPU machine's own)
#   cuda/  libcudart.so.13 of this build, last on the library path: used only when the GPU
#          machine has none
#   root/  Open MPI and PMIx from the Debian packages this build linked against (apt-get download
#          of the installed versions, else the installed files), without the transports and
#          components a single-node run with btl self,vader and pml ob1 never loads, without
#          docs, compilers, Fortran, Java and OpenSHMEM
# Everything is stripped (strip --strip-unneeded); the stage must stay under 30 MiB (checked).
# test/gpu/dataplane-env.sh sets the environment the staged Open MPI needs.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
tree=$(cd "${1:-${BUILD_TREE:-$here}}" && pwd)
stage=${STAGE_DIR:-$here/build-gpu/dataplane}
limit_mib=30
multiarch=usr/lib/x86_64-linux-gnu

die() { echo "stage-dataplane: $*" >&2; exit 1; }
is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# The real binary of a libtool-built program DIR/NAME: DIR/NAME itself when it is an ELF file (a
# program linked only with convenience libraries: libtool writes no wrapper, and a .libs/ copy
# there is left over from an older link), else libtool's DIR/.libs/NAME (or lt-NAME) behind the
# wrapper script DIR/NAME.
real_program() {  # dir name
  local c
  for c in "$tree/$1/$2" "$tree/$1/.libs/$2" "$tree/$1/.libs/lt-$2"; do
    if is_elf "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

ls "$tree"/.libs/libmpcomm.so.* >/dev/null 2>&1 ||
  die "no $tree/.libs/libmpcomm.so.*: build first (scripts/build or ./configure --with-cuda --with-nccl && make)"
programs="test/gpu/test_device_probe test/gpu/test_custom_allreduce_sim
  test/gpu/custom_allreduce_sim_perf test/gpu/test_device_plane_gpu tools/mpcomm-perf"
missing=""
for p in $programs; do
  real_program "$(dirname "$p")" "$(basename "$p")" >/dev/null || missing="$missing $p"
done
[ -z "$missing" ] ||
  die "not built in $tree:$missing (configured with CUDA and NCCL? then: make check TESTS=)"

# A program or library older than its sources was not rebuilt after a change: say so loudly (and
# in STAGED, which run-on-gpu.sh prints), so that a GPU run is not spent on old code.
stale=""
newer_than() {  # binary paths...: true when one of the paths (files or folders) is newer
  local bin=$1
  shift
  [ -n "$(find "$@" -type f -newer "$bin" 2>/dev/null | head -n 1)" ]
}
lib_file=$(ls "$tree"/.libs/libmpcomm.so.*.*.* | head -n 1)
newer_than "$lib_file" "$tree/lib" "$tree/kernels" "$tree/include" && stale="$stale libmpcomm"
for p in $programs; do
  b=$(real_program "$(dirname "$p")" "$(basename "$p")")
  case $p in
    tools/mpcomm-perf) srcs="$tree/tools/mpcomm-perf.cpp $tree/tools/perf" ;;
    *) srcs="$tree/$p.cpp $tree/test/gpu/gpu_check.hpp" ;;
  esac
  # shellcheck disable=SC2086  # the sources are words
  newer_than "$b" $srcs && stale="$stale $(basename "$p")"
done
[ -n "$stale" ] &&
  echo "stage-dataplane: WARNING: older than their sources in $tree:$stale (make && make check TESTS= there first)" >&2

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/cuda" "$stage/root"
for p in $programs; do
  cp "$(real_program "$(dirname "$p")" "$(basename "$p")")" "$stage/bin/$(basename "$p")"
done
# Optional: another engineer's point-to-point check, wherever the build put it.
for d in tools test/gpu test/mpi tools/p2p; do
  if prog=$(real_program "$d" mpcomm-p2p-check); then
    cp "$prog" "$stage/bin/mpcomm-p2p-check"
    echo "staged optional $d/mpcomm-p2p-check"
    break
  fi
done
cp -P "$tree"/.libs/libmpcomm.so* "$stage/lib/"
rm -f "$stage"/lib/*.la "$stage"/lib/*.lai "$stage"/lib/*.a

# ---- Open MPI and PMIx from the Debian packages --------------------------------------------
# The versions installed here (what libmpcomm was linked against), downloaded as packages;
# without a network, the installed packages' own files.
packages="openmpi-bin openmpi-common libopenmpi3 libpmix2"
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
pinned=""
for p in $packages; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null) || die "package $p is not installed here"
  pinned="$pinned $p=$v"
done
if (cd "$debs" && apt-get download $pinned >"$debs/apt.log" 2>&1); then
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$stage/root"; done
  echo "Open MPI from the packages:$pinned"
else
  echo "apt-get download failed ($(tail -n 1 "$debs/apt.log")); copying the installed files of:$pinned"
  for p in $packages; do
    dpkg -L "$p" | while read -r f; do
      if [ -f "$f" ] || [ -L "$f" ]; then
        mkdir -p "$stage/root$(dirname "$f")"
        cp -P "$f" "$stage/root$f"
      fi
    done
  done
fi

# What a single-node run (orterun with plm isolated, btl self,vader, pml ob1) never loads.
root=$stage/root
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" \
  "$root/$multiarch/openmpi/include" "$root/$multiarch/pkgconfig" "$root/$multiarch/pmix2/include"
rm -f "$root"/$multiarch/libmpi_cxx.so* "$root"/$multiarch/libmpi_java.so* \
  "$root"/$multiarch/libmpi_mpifh* "$root"/$multiarch/libmpi_usempi* \
  "$root"/$multiarch/libompitrace.so* "$root"/$multiarch/liboshmem.so* \
  "$root"/$multiarch/libmca_common_monitoring.so* "$root"/$multiarch/libmca_common_ofi.so* \
  "$root"/$multiarch/libmca_common_ucx.so* "$root"/$multiarch/libmca_common_verbs.so* \
  "$root"/$multiarch/libmca_common_ompio.so* "$root"/$multiarch/pmix2/lib/libpmix.a \
  "$root/$multiarch/openmpi/lib/ompi_monitoring_prof.so"
# Open MPI's components: keep the list below, delete the rest (other transports: openib, ofi,
# ucx, psm, tcp; the MPI-IO, OpenSHMEM, monitoring and Slurm/Flux/rsh components). Debian's
# /etc/openmpi/openmpi-mca-params.conf also leaves out osc pt2pt. The PMIx components are all kept.
keep="allocator_* bml_r2 btl_self btl_vader btl_sm coll_adapt coll_basic coll_han coll_inter
  coll_libnbc coll_self coll_sm coll_sync coll_tuned compress_* crs_none errmgr_default_*
  ess_env ess_hnp ess_pmi ess_singleton ess_tool filem_raw grpcomm_direct iof_* mpool_hugepage
  odls_default odls_pspawn oob_tcp op_avx osc_rdma osc_sm patcher_overwrite plm_isolated
  pmix_ext3x pmix_isolated pml_ob1 pstat_linux rcache_grdma reachable_weighted regx_* rmaps_*
  rml_oob routed_* rtc_hwloc schizo_ompi schizo_orte shmem_* state_* topo_basic topo_treematch"
components=$root/$multiarch/openmpi/lib/openmpi3
[ -d "$components" ] || die "no $components in the packages"
for f in "$components"/*; do
  name=$(basename "$f" .so)
  name=${name#mca_}
  kept=0
  for k in $keep; do
    # shellcheck disable=SC2254  # $k is a pattern
    case $name in $k) kept=1; break ;; esac
  done
  [ $kept = 1 ] || rm -f "$f"
done
# Programs: the launcher and its daemon, ompi_info; no compiler wrappers, Java or OpenSHMEM.
for f in "$root"/usr/bin/*; do
  case $(basename "$f") in
    orterun | orted | ompi_info | mpirun.openmpi | mpiexec.openmpi) ;;
    *) rm -f "$f" ;;
  esac
done
ln -sf orterun "$root/usr/bin/mpirun"
ln -sf orterun "$root/usr/bin/mpiexec"
find "$root/usr/share/openmpi" -mindepth 1 ! -name 'help-*.txt' ! -name 'openmpi' \
  -exec rm -rf {} + 2>/dev/null || true
rm -f "$root/usr/share/openmpi/help-oshmem"* "$root/usr/share/openmpi/help-mpi-btl-openib"*
# PMIx's own configuration names its component folder by an absolute path: the environment
# (PMIX_MCA_mca_base_component_path, test/gpu/dataplane-env.sh) names the staged one instead.
pmix_conf=$root/$multiarch/pmix2/share/pmix-mca-params.conf
[ -f "$pmix_conf" ] && sed -i 's|^mca_base_component_path|# (staged) &|' "$pmix_conf"
find "$stage" -xtype l -delete  # links whose target went

# ---- the libraries a CUDA base image may lack ----------------------------------------------
# ldd of every staged ELF file, with the staged folders first on the path; whatever still
# resolves outside the stage is copied into lib/, except the C and C++ runtime, zlib and the
# CUDA/NCCL/driver libraries, which the GPU machine has (and must provide, matching its driver).
base='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libutil|libresolv|libstdc\+\+|libgcc_s|libz|libcuda|libcudart|libnccl|libnvidia-ml)\.so'
ldpath=$stage/lib:$root/$multiarch:$root/$multiarch/openmpi/lib:$root/$multiarch/pmix2/lib
for round in 1 2 3 4 5; do
  added=0
  while read -r f; do
    is_elf "$f" || continue
    while read -r soname arrow path _; do
      [ "$arrow" = "=>" ] || continue
      [[ $soname =~ $base ]] && continue
      if [ "$path" = "not" ]; then
        echo "stage-dataplane: warning: $(basename "$f") needs $soname, not found here" >&2
        continue
      fi
      case $path in "$stage"/*) continue ;; esac
      [ -e "$stage/lib/$soname" ] && continue
      cp -L "$path" "$stage/lib/$soname"
      echo "  + $soname (from $path, for $(basename "$f"))"
      added=1
    done < <(LD_LIBRARY_PATH=$ldpath ldd "$f" 2>/dev/null)
  done < <(find "$stage" -type f)
  [ $added = 0 ] && break
  [ $round = 5 ] && die "the library closure did not settle"
done
# libcudart of this build, last on the path (dataplane-env.sh): the GPU machine's own comes first.
cudart=$(LD_LIBRARY_PATH=$ldpath ldd "$stage"/lib/libmpcomm.so.*.*.* | awk '$1 ~ /^libcudart/ {print $3}')
[ -n "$cudart" ] && [ -f "$cudart" ] && cp -L "$cudart" "$stage/cuda/"

# ---- strip, record, check the size ---------------------------------------------------------
find "$stage" -type f | while read -r f; do
  if is_elf "$f"; then strip --strip-unneeded "$f" 2>/dev/null || echo "  (could not strip $f)"; fi
done
{
  echo "staged: $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
  echo "build tree: $tree"
  echo "commit: $(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$tree" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
  echo "configure: $(sed -n 's/^  \$ \(.*configure.*\)/\1/p' "$tree/config.log" 2>/dev/null | head -n 1)"
  echo "Open MPI packages:$pinned"
  [ -n "$stale" ] && echo "WARNING: older than their sources (not rebuilt):$stale"
  echo "programs: $(cd "$stage/bin" && echo *)"
  echo "libraries: $(cd "$stage/lib" && echo *)"
} >"$stage/STAGED"
cat "$stage/STAGED"
du -sh "$stage"
kib=$(du -sk "$stage" | cut -f1)
if [ "$kib" -ge $((limit_mib * 1024)) ]; then
  die "the stage is $((kib / 1024)) MiB, over the ${limit_mib} MiB budget"
fi
echo "staged in $stage ($((kib / 1024)) MiB); carry ${stage#"$here"/} to the GPU machine and run there:"
echo "  bash test/gpu/run-on-gpu.sh"
