#!/bin/sh
# make fuzz: runs each libFuzzer target SECONDS seconds on a copy of its
# seed corpus (tests/fuzz/corpus/TARGET stays as committed; what the run
# learns lands in build-fuzz/corpus/TARGET).  A crash leaves
# build-fuzz/crash-* and fails the run: turn it into a regression test.
# Usage: scripts/run_fuzz.sh SECONDS TARGET...
cd "$(dirname "$0")/.." || exit 2
export ABLATE_ROOT="$(pwd)"
secs=$1
shift
status=0
for t in "$@"; do
    work=build-fuzz/corpus/$t
    mkdir -p "$work" || exit 2
    cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
    # The sweep builder's best seeds are the real experiments: taken from
    # experiments/ as they are now rather than kept as copies in the corpus.
    [ "$t" = fuzz_plan ] && cp -n experiments/*.lua "$work"/ 2>/dev/null
    [ "$t" = fuzz_yaml ] && cp -n experiments/models/*.yaml "$work"/ 2>/dev/null
    echo "== $t: $secs s"
    # -rss_limit_mb: the targets cap their inputs; more memory is a bug.
    # fuzz_plan's Lua scripts are bounded inside the target (hook).
    if ! "./build-fuzz/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
        -artifact_prefix=build-fuzz/ -print_final_stats=1 "$work"; then
        echo "== $t: FOUND A CRASH (build-fuzz/crash-*)"
        status=1
    fi
done
exit $status
