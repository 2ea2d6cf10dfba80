/* kb_norm.c -- text normalisation with offsets back into the original text.
 *
 * Per-message cost matters (the scorer targets a few microseconds a message),
 * so ICU is used at start-up to build per-code-point tables for the Basic
 * Multilingual Plane: NFKC_Casefold composed with ICU's Traditional-Simplified
 * transliterator. Calling the transliterator per message costs ~20 us; a table
 * lookup costs nanoseconds. ICU is still called at run time for the rare
 * cases a table cannot express: combining sequences (which compose across
 * code points) and supplementary-plane characters.
 */
#include "kb_norm.h"

#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uset.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

#include "kb_mem.h"
#include "kb_normtab.h"

#define BMP 0x10000
#define MAP_DELETE 0x110000u /* the code point normalises to nothing */
#define MAP_MULTI 0x200000u  /* + index into multi[]: len, then code points */

#define PROP_UPPER 0x01
#define PROP_NOBOUND 0x02 /* may combine with the previous code point */
#define PROP_ALPHA 0x04
#define PROP_SIMPLE 0x08  /* maps to one code point and is not '&' */
#define PROP_WORD1 0x10   /* maps to the first code point of a word rule's key */
#define PROP_WORD2 0x20   /* maps to the second code point of one */

/* omask values: what the URL/mention/hashtag regex made of a code point. */
enum { OM_NONE = 0, OM_MASK, OM_DROP, OM_TAG };

struct kb_norm {
    const UNormalizer2 *nfkc_cf; /* ICU singleton, not owned */
    uint32_t *map;               /* BMP code point -> mapping, see MAP_* */
    uint32_t *multi;
    size_t n_multi;
    uint8_t *prop;               /* BMP code point -> PROP_* */
    uint8_t *cls;                /* BMP code point -> kb_cpclass_t */
    uint32_t *ts;                /* BMP Han -> Simplified (0 = unchanged) */
    uint32_t *words;             /* word rules, see build_words() */
    size_t n_words;              /* uint32_t values in words[] */
    uint8_t *wstart;             /* bitsets of the code points that are a
                                    rule key's first (BMP/8 bytes) and
                                    second (the next BMP/8) */
    pcre2_code *mask_re;         /* URLs, mentions, hashtags */
    int from_snapshot;           /* the tables came from the linked snapshot */
    int ascii_simple;            /* every ASCII code point but a few ('&')
                                    maps alone to ASCII: run_ascii() applies */
};

/* ---- table construction ------------------------------------------------ */

static kb_cpclass_t classify(UChar32 c)
{
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc;

    if (c == '\n' || c == '\r' || c == 0x2029 || c == 0x3002 || c == 0xFF61) {
        return KB_CC_SENTENCE;
    }
    if (u_isUWhiteSpace(c)) {
        return KB_CC_SPACE;
    }
    if (c < 0x80) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
            (c >= 'A' && c <= 'Z') || c == '_') {
            return KB_CC_ALNUM;
        }
        switch (c) {
        case '!': return KB_CC_EXCL;
        case '?': return KB_CC_QUEST;
        case '.': case ';': return KB_CC_SENTENCE;
        case ',': case ':': case '~': return KB_CC_CLAUSE;
        default: return KB_CC_OTHER;
        }
    }
    if (c == 0x3001 || c == 0xFF64) { /* 、 and its half-width form */
        return KB_CC_CLAUSE;
    }
    sc = uscript_getScript(c, &err);
    if (sc == USCRIPT_HAN) {
        return KB_CC_HAN;
    }
    if (u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
        u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR) ||
        u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER)) {
        return KB_CC_EMOJI;
    }
    if (u_isalpha(c) || u_isdigit(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK)) {
        switch (sc) {
        case USCRIPT_HIRAGANA: case USCRIPT_KATAKANA: case USCRIPT_THAI:
        case USCRIPT_LAO: case USCRIPT_KHMER: case USCRIPT_MYANMAR:
            return KB_CC_COMPLEX;
        default:
            return KB_CC_LETTER;
        }
    }
    return KB_CC_OTHER;
}

/* NFKC_Casefold one code point into @out (UTF-32); returns the count. */
static int32_t fold_cp(const UNormalizer2 *n2, UChar32 c, uint32_t *out,
                       int32_t cap)
{
    UChar in[2], res[32];
    int32_t inlen = 0, len, i = 0, n = 0;
    UErrorCode err = U_ZERO_ERROR;

    U16_APPEND_UNSAFE(in, inlen, c);
    len = unorm2_normalize(n2, in, inlen, res, 32, &err);
    if (U_FAILURE(err)) {
        out[0] = (uint32_t)c;
        return 1;
    }
    while (i < len && n < cap) {
        UChar32 o;
        U16_NEXT(res, i, len, o);
        out[n++] = (uint32_t)o;
    }
    return n;
}

/* Fill nm->ts with ICU's Traditional-Simplified mapping. Only the BMP code
 * points in the transliterator's source set can change, so one call over
 * "字\n字\n..." made of those (a few thousand) is enough. */
static int build_ts(kb_norm_t *nm, UTransliterator *tr, char *errstr, size_t errstr_size)
{
    UErrorCode err = U_ZERO_ERROR;
    USet *set = uset_openEmpty();
    UChar *s = NULL;
    UChar32 *src = NULL;
    int32_t n = 0, cap, limit, i = 0, nsrc = 0;
    int rc = -1;

    if (set) {
        utrans_getSourceSet(tr, 0, set, &err);
    }
    if (U_FAILURE(err) || !set) {
        snprintf(errstr, errstr_size, "Traditional-Simplified: %s",
                 set ? u_errorName(err) : "out of memory");
        goto out;
    }
    cap = uset_size(set) * 2 * 2 + 16; /* a few map to longer strings */
    s = kb_malloc((size_t)cap * sizeof(UChar));
    src = kb_malloc((size_t)uset_size(set) * sizeof(UChar32) + 1);
    if (!s || !src) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (int32_t it = 0; it < uset_getItemCount(set); it++) {
        UChar32 a, z;
        if (uset_getItem(set, it, &a, &z, NULL, 0, &err) != 0) {
            continue; /* a string item, not a range */
        }
        for (UChar32 c = a; c <= z && c < BMP; c++) {
            if (!U_IS_SURROGATE(c)) {
                src[nsrc++] = c;
                s[n++] = (UChar)c;
                s[n++] = '\n';
            }
        }
    }
    limit = n;
    utrans_transUChars(tr, s, &n, cap, 0, &limit, &err);
    if (U_FAILURE(err)) {
        snprintf(errstr, errstr_size, "Traditional-Simplified: %s", u_errorName(err));
        goto out;
    }
    /* Walk the result in step with the input order. */
    for (int32_t k = 0; k < nsrc && i < n; k++) {
        int32_t cnt = 0;
        UChar32 o = 0;
        while (i < n && s[i] != '\n') {
            U16_NEXT(s, i, n, o);
            cnt++;
        }
        i++; /* the separator */
        if (cnt == 1 && o != src[k] && o < BMP) {
            nm->ts[src[k]] = (uint32_t)o;
        }
    }
    rc = 0;
out:
    kb_free(s);
    kb_free(src);
    uset_close(set);
    return rc;
}

static uint32_t ts_map(const kb_norm_t *nm, uint32_t c)
{
    return (c < BMP && nm->ts[c]) ? nm->ts[c] : c;
}

/* Typographic quotes fold to ASCII so "don’t" matches "don't". */
static uint32_t quote_fold(uint32_t c)
{
    if (c == 0x2018 || c == 0x2019 || c == 0x2032 || c == 0xFF07) {
        return '\'';
    }
    if (c == 0x201C || c == 0x201D) {
        return '"';
    }
    return c;
}

