#!/bin/sh
# slurm-cluster.sh: mpcomm under Slurm. Brings up a private one-node Slurm cluster (munged,
# slurmctld and slurmd on localhost, with a generated slurm.conf, key, state and logs in one
# temporary directory) and runs, as a user would:
#   - srun -n 4 --mpi=pmix of the C example, the MLP demo (MATCH) and an MPI test program, and
#     where Fortran is built, of the Fortran MLP (MATCH) and the Fortran module's test;
#   - the sbatch job script examples/slurm/tp_pp_mlp.sbatch, waited for: its output and exit
#     code, also for a job that must fail;
#   - salloc -n 4 mpirun of the MLP demo;
#   - the node's processes against the CPUs of their affinity masks (test/mpi/node_cpus_probe)
#     under srun unbound, two tasks bound to one CPU, and bound to a CPU each;
#   - srun --mpi=pmi2 and --mpi=none of mpcomm-info: one line naming srun --mpi=pmix, exit 1;
#     and of the C example: the Open MPI message the README's "Running under Slurm" explains.
# Whatever happens, it stops the daemons and every process they started by PID and removes the
# directory; it fails if anything it started is left running or in /dev/shm. Skips (77) only
# where Slurm is not installed (scripts/install-deps installs it) or cannot run (not root).
srcdir=${MPCOMM_TEST_SRCDIR:-.}
builddir=${MPCOMM_TEST_BUILDDIR:-.}
for cmd in munged mungekey slurmctld slurmd srun sbatch salloc sinfo squeue scancel; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    PATH=$PATH:/usr/sbin:/sbin
    command -v "$cmd" >/dev/null 2>&1 ||
      { echo "SKIP: $cmd not found; scripts/install-deps installs Slurm and munge"; exit 77; }
  fi
