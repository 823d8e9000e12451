#!/bin/bash
# run-on-gpu.sh [--quick] [--mps] [--build] [--no-dataplane] [--no-perf] [--no-sanitizer]
#
# Runs every GPU test and the GPU performance tables on a machine that has a GPU and CUDA but
# possibly no MPI, no ssh, no autotools and no network, in one call that ends within $TOTAL_S
# seconds (default 420: a global time guard skips what no longer fits, so the summary always
# prints). What it runs comes from the stage of test/gpu/stage-dataplane.sh, made on the build
# machine and carried here (build-gpu/dataplane: the autotools build's programs, libmpcomm and
# Open MPI from Debian packages; see test/gpu/dataplane-env.sh for the environment). Without a
# stage (or with --build) the three programs that need neither MPI nor libmpcomm are compiled
# here with nvcc alone (sm_90, host warnings not errors) and the MPI steps are counted failed.
#   1. test_device_probe                 our device code runs on this GPU; when it passes, a
#                                        later program that skips (exit 77) counts as FAILED
#   2. test_custom_allreduce_sim         the N-rank simulation (--quick: short)
#   3. test_device_plane_gpu             the GPU data plane under the staged orterun at 1 process
#                                        (NCCL with one rank, copies, graphs) and 2 and 4
#                                        processes on the one GPU (custom allreduce over CUDA
#                                        IPC); then
#      mpcomm-p2p-check                  over this machine's GPUs, where the stage has it
#   4. performance (judged: each must exit 0 and must not skip):
#      mpcomm-perf all_reduce --device cuda --algo custom  at 2 processes (NCCL refuses two
#                                        ranks on one GPU), --algo custom|nccl|auto at 1 process,
#      mpcomm-perf custom_allreduce_sim, custom_allreduce_sim_perf --targets and its table
#   5. compute-sanitizer memcheck, initcheck and synccheck on test_custom_allreduce_sim --quick
#      (synccheck, not racecheck: the kernels use no shared memory, and racecheck serialises the
#      blocks that the kernels' spin barriers need to run together)
# Each program is bounded (STEP_S, default 150 s; SANITIZER_S, default 150 s) and killed with its
# children when it overruns; MPCOMM_TIMEOUT defaults to 60. The output ends with the performance
# tables, one line per step and "N passed, N failed, N skipped" (a test program's own counts from
# its "# mpcomm-test:" line; any other step counts as one). Exit status 0 when nothing failed.
# Everything printed also goes to $OUT/run-on-gpu.log and every program's log to
# $OUT/logs.tar.gz when OUT is set (else build-gpu/logs/).
#
# Options: --quick (short simulation and table), --mps (start an MPS daemon for the 2-process
# steps; also MPCOMM_GPU_MPS=1; off by default), --build (compile the standalone programs with
# nvcc even with a stage), --no-dataplane, --no-perf, --no-sanitizer.
# Environment: MPCOMM_STAGE (default build-gpu/dataplane), NCCL_LIB_DIR, TOTAL_S, STEP_S,
# SANITIZER_S, MPCOMM_TIMEOUT, NVCC, NVCC_GENCODE, BUILD_DIR (default build-gpu/nvcc),
# COMPUTE_SANITIZER, OUT.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)

quick=0 mps=${MPCOMM_GPU_MPS:-0} force_build=0 dataplane=1 perf=1 sanitize=1
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --mps) mps=1 ;;
    --build) force_build=1 ;;
    --no-dataplane) dataplane=0 ;;
    --no-perf) perf=0 ;;
    --no-sanitizer) sanitize=0 ;;
    *)
      echo "usage: $0 [--quick] [--mps] [--build] [--no-dataplane] [--no-perf] [--no-sanitizer]" >&2
      exit 2
      ;;
  esac
done

