#!/usr/bin/env bash
# run_integration.sh -- run tests/integration/NN-*.sh, KB_JOBS (3) at a
# time. Each script prints PASS/FAIL/SKIP lines through lib.sh and has its
# own broker, ports and work directory; the scripts mostly wait on wall
# clock (idle closes, session timeouts), not on the CPU, so running a few
# at once shortens the suite without loading the machine. Their output is
# printed whole, in name order, and the runner ends with the plain
# "N passed, N failed, N skipped" line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${KB_BIN:?set KB_BIN to the koubei binary}"
export KB_BIN KB_ROOT=$(cd "$here/.." && pwd)
export KB_LEXICONS=${KB_LEXICONS:-$KB_ROOT/lexicons}
jobs_max=${KB_JOBS:-3}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# run_one SCRIPT: its output and results in $logs/NAME.{out,res}.
run_one() {
    local t=$1 name t0
    name=$(basename "$t")
    t0=$SECONDS
    {
        echo "== $name"
        # A hung script must fail CI, not stall it.
        if ! KB_RESULTS="$logs/$name.res" timeout -k 30 "${KB_SCRIPT_TIMEOUT:-600}" bash "$t"; then
            echo "FAIL $name: script exited non-zero"
            echo FAIL >>"$logs/$name.res"
        fi
        echo "== $name took $((SECONDS - t0)) s"
    } >"$logs/$name.out" 2>&1
}

scripts=("$here"/integration/[0-9][0-9]-*.sh)
for t in "${scripts[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
        wait -n
    done
    run_one "$t" &
done
wait
for t in "${scripts[@]}"; do
    cat "$logs/$(basename "$t").out"
done
cat "$logs"/*.res >"$logs/all" 2>/dev/null
pass=$(grep -c '^PASS' "$logs/all")
fail=$(grep -c '^FAIL' "$logs/all")
skip=$(grep -c '^SKIP' "$logs/all")
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
