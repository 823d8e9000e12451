#!/bin/bash
# run-on-gpu.sh [--quick] [--no-tests] [--no-sanitizer] [--no-perf] [--build-only] [--dataplane]
#
# Builds and runs every GPU test on a machine that has nvcc and a GPU but possibly no MPI, no
# autotools, no GoogleTest and no network: the kernels and test programs are compiled with nvcc
# alone into build-gpu/ (override with BUILD_DIR), then
#   1. test_device_probe                        our device code runs on every GPU
#   2. test_custom_allreduce_sim                the N-rank simulation, full run (--quick: short)
#   3. compute-sanitizer memcheck, racecheck and initcheck on test_custom_allreduce_sim --quick
#   4. custom_allreduce_sim_perf --targets      the issue's performance targets (judged)
#      custom_allreduce_sim_perf [--quick]      the timing table (printed, not judged)
#   5. (--dataplane) test_device_plane_gpu      the GPU data plane (NCCL, custom allreduce over
#      CUDA IPC, graphs) at 1, 2 and 4 processes on this machine's GPU(s), from the build staged
#      by test/gpu/stage-dataplane.sh on the build machine (libmpcomm, the test, and Open MPI
#      from Debian packages, carried in build-gpu/dataplane); NCCL from /usr/local/cuda/lib64.
#      With nvidia-cuda-mps-control on PATH an MPS daemon is started for the multi-process runs
#      (without MPS the processes' kernels time-slice and the custom allreduce is slow, not wrong).
# and ends with one line "N passed, N failed[, N skipped]" (each program's own counts, from its
# "# mpcomm-test:" line; a sanitizer run counts as one test). Exit status 0 when nothing failed.
# --no-tests, --no-sanitizer and --no-perf leave out steps 1-2, 3 and 4, so that a session with a
# time limit per command can run the steps in separate calls (the build is reused).
# Where there is no GPU, every program skips (exit 77) and says why, so the script also proves the
# build half anywhere nvcc is installed.
#
# Environment: NVCC (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc), NVCC_GENCODE
# (default: sm_80, sm_90 and compute_90 PTX, as configure), COMPUTE_SANITIZER, BUILD_DIR,
# TIMEOUT_S (per program, default 600).
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)

quick=0 tests=1 sanitize=1 perf=1 build_only=0 dataplane=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --no-tests) tests=0 ;;
    --no-sanitizer) sanitize=0 ;;
    --no-perf) perf=0 ;;
    --build-only) build_only=1 ;;
    --dataplane) dataplane=1 ;;
    *) echo "usage: $0 [--quick] [--no-tests] [--no-sanitizer] [--no-perf] [--build-only] [--dataplane]" >&2; exit 2 ;;
  esac
done

build=${BUILD_DIR:-$top/build-gpu}
logs=$build/logs
mkdir -p "$build/obj" "$logs"
timeout_s=${TIMEOUT_S:-600}
passed=0 failed=0 skipped=0

nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
gencode=${NVCC_GENCODE:-"-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"}
# Host warnings are errors, as in the autotools build with --enable-werror.
flags="-std=c++17 -O3 $gencode -Xcompiler -Wall,-Wextra,-Werror -I$top -I$top/kernels -I$top/test/common -I$top/test/gpu"

# ---- build ---------------------------------------------------------------------------------
lib_sources="kernels/device_probe.cu kernels/custom_allreduce.cu kernels/custom_allreduce_rules.cpp
  kernels/simulated_buffers.cpp kernels/custom_allreduce_bench.cpp"
programs="test_device_probe test_custom_allreduce_sim custom_allreduce_sim_perf"

build_all() {
  local src obj objs=""
  for src in $lib_sources; do
    obj=$build/obj/$(basename "${src%.*}").o
    objs="$objs $obj"
    echo "  NVCC  $src"
    "$nvcc" $flags -c "$src" -o "$obj" || return 1
  done
  local prog
  for prog in $programs; do
    echo "  LINK  $prog"
    "$nvcc" $flags "test/gpu/$prog.cpp" $objs -o "$build/$prog" || return 1
  done
}

if ! [ -x "$nvcc" ] && ! command -v "$nvcc" >/dev/null; then
  echo "run-on-gpu: nvcc not found (set NVCC)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "== building with $nvcc into $build"
# Rebuild when any source is newer than the last good build (or there is none).
stamp=$build/.built
if [ -f "$stamp" ] && [ -z "$(find kernels test/gpu test/common -newer "$stamp" -type f | head -n 1)" ]; then
  echo "  (up to date)"
else
  if build_all >"$logs/build.log" 2>&1; then
    touch "$stamp"
    cat "$logs/build.log"
  else
    cat "$logs/build.log"
    echo "run-on-gpu: the build failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
passed=$((passed + 1))  # the build itself
if [ $build_only = 1 ]; then
  echo "$passed passed, $failed failed"
  exit 0
fi