static int build_map(kb_norm_t *nm, char *errstr, size_t errstr_size)
{
    size_t mcap = 4096;

    nm->multi = kb_malloc(mcap * sizeof(uint32_t));
    if (!nm->multi) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    for (UChar32 c = 0; c < BMP; c++) {
        uint32_t out[32];
        int32_t n;

        if (U_IS_SURROGATE(c)) {
            nm->map[c] = MAP_DELETE;
            continue;
        }
        n = fold_cp(nm->nfkc_cf, (UChar32)quote_fold((uint32_t)c), out, 32);
        for (int32_t k = 0; k < n; k++) {
            out[k] = ts_map(nm, quote_fold(out[k]));
        }
        nm->prop[c] = (uint8_t)((u_isupper(c) || u_istitle(c) ? PROP_UPPER : 0) |
                                (unorm2_hasBoundaryBefore(nm->nfkc_cf, c) ? 0 : PROP_NOBOUND) |
                                (u_isalpha(c) ? PROP_ALPHA : 0));
        nm->cls[c] = (uint8_t)classify(c);
        if (n == 0) {
            nm->map[c] = MAP_DELETE;
        } else if (n == 1) {
            nm->map[c] = out[0];
        } else {
            if (nm->n_multi + (size_t)n + 1 > mcap) {
                uint32_t *m = kb_realloc(nm->multi, mcap * 2 * sizeof(uint32_t));
                if (!m) {
                    snprintf(errstr, errstr_size, "out of memory");
                    return -1;
                }
                nm->multi = m;
                mcap *= 2;
            }
            nm->map[c] = MAP_MULTI + (uint32_t)nm->n_multi;
            nm->multi[nm->n_multi++] = (uint32_t)n;
            memcpy(nm->multi + nm->n_multi, out, (size_t)n * sizeof(uint32_t));
            nm->n_multi += (size_t)n;
        }
        if (nm->map[c] < MAP_DELETE && c != '&') {
            nm->prop[c] |= PROP_SIMPLE;
        }
    }
    return 0;
}

/* ---- word rules --------------------------------------------------------- */

/* ICU's Traditional-Simplified transliterator is more than a character
 * table: some of its rules map a word as a whole, because its characters
 * taken one by one make another word (甚麼 is 什么, not 甚么; 沈悶 is 沉闷;
 * 計畫 is 计划). The tables above take each character alone, so such a
 * Traditional word scored unlike its Simplified twin (甚麼 is in about one
 * Hong Kong or Taiwan review in thirty). build_words() keeps the rules the
 * tables get wrong as (key, value) pairs: key = the word as the tables map
 * it, value = ICU's Simplified word, of the same length, so every offset
 * stays where it was. A rule whose value the tables would change again is
 * left out (ICU's 內裡 > 內里 keeps a Traditional 內; 著名 > 著名 while the
 * tables take 著 to 着 everywhere, lexicon terms included): the tables'
 * own answer is consistent then. Two rules are left out by name: ICU's
 * 單幹 > 调干 is a slip (单干, "work alone"), and 畫一 > 划一 would turn
 * every Simplified 画一 (画一个饼, "draw one") into 划一. words[] holds n_words records of
 * WORD_REC values: the length, then WORD_MAX key and WORD_MAX value code
 * points, sorted by key. A key is rewritten wherever it appears, in
 * Simplified text too (甚么 there is the same variant spelling). */
#define WORD_MAX 8
#define WORD_REC (1 + 2 * WORD_MAX)
#define WORDS_MAX 4096

static int word_cmp(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;

    for (uint32_t k = 0; k < WORD_MAX; k++) {
        if (x[1 + k] != y[1 + k]) {
            return x[1 + k] < y[1 + k] ? -1 : 1;
        }
    }
    return 0;
}

/* The code points of a statement side, when it is 2..WORD_MAX BMP
 * ideographs and nothing else (variables, sets and filters are not). */
static uint32_t rule_side(const UChar *s, int32_t len, uint32_t *out)
{
    uint32_t n = 0;

    while (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n')) {
        len--;
    }
    for (int32_t i = 0; i < len; i++) {
        if (U16_IS_SURROGATE(s[i]) || !u_hasBinaryProperty(s[i], UCHAR_IDEOGRAPHIC) ||
            n == WORD_MAX) {
            return 0;
        }
        out[n++] = s[i];
    }
    return n >= 2 ? n : 0;
}

/* One statement "LHS > RHS" as a record in rec, if the tables get it wrong. */
static int word_rule(const kb_norm_t *nm, const UChar *st, int32_t len, uint32_t *rec)
{
    uint32_t lhs[WORD_MAX], n, same = 1;
    int32_t gt = 0;

    memset(rec, 0, WORD_REC * sizeof(uint32_t));
    while (gt < len && st[gt] != '>') {
        gt++;
    }
    if (gt == len || !(n = rule_side(st, gt, lhs)) ||
        rule_side(st + gt + 1, len - gt - 1, rec + 1 + WORD_MAX) != n) {
        return 0;
    }
    rec[0] = n;
    if (n == 2 && ((lhs[0] == 0x55AE && lhs[1] == 0x5E79) ||  /* 單幹 */
                   (lhs[0] == 0x756B && lhs[1] == 0x4E00))) { /* 畫一 */
        return 0;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t v = rec[1 + WORD_MAX + k];
        if (nm->map[lhs[k]] >= MAP_DELETE || nm->map[v] != v) {
            return 0;
        }
        rec[1 + k] = nm->map[lhs[k]];
        same &= rec[1 + k] == v;
    }
    return !same;
}

