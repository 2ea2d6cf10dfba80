#!/usr/bin/env bash
# 07-alerts.sh -- the detectors end to end: a generated stream with known
# complaint spikes through `koubei replay` (deterministic) and through
# `koubei run` on `koubei broker` (same alerts), and a restart in the middle
# of the stream that neither re-fires nor forgets (baselines and alert state
# come back from koubei.state).
. "$(dirname "$0")/lib.sh"
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)
ALERT=(--window 1h --alert warmup_windows=48)
python3 "$KB_ROOT/bench/gen_alert_stream.py" --brands 4 --weeks 2 --min-rate 5 --max-rate 30 \
    --seed 3 --out "$WORK/feed.jsonl" --truth "$WORK/truth.jsonl" >/dev/null
check "the generator wrote a stream with spikes" test -s "$WORK/truth.jsonl"

"$KB_BIN" replay --quiet "${ALERT[@]}" --out-dir "$WORK/r1" "$WORK/feed.jsonl"
"$KB_BIN" replay --quiet "${ALERT[@]}" --out-dir "$WORK/r2" "$WORK/feed.jsonl"
check "replay raises alerts" test -s "$WORK/r1/alerts.jsonl"
check "the alerts are byte-identical run after run" cmp "$WORK/r1/alerts.jsonl" "$WORK/r2/alerts.jsonl"
check "alert records carry the documented fields; each firing resolves once" python3 -c '
import json,sys
recs=[json.loads(l) for l in open(sys.argv[1],encoding="utf-8")]
need={"type","kind","brand","window_start","window_end","state","observed","expected",
      "p_value","z","severity","longevity","evidence"}
open_={}
for r in recs:
    assert need<=set(r), set(r)^need
    assert r["kind"] in ("complaint_spike","negative_storm","dimension_spike"), r
    assert (r["kind"]=="dimension_spike")==("dimension" in r), r
    assert 1<=r["severity"]<=10 and len(r["evidence"]["sample_ids"])<=5, r
    k=(r["brand"],r["kind"],r.get("dimension"))
    if r["state"]=="firing":
        if k not in open_: open_[k]=r["window_start"]
    else:
        assert r["state"]=="resolved" and k in open_, r
        del open_[k]
assert len([r for r in recs if r["state"]=="firing" and r["longevity"]==1])>=2, recs' "$WORK/r1/alerts.jsonl"
check "at least one alert names the spiking dimension" python3 -c '
import json,sys
truth=[json.loads(l) for l in open(sys.argv[1],encoding="utf-8")]
dims={t.get("dimension") for t in truth}
recs=[json.loads(l) for l in open(sys.argv[2],encoding="utf-8")]
assert any(r.get("dimension") in dims for r in recs), (dims, recs)' "$WORK/truth.jsonl" "$WORK/r1/alerts.jsonl"
check "no alert during the 48-window warm-up" python3 -c '
import json,sys
from datetime import datetime, timedelta
recs=[json.loads(l) for l in open(sys.argv[1],encoding="utf-8")]
first=json.loads(open(sys.argv[2],encoding="utf-8").readline())["ts"]
t0=datetime.fromisoformat(first.replace("Z","+00:00"))
for r in recs:
    assert datetime.fromisoformat(r["window_start"].replace("Z","+00:00")) >= t0+timedelta(hours=48), r' \
    "$WORK/r1/alerts.jsonl" "$WORK/feed.jsonl"

# Live, in two halves with a restart between them, on one partition (one
# stream, as replay). The stream (~3 MB) stays under the mock broker's
# ~5 MiB partition log bound, past which it drops the oldest messages.
start_broker b --partitions 1 || { fail "broker starts"; exit 0; }
n=$(wc -l <"$WORK/feed.jsonl")
head -n $((n / 2)) "$WORK/feed.jsonl" | kcat -b "$BROKER" -P -t feedback.raw
live() { # IDLE_CLOSE: the first half must not close windows the second half adds to
    timeout 300 "$KB_BIN" run --brokers "$BROKER" "${FAST[@]}" "${ALERT[@]}" --idle-close "$1" \
        --exit-idle 5s --stats-interval 0 >/dev/null 2>"$WORK/live$2.err"
}
live 600s 1
check "the first half runs and exits 0" test $? -eq 0
check "... and has consumed all of it" grep -q "\"consumed\":$((n / 2)),\"scored\":$((n / 2))," "$WORK/live1.err"
check "... raising alerts before the restart" grep -q '"alerts":[1-9]' "$WORK/live1.err"
tail -n +$((n / 2 + 1)) "$WORK/feed.jsonl" | kcat -b "$BROKER" -P -t feedback.raw
live 3s 2
check "the second half runs and exits 0" test $? -eq 0
check "... and raises alerts after it" grep -q '"alerts":[1-9]' "$WORK/live2.err"
kcat -b "$BROKER" -C -t koubei.alerts -e -q -f '%s\n' >"$WORK/live_alerts.jsonl" 2>/dev/null
check "live alerts across a restart equal replay's: none re-fired, none lost" \
    cmp <(sort "$WORK/r1/alerts.jsonl") <(sort "$WORK/live_alerts.jsonl")
check "the alert state went to koubei.state" \
    bash -c "kcat -b '$BROKER' -C -t koubei.state -e -q -f '%k\n' | grep -q '|alert$'"
exit 0
