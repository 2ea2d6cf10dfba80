#!/usr/bin/env python3
"""state_covered.py STATE.tsv RUN.err -- after compaction (the last record
of each key of koubei.state, as "key<TAB>json" lines from kcat), every
state record must still hold a version (cur or prev) whose horizon "h" is
at or below its partition's committed horizon, which RUN.err (the restarted
run) logs as "partition P resumes at ... published to H". A record without
one leaves the restart no baseline for that brand. Exits 1 on any."""
import json
import re
import sys

last = {}
for line in open(sys.argv[1], encoding="utf-8"):
    key, _, val = line.rstrip("\n").partition("\t")
    if val:
        last[key] = json.loads(val)
horizon = {}
for line in open(sys.argv[2], encoding="utf-8"):
    m = re.search(r"partition (\d+) resumes at .*published to (-?\d+)\)", line)
    if m:
        horizon[int(m.group(1))] = int(m.group(2))
bad = 0
for key, rec in sorted(last.items()):
    h = horizon.get(rec.get("p"))
    if h is None:
        print("no committed horizon for", key, "partition", rec.get("p"))
        bad += 1
        continue
    if not any(isinstance(rec.get(v), dict) and rec[v]["h"] <= h for v in ("cur", "prev")):
        print("no version at or below %d for %s: %s" % (h, key, json.dumps(rec)[:200]))
        bad += 1
print("state records: %d keys, %d partitions' horizons, %d without a covered version"
      % (len(last), len(horizon), bad))
sys.exit(1 if bad or not last or not horizon else 0)
