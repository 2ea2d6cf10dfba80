#!/usr/bin/env python3
"""alert_eval.py -- precision, recall and detection delay of koubei's alerts.

Replays a stream from bench/gen_alert_stream.py and scores the alert records
against its ground truth:

  bench/alert_eval.py --feed alert_stream.jsonl --truth alert_truth.jsonl \
      [--koubei build/release/koubei] [-- extra replay options]

runs `koubei replay FEED --window 1h [extra]` and reads the records with
"type":"alert" from its stdout. --alerts FILE scores a saved replay output
instead. Until `koubei replay` exists, --via-score runs `koubei score` on the
feed, builds the hourly per-brand windows here (as the aggregator defines
them: negative = sentiment label neg, complaints = complaint, per dimension
the dimension's own label) and feeds them through build/<flavour>/
bench_alert_feed, which calls kb_alert_window() directly.

An alert *start* (a firing record of a brand|kind|dimension key that is not
already firing) is a true alert when it starts inside an injected spike of
its brand or within --slack windows after it; otherwise it is false. A
spike is detected by the first true alert that matches it; the delay is the
number of windows from the spike's start (0 = flagged in its first window).
False alerts are counted per brand per week after the warm-up week.
"""
import argparse
import collections
import datetime
import json
import statistics
import subprocess
import sys

DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


def iso_ms(s):
    if isinstance(s, (int, float)):
        return int(s)
    t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return int(round(t.timestamp() * 1000))


def load_truth(path):
    meta, brands, spikes = None, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "meta":
                meta = r
            elif r["type"] == "brand":
                brands.append(r)
            elif r["type"] == "spike":
                spikes.append(r)
    return meta, brands, spikes


def alert_starts(records):
    """(brand, window_start ms, kind) of each alert start, in record order."""
    open_keys, starts = set(), []
    for r in records:
        if r.get("type") != "alert":
            continue
        key = (r["brand"], r["kind"], r.get("dimension") or "")
        if r["state"] == "firing":
            if key not in open_keys:
                open_keys.add(key)
                starts.append((r["brand"], iso_ms(r["window_start"]), r["kind"]))
        else:
            open_keys.discard(key)
    return starts


def score(meta, brands, spikes, starts, slack):
    w = meta["window_ms"]
    by_brand = collections.defaultdict(list)
    for s in spikes:
        s["detected"], s["delay"] = False, None
        by_brand[s["brand"]].append(s)
    true_alerts = false_alerts = 0
    for brand, t, _kind in starts:
        match = None
        for s in by_brand.get(brand, []):
            if s["start_ms"] <= t < s["start_ms"] + (s["windows"] + slack) * w:
                match = s
                break
        if match is None:
            false_alerts += 1
            continue
        true_alerts += 1
        if not match["detected"]:
            match["detected"], match["delay"] = True, (t - match["start_ms"]) // w
    return true_alerts, false_alerts


def row(label, spikes):
    found = [s for s in spikes if s["detected"]]
    rec = len(found) / len(spikes) if spikes else float("nan")
    delay = statistics.median(s["delay"] for s in found) if found else float("nan")
    print("%-34s %6d %6d %7.3f %6.1f" % (label, len(spikes), len(found), rec, delay))


def report(meta, brands, spikes, true_alerts, false_alerts):
    n = true_alerts + false_alerts
    weeks = meta["weeks"] - meta.get("warmup_weeks", 1)
    print("brands %d, weeks %d (first is warm-up)" % (len(brands), meta["weeks"]))
    print("alerts %d, true %d, false %d: precision %.3f, false alerts per brand-week %.4f" %
          (n, true_alerts, false_alerts, true_alerts / n if n else float("nan"),
           false_alerts / (len(brands) * weeks)))
    print("%-34s %6s %6s %7s %6s" % ("spikes", "n", "found", "recall", "delay"))
    for size in sorted({s["size"] for s in spikes}):
        row("size %gx" % size, [s for s in spikes if s["size"] == size])
    big = [s for s in spikes if s["size"] >= 3 and s["windows"] >= 3]
    row("size >= 3x, len >= 3", big)
    for base in (0.5, 1, 5):
        row("  ... baseline >= %g compl./win" % base,
            [s for s in big if s["baseline_complaints"] >= base])


