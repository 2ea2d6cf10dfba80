#!/usr/bin/env bash
# pipeline.sh -- end-to-end rate of `koubei run` through `koubei broker`,
# next to a plain consume->produce passthrough (kcat | kcat) on the same
# broker in the same run, plus the pipeline's peak RSS.
#
# Corpus: $N messages from build/bench/corpus_zh.jsonl (bench/run.sh builds
# it) with brands spread over $BRANDS names and event times one second
# apart. The pipeline's rate is measured from its first consumed message to
# the moment everything is consumed, scored, aggregated and lag is 0.
#
# The mock broker keeps about 5 MiB per partition and drops the oldest
# messages past that, so a run that outgrows it never sees its input end:
# keep N x message size under 5 MiB x partitions (50k zh messages, 14 MB
# over 4 partitions, fits).
set -euo pipefail
BIN=${1:?usage: pipeline.sh KOUBEI_BIN}
N=${N:-50000}
BRANDS=${BRANDS:-50}
OUT=build/bench
CORPUS=$OUT/corpus_zh.jsonl
[ -s "$CORPUS" ] || { echo "bench: run bench/run.sh first to build $CORPUS" >&2; exit 1; }
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

python3 - "$CORPUS" "$N" "$BRANDS" >"$dir/in.tsv" <<'PY'
import json, sys
corpus, n, nb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = 1793613600
with open(corpus, encoding="utf-8") as f:
    for i, line in enumerate(f):
        if i >= n:
            break
        rec = json.loads(line)
        b = "brand%05d" % (i * 7919 % nb)
        rec.update(brand=b, ts=t0 + i // 10)
        print(b + "\t" + json.dumps(rec, ensure_ascii=False))
PY
bytes=$(cut -f2- "$dir/in.tsv" | wc -c)
"$BIN" broker --partitions 4 >"$dir/broker.out" 2>/dev/null </dev/null &
for _ in $(seq 100); do [ -s "$dir/broker.out" ] && break; sleep 0.1; done
B=$(head -1 "$dir/broker.out")
kcat -b "$B" -P -t feedback.raw -K $'\t' -X queue.buffering.max.messages=1000000 <"$dir/in.tsv"

now() { date +%s.%N; }
t0=$(now)
kcat -b "$B" -C -t feedback.raw -e -q -f '%s\n' | kcat -b "$B" -P -t passthrough.copy \
    -X queue.buffering.max.messages=1000000
t1=$(now)
pt=$(echo "$t1 - $t0" | bc -l)

/usr/bin/time -f '%M' -o "$dir/rss" "$BIN" run --brokers "$B" -X log_level=3 \
    --stats-interval 100ms --idle-close 2s --exit-idle 3s >/dev/null 2>"$dir/run.err" &
pid=$!
until grep -q '"consumed":[1-9]' "$dir/run.err" 2>/dev/null; do sleep 0.05; done
s0=$(now)
until grep -q "\"consumed\":$N,\"scored\":$N,.*\"lag\":0," "$dir/run.err" 2>/dev/null; do sleep 0.05; done
s1=$(now)
wait $pid
st=$(echo "$s1 - $s0" | bc -l)
echo "end-to-end through the mock broker: $N messages, $bytes bytes, $BRANDS brands"
printf '%-34s %10s %8s %8s\n' path msgs/s MB/s seconds
printf '%-34s %10.0f %8.1f %8.2f\n' "passthrough (kcat -C | kcat -P)" "$(echo "$N / $pt" | bc -l)" \
    "$(echo "$bytes / $pt / 1000000" | bc -l)" "$pt"
printf '%-34s %10.0f %8.1f %8.2f\n' "koubei run (score + aggregate)" "$(echo "$N / $st" | bc -l)" \
    "$(echo "$bytes / $st / 1000000" | bc -l)" "$st"
printf 'ratio koubei/passthrough: %.2f   koubei run peak RSS: %d MiB\n' \
    "$(echo "$pt / $st" | bc -l)" "$(( $(cat "$dir/rss") / 1024 ))"
tail -1 "$dir/run.err"
