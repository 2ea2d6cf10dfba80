#!/usr/bin/env python3
"""accuracy.py -- score every labelled set in ../shared/datasets and report.

Per set: accuracy (label equals gold; on the pos/neg-only sets a `neu`
answer counts as wrong), macro-F1 over the gold classes, coverage (share of
messages with any sentiment found), Pearson r with the human `score` where the
set has one, and SERVQUAL detection/polarity on the aspect sets using the
mapping suggested in the datasets' README. Exits 1 when a set falls below its
regression floor in bench/accuracy_floors.json. The issue's targets are
printed next to each figure.
"""
import argparse
import json
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict

BINARY = {"chnsenticorp_htl", "waimai_10k"}
# Targets of the lexicons-and-accuracy issue (DEV sets).
TARGETS = {
    "waimai_10k": ("accuracy", 0.85),
    "chnsenticorp_htl": ("accuracy", 0.85),
    "aic2018_aspects": ("accuracy", 0.78),
    "vader_movie": ("pearson", 0.45),
    "vader_nyt": ("pearson", 0.52),
    "semeval14_restaurants": ("accuracy", 0.68),
}
# Source aspect -> SERVQUAL dimensions that count as detecting it.
ASPECT_MAP = {
    "environment_decoration": {"tangibles"}, "environment_noise": {"tangibles"},
    "environment_space": {"tangibles"}, "environment_cleaness": {"tangibles"},
    "dish_look": {"tangibles"}, "ambience": {"tangibles"},
    "dish_taste": {"reliability"}, "dish_portion": {"reliability"},
    "food": {"reliability"},
    "service_wait_time": {"responsiveness"}, "service_serving_speed": {"responsiveness"},
    "service_waiters_attitude": {"assurance", "empathy"},
    "service_parking_convenience": {"empathy"},
    "location_traffic_convenience": {"empathy"},
    "location_distance_from_business_district": {"empathy"},
    "location_easy_to_find": {"empathy"},
    "service": {"responsiveness", "assurance", "empathy"},
}
GROUPS = {  # report rows: group name -> source aspects
    "tangibles": ["environment_decoration", "environment_noise", "environment_space",
                  "environment_cleaness", "dish_look", "ambience"],
    "reliability": ["dish_taste", "dish_portion", "food"],
    "responsiveness": ["service_wait_time", "service_serving_speed"],
    "attitude(assur|emp)": ["service_waiters_attitude"],
    "service(any)": ["service"],
    "location(empathy)": ["service_parking_convenience", "location_traffic_convenience",
                          "location_distance_from_business_district", "location_easy_to_find"],
}


def pearson(xs, ys):
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else float("nan")


def macro_f1(gold, pred, classes):
    f1s = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred) if g == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s)