total_s=${TOTAL_S:-420} step_s=${STEP_S:-150} sanitizer_s=${SANITIZER_S:-150}
deadline=$((SECONDS + total_s))
stage=${MPCOMM_STAGE:-$top/build-gpu/dataplane}
build=${BUILD_DIR:-$top/build-gpu/nvcc}
logs=$top/build-gpu/logs
rm -rf "$logs"
mkdir -p "$logs"
export MPCOMM_TIMEOUT=${MPCOMM_TIMEOUT:-60}

# Everything printed also goes to one log ($OUT/run-on-gpu.log when OUT is set).
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  combined=$OUT/run-on-gpu.log
else
  combined=$logs/run-on-gpu.log
fi
exec > >(tee "$combined") 2>&1
tee_pid=$!

passed=0 failed=0 skipped=0
gpu_ok=0         # the device probe passed: a later skip (77) is a failure
results=()       # one line per step
perf_logs=()     # "title|log" of the performance runs, printed at the end
mps_started=0

left() { echo $((deadline - SECONDS)); }

# ---- one step -------------------------------------------------------------------------------
# run NAME LIMIT COMMAND...: runs COMMAND bounded by LIMIT seconds (less when the global guard
# says so) into $logs/NAME.log, prints the log's notable lines; sets $status ("" when not run).
status=""
run() {
  local name=$1 limit=$2 remaining
  shift 2
  remaining=$(($(left) - 15))
  echo "== $name ($(date -u +%T))"
  if [ $remaining -lt 20 ]; then
    status=""
    echo "   not run: the global time guard (TOTAL_S=$total_s) leaves $remaining s"
    return
  fi
  [ "$limit" -gt $remaining ] && limit=$remaining
  echo "   \$ $*" >"$logs/$name.log"
  # timeout signals its whole process group: orterun and its ranks go together.
  timeout -k 5 "$limit" "$@" >>"$logs/$name.log" 2>&1 </dev/null
  status=$?
  [ $status = 124 ] || [ $status = 137 ] && echo "   TIMED OUT after ${limit} s" >>"$logs/$name.log"
  grep -E '^\[ (FAIL|SKIP|\.\.\.\.) \]|^# (mpcomm-test|skipped|no CUDA)|ERROR SUMMARY|TIMED OUT|rror' \
    "$logs/$name.log" | head -n 60 | sed 's/^/   /'
}

# count NAME [p f s]: adds a step's counts, records its result line. A test program's counts come
# from its "# mpcomm-test:" line; without one the step counts as one test by its status.
count() {
  local name=$1 log=$logs/$1.log line p=0 f=0 s=0 verdict
  if [ -z "$status" ]; then
    skipped=$((skipped + 1))
    results+=("$name: NOT RUN (time guard)")
    return
  fi
  line=$(grep '^# mpcomm-test:' "$log" 2>/dev/null | tail -n 1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
    f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
    s=$(echo "$line" | sed 's/.*skipped=\([0-9]*\).*/\1/')
    [ "$status" != 0 ] && [ "$status" != 77 ] && [ "$f" = 0 ] && f=1
  else
    case $status in
      0) p=1 ;;
      77) s=1 ;;
      *) f=1 ;;
    esac
  fi
  case $status in
    0) verdict="ok" ;;
    77)
      if [ $gpu_ok = 1 ]; then
        verdict="FAILED: skipped (77) although the device probe passed"
        s=0 f=1 p=0
      else
        verdict="skipped ($(grep -m1 -E 'SKIP|no CUDA|no usable CUDA|skipped' "$log" | cut -c1-80))"
      fi
      ;;
    124 | 137) verdict="FAILED: TIMED OUT (killed)" ;;
    *) verdict="FAILED (exit $status)" ;;
  esac
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  results+=("$name: $verdict [$p passed, $f failed, $s skipped]")
  echo "-- $name: $verdict"
  case $verdict in FAILED*) tail -n 40 "$log" | sed 's/^/   | /' ;; esac
}

