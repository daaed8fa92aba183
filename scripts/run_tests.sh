#!/bin/sh
# Runs the Criterion suite from the repository root and ends with the plain
# "N passed, M failed" line; exit status is Criterion's.
# BUILD=build-asan (make test-asan) runs the sanitized runner and program.
cd "$(dirname "$0")/.." || exit 2
export ABLATE_ROOT="$(pwd)"
build=${BUILD:-build}
export ABLATE_BIN="./$build/ablate"
# Sanitizer settings (only matter for the build-asan binaries):
# - leaks are detected (ablate's processes run leak-free); the only
#   suppression, scripts/lsan.supp, is Criterion's own runner registry.
# - abort_on_error=0 + exitcode: a finding makes the process exit 99, so a
#   test that expects status 0/1/2 fails instead of silently passing.
# - handle_segv/sigbus/sigfpe=0: tests make generated kernels crash on
#   purpose and the harness classifies the forked child by the signal that
#   killed it (status `crashed`); ASan's handlers would turn that signal
#   into exit 99.  Bad accesses in our instrumented code are still caught
#   by ASan's shadow checks, which do not need these handlers.
# - UBSan: print a stack and stop on the first report (the build also uses
#   -fno-sanitize-recover=undefined).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:exitcode=99:strict_string_checks=1:detect_stack_use_after_return=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}"
# Tests check behaviour, not speed: no waiting for a near vCPU placement
# (up to a minute per 2-thread timing on a host that moves its vCPUs);
# vcpu_gate/* test the wait itself with scripted round trips.
export ABLATE_PLACEMENT_WAIT="${ABLATE_PLACEMENT_WAIT:-0}"
# Kernels built only to check correctness (the gen_* fixtures, `ablate
# parity`) at -O1: a cold run 9 % cheaper than at -O2 and ~30 % than at -O3
# (docs/test_time.md).  Sweeps, benches, `ablate run` and goldens/* ignore
# it and stay -O3, the level sweeps ship (docs/contributing.md, "Test
# time").  ABLATE_GEN_OPT=3 make test: all -O3.
export ABLATE_GEN_OPT="${ABLATE_GEN_OPT:-1}"
log=$build/test.log
timed_log=$build/test-timed.log
# The test that times real kernels and judges the times (regress_kernel/
# slowed_kernel_fails) runs alone after the parallel pass; the A/A test
# beside it only in `make test-timed` (ABLATE_TIMED_TESTS=1): beside other tests their A/A runs
# moved by 20 % on a 2-core CI machine.  With arguments (a --filter of your
# own) everything runs in one pass as asked.
timed_suites='regress_kernel/slowed_kernel_fails'
# Two tests at a time on two cores, many running 2-thread kernels: an
# OpenMP thread waiting at a barrier for a partner that the other test has
# off the CPU spins there (libgomp's default wait), on the core the partner
# needs.  Passive waiting sleeps instead: the same results, ~15 % less CPU
# in a warm parallel pass (docs/test_time.md, b-testtime).  The timed
# pass keeps the default wait: it times kernels as a sweep does.
untimed_wait=${OMP_WAIT_POLICY:-passive}
# goldens/* first, in a pass of their own: they build their kernels at -O3
# at the shapes the gen_* suites test (which Criterion's name order runs
# before them), and a correctness-only build takes a kernel already cached
# at -O3 instead of building its own at -O1 (harness/gen_cc.c): 44 builds
# fewer on a cold cache (docs/test_time.md, f-testtime).
first_suites='goldens'
if [ $# -eq 0 ]; then
    ABLATE_TIMED_TESTS=0 OMP_WAIT_POLICY=$untimed_wait "./$build/test_runner" \
        --filter "$first_suites/*" 2>&1 | tee "$log"
    ABLATE_TIMED_TESTS=0 OMP_WAIT_POLICY=$untimed_wait "./$build/test_runner" \
        --filter "!($first_suites)/*" 2>&1 | tee -a "$log"
    "./$build/test_runner" --jobs 1 --filter "$timed_suites" 2>&1 | tee "$timed_log"
else
    OMP_WAIT_POLICY=$untimed_wait "./$build/test_runner" "$@" 2>&1 | tee "$log"
    : > "$timed_log"
fi
# field NAME LOG: that count summed over the log's Criterion synthesis lines (0 if none)
field() {
    grep 'Synthesis:' "$2" | sed -n "s/.*$1: \([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
# passes LOG: how many Criterion synthesis lines it has
passes() {
    grep -c 'Synthesis:' "$1"
}
if [ $# -eq 0 ]; then want_log=2 want_timed=1; else want_log=1 want_timed=0; fi
if [ "$(passes "$log")" != "$want_log" ] || [ "$(passes "$timed_log")" != "$want_timed" ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
tested=$(($(field Tested "$log") + $(field Tested "$timed_log")))
passing=$(($(field Passing "$log") + $(field Passing "$timed_log")))
failing=$(($(field Failing "$log") + $(field Failing "$timed_log")))
crashing=$(($(field Crashing "$log") + $(field Crashing "$timed_log")))
# the timed tests skipped in the parallel pass are counted once, where they ran
skipped=$((tested - passing - failing - $(field Tested "$timed_log")))
[ "$skipped" -lt 0 ] && skipped=0
echo "$passing passed, $failing failed, $skipped skipped"
[ "$failing" = 0 ] && [ "$crashing" = 0 ]
