#!/usr/bin/env bash
# demo.sh -- the main job on its embedded default: `koubei run` starts an
# in-memory development broker, `koubei feed` plays the bundled sample
# stream into it at 60x real time, and the per-brand word-of-mouth windows
# print as they close, with alerts (a warm-up of three windows instead of
# a week, for an hour of sample feed); the summary follows when the feed
# has gone quiet.
set -euo pipefail
BIN=${KB_BIN:-build/release/koubei}
FEED=${1:-tests/data/demo_feed.jsonl}
SPEED=${KB_DEMO_SPEED:-60}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
mkfifo "$dir/out"
"$BIN" run --show --alert warmup_windows=3 --idle-close 4s --exit-idle 10s --stats-interval 0 -X log_level=3 >"$dir/out" &
exec 3<"$dir/out"
read -r banner <&3
echo "$banner"
addr=${banner##* at }
read -r hint <&3
echo "$hint"
echo "feeding $FEED at ${SPEED}x ..."
"$BIN" feed --brokers "$addr" --speed "$SPEED" "$FEED" &
cat <&3
wait