# A performance run of mpcomm-perf: exit 0 and no "# skipped:" (when the GPU is there).
count_perf() {  # name title
  local name=$1 log=$logs/$1.log
  perf_logs+=("$2|$log")
  if [ "$status" = 0 ] && grep -q '^# skipped:' "$log"; then
    status=77
  fi
  count "$name"
}

# A step that could not start (a program missing).
not_available() {  # name why
  status=""
  failed=$((failed + 1))
  results+=("$1: FAILED: $2")
  echo "== $1"
  echo "-- $1: FAILED: $2"
}

mps_start() {
  [ $mps = 1 ] && [ $mps_started = 0 ] || return 0
  if ! command -v nvidia-cuda-mps-control >/dev/null; then
    echo "== MPS: nvidia-cuda-mps-control not found; running without MPS"
    return 0
  fi
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mpcomm-mps/pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mpcomm-mps/log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  if timeout 20 nvidia-cuda-mps-control -d; then
    mps_started=1
    echo "== MPS daemon started"
  else
    echo "== MPS: the daemon did not start; running without MPS"
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  fi
}
mps_stop() {
  [ $mps_started = 1 ] || return 0
  echo quit | timeout 20 nvidia-cuda-mps-control
  mps_started=0
  unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  echo "== MPS daemon stopped"
}
trap mps_stop EXIT

# ---- the machine ---------------------------------------------------------------------------
echo "== run-on-gpu.sh $* ($(date -u '+%Y-%m-%d %T UTC'); TOTAL_S=$total_s, STEP_S=$step_s, MPCOMM_TIMEOUT=$MPCOMM_TIMEOUT)"
echo "   $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); kernel $(uname -r); $(nproc) CPUs; user $(id -un)"
timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 |
  sed 's/^/   GPU: /'
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
[ -x "$nvcc" ] && echo "   nvcc: $("$nvcc" --version | tail -n 1)"

# PMIx and Open MPI need the loopback interface: bring it up where it is down.
lo_down() {
  if command -v ip >/dev/null; then
    ! ip -o link show lo 2>/dev/null | grep -q '[<,]UP[,>]'
  else
    [ -r /sys/class/net/lo/flags ] && [ $(($(cat /sys/class/net/lo/flags) & 1)) = 0 ]
  fi
}
if lo_down; then
  { ip link set lo up || ifconfig lo up; } 2>/dev/null && echo "   brought the loopback interface up"
fi

have_stage=0
if [ -x "$stage/bin/test_device_probe" ] && [ -x "$stage/root/usr/bin/orterun" ]; then
  have_stage=1
  echo "   stage: $stage"
  sed 's/^/     /' "$stage/STAGED" 2>/dev/null
  cp "$stage/STAGED" "$logs/" 2>/dev/null
  # shellcheck source=test/gpu/dataplane-env.sh
  . "$top/test/gpu/dataplane-env.sh" "$stage" || have_stage=0
  printf '%s' "$MPCOMM_ENV_NOTES" | sed 's/^/   /'
else
  echo "   stage: none in $stage (test/gpu/stage-dataplane.sh on the build machine; carry build-gpu/dataplane)"
fi

