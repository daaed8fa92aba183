#!/usr/bin/env bash
# scripts/slurm_sweep.sh — an ablate sweep as a Slurm job array.
#
#   scripts/slurm_sweep.sh EXP [N]             submit N shards (default 4) and a merge job
#   scripts/slurm_sweep.sh --resubmit DIR I... run tasks I... of that submission again, then merge
#
# EXP is experiments/EXP.lua or a path to a .lua file.  One submission makes
# a folder DIR = $SLURM_SWEEP_DIR/slurm-<UTC stamp> (default
# SLURM_SWEEP_DIR=runs/<name>/; it must be on a path every node sees) with
#   shard.sbatch, merge.sbatch   the two batch scripts (resubmittable as they are)
#   shard-I/                     task I's run folder: `ablate sweep --shard I/N --resume`
#   merged/                      results.csv, merged_from.csv, report.md, report.html
#   logs/                        shard-I.out, merge-JOBID.out
#   jobs                         the job ids, one "array ID" / "merge ID" line each
# The array is `sbatch --array=0-(N-1)`; the merge job waits for all of it
# with --dependency=afterok and runs `ablate report --out DIR/merged`.
#
# Environment: SWEEP_FLAGS (e.g. --quick), SBATCH_FLAGS (e.g. "--partition=cpu
# --exclusive --time=2:00:00"; --exclusive keeps other jobs off a node being
# timed), MERGE_FLAGS (e.g. --mix-machines when the nodes differ),
# BLAS_CORETYPE (as `make sweep`, default auto), ABLATE (the binary, default
# build/ablate).  Prints DIR and the job ids; exit 0 once submitted.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ABLATE=${ABLATE:-$ROOT/build/ablate}
read -r -a SBATCH_ARGS <<<"${SBATCH_FLAGS:-}" # split into words on purpose

die() { echo "slurm_sweep: $*" >&2; exit 2; }

# A word quoted for sh, so folder names with spaces survive the batch script.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

usage() {
    die "usage: scripts/slurm_sweep.sh EXP [N] | scripts/slurm_sweep.sh --resubmit DIR TASK..."
}

# The merge job, once the dependency $2 (e.g. afterok:123) is met.
submit_merge() {
    local dir=$1 after=$2 id
    id=$(sbatch --parsable "${SBATCH_ARGS[@]}" --job-name="ablate-merge" --chdir="$ROOT" \
        --dependency="$after" --output="$dir/logs/merge-%j.out" "$dir/merge.sbatch") ||
        die "sbatch of the merge job failed"
    id=${id%%;*}
    echo "merge $id" >>"$dir/jobs"
    echo "merge job $id ($after) -> $dir/merged"
}

write_scripts() {
    local dir=$1 file=$2 n=$3 shards="" i
    cat >"$dir/shard.sbatch" <<EOF
#!/bin/sh
# One shard of $(basename "$file"): task \$SLURM_ARRAY_TASK_ID of $n.  --resume:
# a retried task keeps the rows it already wrote and runs only the rest.
set -e
cd $(q "$ROOT")
export ABLATE_CORETYPE=$(q "${BLAS_CORETYPE:-auto}")
exec $(q "$ABLATE") sweep $(q "$file") ${SWEEP_FLAGS:-} --shard "\$SLURM_ARRAY_TASK_ID/$n" \\
    --out $(q "$dir")/shard-"\$SLURM_ARRAY_TASK_ID" --resume
EOF
    for ((i = 0; i < n; i++)); do shards="$shards $(q "$dir/shard-$i")"; done
    local latest=""
    # In runs/NAME/ (the default): runs/NAME/latest -> the merge, as after
    # `make sweep`, so `make report EXP=NAME` shows it.
    if [[ $(dirname "$dir") == "$ROOT/runs/$(basename "$file" .lua)" ]]; then
        latest="ln -sfn $(q "$(basename "$dir")/merged") $(q "$(dirname "$dir")/latest")"
    fi
    cat >"$dir/merge.sbatch" <<EOF
#!/bin/sh
# Merges the $n shards into merged/ (one results.csv, one report).
set -e
cd $(q "$ROOT")
$(q "$ABLATE") report ${MERGE_FLAGS:-} --out $(q "$dir/merged")$shards
$latest
EOF
    chmod +x "$dir/shard.sbatch" "$dir/merge.sbatch"
}