done
if test "$(id -u)" -ne 0; then echo "SKIP: slurmd must run as root"; exit 77; fi
mpirun=$(sed -n 's/^mpirun="\(.*\)"$/\1/p' "$builddir/scripts/mpi-test-run")
test -n "$mpirun" || { echo "SKIP: no mpirun"; exit 77; }
c_example=$builddir/examples/c_state_allreduce
mlp=$builddir/examples/tp_pp_mlp
mpi_test=$builddir/test/mpi/test_mpi_core
info=$builddir/tools/mpcomm-info
probe_prog=$builddir/test/mpi/node_cpus_probe
job_script=$srcdir/examples/slurm/tp_pp_mlp.sbatch
for f in "$c_example" "$mlp" "$mpi_test" "$info" "$probe_prog"; do
  test -x "$f" || { echo "FAIL: $f is not built"; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/mpcomm-slurm.XXXXXX") || exit 1
chmod 711 "$dir"
# Every process of this cluster carries this in its environment: the daemons, the slurmstepd
# they start and the tasks (srun passes its environment on), so teardown finds them all.
export MPCOMM_TEST_SLURM_CLUSTER="$dir"
# shellcheck disable=SC2010
listing() { ls /dev/shm | grep -v '^vader_segment\.' | sort; }
listing >"$dir/shm.before"
pids=

# The PIDs of every process whose environment names this cluster, except this shell's.
ours() {
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    test "$pid" = $$ && continue
    { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "MPCOMM_TEST_SLURM_CLUSTER=$dir" && echo "$pid"
  done
}

teardown() {
  trap '' INT TERM HUP
  test -n "$current" && kill -TERM "$current" 2>/dev/null
  test -f "$dir/watchdog.pid" && kill -TERM "$(cat "$dir/watchdog.pid")" 2>/dev/null
  test -n "$watchdog" && wait "$watchdog"
  if test -n "$pids"; then
    # Jobs first, while slurmd can still end their steps; then the daemons.
    timeout 5 scancel --quiet --user=root 2>/dev/null
    i=0
    while test -n "$(timeout 2 squeue -h 2>/dev/null)" && test $i -lt 25; do
      sleep 0.2
      i=$((i + 1))
    done
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    i=0
    # shellcheck disable=SC2086
    while kill -0 $pids 2>/dev/null && test $i -lt 50; do sleep 0.2; i=$((i + 1)); done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
  fi
  # Whatever else carries the cluster's name (a step daemon, a task) gets 5 s to finish.
  i=0
  while
    left=$(ours)
    test -n "$left" && test $i -lt 25
  do
    sleep 0.2
    i=$((i + 1))
  done
  if test -n "$left"; then
    # shellcheck disable=SC2086
    echo "FAIL: processes left running:" $left
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    failed=$((failed + 1))
  fi
  listing >"$dir/shm.after"
  added=$(comm -13 "$dir/shm.before" "$dir/shm.after")
  if test -n "$added"; then
    echo "FAIL: left in /dev/shm: $added"
    failed=$((failed + 1))
  fi
  rm -rf "$dir"
  echo "# mpcomm-test: passed=$passed failed=$failed skipped=0"
  # (A bare exit in the EXIT trap keeps the status the script had; a failure must fail.)
  test "$failed" -eq 0 && exit 0
  exit 1
}
passed=0
failed=0
current=
watchdog=
trap teardown EXIT
# Time limits scale by MPCOMM_TEST_TIME_SCALE (a whole number; the sanitizer build sets it,
# since everything runs several times slower under ASan).
scale=${MPCOMM_TEST_TIME_SCALE:-1}
case $scale in '' | *[!0-9]* | 0) scale=1 ;; esac
trap 'echo "FAIL: stopped by a signal (or the $((100 * scale)) s limit)"; failed=$((failed + 1)); exit 1' \
  INT TERM HUP
# The whole test stays under 2 minutes (times the scale): after 100 s the watchdog stops it
# (teardown included).
(
  sleep $((100 * scale)) &
  echo $! >"$dir/watchdog.pid"
  wait $! && kill -TERM $$
) 2>/dev/null &
watchdog=$!

# bounded SECONDS COMMAND...: runs COMMAND with a time limit, output in $dir/out, in the
# background so that a signal (the watchdog's) interrupts the wait; its exit status.
bounded() {
  limit=$(($1 * scale))
  shift
  timeout --kill-after=5 "$limit" "$@" >"$dir/out" 2>&1 &
  current=$!
  wait "$current"
  rc=$?
  current=
  return $rc
}

ok() { echo "ok: $*"; passed=$((passed + 1)); }
die() {
  echo "FAIL: $*"
  failed=$((failed + 1))
  exit 1
}
fail() {
  echo "FAIL: $*"
  sed 's/^/  | /' "$dir/out"
  failed=$((failed + 1))
}

# A TCP port nobody listens on (LISTEN is state 0A in /proc/net/tcp*).
free_port() {
  port=$1
  while grep -qi ":$(printf '%04X' "$port") [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 \
    2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}
base=$((20000 + ($$ % 2000) * 10))
ctld_port=$(free_port "$base")
slurmd_port=$(free_port $((ctld_port + 1)))
host=$(hostname -s)

mungekey -c -k "$dir/munge.key" || die "mungekey"
cat >"$dir/slurm.conf" <<EOF
ClusterName=mpcommtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
# No binding unless a step asks (--cpu-bind): the node declares more CPUs than it may have.
TaskPluginParam=None
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
FirstJobId=$((($$ % 30000) * 100 + 1000))
MailProg=/bin/true
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
TmpFS=$dir/tmp
# Four CPUs whatever the machine has: four tasks run on a two-core machine too.
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=5 State=UP OverSubscribe=YES
EOF
mkdir "$dir/state" "$dir/spool" "$dir/tmp"
export SLURM_CONF="$dir/slurm.conf"

munged -F --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" \
  >"$dir/munged.out" 2>&1 &
pids=$!
i=0
while ! test -S "$dir/munge.socket" && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done
slurmctld -D -f "$dir/slurm.conf" >"$dir/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$dir/slurm.conf" >"$dir/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until test "$(sinfo -h -o %t 2>/dev/null)" = idle; do
  i=$((i + 1))
  if test $i -gt 100; then
    for log in munged.out slurmctld.out slurmd.out; do cp "$dir/$log" "$dir/out"; fail "$log"; done
    die "the cluster did not come up in 20 s"
  fi
  sleep 0.2
done
ok "cluster up: $host, slurmctld port $ctld_port, slurmd port $slurmd_port"
# Teardown finds what this cluster started by the variable in its environment: the daemons must
# carry it (and, through them and srun, everything else).
running=$(ours)
for pid in $pids; do
  echo "$running" | grep -qx "$pid" || die "daemon $pid not found by its environment"
done
if srun --mpi=list 2>&1 | grep -q pmix; then
  ok "srun --mpi=list has pmix"
else
  srun --mpi=list >"$dir/out" 2>&1
  fail "no PMIx plugin (slurm-wlm-basic-plugins)"
fi

# As scripts/mpi-test-run: root, more ranks than cores, ranks that yield.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# run WANT_RC WHAT COMMAND...: runs COMMAND with a time limit, output in $dir/out.
run() {
  want=$1 what=$2
  shift 2
  bounded 40 "$@"
  rc=$?
  test "$rc" -eq "$want" && return 0
  fail "$what: exit $rc, expected $want"
  return 1
}

if run 0 "srun --mpi=pmix C example" srun -n 4 --mpi=pmix "$c_example"; then
  if grep -q '^# mpcomm-test: passed=1 failed=0' "$dir/out" && grep -q '^TP group of' "$dir/out"; then
    ok "srun -n 4 --mpi=pmix examples/c_state_allreduce"
  else
    fail "srun --mpi=pmix C example: no result lines"
  fi
fi
if run 0 "srun --mpi=pmix MLP" srun -n 4 --mpi=pmix "$mlp" --tp 2 --pp 2; then
  if grep -q '^MATCH$' "$dir/out" && grep -q '^rank 3: ' "$dir/out"; then
    ok "srun -n 4 --mpi=pmix examples/tp_pp_mlp --tp 2 --pp 2: MATCH"
  else
    fail "srun --mpi=pmix MLP: no MATCH on 4 ranks"
  fi
fi
if run 0 "srun --mpi=pmix MPI test" srun -n 4 --mpi=pmix "$mpi_test"; then
  if grep -q '^# mpcomm-test: passed=[1-9][0-9]* failed=0' "$dir/out"; then
    ok "srun -n 4 --mpi=pmix test/mpi/test_mpi_core: $(grep '^# mpcomm-test' "$dir/out")"
  else
    fail "srun --mpi=pmix MPI test: no summary"
  fi
fi
# Fortran (use mpcomm), where it is built: the MLP and the module's test.
f_mlp=$builddir/examples/tp_pp_mlp_f08
f_test=$builddir/test/fortran/test_f08
if test -x "$f_mlp" && test -x "$f_test"; then
  if run 0 "srun --mpi=pmix Fortran MLP" srun -n 4 --mpi=pmix "$f_mlp" --tp 2 --pp 2; then
    if grep -q '^MATCH$' "$dir/out" && grep -q '^rank 3: ' "$dir/out"; then
      ok "srun -n 4 --mpi=pmix examples/tp_pp_mlp_f08 --tp 2 --pp 2: MATCH"
    else
      fail "srun --mpi=pmix Fortran MLP: no MATCH on 4 ranks"
    fi
  fi
  # (Its group_join test needs mpirun: MPI_Comm_accept under srun fails in Open MPI.)
  if run 0 "srun --mpi=pmix Fortran test" srun -n 4 --mpi=pmix \
    --export=ALL,MPCOMM_TEST_NO_JOIN=1 "$f_test"; then
    if grep -q '^# mpcomm-test: passed=[1-9][0-9]* failed=0' "$dir/out"; then
      ok "srun -n 4 --mpi=pmix test/fortran/test_f08: $(grep '^# mpcomm-test' "$dir/out")"
    else
      fail "srun --mpi=pmix Fortran test: no summary"
    fi
  fi
else
  echo "(built without Fortran: the Fortran programs are not run under srun)"
fi

# The example job script, as sbatch runs it; sbatch --wait exits with the job's exit code.
# job WANT_RC [MLP_ARGS]: its output and the job's in $dir/out.
job() {
  want=$1
  rm -f "$dir/job.out"
  export TP_PP_MLP="$mlp" MLP_ARGS="${2:-}"
  bounded 40 sbatch --wait -o "$dir/job.out" "$job_script"
  rc=$?
  cat "$dir/job.out" >>"$dir/out" 2>/dev/null
  test "$rc" -eq "$want" && return 0
  fail "sbatch ${2:-}: exit $rc, expected $want"
  return 1
}
if job 0; then
  if grep -q '^MATCH$' "$dir/out" && grep -q '^TP groups: \[0 1 2 3\]$' "$dir/out"; then
    ok "sbatch --wait examples/slurm/tp_pp_mlp.sbatch: exit 0, TP 4, MATCH"
  else
    fail "sbatch job: no MATCH with TP 4 in its output"
  fi
fi
if job 1 --inject-error; then
  if grep -q '^MISMATCH$' "$dir/out"; then
    ok "sbatch job with MLP_ARGS=--inject-error: exit 1, MISMATCH"
  else
    fail "sbatch job with --inject-error: no MISMATCH"
  fi
fi

if run 0 "salloc mpirun" salloc -n 4 "$mpirun" -np 4 "$mlp" --tp 2 --dp 2; then
  if grep -q '^MATCH$' "$dir/out" && grep -q '^rank 3: ' "$dir/out"; then
    ok "salloc -n 4 mpirun -np 4 examples/tp_pp_mlp --tp 2 --dp 2: MATCH"
  else
    fail "salloc mpirun: no MATCH on 4 ranks"
  fi
fi

# The node's processes against the CPUs of their affinity masks (test/mpi/node-cpus.sh does the
# same under mpirun): unbound, every CPU slurmd may use; bound by srun, the CPUs it gave them.
# probe WHAT WANT SRUN_ARGS...: node_cpus_probe's line must match WANT.
probe() {
  probe_what=$1 probe_want=$2
  shift 2
  if run 0 "$probe_what" srun --mpi=pmix "$@" "$probe_prog"; then
    if grep -qE "^node_cpus: $probe_want$" "$dir/out"; then
      ok "$probe_what: $(grep '^node_cpus: ' "$dir/out")"
    else
      fail "$probe_what: expected 'node_cpus: $probe_want'"
    fi
  fi
}
over() { if test "$1" -gt "$2"; then echo 1; else echo 0; fi; }
cpus=$(nproc)
# The first two CPUs this shell (and so slurmd) may use, e.g. "0 1" from "0-3" or "4,6".
# shellcheck disable=SC2046
set -- $(taskset -pc $$ 2>/dev/null | sed 's/.*: //' | tr ',' '\n' |
  awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | head -n 2)
probe "srun -n 4 --cpu-bind=none, $cpus CPUs" \
  "processes=4 cpus=$cpus oversubscribed=$(over 4 "$cpus") host_allreduce=$(over 4 "$cpus")" \
  -n 4 --cpu-bind=none
if test $# -eq 2; then
  probe "srun -n 2 --cpu-bind=map_cpu:$1,$1 (both on one CPU)" \
    "processes=2 cpus=1 oversubscribed=1 host_allreduce=1" -n 2 --cpu-bind="map_cpu:$1,$1"
  probe "srun -n 2 --cpu-bind=map_cpu:$1,$2 (a CPU each)" \
    "processes=2 cpus=2 oversubscribed=0 host_allreduce=0" -n 2 --cpu-bind="map_cpu:$1,$2"
else
  echo "(taskset or a second CPU missing: the srun binding cases are not run)"
fi

# Without PMIx, Debian's Open MPI cannot start under srun: mpcomm-info says so in one line.
if run 0 "srun --mpi=pmix mpcomm-info" srun -n 2 --mpi=pmix "$info" --tp 2; then
  ok "srun -n 2 --mpi=pmix mpcomm-info --tp 2"
fi
for plugin in pmi2 none; do
  if run 1 "srun --mpi=$plugin mpcomm-info" srun -n 2 --mpi=$plugin "$info"; then
    grep -v '^srun: error: ' "$dir/out" >"$dir/lines"
    if test "$(wc -l <"$dir/lines")" -eq 1 &&
      grep -q "^mpcomm-info: started by srun with --mpi=$plugin, .* run srun --mpi=pmix" \
        "$dir/lines"; then
      ok "srun --mpi=$plugin mpcomm-info: $(cat "$dir/lines")"
    else
      fail "srun --mpi=$plugin mpcomm-info: not the one-line diagnostic"
    fi
  fi
done
# Any other program gets Open MPI's own message, which the README quotes and explains.
if run 1 "srun --mpi=none C example" srun -n 2 --mpi=none "$c_example"; then
  quote='The application appears to have been direct launched using "srun",'
  if grep -qF "$quote" "$dir/out" && grep -qF "$quote" "$srcdir/README.md"; then
    ok "srun --mpi=none C example: Open MPI's message, explained in README.md"
  else
    fail "srun --mpi=none C example: Open MPI's message is not the one README.md quotes"
  fi
fi
