#!/usr/bin/env bash
# 09-run-state.sh -- the brands' baselines (`expected`, `gap`) survive a
# crash that follows several failed commits: each commit writes the state
# records first, so after two failed ones both versions a record used to
# keep were newer than the committed horizon and a restart lost the
# baseline. Finals after the crash must equal an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
LEX=$KB_ROOT/tests/data/lexicon
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X log_level=3)
RUN=("$KB_BIN" run "${FAST[@]}" --lexicons "$LEX" --stats-interval 100ms --log-level info)
python3 "$KB_ROOT/tests/integration/gen_stream.py" 1200 31 >"$WORK/in.tsv"
failed_commits() { grep -c 'aggregate commit: ' "$1"; }
emitted() { # LOG: windows_emitted of the last stats line
    grep '"type":"stats"' "$1" | tail -1 | sed 's/.*"windows_emitted":\([0-9]*\).*/\1/'
}

reference_finals "$WORK/in.tsv" "$WORK/ref.tsv" || exit 0

start_broker st --partitions 2 || { fail "state broker"; exit 0; }
S=$BROKER
split -n l/4 -d "$WORK/in.tsv" "$WORK/part."
kcat -b "$S" -P -t feedback.raw -K $'\t' <"$WORK/part.00"
"${RUN[@]}" --brokers "$S" --idle-close 600s --commit-interval 300ms >/dev/null 2>"$WORK/run1.err" &
pid=$!
check "first quarter processed and committed" wait_for 90 caught_up "$WORK/run1.err"
# Every commit fails from here on (a non-retriable error, nothing else
# happens to the group), while two more quarters close windows and so
# change baselines, each quarter seen through at least one failed commit.
broker_cmd st error OffsetCommit OFFSET_METADATA_TOO_LARGE 10000
for k in 01 02; do
    em=$(emitted "$WORK/run1.err")
    kcat -b "$S" -P -t feedback.raw -K $'\t' <"$WORK/part.$k"
    check "quarter $k closes windows under failing commits" wait_for 90 bash -c \
        "$(declare -f caught_up emitted); caught_up '$WORK/run1.err' &&
         [ \$(emitted '$WORK/run1.err') -gt $em ]"
    # Two failed commits after the windows closed: the states they changed
    # were written (each commit writes them first) and not committed.
    f=$(failed_commits "$WORK/run1.err")
    check "... and two commits fail after that" wait_for 30 bash -c \
        "$(declare -f failed_commits); [ \$(failed_commits '$WORK/run1.err') -ge $((f + 2)) ]"
done
kill -9 $pid
wait $pid 2>/dev/null
topic_lines "$S" koubei.state "$WORK/state.tsv"
broker_cmd st clear OffsetCommit
kcat -b "$S" -P -t feedback.raw -K $'\t' <"$WORK/part.03"
timeout 180 "${RUN[@]}" --brokers "$S" --idle-close 15s --exit-idle 19s >/dev/null 2>"$WORK/run2.err"
check "restarted run exits 0" test $? -eq 0
# The mock broker does not compact, so the restart could still find an
# older record; a real compacted topic keeps only the last one per key.
check "compacted, every state record keeps a version the commit covers" \
    python3 "$KB_ROOT/tests/integration/state_covered.py" "$WORK/state.tsv" "$WORK/run2.err"
finals_of "$S" "$WORK/st.tsv"
check "every final equals the uninterrupted run's, expected and gap included" \
    python3 "$KB_ROOT/tests/integration/finals.py" "$WORK/ref.tsv" "$WORK/st.tsv"
exit 0
