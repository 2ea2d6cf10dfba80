#!/usr/bin/env bash
# run_integration.sh -- run tests/integration/NN-*.sh in order.
# Each script prints PASS/FAIL/SKIP lines through lib.sh; this runner adds
# them up and ends with the plain "N passed, N failed, N skipped" line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${KB_BIN:?set KB_BIN to the koubei binary}"
export KB_BIN KB_ROOT=$(cd "$here/.." && pwd)
export KB_LEXICONS=${KB_LEXICONS:-$KB_ROOT/lexicons}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
export KB_RESULTS=$results
for t in "$here"/integration/[0-9][0-9]-*.sh; do
    echo "== $(basename "$t")"
    # A hung script must fail CI, not stall it.
    if ! timeout -k 10 "${KB_SCRIPT_TIMEOUT:-600}" bash "$t"; then
        echo "FAIL $(basename "$t"): script exited non-zero"
        echo FAIL >>"$results"
    fi
done
pass=$(grep -c '^PASS' "$results")
fail=$(grep -c '^FAIL' "$results")
skip=$(grep -c '^SKIP' "$results")
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
