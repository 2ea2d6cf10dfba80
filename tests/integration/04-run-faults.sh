#!/usr/bin/env bash
# 04-run-faults.sh -- broker down/up and injected Produce, Fetch and
# OffsetCommit errors lose nothing: the finals equal a clean run's.
. "$(dirname "$0")/lib.sh"
LEX=$KB_ROOT/tests/data/lexicon
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)
RUN=("$KB_BIN" run "${FAST[@]}" --lexicons "$LEX" --stats-interval 100ms --idle-close 3s --exit-idle 6s)
python3 "$KB_ROOT/tests/integration/gen_stream.py" 800 5 >"$WORK/in.tsv"

start_broker ref --partitions 2 || { fail "reference broker"; exit 0; }
REF=$BROKER
kcat -b "$REF" -P -t feedback.raw -K $'\t' <"$WORK/in.tsv"
timeout 180 "${RUN[@]}" --brokers "$REF" >/dev/null 2>"$WORK/ref.err"
check "clean run exits 0" test $? -eq 0
topic_lines "$REF" koubei.wom "$WORK/ref.wom"
topic_lines "$REF" koubei.satisfaction "$WORK/ref.sat"
cat "$WORK/ref.wom" "$WORK/ref.sat" >"$WORK/ref.tsv"

start_broker f --partitions 2 || { fail "fault broker"; exit 0; }
F=$BROKER
head -400 "$WORK/in.tsv" | kcat -b "$F" -P -t feedback.raw -K $'\t'
broker_cmd f error Produce NOT_LEADER_FOR_PARTITION 4
broker_cmd f error Fetch NOT_LEADER_FOR_PARTITION 3
broker_cmd f error OffsetCommit REQUEST_TIMED_OUT 3
timeout 240 "${RUN[@]}" --brokers "$F" >/dev/null 2>"$WORK/f.err" &
pid=$!
wait_for 90 grep -q '"consumed":[1-9]' "$WORK/f.err"
check "errors were injected" bash -c "grep -c '^ok: next' '$WORK/f.out' | grep -qx 3"
broker_cmd f down all
# The clients notice the outage before it ends.
wait_for 30 grep -qiE 'down|refused|disconnect' "$WORK/f.err"
check "the pipeline saw the broker go down" grep -qiE 'down|refused|disconnect' "$WORK/f.err"
broker_cmd f up all
tail -400 "$WORK/in.tsv" | kcat -b "$F" -P -t feedback.raw -K $'\t'
wait $pid
check "run survives the faults and exits 0" test $? -eq 0
topic_lines "$F" koubei.wom "$WORK/f.wom"
topic_lines "$F" koubei.satisfaction "$WORK/f.sat"
cat "$WORK/f.wom" "$WORK/f.sat" >"$WORK/f.tsv"
check "no produce errors reached the pipeline" bash -c "tail -1 '$WORK/f.err' | grep -q '\"produce_errors\":0'"
check "faults lose nothing: finals equal the clean run's" \
    python3 "$KB_ROOT/tests/integration/finals.py" "$WORK/ref.tsv" "$WORK/f.tsv"

# SIGTERM with the broker gone: the shutdown's flushes share one 20 s
# budget (they used to wait 30 s each, three minutes in all), what was not
# delivered keeps its input uncommitted, and a restart once the broker is
# back gives the clean run's finals.
start_broker g --partitions 2 || { fail "stop broker"; exit 0; }
G=$BROKER
kcat -b "$G" -P -t feedback.raw -K $'\t' <"$WORK/in.tsv"
"${RUN[@]}" --brokers "$G" --exit-idle 600s >/dev/null 2>"$WORK/g1.err" &
pid=$!
wait_for 90 grep -q '"consumed":[1-9]' "$WORK/g1.err"
broker_cmd g down all
sleep 1
t0=$SECONDS
kill -TERM $pid
timeout 120 tail --pid=$pid -f /dev/null
wait $pid
rc=$?
check "SIGTERM with the broker down exits 0 within 35 s (took $((SECONDS - t0)) s)" \
    test "$rc" -eq 0 -a $((SECONDS - t0)) -le 35
check "... and says its commit waits" grep -q 'commit postponed' "$WORK/g1.err"
broker_cmd g up all
timeout 180 "${RUN[@]}" --brokers "$G" >/dev/null 2>"$WORK/g2.err"
check "the restart once the broker is back exits 0" test $? -eq 0
finals_of "$G" "$WORK/g.tsv"
check "... and loses nothing: finals equal the clean run's" \
    python3 "$KB_ROOT/tests/integration/finals.py" "$WORK/ref.tsv" "$WORK/g.tsv"
exit 0
