#!/usr/bin/env bash
# scripts/test_slurm.sh — `make test-slurm`: scripts/slurm_sweep.sh on a real,
# throwaway one-node Slurm cluster on this machine.
#
# As root: installs Debian's slurm-wlm and munge if missing, starts munged,
# slurmctld and slurmd from a temporary folder (own key, socket, ports,
# state and spool; no systemd, no cgroups), submits tests/slurm/tiny_sweep.lua
# --quick as a job array of 3 shards plus the merge job, waits for the
# merge, and checks that the merged CSV holds exactly the rows of a
# single-machine run of the same sweep: none missing, none twice, each
# from one of the 3 shards.  The daemons are stopped on exit, whatever
# happened.
#
# Task 1 is made to fail once, after writing its rows: the merge then
# waits on a dependency that can never be met, `slurm_sweep.sh --resubmit
# DIR 1` runs that task alone again (its --resume finds every row done and
# adds none), and the new merge job runs.
#
# Exit 0 with "test-slurm: passed ..." or "test-slurm: skipped: REASON"
# (not root, the packages cannot be installed, a daemon does not start);
# exit 1 with "test-slurm: FAILED: ..." when the cluster ran and the result
# is wrong (a task or the merge failed, rows missing or duplicated).
# KEEP=1 keeps the temporary folder for a look.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ABLATE=${ABLATE:-$ROOT/build/ablate}
SHARDS=3
EXP=$ROOT/tests/slurm/tiny_sweep.lua
WAIT_S=${WAIT_S:-180} # per wait for the merge job
T=""
START=$(date +%s)

say() { echo "test-slurm: $*"; }
skip() { say "skipped: $*"; exit 0; }