# ---- the standalone programs: staged, else built here with nvcc -----------------------------
bin=$stage/bin
if [ $have_stage = 0 ] || [ $force_build = 1 ]; then
  bin=$build
  gencode=${NVCC_GENCODE:-"-gencode arch=compute_90,code=sm_90"}
  # No -Werror: an unknown host compiler's new warnings must not lose the run.
  flags="-std=c++17 -O3 $gencode -Xcompiler -Wall,-Wextra -I$top -I$top/kernels -I$top/test/common -I$top/test/gpu"
  build_all() {
    local src obj objs="" pids="" pid rc=0 prog
    mkdir -p "$build/obj"
    for src in kernels/device_probe.cu kernels/custom_allreduce.cu kernels/custom_allreduce_rules.cpp \
      kernels/simulated_buffers.cpp kernels/custom_allreduce_bench.cpp; do
      obj=$build/obj/$(basename "${src%.*}").o
      objs="$objs $obj"
      echo "  NVCC  $src"
      "$nvcc" $flags -c "$src" -o "$obj" &
      pids="$pids $!"
    done
    for pid in $pids; do wait "$pid" || rc=1; done
    [ $rc = 0 ] || return 1
    pids=""
    for prog in test_device_probe test_custom_allreduce_sim custom_allreduce_sim_perf; do
      echo "  LINK  $prog"
      "$nvcc" $flags "test/gpu/$prog.cpp" $objs -o "$build/$prog" &
      pids="$pids $!"
    done
    for pid in $pids; do wait "$pid" || rc=1; done
    return $rc
  }
  echo "== nvcc build into $build ($gencode)"
  limit=$(($(left) - 120))
  [ $limit -gt 300 ] && limit=300
  if [ $limit -lt 30 ]; then
    not_available nvcc_build "no time left for the build"
  else
    export -f build_all
    export nvcc flags build
    if timeout -k 5 $limit bash -c build_all >"$logs/nvcc_build.log" 2>&1; then
      passed=$((passed + 1))
      results+=("nvcc_build: ok")
      echo "-- nvcc_build: ok"
    else
      not_available nvcc_build "the nvcc build failed (build-gpu/logs/nvcc_build.log)"
      tail -n 40 "$logs/nvcc_build.log"
    fi
  fi
fi

standalone() {  # name limit program args...
  local name=$1 limit=$2 prog=$3
  shift 3
  if ! [ -x "$bin/$prog" ]; then
    not_available "$name" "no $bin/$prog"
    return 1
  fi
  run "$name" "$limit" "$bin/$prog" "$@"
  count "$name"
}

sim_args=""
[ $quick = 1 ] && sim_args="--quick"

# 1-2. The device probe, then the simulation.
standalone device_probe 60 test_device_probe
[ "$status" = 0 ] && gpu_ok=1
standalone custom_allreduce_sim "$step_s" test_custom_allreduce_sim $sim_args

# 3. The data plane under the staged Open MPI.
mpi_run() {  # name np limit program args...
  local name=$1 np=$2 limit=$3 prog=$4
  shift 4
  if [ $have_stage = 0 ] || ! [ -x "$stage/bin/$prog" ]; then
    not_available "$name" "no staged $prog (test/gpu/stage-dataplane.sh; carry build-gpu/dataplane)"
    return 1
  fi
  run "$name" "$limit" orterun -np "$np" -x LD_LIBRARY_PATH -x MPCOMM_TIMEOUT "$stage/bin/$prog" "$@"
}
perf_sizes="-b 4K -e 16M -f 4 -n 200 -w 20"
if [ $dataplane = 1 ]; then
  mpi_run dataplane_np1 1 "$step_s" test_device_plane_gpu && count dataplane_np1
  mps_start
  mpi_run dataplane_np2 2 "$step_s" test_device_plane_gpu && count dataplane_np2
  mpi_run dataplane_np4 4 "$step_s" test_device_plane_gpu && count dataplane_np4
  if [ $have_stage = 1 ] && [ -x "$stage/bin/mpcomm-p2p-check" ]; then
    # The P2P check the library runs in a child process (on 2+ distinct GPUs only, so not on one
    # GPU): here by hand, over this machine's GPUs and a bus id that names none (answered 0).
    bus_ids=$(timeout 20 nvidia-smi --query-gpu=pci.bus_id --format=csv,noheader 2>/dev/null)
    # shellcheck disable=SC2086  # the bus ids are words
    run p2p_check 60 "$stage/bin/mpcomm-p2p-check" $bus_ids 0000:ff:1f.7
    # Exit 1: CUDA not usable, a skip where the probe found no GPU either.
    [ "$status" = 1 ] && [ $gpu_ok = 0 ] && status=77
    [ -n "$status" ] && sed 's/^/   /' "$logs/p2p_check.log" | head -n 20
    count p2p_check
  fi
  if [ $perf = 1 ]; then
    # shellcheck disable=SC2086
    mpi_run perf_allreduce_custom_np2 2 "$step_s" mpcomm-perf all_reduce --device cuda \
      --algo custom $perf_sizes &&
      count_perf perf_allreduce_custom_np2 "mpcomm-perf all_reduce --device cuda --algo custom, 2 processes on one GPU"
  fi
  mps_stop
  if [ $perf = 1 ]; then
    for algo in custom nccl auto; do
      # shellcheck disable=SC2086
      mpi_run perf_allreduce_${algo}_np1 1 "$step_s" mpcomm-perf all_reduce --device cuda \
        --algo $algo $perf_sizes &&
        count_perf perf_allreduce_${algo}_np1 "mpcomm-perf all_reduce --device cuda --algo $algo, 1 process"
    done
    mpi_run perf_custom_allreduce_sim 1 "$step_s" mpcomm-perf custom_allreduce_sim -d bfloat16 \
      -b 4K -e 8M -f 8 &&
      count_perf perf_custom_allreduce_sim "mpcomm-perf custom_allreduce_sim -d bfloat16"
  fi
