#!/usr/bin/env bash
# 08-run-handover.sh -- two aggregate-role instances share the scored
# partitions; one is killed while the other has moved on, so the survivor
# takes over a partition whose windows were published less far than its
# own. Every final still equals a single uninterrupted run's (share of
# voice aside: it counts the brands an instance owns), and none goes late.
. "$(dirname "$0")/lib.sh"
LEX=$KB_ROOT/tests/data/lexicon
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)
RUN=("$KB_BIN" run "${FAST[@]}" --lexicons "$LEX" --stats-interval 100ms --log-level info)
python3 "$KB_ROOT/tests/integration/gen_stream.py" 1200 23 >"$WORK/in.tsv"

reference_finals "$WORK/in.tsv" "$WORK/ref.tsv" || exit 0

start_broker ho --partitions 2 || { fail "handover broker"; exit 0; }
H=$BROKER
split -n l/2 -d "$WORK/in.tsv" "$WORK/half."
kcat -b "$H" -P -t feedback.raw -K $'\t' <"$WORK/half.00"
"${RUN[@]}" --brokers "$H" --role score --exit-idle 600s >/dev/null 2>"$WORK/score.err" &
ps=$!
"${RUN[@]}" --brokers "$H" --role aggregate --idle-close 600s --commit-interval 500ms \
    >/dev/null 2>"$WORK/a.err" &
pa=$!
sleep 1
# Idle close 20 s: the survivor's own partition is silent from the end of
# the first half until the second is produced, which a loaded machine may
# stretch; closing its windows then would route second-half records late.
"${RUN[@]}" --brokers "$H" --role aggregate --idle-close 20s --exit-idle 30s \
    --commit-interval 500ms >/dev/null 2>"$WORK/b.err" &
pb=$!
check "the aggregate instances split the scored partitions" \
    wait_for 60 bash -c "grep -q 'aggregate stage assigned 1 partition' '$WORK/a.err' &&
                         grep -q 'aggregate stage assigned 1 partition' '$WORK/b.err'"
check "both caught up with the first half and committed" \
    wait_for 60 bash -c "$(declare -f caught_up); caught_up '$WORK/a.err' && caught_up '$WORK/b.err'"
kill -9 $pa
wait $pa 2>/dev/null
# The second half moves the survivor's own partition on while the dead
# instance's partition waits for the session timeout to be handed over.
kcat -b "$H" -P -t feedback.raw -K $'\t' <"$WORK/half.01"
check "the survivor takes over the dead instance's partition" \
    wait_for 60 grep -q 'aggregate stage assigned 2 partition' "$WORK/b.err"
wait $pb
check "the survivor exits 0" test $? -eq 0
kill $ps
wait $ps 2>/dev/null
check "... and routes nothing late" \
    bash -c "grep '\"type\":\"stats\"' '$WORK/b.err' | tail -1 | grep -q '\"late\":0,'"
topic_lines "$H" koubei.late "$WORK/late.tsv"
check "no instance routed a record late" test ! -s "$WORK/late.tsv"
finals_of "$H" "$WORK/ho.tsv"
check "every final equals the uninterrupted run's (share of voice aside)" \
    python3 "$KB_ROOT/tests/integration/finals.py" --ignore share_of_voice \
    "$WORK/ref.tsv" "$WORK/ho.tsv"
# The windows between the dead instance's horizon and the survivor's were
# rebuilt by the survivor for that partition alone: their share of voice is
# null. Without such windows the test did not exercise the handover gap.
check "the survivor published the windows the dead instance had not" \
    bash -c "grep -c '\"final\":true' '$WORK/ho.tsv.wom' >/dev/null &&
             grep '\"final\":true' '$WORK/ho.tsv.wom' | grep -q '\"share_of_voice\":null'"
exit 0
