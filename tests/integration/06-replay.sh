#!/usr/bin/env bash
# 06-replay.sh -- koubei replay: golden output, byte-identical reruns, gz and
# stdin input, dead letters with line numbers, equality with the live
# pipeline's final records, a Kafka range against `koubei broker`,
# publishing to the live topics, and the HTML report.
. "$(dirname "$0")/lib.sh"
LEX=$KB_ROOT/tests/data/lexicon
ARC=$KB_ROOT/tests/data/replay/archive.jsonl
FEED=$KB_ROOT/tests/data/demo_feed.jsonl
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)

# Golden: the fixture archive of 02-run-pipeline, its finals worked out by
# hand there (Alpha 10:00) and checked in as tests/data/replay/expected.jsonl.
"$KB_BIN" replay --quiet --lexicons "$LEX" "$ARC" >"$WORK/g.out" 2>"$WORK/g.err"
check "replay exits 0" test $? -eq 0
check "finals equal the golden file" cmp "$WORK/g.out" "$KB_ROOT/tests/data/replay/expected.jsonl"
check "bad lines are reported with file and line" \
    bash -c "grep -q '\"file\":\"$ARC\",\"line\":5,\"payload\":\"not json\"' '$WORK/g.err' &&
             grep -q '\"reason\":\"empty text\",\"file\":\"$ARC\",\"line\":6,' '$WORK/g.err'"

# The demo feed with the real lexicons, twice, and as gzip and on stdin.
R=("$KB_BIN" replay --window 5m)
"${R[@]}" --out-dir "$WORK/d1" --scored --report "$WORK/report.html" "$FEED" 2>"$WORK/d1.err"
check "out-dir replay exits 0" test $? -eq 0
"${R[@]}" --out-dir "$WORK/d2" --scored "$FEED" 2>/dev/null
check "a second run is byte-identical" bash -c "for f in wom satisfaction scored dlq late; do
    cmp '$WORK/d1/'\$f.jsonl '$WORK/d2/'\$f.jsonl || exit 1; done"
check "out-dir holds wom, satisfaction, alerts, scored, dlq, late" bash -c "cd '$WORK/d1' &&
    ls wom.jsonl satisfaction.jsonl alerts.jsonl scored.jsonl dlq.jsonl late.jsonl"
check "every final window is there" test "$(wc -l <"$WORK/d1/wom.jsonl")" -eq "$(wc -l <"$WORK/d1/satisfaction.jsonl")"
check "the five bad lines are dead letters with their line numbers" python3 -c '
import json,sys
recs=[json.loads(l) for l in open(sys.argv[1],encoding="utf-8")]
assert sorted(r["line"] for r in recs)==[57,139,203,288,352], recs
assert all(r["file"].endswith("demo_feed.jsonl") and r["reason"] and "payload" in r for r in recs)' "$WORK/d1/dlq.jsonl"
check "the summary counts them" grep -q 'messages 400 (0.1 MB), scored 395, dead letters 5, late 0' "$WORK/d1.err"
check "the summary has a row per brand" test "$(grep -cE '^(云朵外卖|北辰酒店|星河手机|迅达快递|青柠咖啡|鲜果超市) ' "$WORK/d1.err")" -eq 6
cat "$WORK/d1/wom.jsonl" "$WORK/d1/satisfaction.jsonl" | sort >"$WORK/d1.sorted"
"${R[@]}" --quiet "$FEED" 2>/dev/null | sort >"$WORK/stdout.sorted"
check "stdout carries the same finals" cmp "$WORK/d1.sorted" "$WORK/stdout.sorted"
gzip -c "$FEED" >"$WORK/feed.jsonl.gz"
"${R[@]}" --quiet "$WORK/feed.jsonl.gz" 2>/dev/null | sort >"$WORK/gz.sorted"
check ".jsonl.gz input gives the same finals" cmp "$WORK/d1.sorted" "$WORK/gz.sorted"
head -200 "$FEED" >"$WORK/a.jsonl"
tail -n +201 "$FEED" >"$WORK/b.jsonl"
"${R[@]}" --quiet "$WORK/a.jsonl" - <"$WORK/b.jsonl" 2>/dev/null | sort >"$WORK/split.sorted"
check "several files (and stdin) are one stream" cmp "$WORK/d1.sorted" "$WORK/split.sorted"
"$KB_BIN" replay --quiet /nonexistent.jsonl >/dev/null 2>"$WORK/nf.err"
check "a missing file is an error, exit 1" bash -c "test $? -eq 1 && grep -q 'cannot open /nonexistent.jsonl' '$WORK/nf.err'"

