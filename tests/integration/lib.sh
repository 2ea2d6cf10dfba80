# lib.sh -- helpers for integration scripts: loud PASS/FAIL/SKIP lines that
# the runner counts. Source it; $KB_BIN is the binary under test.
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KB_KEEP:-}" ] || rm -rf "$WORK"' EXIT
# on_overrun: say what is still running, with the main-thread stack of each
# koubei process when gdb is there, and the end of every log. A watchdog
# calls it shortly before the runner's time limit (KB_SCRIPT_TIMEOUT), while
# everything is still in place: the runner's timeout signals the whole
# process group at once, so a trap on it would find the hung process gone.
descendants() {
    local c
    for c in $(pgrep -P "$1"); do
        echo "$c"
        descendants "$c"
    done
}
on_overrun() {
    local p pids
    pids=$(descendants $$ | paste -sd,)
    echo "OVERRUN: ${1}s and not finished; still running:"
    ps -o pid=,etimes=,args= -p "$pids" | cut -c1-200 | sed 's/^/    /'
    for p in $(descendants $$); do
        [ "$(ps -o comm= -p "$p")" = koubei ] || continue
        command -v gdb >/dev/null || break
        echo "    stack of $p:"
        timeout 5 gdb -p "$p" -batch -ex bt 2>/dev/null | grep '^#' | head -12 | sed 's/^/      /'
    done
    for p in "$WORK"/*.err; do
        [ -s "$p" ] || continue
        echo "    --- ${p##*/} (its end; of the stats lines only the last):"
        grep -v '"type":"stats"' "$p" | tail -6 | cut -c1-200 | sed 's/^/    /'
        grep '"type":"stats"' "$p" | tail -1 | cut -c1-300 | sed 's/^/    /'
    done
}
watch_after=$((${KB_SCRIPT_TIMEOUT:-600} - 45))
(
    while [ $SECONDS -lt $watch_after ]; do sleep 2; done
    on_overrun $watch_after
) &

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

# start_broker NAME [ARGS...]: `koubei broker` in the background with a
# control FIFO on its stdin; sets BROKER (bootstrap address). Control it
# with broker_cmd NAME COMMAND.
start_broker() {
    local name=$1
    shift
    mkfifo "$WORK/$name.ctl"
    "$KB_BIN" broker "$@" <"$WORK/$name.ctl" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    eval "exec {fd_$name}>\"$WORK/$name.ctl\""
    wait_for 20 test -s "$WORK/$name.out" || { echo "broker did not start"; return 1; }
    BROKER=$(head -1 "$WORK/$name.out")
}
broker_cmd() {
    local fd="fd_$1"
    shift
    echo "$*" >&"${!fd}"
}

# topic_lines BROKER TOPIC OUT: every record of TOPIC as "key<TAB>value".
topic_lines() {
    kcat -b "$1" -C -t "$2" -e -q -f '%k\t%s\n' >"$3" 2>/dev/null
}

# finals_of BROKER OUT: the wom and satisfaction records of a pipeline run
# in OUT (and OUT.wom, OUT.sat), as "key<TAB>json" lines.
finals_of() {
    topic_lines "$1" koubei.wom "$2.wom"
    topic_lines "$1" koubei.satisfaction "$2.sat"
    cat "$2.wom" "$2.sat" >"$2"
}

# reference_finals IN.tsv OUT: one uninterrupted run of "${RUN[@]}" over
# IN on a fresh broker ("ref"), its finals in OUT, its stderr in
# $WORK/ref.err. Returns 1 when the broker does not start.
reference_finals() {
    start_broker ref --partitions 2 || { fail "reference broker"; return 1; }
    kcat -b "$BROKER" -P -t feedback.raw -K $'\t' <"$1"
    timeout 180 "${RUN[@]}" --brokers "$BROKER" --idle-close 3s --exit-idle 6s \
        >/dev/null 2>"$WORK/ref.err"
    check "uninterrupted run exits 0" test $? -eq 0
    finals_of "$BROKER" "$2"
}

# caught_up LOG: the last stats line of a `koubei run` shows windows
# emitted, at least two commits and no lag.
caught_up() {
    grep '"type":"stats"' "$1" | tail -1 |
        grep -qE '"windows_emitted":[1-9][^}]*"lag":0,[^}]*"commits":([2-9]|[1-9][0-9]+),'
}