submit() {
    local exp=$1 n=${2:-4} file name dir stamp array
    if [[ ! $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 1024)); then die "N must be 1..1024 (got '$n')"; fi
    if [[ $exp == *.lua ]]; then file=$exp; else file=$ROOT/experiments/$exp.lua; fi
    [[ -f $file ]] || die "$file: no such experiment"
    file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
    [[ -x $ABLATE ]] || die "$ABLATE: not built (make first)"
    command -v sbatch >/dev/null || die "sbatch not found: not on a Slurm submit host"
    sinfo -h >/dev/null 2>&1 || die "no Slurm controller answers (sinfo failed): check SLURM_CONF"
    name=$(basename "$file" .lua)
    stamp=$(date -u +%Y%m%d-%H%M%S)
    dir=${SLURM_SWEEP_DIR:-$ROOT/runs/$name}/slurm-$stamp
    mkdir -p "$dir/logs"
    dir=$(cd "$dir" && pwd)
    echo "$n" >"$dir/shards"
    write_scripts "$dir" "$file" "$n"
    array=$(sbatch --parsable "${SBATCH_ARGS[@]}" --job-name="ablate-$name" --chdir="$ROOT" \
        --array="0-$((n - 1))" --output="$dir/logs/shard-%a.out" "$dir/shard.sbatch") ||
        { rm -rf "$dir"; die "sbatch of the job array failed"; }
    array=${array%%;*}
    echo "array $array" >"$dir/jobs"
    echo "dir $dir"
    echo "array job $array: $n shards of $name"
    submit_merge "$dir" "afterok:$array"
    echo "watch: squeue -j $array; a failed task I: scripts/slurm_sweep.sh --resubmit $dir I"
}

# Earlier arrays of DIR still queued or running, as ",afterany:ID..." (a
# merge must not start before them; finished ones are no longer known).
still_running() {
    local a deps=""
    while read -r a; do
        if squeue -h -j "$a" 2>/dev/null | grep -q .; then deps="$deps,afterany:$a"; fi
    done < <(awk '$1 == "array" { print $2 }' "$1/jobs")
    echo "$deps"
}

# Failed tasks again (their shard folders are resumed), then a new merge
# job after them; the old merge job, left waiting on a dependency that can
# no longer be met, is cancelled.
resubmit() {
    local dir=$1 list id old running
    shift
    (($# > 0)) || usage
    [[ -f $dir/shard.sbatch && -f $dir/jobs ]] || die "$dir: not a slurm_sweep.sh submission folder"
    dir=$(cd "$dir" && pwd)
    list=$(IFS=,; echo "$*")
    [[ $list =~ ^[0-9,]+$ ]] || die "task numbers expected (got '$*')"
    old=$(awk '$1 == "merge" { id = $2 } END { print id }' "$dir/jobs")
    if [[ -n $old ]]; then scancel "$old" 2>/dev/null || true; fi
    running=$(still_running "$dir")
    id=$(sbatch --parsable "${SBATCH_ARGS[@]}" --job-name="ablate-retry" --chdir="$ROOT" --array="$list" \
        --output="$dir/logs/shard-%a.out" "$dir/shard.sbatch") || die "sbatch of tasks $list failed"
    id=${id%%;*}
    echo "array $id" >>"$dir/jobs"
    echo "dir $dir"
    echo "array job $id: tasks $list again"
    submit_merge "$dir" "afterok:$id$running"
}

case "${1:-}" in
"" | -h | --help) usage ;;
--resubmit) shift; (($# >= 1)) || usage; resubmit "$@" ;;
*) (($# <= 2)) || usage; submit "$@" ;;
esac
