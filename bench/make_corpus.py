#!/usr/bin/env python3
"""make_corpus.py -- build benchmark corpora from ../shared/datasets.

Writes JSONL messages ({"id","text","ts"}) repeated to at least --lines lines,
into build/ (never into the repository: the texts are not ours to ship).
"""
import argparse
import json
import os

SETS = {
    "zh": ["waimai_10k.jsonl", "chnsenticorp_htl.jsonl", "aic2018_aspects.jsonl"],
    "en": ["vader_movie.jsonl", "vader_nyt.jsonl", "semeval14_restaurants.jsonl"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", required=True)
    ap.add_argument("--lang", choices=sorted(SETS), required=True)
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    texts = []
    for name in SETS[a.lang]:
        with open(os.path.join(a.datasets, name), encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f]
    with open(a.out, "w", encoding="utf-8") as out:
        for i in range(a.lines):
            rec = {"id": i, "text": texts[i % len(texts)], "ts": 1793610000 + i}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
