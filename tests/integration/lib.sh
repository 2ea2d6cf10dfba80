# lib.sh -- helpers for integration scripts: loud PASS/FAIL/SKIP lines that
# the runner counts. Source it; $KB_BIN is the binary under test.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pass() { echo "PASS $*"; echo PASS >>"$KB_RESULTS"; }
fail() { echo "FAIL $*"; echo FAIL >>"$KB_RESULTS"; }
skip() { echo "SKIP $*"; echo SKIP >>"$KB_RESULTS"; }

# check NAME COMMAND...: PASS when the command succeeds.
check() {
    local name=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then
        pass "$name"
    else
        fail "$name"
        sed 's/^/    /' "$WORK/check.out" | head -20
    fi
}

# json_get FILE LINE EXPR: evaluate a Python expression on line LINE (1-based)
# of a JSONL file, with the parsed object as `r`.
json_get() {
    python3 -c 'import json,sys
r=json.loads(open(sys.argv[1],encoding="utf-8").read().split("\n")[int(sys.argv[2])-1])
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds or time runs out.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}