# Log tails that explain a failure.
show_logs() {
    local f
    for f in "$T"/log/*.log "$T"/munge/munged.log "$T"/runs/slurm-*/logs/*.out; do
        [[ -f $f ]] && { echo "---- $f"; tail -n 15 "$f"; }
    done
}

fail() { say "FAILED: $*"; show_logs; exit 1; }

# Stops what this script started, by pid, and removes the folder.
cleanup() {
    [[ -n $T && -d $T ]] || return 0
    if [[ -f $T/jobs.ids ]]; then
        # shellcheck disable=SC2046  # one job id per word
        scancel $(cat "$T/jobs.ids") 2>/dev/null
    fi
    [[ -f $T/slurm.conf ]] && SLURM_CONF=$T/slurm.conf scontrol shutdown >/dev/null 2>&1
    local pidfile pid i
    for pidfile in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/munged.pid"; do
        [[ -f $pidfile ]] || continue
        pid=$(cat "$pidfile")
        [[ $pid =~ ^[0-9]+$ ]] || continue
        [[ $pidfile == *munged.pid ]] && munged --stop --socket="$T/munge/munge.socket" >/dev/null 2>&1
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; fi
    done
    if [[ ${KEEP:-} == 1 ]]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

need_packages() {
    local c
    for c in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel; do
        command -v "$c" >/dev/null || return 0
    done
    return 1
}

install_packages() {
    need_packages || return 0
    command -v apt-get >/dev/null || skip "slurm-wlm/munge missing and no apt-get to install them"
    say "installing slurm-wlm munge (apt-get)"
    local log=/tmp/ablate-test-slurm-apt.log
    if ! { DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends slurm-wlm munge ||
        { timeout 300 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y \
            --no-install-recommends slurm-wlm munge; }; } >"$log" 2>&1; then
        skip "apt-get install slurm-wlm munge failed: $(tail -n 1 "$log")"
    fi
    need_packages && skip "slurm-wlm/munge installed but a command is still missing"
}

# Two free TCP ports on localhost (slurmctld, slurmd), so a machine's own
# Slurm on 6817/6818 is never touched.
free_ports() {
    local base p
    for base in $(seq $((20000 + RANDOM % 20000)) 7 65000); do
        for p in "$base" $((base + 1)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue 2
        done
        echo "$base $((base + 1))"
        return 0
    done
    return 1
}

start_munge() {
    mkdir -p "$T/munge" && chmod 711 "$T/munge"
    mungekey -c -k "$T/munge/munge.key" >/dev/null 2>&1 ||
        dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 600 "$T/munge/munge.key"
    munged --force --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" \
        --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
        --seed-file="$T/munge/munged.seed" >"$T/munge/start.out" 2>&1 ||
        skip "munged did not start: $(tail -n 1 "$T/munge/start.out")"
    munge -n --socket="$T/munge/munge.socket" | unmunge --socket="$T/munge/munge.socket" >/dev/null 2>&1 ||
        skip "munge credentials do not round-trip: $(tail -n 1 "$T/munge/munged.log")"
}

write_conf() {
    local ports
    ports=$(free_ports) || skip "no free TCP port pair for slurmctld/slurmd"
    read -r CTLD_PORT SLURMD_PORT <<<"$ports"
    mkdir -p "$T/state" "$T/spool" "$T/log"
    cat >"$T/slurm.conf" <<EOF
# One node, this machine, for scripts/test_slurm.sh only.
ClusterName=ablatetest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start_slurm() {
    export SLURM_CONF=$T/slurm.conf
    slurmctld -f "$SLURM_CONF" >"$T/log/slurmctld.start" 2>&1 ||
        skip "slurmctld did not start: $(tail -n 1 "$T/log/slurmctld.start")"
    slurmd -f "$SLURM_CONF" -N localhost >"$T/log/slurmd.start" 2>&1 ||
        skip "slurmd did not start: $(tail -n 1 "$T/log/slurmd.start")"
    local i state=""
    for ((i = 0; i < 60; i++)); do
        state=$(sinfo -h -N -n localhost -o %T 2>/dev/null)
        [[ $state == idle ]] && return 0
        sleep 0.5
    done
    skip "the node did not come up (state '${state:-none}'): $(grep -h error "$T"/log/*.log | tail -n 1)"
}

# Field $2 (JobState, Reason) of job $1 ("" if unknown).
job_field() { scontrol show job "$1" -o 2>/dev/null | sed -n "s/.*$2=\([A-Za-z_]*\).*/\1/p" | head -n 1; }

# Waits until merge job $1 has run ("done") or waits on a failed task
# ("stuck"), as $2 expects; anything else fails the test.
wait_for_merge() {
    local merge=$1 want=$2 deadline=$(($(date +%s) + WAIT_S)) state reason
    while (($(date +%s) < deadline)); do
        state=$(job_field "$merge" JobState)
        reason=$(job_field "$merge" Reason)
        case $state/$want in
        COMPLETED/done) return 0 ;;
        PENDING/stuck) [[ $reason == DependencyNeverSatisfied ]] && return 0 ;;
        PENDING/done)
            [[ $reason == DependencyNeverSatisfied ]] && fail "a shard task failed: the merge can never run" ;;
        RUNNING/* | CONFIGURING/* | COMPLETING/*) ;;
        *) [[ -n $state ]] && fail "merge job $merge is $state ($reason), expected it $want" ;;
        esac
        sleep 1
    done
    fail "merge job $merge not $want after ${WAIT_S}s (state ${state:-unknown}, reason ${reason:-none})"
}

# build/ablate, except that shard task 1 fails once, after doing its work
# (a node lost at the very end).
write_flaky() {
    cat >"$T/flaky_ablate" <<FLAKY
#!/bin/sh
if [ "\${SLURM_ARRAY_TASK_ID:-}" = 1 ] && [ ! -e '$T/flaky.failed' ]; then
    '$ABLATE' "\$@"
    touch '$T/flaky.failed'
    echo "flaky_ablate: task 1 fails on purpose (the test's injected failure)" >&2
    exit 1
fi
exec '$ABLATE' "\$@"
FLAKY
    chmod +x "$T/flaky_ablate"
}

# The last job id of a kind (array, merge) in a submission's jobs file.
last_job() { awk -v kind="$2" '$1 == kind { id = $2 } END { print id }' "$1/jobs"; }

# Column 1 (desc) of a results CSV, one per line: descs hold no comma.
descs() { awk -F, 'NR > 1 { print $1 }' "$1"; }

check_merged() {
    local merged=$1 single=$2 n dups missing extra shards
    [[ -f $merged/results.csv && -f $merged/report.md ]] || fail "no merged results.csv/report.md in $merged"
    n=$(descs "$single/results.csv" | wc -l)
    ((n > 0)) || fail "the single-machine run wrote no rows"
    dups=$(descs "$merged/results.csv" | sort | uniq -d)
    [[ -z $dups ]] || fail "rows twice in the merged CSV: $dups"
    missing=$(comm -23 <(descs "$single/results.csv" | sort) <(descs "$merged/results.csv" | sort))
    extra=$(comm -13 <(descs "$single/results.csv" | sort) <(descs "$merged/results.csv" | sort))
    [[ -z $missing ]] || fail "rows missing from the merged CSV: $missing"
    [[ -z $extra ]] || fail "rows in the merged CSV but not in the single run: $extra"
    # the column named "shard", counted from the end (later columns follow
    # it; a quoted comma in an earlier message would shift a count from the start)
    shards=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "shard") back = NF - i; next }
                      { print $(NF - back) }' \
        "$merged/results.csv" | sort -u | tr '\n' ' ')
    [[ $shards == "0/3 1/3 2/3 " ]] || fail "shard column holds '$shards', expected 0/3 1/3 2/3"
    ROWS=$n
}

main() {
    [[ $(id -u) == 0 ]] || skip "not root (it installs slurm-wlm and munge and starts their daemons)"
    [[ -x $ABLATE ]] || fail "$ABLATE not built"
    install_packages
    T=$(mktemp -d /tmp/ablate-slurm.XXXXXX) || skip "no temporary folder"
    chmod 711 "$T"
    start_munge
    write_conf
    start_slurm
    say "cluster up in $(($(date +%s) - START))s (slurmctld :$CTLD_PORT, slurmd :$SLURMD_PORT, $(nproc) CPUs)"
    local out dir merge t0 rows_before
    t0=$(date +%s)
    write_flaky
    out=$(ABLATE=$T/flaky_ablate SLURM_SWEEP_DIR=$T/runs SWEEP_FLAGS=--quick \
        "$ROOT/scripts/slurm_sweep.sh" "$EXP" "$SHARDS" 2>&1) || fail "slurm_sweep.sh: $out"
    printf '%s\n' "$out" | sed 's/^/  /'
    dir=$(printf '%s\n' "$out" | sed -n 's/^dir //p')
    merge=$(last_job "$dir" merge)
    [[ -n $merge ]] || fail "no job ids in $dir/jobs"
    awk '{ print $2 }' "$dir/jobs" >"$T/jobs.ids"
    wait_for_merge "$merge" stuck
    [[ -e $T/flaky.failed ]] || fail "the merge is stuck, but not on the injected failure"
    rows_before=$(descs "$dir/shard-1/results.csv" | wc -l)
    say "task 1 failed as planned and merge job $merge waits for good; resubmitting task 1 alone"
    out=$("$ROOT/scripts/slurm_sweep.sh" --resubmit "$dir" 1 2>&1) || fail "slurm_sweep.sh --resubmit: $out"
    printf '%s\n' "$out" | sed 's/^/  /'
    merge=$(last_job "$dir" merge)
    awk '{ print $2 }' "$dir/jobs" >"$T/jobs.ids"
    wait_for_merge "$merge" "done"
    [[ $(descs "$dir/shard-1/results.csv" | wc -l) == "$rows_before" ]] ||
        fail "the retried task 1 wrote rows again (--resume should have skipped its $rows_before rows)"
    say "array of $SHARDS shards, one retried task and the merge done in $(($(date +%s) - t0))s"
    "$ABLATE" sweep "$EXP" --quick --out "$T/single" >"$T/single.log" 2>&1 ||
        fail "single-machine run: $(tail -n 1 "$T/single.log")"
    check_merged "$dir/merged" "$T/single"
    say "passed: merged CSV = single-machine run, $ROWS rows each once, shards 0/3 1/3 2/3 ($(($(date +%s) - START))s)"
}

main "$@"