/* Is record n's key one of records [0, n)'s? (Keys are zero-padded.) */
static int word_known(const uint32_t *words, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (word_cmp(words + r * WORD_REC, words + n * WORD_REC) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The code points that a key opens with, and those second in a key: a
 * place is looked up only when both match (中, 手 or 电 open keys). The
 * PROP_WORD bits mark the code points that map to them, so run_fused()
 * can tell, at an OR a code point, whether a text needs apply_words() at
 * all: about one Chinese text in 3,000 does. */
static int index_words(kb_norm_t *nm)
{
    kb_free(nm->wstart);
    if (!(nm->wstart = kb_calloc(2 * BMP / 8, 1))) {
        return -1;
    }
    for (size_t r = 0; r < nm->n_words; r++) {
        uint32_t c0 = nm->words[r * WORD_REC + 1], c1 = nm->words[r * WORD_REC + 2];
        nm->wstart[c0 >> 3] |= (uint8_t)(1u << (c0 & 7));
        nm->wstart[BMP / 8 + (c1 >> 3)] |= (uint8_t)(1u << (c1 & 7));
    }
    for (uint32_t c = 0; c < BMP; c++) {
        uint32_t v = nm->map[c];
        nm->prop[c] &= (uint8_t)~(PROP_WORD1 | PROP_WORD2);
        if (v < BMP && (nm->wstart[v >> 3] >> (v & 7) & 1)) {
            nm->prop[c] |= PROP_WORD1;
        }
        if (v < BMP && (nm->wstart[BMP / 8 + (v >> 3)] >> (v & 7) & 1)) {
            nm->prop[c] |= PROP_WORD2;
        }
    }
    return 0;
}

static int build_words(kb_norm_t *nm, UTransliterator *tr, char *errstr, size_t errstr_size)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = utrans_toRules(tr, 0, NULL, 0, &err), at = 0;
    UChar *rules = NULL;
    size_t n = 0;

    err = U_ZERO_ERROR;
    rules = kb_malloc(((size_t)len + 1) * sizeof(UChar));
    nm->words = kb_calloc(WORDS_MAX, WORD_REC * sizeof(uint32_t));
    if (!rules || !nm->words) {
        kb_free(rules);
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    utrans_toRules(tr, 0, rules, len + 1, &err);
    while (U_SUCCESS(err) && at < len && n < WORDS_MAX) {
        int32_t end = at;
        while (end < len && rules[end] != ';') {
            end++;
        }
        /* ICU takes the first rule that matches: of equal keys, the first */
        if (word_rule(nm, rules + at, end - at, nm->words + n * WORD_REC) &&
            !word_known(nm->words, n)) {
            n++;
        }
        at = end + 1;
    }
    kb_free(rules);
    if (U_FAILURE(err)) {
        snprintf(errstr, errstr_size, "Traditional-Simplified rules: %s", u_errorName(err));
        return -1;
    }
    qsort(nm->words, n, WORD_REC * sizeof(uint32_t), word_cmp);
    nm->n_words = n;
    return index_words(nm);
}

/* The longest key at cp[0, n), rewritten to its value; its length, or 0. */
static size_t word_at(const kb_norm_t *nm, uint32_t *cp, size_t n)
{
    const uint32_t *w = nm->words, *best = NULL;
    size_t lo = 0, hi = nm->n_words;

    while (lo < hi) { /* the first record whose key opens with cp[0] */
        size_t mid = lo + (hi - lo) / 2;
        if (w[mid * WORD_REC + 1] < cp[0]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (const uint32_t *r = w + lo * WORD_REC; r < w + nm->n_words * WORD_REC && r[1] == cp[0];
         r += WORD_REC) {
        if (r[0] <= n && (!best || r[0] > best[0]) &&
            memcmp(r + 1, cp, r[0] * sizeof(uint32_t)) == 0) {
            best = r;
        }
    }
    if (!best) {
        return 0;
    }
    memcpy(cp, best + 1 + WORD_MAX, best[0] * sizeof(uint32_t));
    return best[0];
}

/* Rewrite the word rules' keys in cp[0, n) (see build_words()). */
static void apply_words(const kb_norm_t *nm, uint32_t *cp, size_t n)
{
    const uint8_t *first = nm->wstart, *second = nm->wstart + BMP / 8;

    for (size_t k = 0; k + 1 < n; k++) {
        uint32_t c = cp[k], d = cp[k + 1];
        if (c < BMP && d < BMP && (first[c >> 3] >> (c & 7) & 1) &&
            (second[d >> 3] >> (d & 7) & 1)) {
            size_t len = word_at(nm, cp + k, n - k);
            k += len ? len - 1 : 0;
        }
    }
}

/* URLs and mentions are masked; hashtags keep their words but lose the '#'.
 * Group 1 url, 2 mention, 3 Weibo #topic#, 4 #tag. The text is the
 * original, before NFKC: a Chinese keyboard types the full-width ＠ and ＃
 * (U+FF20, U+FF03), and ＠差评君 is as much a user name as @差评君. */
static const char mask_pattern[] =
    "((?:https?://|www\\.)[^\\s<>\"\\x{3000}-\\x{303F}\\x{FF00}-\\x{FF65}]+)"
    "|([@\\x{FF20}][\\p{L}\\p{N}_\\-]{1,20})"
    "|([#\\x{FF03}][^#\\x{FF03}\\s]{1,40}[#\\x{FF03}])"
    "|([#\\x{FF03}][\\p{L}\\p{N}_]{1,40})";

/* The UTF-8 of ＠ and ＃ */
static const char fw_at[] = "\xEF\xBC\xA0", fw_hash[] = "\xEF\xBC\x83";

static int build_mask_re(kb_norm_t *nm, char *errstr, size_t errstr_size)
{
    int errcode;
    PCRE2_SIZE erroff;
    PCRE2_UCHAR msg[256];

    nm->mask_re = pcre2_compile((PCRE2_SPTR)mask_pattern, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS,
                                &errcode, &erroff, NULL);
    if (!nm->mask_re) {
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        snprintf(errstr, errstr_size, "mask regex at offset %zu: %s",
                 (size_t)erroff, (char *)msg);
        return -1;
    }
    /* JIT is an optimisation: without it matching is slower, not wrong. */
    (void)pcre2_jit_compile(nm->mask_re, PCRE2_JIT_COMPLETE);
    return 0;
}

/* ---- build-time snapshot ------------------------------------------------ */

/* The tables above cost ~290M instructions to build, most of it opening the
 * transliterator (ICU's registry and rule compiler), which is several times
 * what a short run spends on its messages. So the build runs the same code
 * once (cmd/gen_normtab.c) and links the result in; kb_norm_new() uses it
 * when the ICU and Unicode versions at run time are those it was made with
 * and builds from ICU otherwise. Format: "KBNT2", ICU version, Unicode
 * version (4 bytes each), then map, prop, cls and ts for the BMP as runs
 * of (length, value), multi[] as a count and values, then the word rules
 * (build_words()) as a count and records, all LEB128. */
static const char snap_magic[5] = {'K', 'B', 'N', 'T', '2'};

static void put_varint(kb_buf_t *b, uint32_t v)
{
    unsigned char o[5];
    size_t n = 0;

    do {
        o[n] = (unsigned char)(v & 0x7F);
        v >>= 7;
        o[n] |= v ? 0x80 : 0;
        n++;
    } while (v);
    kb_buf_append(b, o, n);
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
    uint32_t x = 0;

    for (int shift = 0; shift < 35; shift += 7) {
        if (*p >= end) {
            return -1;
        }
        x |= (uint32_t)(**p & 0x7F) << shift;
        if (!(*(*p)++ & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* map[] values as runs: a code point that maps to c + d keys on d (so case
 * pairs and identity runs repeat one key); deletion and multi[] entries on
 * their own value. */
static uint32_t map_key(uint32_t c, uint32_t v)
{
    int32_t d;

    if (v >= MAP_DELETE) {
        return (v - MAP_DELETE) << 1 | 1;
    }
    d = (int32_t)v - (int32_t)c;
    return (uint32_t)(d < 0 ? (-(int64_t)d << 1) - 1 : (int64_t)d << 1) << 1;
}

static uint32_t map_unkey(uint32_t c, uint32_t k)
{
    uint32_t z = k >> 1;

    if (k & 1) {
        return z + MAP_DELETE;
    }
    return (z & 1) ? c - ((z + 1) >> 1) : c + (z >> 1);
}

/* @a as runs of equal keys (map_key() values when @p keyed). */
static void put_runs32(kb_buf_t *out, const uint32_t *a, int keyed)
{
    uint32_t c = 0;

    while (c < BMP) {
        uint32_t k = keyed ? map_key(c, a[c]) : a[c], e = c + 1;
        while (e < BMP && (keyed ? map_key(e, a[e]) : a[e]) == k) {
            e++;
        }
        put_varint(out, e - c);
        put_varint(out, k);
        c = e;
    }
}

/* @b as runs of equal bytes. */
static void put_runs8(kb_buf_t *out, const uint8_t *b)
{
    uint32_t c = 0;

    while (c < BMP) {
        uint32_t e = c + 1;
        while (e < BMP && b[e] == b[c]) {
            e++;
        }
        put_varint(out, e - c);
        put_varint(out, b[c]);
        c = e;
    }
}

static int get_runs(const unsigned char **p, const unsigned char *end, uint32_t *a,
                    uint8_t *b, int keyed)
{
    uint32_t c = 0, n, k;

    while (c < BMP) {
        if (get_varint(p, end, &n) != 0 || get_varint(p, end, &k) != 0 ||
            n == 0 || n > BMP - c || (b && k > 0xFF)) {
            return -1;
        }
        for (uint32_t e = c + n; c < e; c++) {
            if (b) {
                b[c] = (uint8_t)k;
            } else {
                a[c] = keyed ? map_unkey(c, k) : k;
            }
        }
    }
    return 0;
}

int kb_norm_snapshot(const kb_norm_t *nm, kb_buf_t *out)
{
    UVersionInfo icu, uni;

    u_getVersion(icu);
    u_getUnicodeVersion(uni);
    kb_buf_append(out, snap_magic, sizeof(snap_magic));
    kb_buf_append(out, icu, sizeof(icu));
    kb_buf_append(out, uni, sizeof(uni));
    put_runs32(out, nm->map, 1);
    put_runs8(out, nm->prop);
    put_runs8(out, nm->cls);
    put_runs32(out, nm->ts, 0);
    put_varint(out, (uint32_t)nm->n_multi);
    for (size_t i = 0; i < nm->n_multi; i++) {
        put_varint(out, nm->multi[i]);
    }
    put_varint(out, (uint32_t)nm->n_words);
    for (size_t i = 0; i < nm->n_words * WORD_REC; i++) {
        put_varint(out, nm->words[i]);
    }
    return out->oom ? -1 : 0;
}

/* The word rules of a snapshot: a count, then the records; each must have
 * a length of 2..WORD_MAX, and they must be in key order (word_at()
 * searches them). */
static int load_words(kb_norm_t *nm, const unsigned char **p, const unsigned char *end)
{
    uint32_t n;

    if (get_varint(p, end, &n) != 0 || n > WORDS_MAX ||
        !(nm->words = kb_calloc((size_t)n + 1, WORD_REC * sizeof(uint32_t)))) {
        return -1;
    }
    for (size_t i = 0; i < (size_t)n * WORD_REC; i++) {
        if (get_varint(p, end, &nm->words[i]) != 0) {
            return -1;
        }
    }
    for (size_t r = 0; r < n; r++) {
        const uint32_t *w = nm->words + r * WORD_REC;
        if (w[0] < 2 || w[0] > WORD_MAX || w[1] >= BMP || w[2] >= BMP ||
            (r > 0 && word_cmp(w - WORD_REC, w) >= 0)) {
            return -1;
        }
    }
    nm->n_words = n;
    return 0;
}

/* Fill the tables from a snapshot. Returns -1 when it does not apply (other
 * ICU or Unicode version) or is damaged; the caller then builds from ICU. */
static int load_snapshot(kb_norm_t *nm, const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    UVersionInfo icu, uni;
    uint32_t n;

    u_getVersion(icu);
    u_getUnicodeVersion(uni);
    if (len < sizeof(snap_magic) + sizeof(icu) + sizeof(uni) ||
        memcmp(p, snap_magic, sizeof(snap_magic)) != 0 ||
        memcmp(p + sizeof(snap_magic), icu, sizeof(icu)) != 0 ||
        memcmp(p + sizeof(snap_magic) + sizeof(icu), uni, sizeof(uni)) != 0) {
        return -1;
    }
    p += sizeof(snap_magic) + sizeof(icu) + sizeof(uni);
    if (get_runs(&p, end, nm->map, NULL, 1) != 0 ||
        get_runs(&p, end, NULL, nm->prop, 0) != 0 ||
        get_runs(&p, end, NULL, nm->cls, 0) != 0 ||
        get_runs(&p, end, nm->ts, NULL, 0) != 0 ||
        get_varint(&p, end, &n) != 0 || n > (size_t)(end - p) ||
        !(nm->multi = kb_malloc(((size_t)n + 1) * sizeof(uint32_t)))) {
        return -1;
    }
    for (nm->n_multi = 0; nm->n_multi < n; nm->n_multi++) {
        if (get_varint(&p, end, &nm->multi[nm->n_multi]) != 0) {
            return -1;
        }
    }
    if (load_words(nm, &p, end) != 0) {
        return -1;
    }
    /* every multi[] reference must stay inside it */
    for (uint32_t c = 0; c < BMP; c++) {
        if (nm->map[c] >= MAP_MULTI &&
            (nm->map[c] - MAP_MULTI >= n ||
             nm->multi[nm->map[c] - MAP_MULTI] > n - (nm->map[c] - MAP_MULTI) - 1)) {
            return -1;
        }
    }
    return p == end ? 0 : -1;
}

/* Does every ASCII code point either map alone to ASCII (PROP_SIMPLE) or
 * stop run_ascii() (not PROP_SIMPLE), and none combine with the one before?
 * Then an ASCII text can be normalised byte by byte (run_ascii()). */
static int ascii_simple(const kb_norm_t *nm)
{
    for (uint32_t c = 0; c < 0x80; c++) {
        if ((nm->prop[c] & PROP_NOBOUND) ||
            ((nm->prop[c] & PROP_SIMPLE) && nm->map[c] >= 0x80)) {
            return 0;
        }
    }
    return 1;
}

/* The tables and word rules from ICU's transliterator, opened once: the
 * opening is most of the cost. */
static int build_from_icu(kb_norm_t *nm, char *errstr, size_t errstr_size)
{
    UChar id[32];
    UErrorCode err = U_ZERO_ERROR;
    UTransliterator *tr;
    int rc;

    u_uastrcpy(id, "Traditional-Simplified");
    tr = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
    if (U_FAILURE(err)) {
        snprintf(errstr, errstr_size, "Traditional-Simplified: %s", u_errorName(err));
        return -1;
    }
    rc = build_ts(nm, tr, errstr, errstr_size) != 0 ||
                 build_map(nm, errstr, errstr_size) != 0 ||
                 build_words(nm, tr, errstr, errstr_size) != 0
             ? -1
             : 0;
    utrans_close(tr);
    return rc;
}

/* The tables from @blob when it applies, else from ICU. */
static kb_norm_t *norm_new(const unsigned char *blob, size_t blob_len,
                           char *errstr, size_t errstr_size)
{
    UErrorCode err = U_ZERO_ERROR;
    kb_norm_t *nm = kb_calloc(1, sizeof(*nm));

    if (!nm) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    nm->nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
    if (U_FAILURE(err)) {
        snprintf(errstr, errstr_size, "ICU NFKC_Casefold: %s", u_errorName(err));
        goto fail;
    }
    nm->map = kb_malloc(BMP * sizeof(uint32_t));
    nm->prop = kb_calloc(BMP, 1);
    nm->cls = kb_calloc(BMP, 1);
    nm->ts = kb_calloc(BMP, sizeof(uint32_t));
    if (!nm->map || !nm->prop || !nm->cls || !nm->ts) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    nm->from_snapshot = blob && load_snapshot(nm, blob, blob_len) == 0;
    if (!nm->from_snapshot) {
        /* start again from the state build_ts()/build_map() expect */
        kb_free(nm->multi);
        nm->multi = NULL;
        nm->n_multi = 0;
        memset(nm->prop, 0, BMP);
        memset(nm->cls, 0, BMP);
        memset(nm->ts, 0, BMP * sizeof(uint32_t));
        kb_free(nm->words);
        nm->words = NULL;
        nm->n_words = 0;
        if (build_from_icu(nm, errstr, errstr_size) != 0) {
            goto fail;
        }
    } else if (index_words(nm) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    nm->ascii_simple = ascii_simple(nm);
    if (build_mask_re(nm, errstr, errstr_size) != 0) {
        goto fail;
    }
    return nm;
fail:
    kb_norm_free(nm);
    return NULL;
}

int kb_norm_from_snapshot(const kb_norm_t *nm)
{
    return nm->from_snapshot;
}

kb_norm_t *kb_norm_new(char *errstr, size_t errstr_size)
{
    size_t len = 0;
    const unsigned char *blob = kb_normtab_blob(&len);

    return norm_new(blob, len, errstr, errstr_size);
}

kb_norm_t *kb_norm_new_icu(char *errstr, size_t errstr_size)
{
    return norm_new(NULL, 0, errstr, errstr_size);
}

void kb_norm_free(kb_norm_t *nm)
{
    if (!nm) {
        return;
    }
    kb_free(nm->map);
    kb_free(nm->multi);
    kb_free(nm->prop);
    kb_free(nm->cls);
    kb_free(nm->ts);
    kb_free(nm->words);
    kb_free(nm->wstart);
    pcre2_code_free(nm->mask_re);
    kb_free(nm);
}

kb_cpclass_t kb_norm_class(const kb_norm_t *nm, uint32_t cp)
{
    return cp < BMP ? (kb_cpclass_t)nm->cls[cp] : classify((UChar32)cp);
}

const uint8_t *kb_norm_class_table(const kb_norm_t *nm)
{
    return nm->cls;
}

/* ---- workspace ---------------------------------------------------------- */

void kb_ntext_init(kb_ntext_t *nt)
{
    memset(nt, 0, sizeof(*nt));
    kb_buf_init(&nt->u8);
}

void kb_ntext_fini(kb_ntext_t *nt)
{
    kb_free(nt->cp);
    kb_free(nt->src0);
    kb_free(nt->src1);
    kb_free(nt->flags);
    kb_free(nt->obyte);
    kb_free(nt->ocp);
    kb_free(nt->omask);
    kb_free(nt->cpu8);
    kb_buf_fini(&nt->u8);
    pcre2_match_data_free(nt->md);
    kb_ntext_init(nt);
}

static int grow_out(kb_ntext_t *nt, size_t need)
{
    size_t cap = nt->cap ? nt->cap : 64;
    void *a, *b, *c, *d;

    while (cap < need) {
        cap *= 2;
    }
    a = kb_realloc(nt->cp, cap * sizeof(uint32_t));
    if (a) nt->cp = a;
    b = kb_realloc(nt->src0, cap * sizeof(uint32_t));
    if (b) nt->src0 = b;
    c = kb_realloc(nt->src1, cap * sizeof(uint32_t));
    if (c) nt->src1 = c;
    d = kb_realloc(nt->flags, cap);
    if (d) nt->flags = d;
    if (!a || !b || !c || !d) {
        return -1;
    }
    nt->cap = cap;
    return 0;
}

static int grow_orig(kb_ntext_t *nt, size_t need)
{
    size_t cap = nt->ocap ? nt->ocap : 64;
    void *a, *b, *c;

    while (cap < need) {
        cap *= 2;
    }
    a = kb_realloc(nt->obyte, (cap + 1) * sizeof(uint32_t));
    if (a) nt->obyte = a;
    b = kb_realloc(nt->ocp, cap * sizeof(uint32_t));
    if (b) nt->ocp = b;
    c = kb_realloc(nt->omask, cap);
    if (c) nt->omask = c;
    if (!a || !b || !c) {
        return -1;
    }
    nt->ocap = cap;
    return 0;
}

/* Room in the UTF-8 view for n code points (4n + 1 bytes, n + 1 offsets);
 * -1 (and the view marked stale) when out of memory. */
static int u8_room(kb_ntext_t *nt, size_t n)
{
    if (n * 4 + 1 > nt->u8cap) {
        uint32_t *q = kb_realloc(nt->cpu8, (n + 1) * sizeof(uint32_t));
        char *p = kb_realloc(nt->u8.p, n * 4 + 1);
        if (q) nt->cpu8 = q;
        if (p) { nt->u8.p = p; nt->u8.cap = n * 4 + 1; }
        if (!q || !p) {
            nt->u8.oom = 1;
            return -1;
        }
        nt->u8cap = n * 4 + 1;
    }
    return 0;
}

/* ---- per message -------------------------------------------------------- */

typedef struct {
    const kb_norm_t *nm;
    kb_ntext_t *nt;
    int oom;
    int collapse; /* elongation collapse on (off for lexicon terms) */
    size_t words; /* a word rule's key may be in the output from here on
                     (apply_words()); SIZE_MAX: nowhere */
} emitter_t;

static int is_alpha(const kb_norm_t *nm, uint32_t c)
{
    return c < BMP ? (nm->prop[c] & PROP_ALPHA) != 0 : u_isalpha((UChar32)c);
}

/* Append one normalised code point. A third identical letter in a row is
 * folded into the previous one: "sooooo" keeps "soo" and flags both, so the
 * lexicon sees a stable form and the scorer can add emphasis. */
/* Inlined: it runs once per code point of every message. */
static inline __attribute__((always_inline)) void emit(emitter_t *em, uint32_t cp,
                                                      uint32_t s0, uint32_t s1, uint8_t fl)
{
    kb_ntext_t *nt = em->nt;
    size_t n = nt->n;

    if (em->collapse && n >= 1 && cp == ' ' && nt->cp[n - 1] == ' ' &&
        !((fl | nt->flags[n - 1]) & (KB_NF_MASK | KB_NF_HASHTAG))) {
        nt->src1[n - 1] = s1; /* a run of spaces is one; a masked URL or
                                 @mention, or a hashtag's mark, keeps its own */
        return;
    }
    if (em->collapse && n >= 2 && cp == nt->cp[n - 1] &&
        cp == nt->cp[n - 2] && is_alpha(em->nm, cp)) {
        nt->src1[n - 1] = s1;
        nt->flags[n - 1] |= KB_NF_ELONG;
        nt->flags[n - 2] |= KB_NF_ELONG;
        return;
    }
    if (n >= nt->cap && grow_out(nt, n + 1) != 0) {
        em->oom = 1;
        return;
    }
    nt->cp[n] = cp;
    nt->src0[n] = s0;
    nt->src1[n] = s1;
    nt->flags[n] = fl;
    nt->n = n + 1;
}

/* Map one original code point through the tables (or ICU off the BMP). */
static inline __attribute__((always_inline)) void emit_mapped(emitter_t *em, uint32_t c,
                                                             uint32_t s0, uint32_t s1,
                                                             uint8_t fl)
{
    const kb_norm_t *nm = em->nm;

    if (c < BMP) {
        uint32_t v = nm->map[c];
        if (nm->prop[c] & PROP_UPPER) {
            fl |= KB_NF_UPPER;
        }
        if (v < MAP_DELETE) {
            emit(em, v, s0, s1, fl);
        } else if (v >= MAP_MULTI) {
            const uint32_t *m = nm->multi + (v - MAP_MULTI);
            for (uint32_t k = 1; k <= m[0]; k++) {
                emit(em, m[k], s0, s1, fl);
            }
        }
        return;
    }
    {
        uint32_t out[32];
        int32_t n = fold_cp(nm->nfkc_cf, (UChar32)c, out, 32);
        if (u_isupper((UChar32)c)) {
            fl |= KB_NF_UPPER;
        }
        for (int32_t k = 0; k < n; k++) {
            emit(em, ts_map(nm, quote_fold(out[k])), s0, s1, fl);
        }
    }
}

static int nobound(const kb_norm_t *nm, uint32_t c)
{
    return c < BMP ? (nm->prop[c] & PROP_NOBOUND) != 0
                   : !unorm2_hasBoundaryBefore(nm->nfkc_cf, (UChar32)c);
}

/* Normalise the combining sequence ocp[i, j) as a whole with ICU; all its
 * output points back to the whole original range. */
static void emit_segment(emitter_t *em, size_t i, size_t j, uint8_t fl)
{
    const kb_ntext_t *nt = em->nt;
    UChar in[136], res[280];
    int32_t inlen = 0, len, k = 0;
    UErrorCode err = U_ZERO_ERROR;

    for (size_t p = i; p < j; p++) {
        U16_APPEND_UNSAFE(in, inlen, (UChar32)nt->ocp[p]);
    }
    if (u_isupper((UChar32)nt->ocp[i])) {
        fl |= KB_NF_UPPER;
    }
    len = unorm2_normalize(em->nm->nfkc_cf, in, inlen, res, 280, &err);
    if (U_FAILURE(err)) {
        for (size_t p = i; p < j; p++) {
            emit_mapped(em, nt->ocp[p], (uint32_t)p, (uint32_t)p + 1, fl);
        }
        return;
    }
    while (k < len) {
        UChar32 o;
        U16_NEXT(res, k, len, o);
        emit(em, ts_map(em->nm, quote_fold((uint32_t)o)), (uint32_t)i,
             (uint32_t)j, fl);
    }
}

/* Decode an HTML entity starting at ocp[i] == '&'. Returns the number of
 * original code points consumed (0 when it is not an entity). */
static size_t html_entity(const kb_ntext_t *nt, size_t i, uint32_t *out)
{
    static const struct { const char *name; uint32_t cp; } names[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'},
        {"apos", '\''}, {"nbsp", ' '}, {"hellip", 0x2026}, {"mdash", 0x2014},
        {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
        {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"middot", 0xB7},
        {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122},
        /* what review and social sites escape besides markup: hearts and
         * stars rate, currencies price, quotes and bullets list */
        {"hearts", 0x2665}, {"star", 0x2606}, {"starf", 0x2605},
        {"laquo", 0xAB}, {"raquo", 0xBB}, {"bull", 0x2022}, {"deg", 0xB0},
        {"euro", 0x20AC}, {"pound", 0xA3}, {"yen", 0xA5}, {"cent", 0xA2},
        {"times", 0xD7}, {"divide", 0xF7}, {"rarr", 0x2192}, {"larr", 0x2190},
        {"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009}};
    char name[12];
    size_t k, n = 0;

    for (k = i + 1; k < nt->n_orig && k < i + 11; k++) {
        uint32_t c = nt->ocp[k];
        if (c == ';') {
            break;
        }
        if (c > 0x7F) {
            return 0;
        }
        name[n++] = (char)c;
    }
    if (k >= nt->n_orig || nt->ocp[k] != ';' || n == 0) {
        return 0;
    }
    name[n] = '\0';
    if (name[0] == '#') {
        char *end;
        int hex = (name[1] == 'x' || name[1] == 'X');
        unsigned long v = strtoul(name + 1 + hex, &end, hex ? 16 : 10);
        if (*end != '\0' || end == name + 1 + hex || v == 0 || v > 0x10FFFF ||
            (v >= 0xD800 && v <= 0xDFFF)) {
            return 0;
        }
        *out = (uint32_t)v;
        return k - i + 1;
    }
    for (size_t e = 0; e < sizeof(names) / sizeof(names[0]); e++) {
        if (strcmp(name, names[e].name) == 0) {
            *out = names[e].cp;
            return k - i + 1;
        }
    }
    return 0;
}

/* Decode and validate UTF-8 into nt->ocp/obyte. */
/* Are the eight bytes at u all ASCII? */
static inline int ascii8(const unsigned char *u)
{
    uint64_t w;

    memcpy(&w, u, sizeof(w));
    return (w & 0x8080808080808080ULL) == 0;
}

/* Room for the original code points of @p len bytes; -1 with errstr set. */
static int orig_room(kb_ntext_t *nt, size_t len, char *errstr, size_t errstr_size)
{
    if (len > INT32_MAX) {
        snprintf(errstr, errstr_size, "text too long");
        return -1;
    }
    if (len + 1 > nt->ocap && grow_orig(nt, len + 1) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    return 0;
}

/* Decode s[from, len) as original code points from index @p n on (those
 * before it are already in obyte[]); orig_room() was called. */
static int decode_from(kb_ntext_t *nt, const char *s, size_t len, size_t from,
                       size_t n, char *errstr, size_t errstr_size)
{
    int32_t i = (int32_t)from, ilen = (int32_t)len;

    memset(nt->omask, OM_NONE, len);
    while (i < ilen) {
        int32_t at = i;
        const unsigned char *u = (const unsigned char *)s + i;
        UChar32 c;
        /* ASCII and well-formed three-byte sequences (all of the BMP's CJK)
         * inline; U8_NEXT decides everything else, errors included. Lead
         * bytes E1..EC and EE..EF take any two continuation bytes (E0 and
         * ED, which restrict the second byte, go the long way). */
        if (u[0] < 0x80) {
            if (ilen - i >= 8 && ascii8(u)) {
                /* English text: eight code points without a test each */
                for (int k = 0; k < 8; k++) {
                    nt->obyte[n + (size_t)k] = (uint32_t)(i + k);
                    nt->ocp[n + (size_t)k] = u[k];
                }
                n += 8;
                i += 8;
                continue;
            }
            c = u[0];
            i++;
        } else if ((unsigned)(u[0] - 0xE1) <= 0xEF - 0xE1 && u[0] != 0xED && ilen - i >= 3 &&
                   (((u[1] ^ 0x80) | (u[2] ^ 0x80)) & 0xC0) == 0) {
            c = (UChar32)((u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu));
            i += 3;
        } else {
            U8_NEXT(s, i, ilen, c);
            if (c < 0) {
                snprintf(errstr, errstr_size, "invalid UTF-8 at byte %d", (int)at);
                return -1;
            }
        }
        nt->obyte[n] = (uint32_t)at;
        nt->ocp[n] = (uint32_t)c;
        n++;
    }
    nt->obyte[n] = (uint32_t)len;
    /* A NUL after the last code point (there is room: ocap > len >= n)
     * starts a new segment like any code point that cannot combine, so
     * run_simple() may look one ahead without testing for the end. */
    nt->ocp[n] = 0;
    nt->n_orig = n;
    return 0;
}

static int decode_utf8(kb_ntext_t *nt, const char *s, size_t len,
                       char *errstr, size_t errstr_size)
{
    if (orig_room(nt, len, errstr, errstr_size) != 0) {
        return -1;
    }
    return decode_from(nt, s, len, 0, 0, errstr, errstr_size);
}

/* Original code point index of byte offset @b (binary search). */
static size_t cp_at_byte(const kb_ntext_t *nt, size_t b)
{
    size_t lo = 0, hi = nt->n_orig;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nt->obyte[mid] < b) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void mark(kb_ntext_t *nt, size_t b0, size_t b1, uint8_t m)
{
    for (size_t k = cp_at_byte(nt, b0); k < nt->n_orig && nt->obyte[k] < b1; k++) {
        nt->omask[k] = m;
    }
}

/* Trim URL-final punctuation that belongs to the sentence, not the URL. */
static size_t url_end(const char *s, size_t b0, size_t b1)
{
    while (b1 > b0 && strchr(".,;:!?)]}'\"", s[b1 - 1])) {
        b1--;
    }
    return b1;
}

/* Does s hold a full-width ＠ or ＃ (EF BC A0, EF BC 83)? */
static int has_fw_sign(const char *s, size_t len)
{
    for (const char *p = memchr(s, 0xEF, len); p && p + 2 < s + len;
         p = memchr(p + 1, 0xEF, len - (size_t)(p + 1 - s))) {
        if ((p[1] == fw_at[1] && p[2] == fw_at[2]) || (p[1] == fw_hash[1] && p[2] == fw_hash[2])) {
            return 1;
        }
    }
    return 0;
}

/* Whether the mask regex can match at all: a mention or hashtag needs '@'
 * or '#', a URL "://" (https?://, however the letters are cased or folded)
 * or "www." in any case ('w' folds only to 'W'). A bare 'w' or '/', as the
 * old test had it, is in nearly every English text and sent it to PCRE2. */
static int may_mask(const char *s, size_t len)
{
    const char *p;

    if (memchr(s, '@', len) || memchr(s, '#', len) ||
        has_fw_sign(s, len)) {
        return 1;
    }
    for (p = memchr(s, '/', len); p; p = memchr(p + 1, '/', len - (size_t)(p + 1 - s))) {
        if (p - s >= 1 && p + 1 < s + len && p[-1] == ':' && p[1] == '/') {
            return 1;
        }
    }
    for (p = memchr(s, '.', len); p; p = memchr(p + 1, '.', len - (size_t)(p + 1 - s))) {
        if (p - s >= 3 && (p[-1] | 0x20) == 'w' && (p[-2] | 0x20) == 'w' &&
            (p[-3] | 0x20) == 'w') {
            return 1;
        }
    }
    return 0;
}

/* Bytes of the '#' or '＃' that starts (a lead byte) or ends (a last byte)
 * at s[b]: the regex only lets these two through there. */
static size_t sign_len(const char *s, size_t b)
{
    return (unsigned char)s[b] < 0x80 ? 1 : 3;
}

static int mask_entities(const kb_norm_t *nm, kb_ntext_t *nt, const char *s,
                         size_t len)
{
    PCRE2_SIZE *ov, off = 0;

    /* kb_norm_run() comes here only when may_mask() says so */
    if (!nt->md && !(nt->md = pcre2_match_data_create(5, NULL))) {
        return -1;
    }
    ov = pcre2_get_ovector_pointer(nt->md);
    while (off < len && pcre2_match(nm->mask_re, (PCRE2_SPTR)s, len, off,
                                    PCRE2_NO_UTF_CHECK, nt->md, NULL) > 0) {
        if (ov[2] != PCRE2_UNSET) {
            mark(nt, ov[2], url_end(s, ov[2], ov[3]), OM_MASK);
        } else if (ov[4] != PCRE2_UNSET) {
            mark(nt, ov[4], ov[5], OM_MASK);
        } else if (ov[6] != PCRE2_UNSET) {
            mark(nt, ov[6], ov[7], OM_TAG);
            mark(nt, ov[6], ov[6] + sign_len(s, ov[6]), OM_DROP);
            mark(nt, ov[7] - sign_len(s, ov[7] - 1), ov[7], OM_DROP);
        } else {
            mark(nt, ov[8], ov[9], OM_TAG);
            mark(nt, ov[8], ov[8] + sign_len(s, ov[8]), OM_DROP);
        }
        off = ov[1] > off ? ov[1] : off + 1;
    }
    return 0;
}

/* The fast paths' two steps, on arrays their caller keeps in locals: the
 * third and later copy of a letter extends the previous output instead
 * (sooo -> soo, flagged), and one output from original code point i. */
static inline void elongate(uint32_t *src1, uint8_t *flags, size_t n, size_t i)
{
    src1[n - 1] = (uint32_t)i + 1;
    flags[n - 1] |= KB_NF_ELONG;
    flags[n - 2] |= KB_NF_ELONG;
}

static inline void put_one(uint32_t *cp, uint32_t *src0, uint32_t *src1, uint8_t *flags,
                           size_t n, size_t i, uint32_t v, uint8_t fl)
{
    cp[n] = v;
    src0[n] = (uint32_t)i;
    src1[n] = (uint32_t)i + 1;
    flags[n] = fl;
}

/* The common case of run_main() in one tight loop, from ocp[i] on: a BMP
 * code point that maps to exactly one code point, is not masked or tagged,
 * is not '&' and is not followed by a code point that may combine with it.
 * Room for all that remains is made first, and the arrays and counts live
 * in locals: through emit(), every flags store (a char, which may alias
 * anything) made the compiler reload them, at some 70 instructions a code
 * point. Does what emit_mapped() would; returns where it stopped. */
static size_t run_simple(emitter_t *em, size_t i)
{
    const kb_norm_t *nm = em->nm;
    kb_ntext_t *nt = em->nt;
    const uint32_t *ocp = nt->ocp, *map = nm->map;
    const uint8_t *omask = nt->omask, *prop = nm->prop;
    size_t n_orig = nt->n_orig, n = nt->n;
    int collapse = em->collapse;
    uint32_t *cp, *src0, *src1;
    uint8_t *flags;

    if (nt->cap < n + (n_orig - i) && grow_out(nt, n + (n_orig - i)) != 0) {
        return i; /* emit() runs into the same failure and reports it */
    }
    cp = nt->cp;
    src0 = nt->src0;
    src1 = nt->src1;
    flags = nt->flags;
    for (; i < n_orig; i++) {
        uint32_t c = ocp[i], next = ocp[i + 1], v;
        if (c >= BMP || omask[i] != OM_NONE || !(prop[c] & PROP_SIMPLE) ||
            next >= BMP || (prop[next] & PROP_NOBOUND)) {
            break;
        }
        v = map[c];
        if (collapse && n >= 1 && v == ' ' && cp[n - 1] == ' ' &&
            !(flags[n - 1] & (KB_NF_MASK | KB_NF_HASHTAG))) {
            src1[n - 1] = (uint32_t)i + 1; /* a run of spaces is one (see emit()) */
            continue;
        }
        if (collapse && n >= 2 && v == cp[n - 1] && v == cp[n - 2] && is_alpha(nm, v)) {
            elongate(src1, flags, n, i);
            continue;
        }
        put_one(cp, src0, src1, flags, n++, i, v, (prop[c] & PROP_UPPER) ? KB_NF_UPPER : 0);
    }
    nt->n = n;
    return i;
}

/* Normalise ocp[i, n_orig) into the output (ocp[0, i) is done). */
static void run_main(emitter_t *em, size_t i)
{
    kb_ntext_t *nt = em->nt;

    /* not tracked on this rarer path: from the last output before it on */
    if (em->words > (nt->n ? nt->n - 1 : 0)) {
        em->words = nt->n ? nt->n - 1 : 0;
    }
    while (i < nt->n_orig && !em->oom) {
        uint32_t c;
        uint8_t om, fl;
        size_t j;

        if ((i = run_simple(em, i)) >= nt->n_orig) {
            break;
        }
        c = nt->ocp[i];
        om = nt->omask[i];
        fl = om == OM_TAG ? KB_NF_HASHTAG : 0;
        j = i + 1;

        if (om == OM_MASK || om == OM_DROP) {
            while (j < nt->n_orig && nt->omask[j] == om) {
                j++;
            }
            emit(em, ' ', (uint32_t)i, (uint32_t)j, KB_NF_MASK);
        } else if (c == '&' && (j = i + html_entity(nt, i, &c)) > i + 1) {
            emit_mapped(em, c, (uint32_t)i, (uint32_t)j, fl);
        } else if ((j = i + 1) < nt->n_orig && nobound(em->nm, nt->ocp[j])) {
            while (j < nt->n_orig && j - i < 64 && nobound(em->nm, nt->ocp[j])) {
                j++;
            }
            emit_segment(em, i, j, fl);
        } else {
            emit_mapped(em, c, (uint32_t)i, (uint32_t)j, fl);
        }
        i = j;
    }
}

/* Lead bytes whose three-byte sequences decode_from() takes inline: E1..EC
 * and EE..EF accept any two continuation bytes (E0 and ED restrict the
 * second one and go the long way, as does everything else). */
static const uint8_t lead3[256] = {
    [0xE1] = 1, [0xE2] = 1, [0xE3] = 1, [0xE4] = 1, [0xE5] = 1, [0xE6] = 1,
    [0xE7] = 1, [0xE8] = 1, [0xE9] = 1, [0xEA] = 1, [0xEB] = 1, [0xEC] = 1,
    [0xEE] = 1, [0xEF] = 1};

/* One code point at u (left >= 1 bytes) when it is ASCII or such a
 * three-byte sequence: sets *c and returns its length; 0 for anything else
 * (decode_from() and U8_NEXT then decide, errors included). */
static inline size_t fast_cp(const unsigned char *u, size_t left, uint32_t *c)
{
    uint16_t t;

    if (u[0] < 0x80) {
        *c = u[0];
        return 1;
    }
    if (!lead3[u[0]] || left < 3) {
        return 0;
    }
    memcpy(&t, u + 1, sizeof(t)); /* the two continuation bytes, any order */
    if ((t & 0xC0C0u) != 0x8080u) {
        return 0;
    }
    *c = (u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu);
    return 3;
}

#define NO_CP 0xFFFFFFFFu /* no code point: no elongation run to extend */

/* What run_simple() does with one code point c (prop pc) at byte b. */
#define FUSED_EMIT(c, pc)                                                   \
    do {                                                                    \
        uint32_t v_ = map[c];                                               \
        obyte[i] = (uint32_t)b;                                             \
        if (v_ == p1 && (v_ == ' ' || (v_ == p2 && is_alpha(nm, v_)))) {    \
            src1[n - 1] = (uint32_t)i + 1; /* a run of spaces is one */     \
            if (v_ != ' ') {                                                \
                flags[n - 1] |= KB_NF_ELONG;                                \
                flags[n - 2] |= KB_NF_ELONG;                                \
            }                                                               \
        } else {                                                            \
            cp[n] = v_;                                                     \
            src0[n] = (uint32_t)i;                                          \
            src1[n] = (uint32_t)i + 1;                                      \
            flags[n] = (uint8_t)((pc) & PROP_UPPER);                        \
            n++;                                                            \
            p2 = p1;                                                        \
            p1 = v_;                                                        \
        }                                                                   \
        i++;                                                                \
    } while (0)

/* decode_from() and run_simple() in one pass over the bytes, for a text
 * that nothing masks: each code point is decoded, mapped and stored once,
 * not decoded into ocp[] and read back. Code points done here are not kept
 * in ocp[]: nothing reads them again. Each code point's properties are
 * loaded once, as the next one's and then as its own. Stops before the
 * first code point that needs more (or that it cannot decode); returns the
 * number of original code points done and sets *at to their end in bytes.
 * The output arrays hold len code points (kb_norm_run() made room). */
static __attribute__((noinline)) size_t run_fused(emitter_t *em, const char *s,
                                                  size_t len, size_t *at)
{
    const kb_norm_t *nm = em->nm;
    kb_ntext_t *nt = em->nt;
    const unsigned char *u = (const unsigned char *)s;
    const uint32_t *map = nm->map;
    const uint8_t *prop = nm->prop;
    uint32_t *cp = nt->cp, *src0 = nt->src0, *src1 = nt->src1, *obyte = nt->obyte;
    uint8_t *flags = nt->flags;
    uint32_t c = 0, p1 = NO_CP, p2 = NO_CP; /* p1, p2: the last two outputs */
    size_t b = 0, i = 0, n = 0, w = len ? fast_cp(u, len, &c) : 0;
    uint8_t pc = prop[c], words = 0; /* PROP_WORD1: a key's first two in a row */

    _Static_assert(PROP_UPPER == KB_NF_UPPER, "flags copy the upper-case bit");
    /* every code point but the last: it needs the next one's properties */
    while (w && b + w < len) {
        size_t bn = b + w;
        uint32_t next;
        size_t wn = fast_cp(u + bn, len - bn, &next);
        uint8_t pn;
        /* one test for the common case; a code point second in a key
         * (rarer) then asks whether this one may open it */
        if (!wn || !(pc & PROP_SIMPLE) || ((pn = prop[next]) & (PROP_NOBOUND | PROP_WORD2))) {
            if (!wn || !(pc & PROP_SIMPLE) || (pn & PROP_NOBOUND)) {
                break;
            }
            words |= pc;
        }
        FUSED_EMIT(c, pc);
        b = bn;
        c = next;
        pc = pn;
        w = wn;
    }
    if (w && b + w == len && (pc & PROP_SIMPLE)) {
        FUSED_EMIT(c, pc);
        b = len;
    }
    nt->n = n;
    if (words & PROP_WORD1) {
        em->words = 0;
    }
    *at = b;
    return i;
}

/* Is s[0, len) all ASCII? Eight bytes at a time. */
static int ascii_text(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        if (!ascii8(u + i)) {
            return 0;
        }
    }
    for (; i < len; i++) {
        if (u[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* run_fused() for a text of ASCII only (nearly every English text): a
 * code point is a byte, nothing combines with the one before (see
 * ascii_simple()) and every output is one byte, so there is nothing to
 * decode or look ahead at, and the UTF-8 view that kb_ntext_utf8() would
 * build from cp[] afterwards (one byte per code point, offsets counting
 * up) is written in the same pass. Stops before the first byte that does
 * not map alone ('&'); returns the number of bytes done. The output
 * arrays hold len code points and the view len (kb_norm_run() made room). */
static size_t run_ascii(emitter_t *em, const char *s, size_t len)
{
    const kb_norm_t *nm = em->nm;
    kb_ntext_t *nt = em->nt;
    const unsigned char *u = (const unsigned char *)s;
    const uint32_t *map = nm->map;
    const uint8_t *prop = nm->prop;
    uint32_t *cp = nt->cp, *src0 = nt->src0, *src1 = nt->src1, *obyte = nt->obyte;
    uint32_t *off = nt->cpu8;
    uint8_t *flags = nt->flags;
    unsigned char *o = (unsigned char *)nt->u8.p;
    uint32_t p1 = NO_CP, p2 = NO_CP; /* the last two outputs */
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        uint8_t pc = prop[u[i]];
        uint32_t v = map[u[i]];
        if (!(pc & PROP_SIMPLE)) {
            break;
        }
        obyte[i] = (uint32_t)i;
        if (v == p1 && (v == ' ' || (v == p2 && (prop[v] & PROP_ALPHA)))) {
            if (v == ' ') {
                src1[n - 1] = (uint32_t)i + 1; /* a run of spaces is one */
            } else {
                elongate(src1, flags, n, i);
            }
            continue;
        }
        put_one(cp, src0, src1, flags, n, i, v, (uint8_t)(pc & PROP_UPPER));
        o[n] = (unsigned char)v;
        off[n] = (uint32_t)n;
        n++;
        p2 = p1;
        p1 = v;
    }
    nt->n = n;
    if (i == len) {
        o[n] = '\0';
        off[n] = (uint32_t)n;
        nt->u8.len = n;
        nt->u8.oom = 0; /* the view is built */
    }
    return i;
}

/* The text has no URL, mention or hashtag: run_fused(), then the general
 * path from where it stopped. */
static int norm_plain(emitter_t *em, const char *s, size_t len, char *errstr,
                      size_t errstr_size)
{
    kb_ntext_t *nt = em->nt;
    size_t i, b;

    if (orig_room(nt, len, errstr, errstr_size) != 0) {
        return -1;
    }
    if (len > nt->cap && grow_out(nt, len) != 0) {
        em->oom = 1;
        return 0;
    }
    if (em->nm->ascii_simple && ascii_text(s, len)) {
        if (u8_room(nt, len) != 0) {
            em->oom = 1;
            return 0;
        }
        i = b = run_ascii(em, s, len);
    } else {
        i = run_fused(em, s, len, &b);
    }
    if (b == len) {
        nt->obyte[i] = (uint32_t)len;
        nt->ocp[i] = 0;
        nt->n_orig = i;
        return 0;
    }
    if (decode_from(nt, s, len, b, i, errstr, errstr_size) != 0) {
        return -1;
    }
    run_main(em, i);
    return 0;
}

int kb_norm_run(const kb_norm_t *nm, const char *s, size_t len,
                kb_ntext_t *nt, char *errstr, size_t errstr_size)
{
    emitter_t em = {nm, nt, 0, 1, SIZE_MAX};

    nt->n = 0;
    nt->orig = s;
    nt->orig_len = len;
    nt->u8.len = 0;
    nt->u8.oom = 1; /* marks the UTF-8 view stale until kb_ntext_utf8() */
    if (!may_mask(s, len)) {
        if (norm_plain(&em, s, len, errstr, errstr_size) != 0) {
            return -1;
        }
    } else {
        if (decode_utf8(nt, s, len, errstr, errstr_size) != 0) {
            return -1;
        }
        if (mask_entities(nm, nt, s, len) != 0) {
            snprintf(errstr, errstr_size, "out of memory");
            return -1;
        }
        run_main(&em, 0);
    }
    if (em.oom) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (em.words < nt->n) {
        apply_words(nm, nt->cp + em.words, nt->n - em.words);
    }
    return 0;
}

/* Is every code point of the term one that run_simple() would map on its
 * own: a BMP code point with a single-code-point mapping (not '&') that the
 * next one cannot combine with? Invalid UTF-8 is not. */
static int term_is_simple(const kb_norm_t *nm, const char *s, size_t len)
{
    int32_t i = 0, n = (int32_t)len;
    UChar32 c, next = 0;

    if (len > INT32_MAX) {
        return 0;
    }
    if (n > 0) {
        U8_NEXT(s, i, n, next);
    }
    while (i > 0 && next >= 0) {
        c = next;
        next = 0; /* the end, which combines with nothing */
        if (i < n) {
            U8_NEXT(s, i, n, next);
        } else {
            i = 0;
        }
        if (c >= BMP || !(nm->prop[c] & PROP_SIMPLE) ||
            (next > 0 && (next >= BMP || (nm->prop[next] & PROP_NOBOUND)))) {
            return 0;
        }
    }
    return next >= 0;
}

int kb_norm_term(const kb_norm_t *nm, const char *s, size_t len, kb_buf_t *out)
{
    /* Most lexicon terms take the tables alone, and then need no workspace,
     * whose arrays were allocated and freed per term: about half the cost
     * of normalising the lexicons' ~22k terms at start-up. */
    uint32_t cps[64];

    if (len <= 64 && term_is_simple(nm, s, len)) {
        int32_t i = 0, n = (int32_t)len;
        size_t k = 0;
        while (i < n) {
            UChar32 c;
            U8_NEXT_UNSAFE(s, i, c);
            cps[k++] = nm->map[c];
        }
        apply_words(nm, cps, k);
        for (size_t j = 0; j < k; j++) {
            kb_buf_utf8(out, cps[j]);
        }
        return out->oom ? -1 : 0;
    }

    kb_ntext_t nt;
    emitter_t em;
    char err[64];
    int rc = -1;

    kb_ntext_init(&nt);
    em.nm = nm;
    em.nt = &nt;
    em.oom = 0;
    em.collapse = 0;
    em.words = 0;
    if (decode_utf8(&nt, s, len, err, sizeof(err)) == 0) {
        run_main(&em, 0);
        if (!em.oom) {
            apply_words(nm, nt.cp, nt.n); /* (em.words is 0) */
            for (size_t k = 0; k < nt.n; k++) {
                kb_buf_utf8(out, nt.cp[k]);
            }
            rc = out->oom ? -1 : 0;
        }
    }
    kb_ntext_fini(&nt);
    return rc;
}

const kb_buf_t *kb_ntext_utf8(kb_ntext_t *nt)
{
    size_t b = 0, n;
    unsigned char *o;
    const uint32_t *cps;
    uint32_t *off;

    if (!nt->u8.oom && (nt->u8.len > 0 || nt->n == 0)) {
        return &nt->u8;
    }
    /* Sized for the worst case, then written directly: this runs for every
     * message that the pattern set is matched against. */
    kb_buf_reset(&nt->u8);
    kb_buf_append(&nt->u8, "", 0);
    if (u8_room(nt, nt->n) != 0) {
        return NULL;
    }
    o = (unsigned char *)nt->u8.p;
    /* Arrays in locals: the byte stores may alias anything, and would make
     * the compiler reload them from nt at every code point. */
    cps = nt->cp;
    off = nt->cpu8;
    n = nt->n;
    for (size_t k = 0; k < n; k++) {
        uint32_t c = cps[k];
        off[k] = (uint32_t)b;
        if (c < 0x80) { /* most code points of English text: one byte */
            o[b++] = (unsigned char)c;
        } else if (c >= 0x800 && c < 0x10000) { /* and of Chinese: three */
            o[b] = (unsigned char)(0xE0 | (c >> 12));
            o[b + 1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            o[b + 2] = (unsigned char)(0x80 | (c & 0x3F));
            b += 3;
        } else {
            b += kb_utf8_put(c, (char *)o + b);
        }
    }
    o[b] = '\0';
    nt->u8.len = b;
    off[n] = (uint32_t)b;
    return &nt->u8;
}

size_t kb_ntext_cp_at(const kb_ntext_t *nt, size_t b)
{
    size_t lo = 0, hi = nt->n; /* the last k with cpu8[k] <= b */

    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (nt->cpu8[mid] <= b) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}