def score_set(binary, path):
    with open(path, "rb") as f:
        out = subprocess.run([binary, "score", "--max-bytes", "1048576"], stdin=f,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    return [json.loads(l) for l in out.stdout.decode("utf-8").splitlines()]


def servqual_stats(rows, preds):
    det = defaultdict(Counter)
    for row, p in zip(rows, preds):
        sq = p.get("servqual", {})
        for group, aspects in GROUPS.items():
            present = [a for a in aspects if a in row.get("aspects", {})]
            dims = set().union(*(ASPECT_MAP[a] for a in aspects))
            found = [d for d in dims if d in sq]
            if not any(a in ASPECT_MAP for a in row.get("aspects", {})):
                continue
            if present:
                det[group]["gold"] += 1
                det[group]["hit"] += bool(found)
                pol = Counter(row["aspects"][a] for a in present)
                gold = "pos" if pol["pos"] > pol["neg"] else "neg" if pol["neg"] > pol["pos"] else None
                if found and gold:
                    det[group]["pol_n"] += 1
                    agg = sum(sq[d]["score"] for d in found)
                    det[group]["pol_ok"] += (agg > 0) == (gold == "pos") and agg != 0
            elif found:
                det[group]["false"] += 1
    return det


def evaluate(binary, datasets, name, dump):
    path = os.path.join(datasets, name + ".jsonl")
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
    preds = score_set(binary, path)
    assert len(preds) == len(rows), "one output line per input line"
    gold = [r["label"] for r in rows]
    pred = [p.get("sentiment", {}).get("label", "err") for p in preds]
    classes = ["pos", "neg"] if name in BINARY else ["pos", "neg", "neu"]
    res = {
        "n": len(rows),
        "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(rows),
        "macro_f1": macro_f1(gold, pred, classes),
        "coverage": sum(1 for p in preds if p.get("sentiment", {}).get("score", 0) != 0) / len(rows),
        "errors": sum(1 for p in preds if "error" in p),
    }
    if any("score" in r for r in rows):
        xs = [p["sentiment"]["score"] for r, p in zip(rows, preds) if "score" in r and "sentiment" in p]
        ys = [r["score"] for r, p in zip(rows, preds) if "score" in r and "sentiment" in p]
        res["pearson"] = pearson(xs, ys)
    if any("aspects" in r for r in rows):
        res["servqual"] = {g: dict(c) for g, c in servqual_stats(rows, preds).items()}
    if dump:
        with open(os.path.join(dump, name + ".wrong.jsonl"), "w", encoding="utf-8") as f:
            for r, p in zip(rows, preds):
                if r["label"] != p.get("sentiment", {}).get("label"):
                    f.write(json.dumps({"id": r["id"], "gold": r["label"],
                                        "got": p.get("sentiment"), "text": r["text"]},
                                       ensure_ascii=False) + "\n")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--datasets", required=True)
    ap.add_argument("--floors", default=os.path.join(os.path.dirname(__file__), "accuracy_floors.json"))
    ap.add_argument("--dump", help="write wrongly labelled rows per set into this folder")
    ap.add_argument("--json", help="write all figures as JSON here")
    a = ap.parse_args()
    if not os.path.isdir(a.datasets):
        print(f"accuracy: {a.datasets} not found", file=sys.stderr)
        return 1
    if a.dump:
        os.makedirs(a.dump, exist_ok=True)
    floors = json.load(open(a.floors)) if os.path.exists(a.floors) else {}
    names = sorted(f[:-6] for f in os.listdir(a.datasets) if f.endswith(".jsonl"))
    results, below = {}, []
    print(f"{'set':24} {'n':>6} {'acc':>6} {'mF1':>6} {'cover':>6} {'r':>6}   target")
    for name in names:
        res = results[name] = evaluate(a.bin, a.datasets, name, a.dump)
        metric, goal = TARGETS.get(name, (None, None))
        tgt = f"{metric} >= {goal}: {'met' if res.get(metric, 0) >= goal else 'NOT met'}" if metric else ""
        r = res.get("pearson")
        print(f"{name:24} {res['n']:6d} {res['accuracy']:6.3f} {res['macro_f1']:6.3f} "
              f"{res['coverage']:6.3f} {'' if r is None else format(r, '6.3f'):>6}   {tgt}")
        for metric_name, floor in floors.get(name, {}).items():
            if res.get(metric_name, 0) < floor:
                below.append(f"{name} {metric_name} {res.get(metric_name, 0):.3f} < floor {floor}")
    print("\nSERVQUAL detection (recall = sets mentioning the aspect that we tag; "
          "polarity = agreement where both have a polarity)")
    for name in names:
        for group, c in results[name].get("servqual", {}).items():
            if c.get("gold"):
                print(f"  {name:24} {group:20} recall {c['hit'] / c['gold']:.3f} (n={c['gold']})"
                      f"  polarity {c.get('pol_ok', 0) / max(c.get('pol_n', 0), 1):.3f}"
                      f" (n={c.get('pol_n', 0)})  extra tags {c.get('false', 0)}")
    if a.json:
        json.dump(results, open(a.json, "w"), indent=1)
    for b in below:
        print("BELOW FLOOR:", b, file=sys.stderr)
    print(f"accuracy: {len(names) - len({b.split()[0] for b in below})} passed, "
          f"{len({b.split()[0] for b in below})} failed")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
