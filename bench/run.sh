#!/usr/bin/env bash
# run.sh -- throughput of `koubei score` on zh and en corpora.
#
# Corpora: the texts of ../shared/datasets repeated to $LINES lines (built
# into build/bench/, never committed). Each corpus is scored $RUNS times with
# output to /dev/null on one core (taskset when available); the best run is
# reported as msgs/s and MB/s of input.
set -euo pipefail
BIN=${1:?usage: run.sh KOUBEI_BIN}
DATASETS=${DATASETS:-../shared/datasets}
LINES=${LINES:-200000}
RUNS=${RUNS:-3}
OUT=build/bench
mkdir -p "$OUT"
if [ ! -d "$DATASETS" ]; then
    echo "bench: $DATASETS not found; nothing to measure" >&2
    exit 1
fi
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"

now() { date +%s.%N; }

echo "koubei score throughput ($LINES messages a corpus, best of $RUNS, one core)"
printf '%-6s %10s %12s %9s %8s\n' corpus bytes msgs/s MB/s seconds
for lang in zh en; do
    corpus=$OUT/corpus_$lang.jsonl
    [ -s "$corpus" ] || python3 bench/make_corpus.py --datasets "$DATASETS" --lang "$lang" \
        --lines "$LINES" --out "$corpus"
    bytes=$(stat -c %s "$corpus")
    best=""
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        $pin "$BIN" score "$corpus" >/dev/null 2>"$OUT/score_$lang.err"
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    printf '%-6s %10d %12.0f %9.1f %8.3f\n' "$lang" "$bytes" "$(echo "$LINES / $best" | bc -l)" \
        "$(echo "$bytes / $best / 1000000" | bc -l)" "$best"
done