# ---- runs ----------------------------------------------------------------------------------
# Adds the counts of a finished program run (its "# mpcomm-test:" line, else its exit status).
count_run() {  # name status log
  local name=$1 status=$2 log=$3 line p f s
  line=$(grep '^# mpcomm-test:' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
    f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
    s=$(echo "$line" | sed 's/.*skipped=\([0-9]*\).*/\1/')
    if [ "$status" != 0 ] && [ "$status" != 77 ] && [ "$f" = 0 ]; then f=1; fi
  else
    case $status in
      0) p=1 f=0 s=0 ;;
      77) p=0 f=0 s=1 ;;
      *) p=0 f=1 s=0 ;;
    esac
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  case $status in
    0) echo "-- $name: ok ($p passed, $f failed, $s skipped)" ;;
    77) echo "-- $name: skipped ($(grep -m1 'SKIP\|no CUDA' "$log"))" ;;
    124|137) echo "-- $name: TIMED OUT after ${timeout_s}s (a hang in a spin barrier?)"; tail -n 30 "$log" ;;
    *) echo "-- $name: FAILED (exit $status)"; tail -n 40 "$log" ;;
  esac
}

run() {  # name command...
  local name=$1 status
  shift
  echo "== $name"
  timeout -k 10 "$timeout_s" "$@" >"$logs/$name.log" 2>&1
  status=$?
  grep -E '^\[ (FAIL|SKIP|\.\.\.\.) \]|^#|^  ' "$logs/$name.log" | head -n 200
  count_run "$name" $status "$logs/$name.log"
}

sim_args=""
[ $quick = 1 ] && sim_args="--quick"
if [ $tests = 1 ]; then
  run device_probe "$build/test_device_probe"
  run custom_allreduce_sim "$build/test_custom_allreduce_sim" $sim_args
fi

if [ $sanitize = 1 ]; then
  sanitizer=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
  if ! [ -x "$sanitizer" ]; then
    echo "== compute-sanitizer: not found (set COMPUTE_SANITIZER); 3 runs skipped"
    skipped=$((skipped + 3))
  else
    for tool in memcheck racecheck initcheck; do
      name=sanitizer_$tool
      echo "== $name"
      timeout -k 10 "$timeout_s" "$sanitizer" --tool "$tool" --error-exitcode 99 \
        "$build/test_custom_allreduce_sim" --quick >"$logs/$name.log" 2>&1
      status=$?
      grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|^\[ FAIL|^# mpcomm-test' "$logs/$name.log"
      # One test per tool: the program's own checks were counted in the run above.
      case $status in
        0) passed=$((passed + 1)); echo "-- $name: clean" ;;
        77) skipped=$((skipped + 1)); echo "-- $name: skipped (no CUDA device)" ;;
        124|137) failed=$((failed + 1))
           echo "-- $name: TIMED OUT after ${timeout_s}s (does the tool serialise blocks?)" ;;
        *) failed=$((failed + 1)); echo "-- $name: FAILED (exit $status)"; tail -n 40 "$logs/$name.log" ;;
      esac
    done
  fi
fi

if [ $perf = 1 ]; then
  run perf_targets "$build/custom_allreduce_sim_perf" --targets
  echo "== perf table (bfloat16)"
  timeout -k 10 "$timeout_s" "$build/custom_allreduce_sim_perf" $sim_args >"$logs/perf_table.log" 2>&1
  status=$?
  cat "$logs/perf_table.log"
  case $status in
    0) ;;
    77) echo "-- perf table: skipped (no CUDA device)" ;;
    *) echo "-- perf table: exit $status (not counted)" ;;
  esac
fi

if [ $dataplane = 1 ]; then
  stage=$build/dataplane
  if ! [ -x "$stage/bin/test_device_plane_gpu" ]; then
    echo "== dataplane: $stage is missing (run test/gpu/stage-dataplane.sh on the build machine and carry build-gpu/dataplane)"
    failed=$((failed + 1))
  else
    root=$stage/root/usr
    multiarch=$root/lib/x86_64-linux-gnu
    export OPAL_PREFIX=$root
    export PATH=$root/bin:$PATH
    export LD_LIBRARY_PATH=$stage/lib:$multiarch:$multiarch/openmpi/lib:${CUDA_HOME:-/usr/local/cuda}/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1
    export OMPI_MCA_mca_base_component_path=$multiarch/openmpi/lib/openmpi3
    export MPCOMM_TIMEOUT=${MPCOMM_TIMEOUT:-120} MPCOMM_DEBUG=${MPCOMM_DEBUG:-INFO}
    run dataplane_1 "$stage/bin/test_device_plane_gpu"
    mps_started=0
    if command -v nvidia-cuda-mps-control >/dev/null; then
      export CUDA_MPS_PIPE_DIRECTORY=$build/mps-pipe CUDA_MPS_LOG_DIRECTORY=$build/mps-log
      mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
      nvidia-cuda-mps-control -d && mps_started=1 && echo "== MPS daemon started"
    fi
    for np in 2 4; do
      run dataplane_$np "$root/bin/orterun" -np $np -x LD_LIBRARY_PATH -x OPAL_PREFIX \
        -x MPCOMM_TIMEOUT -x MPCOMM_DEBUG "$stage/bin/test_device_plane_gpu"
    done
    [ $mps_started = 1 ] && echo quit | nvidia-cuda-mps-control
  fi
fi

echo "logs: $logs"
if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ $failed = 0 ]