def alert_lines(lines):
    """The alert records among JSONL lines, parsing only candidate lines."""
    out = []
    for line in lines:
        if '"alert"' in line:
            r = json.loads(line)
            if r.get("type") == "alert":
                out.append(r)
    return out


def read_jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_replay(args, extra):
    """Only the alert records of the replay output are kept (it also holds
    every window record)."""
    cmd = [args.koubei, "replay", args.feed, "--window", "1h"] + extra
    print("running: %s" % " ".join(cmd), file=sys.stderr)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, encoding="utf-8") as rp:
        records = alert_lines(rp.stdout)
    if rp.returncode != 0:
        sys.exit("koubei replay failed (%d)" % rp.returncode)
    return records


def build_windows(lines, window_ms):
    """Hourly per-brand windows from scored JSONL lines, in (start, brand)
    order. Streams: only the windows are held, never the scored records."""
    wins = {}
    for line in lines:
        r = json.loads(line)
        if "error" in r or not r.get("brand") or not r.get("ts"):
            continue
        start = iso_ms(r["ts"]) // window_ms * window_ms
        w = wins.get((start, r["brand"]))
        if w is None:
            w = wins[(start, r["brand"])] = {
                "brand": r["brand"], "window_start": start, "window_end": start + window_ms,
                "mentions": 0, "negative": 0, "complaints": 0,
                "dim_mentions": [0] * 5, "dim_negative": [0] * 5,
                "terms": collections.Counter(), "sample_ids": []}
        neg = r["sentiment"]["label"] == "neg"
        w["mentions"] += 1
        w["negative"] += neg
        w["complaints"] += bool(r["complaint"])
        for d, name in enumerate(DIMS):
            dim = r.get("servqual", {}).get(name)
            if dim:
                w["dim_mentions"][d] += 1
                w["dim_negative"][d] += dim["label"] == "neg"
        w["terms"].update(set(r.get("terms", {}).get("neg", [])))
        if (neg or r["complaint"]) and len(w["sample_ids"]) < 5:
            w["sample_ids"].append(str(r["id"]))
    out = []
    for key in sorted(wins, key=lambda k: (k[0], k[1].encode())):
        w = wins[key]
        w["neg_terms"] = [t for t, _ in sorted(w.pop("terms").items(),
                                                  key=lambda kv: (-kv[1], kv[0].encode()))[:5]]
        out.append(json.dumps(w, ensure_ascii=False, separators=(",", ":")))
    return out


def run_via_score(args):
    with subprocess.Popen([args.koubei, "score", args.feed], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, encoding="utf-8") as score:
        wins = build_windows(score.stdout, 3600 * 1000)
    if score.returncode != 0:
        sys.exit("koubei score failed (%d)" % score.returncode)
    res = subprocess.run([args.feeder], input="\n".join(wins) + "\n", capture_output=True,
                         text=True)
    if res.returncode != 0:
        sys.exit("%s failed: %s" % (args.feeder, res.stderr[-2000:]))
    return read_jsonl(res.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feed", help="messages from gen_alert_stream.py")
    ap.add_argument("--truth", required=True, help="ground truth from gen_alert_stream.py")
    ap.add_argument("--koubei", default="build/release/koubei")
    ap.add_argument("--alerts", help="score this saved output instead of running replay")
    ap.add_argument("--via-score", action="store_true",
                    help="koubei score + bench_alert_feed instead of koubei replay")
    ap.add_argument("--feeder", default="build/release/bench_alert_feed")
    ap.add_argument("--slack", type=int, default=1,
                    help="windows after a spike in which an alert still counts (1)")
    args, extra = ap.parse_known_args()
    extra = [a for a in extra if a != "--"]
    meta, brands, spikes = load_truth(args.truth)
    if args.alerts:
        with open(args.alerts, encoding="utf-8") as f:
            records = alert_lines(f)
    elif not args.feed:
        ap.error("--feed or --alerts is required")
    elif args.via_score:
        records = run_via_score(args)
    else:
        records = run_replay(args, extra)
    true_alerts, false_alerts = score(meta, brands, spikes, alert_starts(records), args.slack)
    report(meta, brands, spikes, true_alerts, false_alerts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
