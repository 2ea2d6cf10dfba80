#!/usr/bin/env bash
# 02-run-pipeline.sh -- koubei run against `koubei broker` (a separate
# process on loopback), fed and read back with kcat. The input and the
# fixture lexicon are small enough to work every aggregate out by hand.
. "$(dirname "$0")/lib.sh"
IN=$KB_ROOT/tests/data/pipeline/input.keyed
LEX=$KB_ROOT/tests/data/lexicon
# The mock coordinator waits a whole session timeout for members that left;
# short sessions keep restarts quick. Idle close waits for both stages.
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)

start_broker b1 --partitions 4 || { fail "broker starts"; exit 0; }
check "broker prints a loopback bootstrap address" grep -qE '^127\.0\.0\.1:[0-9]+$' "$WORK/b1.out"
check "broker says it is a development broker" grep -q "Not for production" "$WORK/b1.err"

# Keyed by brand, so each brand's messages keep their order.
kcat -b "$BROKER" -P -t feedback.raw -K $'\t' <"$IN" 2>"$WORK/kcat.err"
timeout 120 "$KB_BIN" run --brokers "$BROKER" "${FAST[@]}" --lexicons "$LEX" --idle-close 4s \
    --exit-idle 8s --emit-interval 500ms --stats-interval 1s >"$WORK/run.out" 2>"$WORK/run.err"
check "run exits 0 after the input idles" test $? -eq 0

topic_lines "$BROKER" koubei.wom "$WORK/wom.tsv"
topic_lines "$BROKER" koubei.satisfaction "$WORK/sat.tsv"
topic_lines "$BROKER" koubei.dlq "$WORK/dlq.tsv"
topic_lines "$BROKER" koubei.late "$WORK/late.tsv"
topic_lines "$BROKER" koubei.scored "$WORK/scored.tsv"

final() { # final TSV BRAND WINDOW_START -> the one final record's JSON
    grep -F "$2|2026-11-02T$3Z	" "$1" | cut -f2- | grep -F '"final":true'
}
check "one final record per brand and window" test "$(grep -c '"final":true' "$WORK/wom.tsv")" -eq 4
check "Alpha 10:00 word of mouth, worked out by hand" test "$(final "$WORK/wom.tsv" Alpha 10:00:00)" = \
'{"type":"wom","brand":"Alpha","window_start":"2026-11-02T10:00:00Z","window_end":"2026-11-02T10:01:00Z","final":true,"mentions":3,"pos":1,"neg":1,"neu":1,"net_sentiment":0,"promoters":1,"detractors":1,"nps":0,"share_of_voice":0.75,"complaints":1,"complaint_rate":0.3333,"reach":100,"top_pos_terms":[{"term":"好吃","count":1}],"top_neg_terms":[{"term":"差","count":1}]}'
check "Alpha 10:00 satisfaction, worked out by hand" test "$(final "$WORK/sat.tsv" Alpha 10:00:00)" = \
'{"type":"satisfaction","brand":"Alpha","window_start":"2026-11-02T10:00:00Z","window_end":"2026-11-02T10:01:00Z","final":true,"mentions":3,"csat":50,"mean_score":0.0234,"ratings":2,"rating_csat":50,"effort":0,"effort_rate":0,"servqual":{"tangibles":{"mentions":0,"pos":0,"neg":0,"score":null,"expected":null,"gap":null},"reliability":{"mentions":1,"pos":1,"neg":0,"score":0.6124,"expected":null,"gap":null},"responsiveness":{"mentions":0,"pos":0,"neg":0,"score":null,"expected":null,"gap":null},"assurance":{"mentions":0,"pos":0,"neg":0,"score":null,"expected":null,"gap":null},"empathy":{"mentions":0,"pos":0,"neg":0,"score":null,"expected":null,"gap":null}}}'
check "Alpha 10:01: one promoter, half the voice" bash -c "grep -q '\"mentions\":1,\"pos\":1,\"neg\":0,\"neu\":0,\"net_sentiment\":1,\"promoters\":1,\"detractors\":0,\"nps\":100,\"share_of_voice\":0.5,' <<<'$(final "$WORK/wom.tsv" Alpha 10:01:00)'"
check "Beta 10:00: one detractor, a quarter of the voice, reach 50" bash -c "grep -q '\"nps\":-100,\"share_of_voice\":0.25,\"complaints\":0,\"complaint_rate\":0,\"reach\":50,' <<<'$(final "$WORK/wom.tsv" Beta 10:00:00)'"
check "records are keyed brand|window_start" grep -q '^Beta|2026-11-02T10:01:00Z	{' "$WORK/wom.tsv"
check "open windows were also published as updates" grep -q '"final":false' "$WORK/wom.tsv"
check "two bad messages in the dead-letter topic" test "$(wc -l <"$WORK/dlq.tsv")" -eq 2
check "dead letter has reason, topic, partition, offset, payload" python3 -c '
import json,sys
recs=[json.loads(l.split("\t",1)[1]) for l in open(sys.argv[1],encoding="utf-8")]
assert {tuple(sorted(r)) for r in recs}=={("offset","partition","payload","reason","topic")}, recs
assert any(r["payload"]=="not json" and "JSON" in r["reason"] for r in recs), recs
assert any("empty" in r["reason"] for r in recs), recs' "$WORK/dlq.tsv"
check "the late message went to koubei.late" bash -c "grep -c '\"id\":\"a5\"' '$WORK/late.tsv' | grep -qx 1"
check "scored records keyed by brand" test "$(cut -f1 "$WORK/scored.tsv" | sort | uniq -c | awk '{print $2":"$1}' | tr '\n' ' ')" = "Alpha:5 Beta:2 "
check "stats line counts consumed, dlq and late" grep -q '"consumed":9,"scored":7,"dlq":2,"late":1,' "$WORK/run.err"

# Offsets were committed after delivery: a restart with the same groups
# finds nothing new to do.
timeout 60 "$KB_BIN" run --brokers "$BROKER" "${FAST[@]}" --lexicons "$LEX" --idle-close 1s \
    --exit-idle 3s --stats-interval 0 >/dev/null 2>"$WORK/run2.err"
check "restart resumes from committed offsets" grep -q '"consumed":0,' "$WORK/run2.err"

# SIGTERM: stop, publish open windows as updates, commit, exit 0.
echo $'Gamma\t{"id":"g1","brand":"Gamma","ts":"2026-11-02T11:00:00Z","text":"great"}' |
    kcat -b "$BROKER" -P -t feedback.raw -K $'\t'
"$KB_BIN" run --brokers "$BROKER" "${FAST[@]}" --lexicons "$LEX" --idle-close 60s \
    --emit-interval 60s --stats-interval 500ms >/dev/null 2>"$WORK/run3.err" &
pid=$!
# Both stages have seen it once the aggregator holds an open window.
wait_for 60 grep -q '"windows_open":1,' "$WORK/run3.err"
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? -eq 0
topic_lines "$BROKER" koubei.wom "$WORK/wom3.tsv"
check "SIGTERM publishes the open window as an update" \
    grep -q '^Gamma|2026-11-02T11:00:00Z	.*"final":false' "$WORK/wom3.tsv"
exit 0
