#!/usr/bin/env python3
"""gen_stream.py N SEED -- a deterministic brand-keyed feedback stream for
the pipeline tests: "brand<TAB>json" lines, event time advancing 2 s a
message with jitter inside the default 10 s grace, texts from the fixture
lexicon (tests/data/lexicon) so every score is known."""
import json
import random
import sys

TEXTS = ["菜很好吃", "差，投诉", "ok", "great", "bad", "好吃", "not good", "环境很差",
         "服务员很好", "waiter rude", "不错", "有点贵", "打了三次电话，折腾"]
BRANDS = ["Brand%02d" % i for i in range(12)]
T0 = 1793613600  # 2026-11-02T10:00:00Z

def main():
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    for i in range(n):
        b = rnd.choice(BRANDS)
        rec = {"id": "m%05d" % i, "brand": b, "ts": T0 + 2 * i - rnd.randint(0, 6),
               "text": rnd.choice(TEXTS)}
        if rnd.random() < 0.3:
            rec["rating"] = rnd.randint(1, 5)
        print(b + "\t" + json.dumps(rec, ensure_ascii=False))

main()