# The report: produced, self-contained, well-formed, a section per brand.
check "the HTML report is self-contained and well-formed" python3 -c '
import sys
from html.parser import HTMLParser
VOID={"meta","br","img","rect","line","path","polyline","circle","hr","input","link"}
class P(HTMLParser):
    def __init__(s): super().__init__(); s.stack=[]; s.svgs=0; s.h2=0
    def handle_starttag(s,t,a):
        assert t not in ("script","iframe","img","link"), t
        for k,v in a: assert not (v or "").startswith(("http:","https:","//")), (t,k,v)
        if t=="svg": s.svgs+=1
        if t=="h2": s.h2+=1
        if t not in VOID: s.stack.append(t)
    def handle_startendtag(s,t,a): pass
    def handle_endtag(s,t):
        if t in VOID: return
        assert s.stack and s.stack[-1]==t, (t,s.stack[-5:])
        s.stack.pop()
p=P(); p.feed(open(sys.argv[1],encoding="utf-8").read()); p.close()
assert p.stack==[], p.stack
assert p.h2==6 and p.svgs>=18, (p.h2,p.svgs)' "$WORK/report.html"

# Live and replay on the same messages: one partition, so both see one
# stream; the live finals must equal the replay's, record for record.
start_broker b --partitions 1 || { fail "broker starts"; exit 0; }
kcat -b "$BROKER" -P -t feedback.raw <"$FEED" 2>/dev/null
timeout 120 "$KB_BIN" run --brokers "$BROKER" "${FAST[@]}" --window 5m --idle-close 3s \
    --exit-idle 6s --stats-interval 0 >/dev/null 2>"$WORK/live.err"
check "the live run exits 0" test $? -eq 0
topic_lines "$BROKER" koubei.wom "$WORK/lw.tsv"
topic_lines "$BROKER" koubei.satisfaction "$WORK/ls.tsv"
cat "$WORK/lw.tsv" "$WORK/ls.tsv" | cut -f2- | grep -F '"final":true' | sort >"$WORK/live.sorted"
check "replay finals equal the live pipeline's final records" cmp "$WORK/d1.sorted" "$WORK/live.sorted"

# A Kafka range: the whole topic equals the file replay; an offset range;
# the time lookup the mock broker cannot do fails clearly.
"$KB_BIN" replay --quiet --window 5m --brokers "$BROKER" --topic feedback.raw "${FAST[@]}" \
    2>"$WORK/k.err" | sort >"$WORK/k.sorted"
check "a Kafka topic replay equals the file replay" cmp "$WORK/d1.sorted" "$WORK/k.sorted"
check "... with dead letters naming topic, partition and offset" \
    grep -q '"topic":"feedback.raw","partition":0,"offset":56,' "$WORK/k.err"
"$KB_BIN" replay --window 5m --brokers "$BROKER" --topic feedback.raw --from-offset 300 \
    --out-dir "$WORK/k300" "${FAST[@]}" 2>"$WORK/k300.err"
check "--from-offset 300 replays the last 100 messages" grep -q '^messages 100 ' "$WORK/k300.err"
# --until-time compares Kafka timestamps (here: when kcat produced them).
"$KB_BIN" replay --brokers "$BROKER" --topic feedback.raw --from-offset 0:390 \
    --until-time 2100-01-01T00:00:00Z "${FAST[@]}" >/dev/null 2>"$WORK/kt1.err"
check "--from-offset P:N with a later --until-time reads to the end" grep -q '^messages 10 ' "$WORK/kt1.err"
"$KB_BIN" replay --brokers "$BROKER" --topic feedback.raw \
    --until-time 2000-01-01T00:00:00Z "${FAST[@]}" >/dev/null 2>"$WORK/kt2.err"
check "--until-time before the first message reads nothing" grep -q '^messages 0 ' "$WORK/kt2.err"
"$KB_BIN" replay --brokers "$BROKER" --topic feedback.raw --from-time 2026-11-02T10:30:00Z \
    "${FAST[@]}" >/dev/null 2>"$WORK/ft.err"
rc=$?
check "--from-time on a broker without time lookup fails with exit 1" test $rc -eq 1
check "... saying why" grep -q 'cannot look up offsets by time' "$WORK/ft.err"
"$KB_BIN" replay --quiet --window 5m "$FEED" --to-brokers "$BROKER" "${FAST[@]}" 2>/dev/null
check "--to-brokers exits 0" test $? -eq 0
topic_lines "$BROKER" koubei.wom "$WORK/lw2.tsv"
check "--to-brokers publishes to koubei.wom, keyed brand|window" \
    test "$(grep -c $'^迅达快递|2026-11-02T10:05:00Z\t' "$WORK/lw2.tsv")" -eq 2
exit 0
