#!/bin/bash
# stage-dataplane.sh: run on the BUILD machine (autotools build with CUDA and NCCL done, `make
# check` built the test programs) to stage what test/gpu/run-on-gpu.sh --dataplane runs on a
# GPU machine that has CUDA and NCCL in /usr/local/cuda but no MPI:
#   build-gpu/dataplane/bin/test_device_plane_gpu   the GPU data plane test (MPI + libmpcomm)
#   build-gpu/dataplane/lib/libmpcomm.so*           the library it links
#   build-gpu/dataplane/root/                       Open MPI and its runtime libraries, from
#                                                   Debian packages (apt-get download, dpkg -x)
# build-gpu/ is ignored by git: carry it to the GPU machine (about 30 MiB).
# NCCL (218 MiB) is not carried: the GPU machine's /usr/local/cuda/lib64/libnccl.so.2 is used.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
stage=$top/build-gpu/dataplane
prog=$top/test/gpu/.libs/test_device_plane_gpu
[ -x "$prog" ] || prog=$top/test/gpu/test_device_plane_gpu
if ! [ -x "$prog" ] || ! ls "$top"/.libs/libmpcomm.so.* >/dev/null 2>&1; then
  echo "stage-dataplane: build first (./configure && make && make check TESTS=)" >&2
  exit 1
fi
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/debs" "$stage/root"
cp "$prog" "$stage/bin/"
cp -P "$top"/.libs/libmpcomm.so* "$stage/lib/"

# Open MPI's runtime and the libraries it needs that a CUDA base image may lack (from
# `apt-cache depends --recurse openmpi-bin libopenmpi3`, without what every Debian/Ubuntu base
# system has, and without hwloc's optional plugins (X11, OpenCL, NVCtrl, libxml2 and ICU), which
# would not fit the 64 MiB a session may carry).
packages="openmpi-bin openmpi-common libopenmpi3 libpmix2 libhwloc15 libevent-core-2.1-7
  libevent-pthreads-2.1-7 libfabric1 libucx0 libpsm-infinipath1 libpsm2-2 libibverbs1
  ibverbs-providers librdmacm1 libnl-3-200 libnl-route-3-200 libmunge2 libnuma1 libpciaccess0"
(cd "$stage/debs" && apt-get download $packages)
for deb in "$stage"/debs/*.deb; do dpkg -x "$deb" "$stage/root"; done
rm -rf "$stage/debs" "$stage/root/usr/share/doc" "$stage/root/usr/share/man" \
  "$stage/root/usr/share/lintian"
du -sh "$stage"
echo "staged in $stage; on the GPU machine: test/gpu/run-on-gpu.sh --dataplane"
