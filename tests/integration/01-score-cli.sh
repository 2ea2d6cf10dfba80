#!/usr/bin/env bash
# 01-score-cli.sh -- koubei score, lexicon check and --version end to end.
. "$(dirname "$0")/lib.sh"
IN=$KB_ROOT/tests/data/cli_input.jsonl

check "version names libraries and lexicon hash" \
    bash -c '"$KB_BIN" --version | grep -E "^librdkafka [0-9]" && "$KB_BIN" --version | grep -E "^ICU [0-9]" &&
             "$KB_BIN" --version | grep -E "^PCRE2 [0-9]" && "$KB_BIN" --version | grep -E "^jansson [0-9]" &&
             "$KB_BIN" --version | grep -E "^lexicon [0-9a-f]{16} "'
check "lexicon check passes on the shipped lexicons" "$KB_BIN" lexicon check "$KB_LEXICONS"

"$KB_BIN" score "$IN" >"$WORK/out.jsonl" 2>"$WORK/err.txt"
rc=$?
check "exit status 0 despite bad lines" test "$rc" -eq 0
check "one output line per input line" test "$(wc -l <"$WORK/out.jsonl")" -eq "$(wc -l <"$IN")"
check "every output line is JSON" python3 -c 'import json,sys
[json.loads(l) for l in open(sys.argv[1],encoding="utf-8")]' "$WORK/out.jsonl"
check "bad lines become error records" bash -c '
    for n in 3 4 5 6 8; do python3 -c "import json,sys; r=json.loads(open(sys.argv[1]).readlines()[$n-1]); assert \"error\" in r, r" "$1" || exit 1; done' _ "$WORK/out.jsonl"
check "error record keeps the id when known" test "$(json_get "$WORK/out.jsonl" 4 'r["id"]')" = c4
check "summary counts the rejects on stderr" grep -q "9 lines, 4 scored, 5 rejected" "$WORK/err.txt"
check "positive Chinese review" test "$(json_get "$WORK/out.jsonl" 1 'r["sentiment"]["label"]')" = pos
check "negative English review" test "$(json_get "$WORK/out.jsonl" 2 'r["sentiment"]["label"]')" = neg
check "ts normalised to UTC ISO-8601" test "$(json_get "$WORK/out.jsonl" 1 'r["ts"]')" = 2026-11-02T09:00:00Z
check "brand detected from a Traditional alias" test "$(json_get "$WORK/out.jsonl" 7 'r["brand"]')" = 云朵外卖
check "complaint detected" test "$(json_get "$WORK/out.jsonl" 7 'r["complaint"]')" = True
check "effort detected" test "$(json_get "$WORK/out.jsonl" 9 'r["effort"]')" = True
check "lexicon hash on every scored record" test "$(json_get "$WORK/out.jsonl" 1 'len(r["lexicon"])')" = 16

"$KB_BIN" score "$IN" >"$WORK/out2.jsonl" 2>/dev/null
check "byte-identical across runs" cmp "$WORK/out.jsonl" "$WORK/out2.jsonl"
check "stdin works like a file" bash -c '"$KB_BIN" score <"$1" 2>/dev/null | cmp - "$2"' _ "$IN" "$WORK/out.jsonl"

# jansson's reason quotes the bytes near the error and cut 好 in two here
printf '{"id":"u1","text":"\\ud800\\u\xe5\xa5\xbd"}\n' >"$WORK/cut.jsonl"
"$KB_BIN" score "$WORK/cut.jsonl" >"$WORK/cut.out" 2>/dev/null
check "an error reason quoting a cut character is still UTF-8 JSON" python3 -c 'import json,sys
r = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert "invalid" in r["error"] and "\ufffd" in r["error"], r' "$WORK/cut.out"

echo '{"content":{"body":"太难吃了"},"meta":{"b":"X"}}' >"$WORK/mapped.jsonl"
"$KB_BIN" score --field text=content.body --field brand=meta.b "$WORK/mapped.jsonl" >"$WORK/m.out" 2>/dev/null
check "--field maps other schemas" test "$(json_get "$WORK/m.out" 1 'r["brand"]+r["sentiment"]["label"]')" = Xneg

echo '{"text":"not very good!"}' | "$KB_BIN" score --explain >"$WORK/e.out" 2>/dev/null
check "--explain adds the trace" test "$(json_get "$WORK/e.out" 1 '[m["type"] for m in r["trace"][0]["modifiers"]]')" \
    = "['degree', 'degree_under_negation', 'negation']"

"$KB_BIN" score /nonexistent.jsonl >/dev/null 2>&1
check "unreadable file exits 1" test $? -eq 1
"$KB_BIN" score --bogus >/dev/null 2>&1
check "unknown option exits 2" test $? -eq 2
"$KB_BIN" score --lexicons "$KB_ROOT/tests/data/lexicon_bad" "$IN" >/dev/null 2>"$WORK/bad.txt"
check "broken lexicon is refused with file:line" grep -q "bad.tsv:5: duplicate" "$WORK/bad.txt"
exit 0
