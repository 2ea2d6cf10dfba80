#!/usr/bin/env python3
"""scored_all.py INPUT RAW.tsv SCORED.jsonl DLQ.jsonl -- the score stage lost
nothing: every input message ("partition<TAB>offset" lines of topic INPUT, as
kcat prints them) has a scored record whose "src" names it, or a dead letter
that does. Prints the counts and the first missing messages; exits 1 on any."""
import json
import sys

topic = sys.argv[1]
inputs = set()
for line in open(sys.argv[2], encoding="utf-8"):
    p, o = line.split()
    inputs.add((int(p), int(o)))
seen = set()
for line in open(sys.argv[3], encoding="utf-8"):
    src = json.loads(line).get("src") or {}
    if src.get("topic") == topic:
        seen.add((src.get("partition"), src.get("offset")))
for line in open(sys.argv[4], encoding="utf-8"):
    dl = json.loads(line)
    if dl.get("topic") == topic:
        seen.add((dl.get("partition"), dl.get("offset")))
missing = sorted(inputs - seen)
for p, o in missing[:10]:
    print("no scored or dead-letter record for %s[%d]@%d" % (topic, p, o))
print("score stage: %d input messages, %d without a scored or dead-letter record"
      % (len(inputs), len(missing)))
sys.exit(1 if missing or not inputs else 0)
