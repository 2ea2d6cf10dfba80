#!/usr/bin/env python3
"""gen_alert_stream.py -- synthetic feedback streams with known complaint spikes.

Writes JSONL feedback messages (the shape of tests/data/demo_feed.jsonl: id,
ts, source, brand, lang, text) for many brands over whole weeks, and a
ground-truth file of the injected spikes, so that `koubei replay` followed
by bench/alert_eval.py measures the alert detectors (issue 6).

Process model (bench/alert_sim.c runs the same model on window counts):
  * brand rates are log-spaced from --min-rate to --max-rate mentions/hour
    (weekday mean), times a diurnal profile (quiet nights, lunch and evening
    peaks), a weekend factor (0.7 or 1.3 per brand) and a slow drift (+-10 %
    over the run);
  * every hour each brand's messages are Poisson counts per category:
    complaints (2-8 % of mentions) and other negatives (8-16 %), 70 % of them
    naming one SERVQUAL dimension by the brand's own mix, the rest positive
    or neutral;
  * spikes add Poisson((size - 1) x the brand's complaint rate) complaints
    about one dimension for `len` hours, sizes 1.5x..20x, lengths 1..12
    hours, at least two days apart, none in the first (warm-up) week.

Texts are composed from short phrases written for this generator (no
dataset text); `--check-phrases KOUBEI` scores every phrase with `koubei
score` and fails unless each is tagged with its intended class, dimension
and sentiment. Deterministic: the same arguments give the same bytes.

  bench/gen_alert_stream.py --brands 20 --weeks 3 --out feed.jsonl --truth truth.jsonl
  bench/gen_alert_stream.py --check-phrases build/release/koubei
"""
import argparse
import datetime
import json
import math
import random
import subprocess
import sys

DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
HOUR_MS = 3600 * 1000

# Mean 1 over the day (UTC hours of the simulated market).
DIURNAL = [0.35, 0.2, 0.15, 0.12, 0.12, 0.2, 0.45, 0.8, 1.1, 1.25, 1.3, 1.45,
           1.7, 1.45, 1.25, 1.2, 1.25, 1.35, 1.55, 1.75, 1.8, 1.6, 1.2, 0.71]
SIZES = [1.5, 2, 3, 5, 10, 20]
LENS = [1, 2, 3, 4, 6, 12]

# (lang, text) per class. Complaints and negatives per dimension must score
# as exactly that one negative dimension; see --check-phrases.
PHRASES = {
    ("complaint", "tangibles"): [
        ("zh", "店里环境太脏了，卫生太差，要投诉"),
        ("zh", "包装破了，设施也很旧，给差评"),
        ("en", "The store was filthy and the tables were sticky, filing a complaint"),
    ],
    ("complaint", "reliability"): [
        ("zh", "订单又送错了，说好的时间根本没做到，要投诉"),
        ("zh", "质量太差，用了两天就坏了，给差评"),
        ("en", "Wrong order again and it broke after two days, I want a refund and I am filing a complaint"),
    ],
    ("complaint", "responsiveness"): [
        ("zh", "打了好几次电话都没人接，太慢了，要投诉"),
        ("zh", "退款一直不处理，太慢了，差评"),
        ("en", "Support never replied after three days, filing a complaint"),
    ],
    ("complaint", "assurance"): [
        ("zh", "店员态度很差，一点都不专业，要投诉"),
        ("zh", "服务员很不礼貌，给差评"),
        ("en", "The staff were rude and clueless, filing a complaint"),
    ],
    ("complaint", "empathy"): [
        ("zh", "对顾客一点耐心都没有，给差评"),
        ("zh", "一点都不体贴，太冷漠了，给差评"),
        ("en", "They were impatient and inconsiderate, filing a complaint"),
    ],
    ("complaint", None): [
        ("zh", "太让人失望了，必须投诉"),
        ("en", "Very disappointed, filing a complaint"),
    ],
    ("negative", "tangibles"): [
        ("zh", "环境有点吵"),
    ],
    ("negative", "assurance"): [
        ("zh", "店员不太专业"),
    ],
    ("negative", "empathy"): [
        ("zh", "不太有耐心"),
    ],
    ("negative", "responsiveness"): [
        ("zh", "等了好久才到"),
    ],
    ("negative", "reliability"): [
        ("zh", "味道一般，有点咸"),
    ],
    ("negative", None): [
        ("zh", "今天有点失望"),
        ("zh", "这次不太满意"),
        ("en", "Not great this time, a bit disappointed"),
    ],
    ("positive", None): [
        ("zh", "东西很好，推荐"),
        ("zh", "味道不错，下次还来"),
        ("en", "Great experience today, thanks"),
    ],
    ("neutral", None): [
        ("zh", "请问周末几点开门？"),
        ("zh", "下单了一箱苹果"),
        ("en", "Ordered a coffee this morning"),
    ],
}