fi

# 4. The simulated allreduce's targets and table.
if [ $perf = 1 ]; then
  standalone sim_perf_targets "$step_s" custom_allreduce_sim_perf --targets &&
    perf_logs+=("custom_allreduce_sim_perf --targets|$logs/sim_perf_targets.log")
  standalone sim_perf_table "$step_s" custom_allreduce_sim_perf $sim_args &&
    perf_logs+=("custom_allreduce_sim_perf $sim_args (bfloat16)|$logs/sim_perf_table.log")
fi

# 5. compute-sanitizer on the short simulation.
if [ $sanitize = 1 ]; then
  sanitizer=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
  for tool in memcheck initcheck synccheck; do
    if ! [ -x "$sanitizer" ] && [ $gpu_ok = 0 ]; then
      skipped=$((skipped + 1))
      results+=("sanitizer_$tool: skipped (no compute-sanitizer, no GPU)")
    elif ! [ -x "$sanitizer" ]; then
      not_available sanitizer_$tool "compute-sanitizer not found (set COMPUTE_SANITIZER)"
    elif ! [ -x "$bin/test_custom_allreduce_sim" ]; then
      not_available sanitizer_$tool "no $bin/test_custom_allreduce_sim"
    else
      run sanitizer_$tool "$sanitizer_s" "$sanitizer" --tool $tool --error-exitcode 99 \
        "$bin/test_custom_allreduce_sim" --quick
      # One test per tool: the program's own checks were counted in its own run.
      [ -n "$status" ] && sed -i '/^# mpcomm-test:/d' "$logs/sanitizer_$tool.log"
      count sanitizer_$tool
    fi
  done
fi

# ---- the end: performance tables, results, summary ------------------------------------------
echo
echo "================ performance"
# The simulated allreduce's long tables first, the data plane's own all_reduce tables last.
for pass in sim other; do
  for entry in "${perf_logs[@]}"; do
    case "$pass:${entry%%|*}" in sim:*allreduce_sim* | other:*all_reduce\ --device*) ;; *) continue ;; esac
    [ -f "${entry#*|}" ] || continue
    echo "---- ${entry%%|*}"
    grep -v '^   \$ ' "${entry#*|}" | head -n 90
  done
done
echo
echo "================ results ($SECONDS s)"
for line in "${results[@]}"; do echo "  $line"; done
if [ -n "${OUT:-}" ]; then
  tar -czf "$OUT/logs.tar.gz" -C "$logs" . && echo "logs: $combined and every program's in $OUT/logs.tar.gz"
else
  echo "logs: $logs/"
fi
echo "$passed passed, $failed failed, $skipped skipped"
mps_stop
trap - EXIT
exec >&- 2>&-
wait $tee_pid 2>/dev/null
[ $failed = 0 ]
