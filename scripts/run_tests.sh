#!/bin/sh
# Runs the Criterion suite from the repository root and ends with the plain
# "N passed, M failed" line; exit status is Criterion's.
cd "$(dirname "$0")/.." || exit 2
export ABLATE_ROOT="$(pwd)"
log=build/test.log
./build/test_runner "$@" 2>&1 | tee "$log"
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