def poisson(rng, lam):
    """Knuth's product method below 30, a rounded normal above (as alert_sim.c)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            k += 1
            p *= rng.random()
            if p <= limit:
                return k - 1
    x = math.floor(lam + math.sqrt(lam) * rng.gauss(0.0, 1.0) + 0.5)
    return max(0, int(x))


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (".%03dZ" % (ms % 1000) if ms % 1000 else "Z")


class Brand:
    def __init__(self, rng, i, n, args):
        frac = i / (n - 1) if n > 1 else 0.0
        self.name = "口碑品牌%04d" % i
        self.rate = args.min_rate * (args.max_rate / args.min_rate) ** frac
        self.comp = 0.02 + 0.06 * rng.random()
        self.neg = 0.08 + 0.08 * rng.random()
        self.weekend = 0.7 if rng.random() < 0.5 else 1.3
        self.drift = 0.2 * rng.random() - 0.1
        mix = [0.2 + rng.random() for _ in DIMS]
        self.dimp = [m / sum(mix) for m in mix]
        self.spikes = []

    def rate_at(self, h, hours):
        wk = self.weekend if (h // 24) % 7 >= 5 else 1.0
        return self.rate * DIURNAL[h % 24] * wk * (1.0 + self.drift * h / hours)

    def plan_spikes(self, rng, hours):
        t = 168 + 24
        while True:
            t += 48 + int(rng.random() * 96)
            size, length = rng.choice(SIZES), rng.choice(LENS)
            dim = rng.randrange(len(DIMS))
            if t + length + 24 > hours:
                return
            self.spikes.append({"start": t, "len": length, "size": size, "dim": dim})
            t += length

    def spike_at(self, h):
        for s in self.spikes:
            if s["start"] <= h < s["start"] + s["len"]:
                return s
        return None


def hour_messages(rng, b, h, hours):
    """(class, dimension) of every message of brand b in hour h."""
    lam = b.rate_at(h, hours)
    out = []
    for d in range(len(DIMS)):
        out += [("complaint", d)] * poisson(rng, lam * b.comp * 0.7 * b.dimp[d])
        out += [("negative", d)] * poisson(rng, lam * b.neg * 0.7 * b.dimp[d])
    out += [("complaint", None)] * poisson(rng, lam * b.comp * 0.3)
    out += [("negative", None)] * poisson(rng, lam * b.neg * 0.3)
    rest = poisson(rng, lam * (1.0 - b.comp - b.neg))
    out += [("positive", None)] * (rest // 2) + [("neutral", None)] * (rest - rest // 2)
    s = b.spike_at(h)
    if s:
        extra = poisson(rng, lam * b.comp * (s["size"] - 1.0))
        out += [("complaint", s["dim"])] * extra
    return out


def phrase(rng, cls, d):
    """A text of the class (and dimension); --check-phrases pins what `koubei
    score` makes of it, so the counts the detectors see are the intended ones."""
    return rng.choice(PHRASES[(cls, DIMS[d] if d is not None else None)])


def generate(args):
    rng = random.Random(args.seed)
    hours = args.weeks * 168
    t0 = int(datetime.datetime.fromisoformat(args.start).replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)
    brands = [Brand(rng, i, args.brands, args) for i in range(args.brands)]
    for b in brands:
        b.plan_spikes(rng, hours)
    n = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for h in range(hours):
            batch = []
            for b in brands:
                for cls, d in hour_messages(rng, b, h, hours):
                    lang, text = phrase(rng, cls, d)
                    ts = t0 + h * HOUR_MS + rng.randrange(HOUR_MS)
                    batch.append((ts, b.name, lang, text))
            batch.sort()
            for ts, name, lang, text in batch:
                n += 1
                out.write(json.dumps({"id": "g%09d" % n, "ts": iso(ts), "source": "synthetic",
                                      "brand": name, "lang": lang, "text": text},
                                     ensure_ascii=False, separators=(",", ":")) + "\n")
    write_truth(args, brands, t0, hours)
    print("%d messages, %d brands, %d spikes" % (n, len(brands),
                                                  sum(len(b.spikes) for b in brands)),
          file=sys.stderr)


def write_truth(args, brands, t0, hours):
    with open(args.truth, "w", encoding="utf-8") as f:
        meta = {"type": "meta", "start": iso(t0), "start_ms": t0, "weeks": args.weeks,
                "window_ms": HOUR_MS, "warmup_weeks": 1, "seed": args.seed}
        f.write(json.dumps(meta) + "\n")
        for b in brands:
            f.write(json.dumps({"type": "brand", "brand": b.name, "rate": round(b.rate, 4),
                                "complaint_share": round(b.comp, 4)},
                               ensure_ascii=False) + "\n")
            for s in b.spikes:
                f.write(json.dumps({
                    "type": "spike", "brand": b.name,
                    "start": iso(t0 + s["start"] * HOUR_MS),
                    "start_ms": t0 + s["start"] * HOUR_MS, "windows": s["len"],
                    "size": s["size"], "dimension": DIMS[s["dim"]],
                    "baseline_complaints": round(b.rate_at(s["start"], hours) * b.comp, 4),
                }, ensure_ascii=False) + "\n")


def check_phrases(koubei):
    """Each phrase must score as its class; complaints and dimension negatives
    with exactly their one negative dimension."""
    lines, want = [], []
    for (cls, dim), items in sorted(PHRASES.items(), key=str):
        for lang, text in items:
            lines.append(json.dumps({"id": len(lines), "brand": "x", "text": text},
                                    ensure_ascii=False))
            want.append((cls, dim, text))
    res = subprocess.run([koubei, "score"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True)
    bad = 0
    for (cls, dim, text), line in zip(want, res.stdout.splitlines()):
        r = json.loads(line)
        label = r["sentiment"]["label"]
        negdims = sorted(k for k, v in r.get("servqual", {}).items() if v["label"] == "neg")
        ok = {"complaint": r["complaint"] and label == "neg" and
              negdims == ([dim] if dim else []),
              "negative": not r["complaint"] and label == "neg" and
              negdims == ([dim] if dim else []),
              "positive": not r["complaint"] and label == "pos",
              "neutral": not r["complaint"] and label == "neu"}[cls]
        if not ok:
            bad += 1
            print("MISMATCH %s/%s: %s -> %s complaint=%s dims=%s" %
                  (cls, dim, text, label, r["complaint"], negdims), file=sys.stderr)
    print("%d phrases, %d mismatches" % (len(want), bad), file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brands", type=int, default=20)
    ap.add_argument("--weeks", type=int, default=3, help="the first week is warm-up")
    ap.add_argument("--min-rate", type=float, default=1.0, help="mentions/hour, smallest brand")
    ap.add_argument("--max-rate", type=float, default=1000.0,
                    help="mentions/hour, largest brand (10000 for the full range; large output)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--start", default="2026-11-02T00:00:00", help="UTC, a Monday")
    ap.add_argument("--out", default="alert_stream.jsonl")
    ap.add_argument("--truth", default="alert_truth.jsonl")
    ap.add_argument("--check-phrases", metavar="KOUBEI", help="score the phrases and exit")
    args = ap.parse_args()
    if args.check_phrases:
        return check_phrases(args.check_phrases)
    if args.brands < 1 or args.weeks < 2 or not 0 < args.min_rate <= args.max_rate:
        ap.error("need >= 1 brand, >= 2 weeks and 0 < min-rate <= max-rate")
    generate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
