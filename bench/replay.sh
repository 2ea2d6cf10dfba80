#!/usr/bin/env bash
# replay.sh -- `koubei replay` throughput and peak RSS next to `koubei score`
# on the same file, at two input lengths (RSS must not grow with length).
#
# Corpus: build/bench/corpus_zh.jsonl (bench/run.sh builds it) cycled to
# $LINES lines, with brands spread over $BRANDS names and event times ten a
# second. One core (taskset when available), output to /dev/null. Rates are
# per CPU second (user + system), which a busy machine disturbs less than
# wall time; the wall seconds are printed too.
set -euo pipefail
BIN=${1:?usage: replay.sh KOUBEI_BIN}
LINES=${LINES:-1000000}
BRANDS=${BRANDS:-50}
OUT=build/bench
CORPUS=$OUT/corpus_zh.jsonl
[ -s "$CORPUS" ] || { echo "bench: run bench/run.sh first to build $CORPUS" >&2; exit 1; }
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"

make_input() { # LINES OUT
    [ -s "$2" ] && return 0
    python3 - "$CORPUS" "$1" "$BRANDS" >"$2" <<'PY'
import json, sys
corpus, n, nb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(corpus, encoding="utf-8").read().splitlines()
t0 = 1793613600000
for i in range(n):
    rec = json.loads(lines[i % len(lines)])
    rec.update(id=i, brand="brand%03d" % (i * 7919 % nb), ts=(t0 + i * 100) // 1000)
    print(json.dumps(rec, ensure_ascii=False))
PY
}

# run NAME CMD...: prints "NAME cpu_seconds peak_rss_kib wall_seconds"
run() {
    local name=$1
    shift
    /usr/bin/time -f "%U %S %M %e" -o "$OUT/time.txt" $pin "$@" >/dev/null 2>"$OUT/$name.err"
    read -r u s m e <"$OUT/time.txt"
    echo "$name $(echo "$u + $s" | bc -l) $m $e"
}

echo "koubei replay vs score (one core; windows 60 s tumbling, $BRANDS brands)"
printf '%-8s %-7s %8s %8s %10s %8s %9s %9s\n' lines command "cpu s" "wall s" msgs/s MB/s \
    "rss MiB" "vs score"
for n in $((LINES / 4)) "$LINES"; do
    f=$OUT/replay_zh_$n.jsonl
    make_input "$n" "$f"
    bytes=$(stat -c %s "$f")
    read -r _ ts rs ws < <(run score "$BIN" score "$f")
    read -r _ tr rr wr < <(run replay "$BIN" replay --quiet --window 60s "$f")
    for row in "score $ts $rs $ws" "replay $tr $rr $wr"; do
        set -- $row
        printf '%-8s %-7s %8.2f %8.2f %10.0f %8.1f %9.1f %9s\n' "$n" "$1" "$2" "$4" \
            "$(echo "$n / $2" | bc -l)" "$(echo "$bytes / $2 / 1000000" | bc -l)" \
            "$(echo "$3 / 1024" | bc -l)" \
            "$([ "$1" = replay ] && printf '%.2f' "$(echo "$ts / $2" | bc -l)" || echo -)"
    done
done
