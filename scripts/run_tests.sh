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
log=$build/test.log
"./$build/test_runner" "$@" 2>&1 | tee "$log"
line=$(grep 'Synthesis:' "$log" | tail -n 1)
if [ -z "$line" ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
passing=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
failing=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
crashing=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
skipped=$((tested - passing - failing))
[ "$skipped" -lt 0 ] && skipped=0
echo "$passing passed, $failing failed, $skipped skipped"
[ "$failing" = 0 ] && [ "$crashing" = 0 ]
