#!/usr/bin/env python3
"""finals.py [--ignore FIELD ...] REF.tsv RUN.tsv -- compare the final
window records of two pipeline runs ("key<TAB>json" lines from kcat).
Every final in REF must be in RUN, and every final RUN published for a key
must equal REF's, but for the top-level FIELDs ignored (share_of_voice
depends on which brands an aggregate instance owns). Prints the counts;
exits 1 on any difference."""
import json
import sys

def finals(path, ignore):
    out = {}
    for line in open(path, encoding="utf-8"):
        key, _, val = line.rstrip("\n").partition("\t")
        rec = json.loads(val)
        if rec.get("final"):
            if ignore:
                for f in ignore:
                    rec.pop(f, None)
                val = json.dumps(rec, sort_keys=True, ensure_ascii=False)
            out.setdefault((rec["type"], key), []).append(val)
    return out

args, ignore = sys.argv[1:], []
while args and args[0] == "--ignore":
    ignore.append(args[1])
    args = args[2:]
ref, run = finals(args[0], ignore), finals(args[1], ignore)
bad = 0
for k, vals in ref.items():
    if len(set(vals)) != 1:
        print("reference has differing finals for", k)
        bad += 1
    if k not in run:
        print("missing final", k)
        bad += 1
    elif set(run[k]) != {vals[0]}:
        print("different final", k, "\n  ref", vals[0], "\n  run", run[k])
        bad += 1
extra = set(run) - set(ref)
for k in sorted(extra):
    print("final not in the reference", k)
bad += len(extra)
dups = sum(len(v) - 1 for v in run.values())
print("finals: reference %d, run %d keys (%d repeated identical), %d problems"
      % (len(ref), len(run), dups, bad))
sys.exit(1 if bad or not ref else 0)
