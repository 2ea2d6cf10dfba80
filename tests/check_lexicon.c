/* check_lexicon.c -- loader, checker, trie lookups, hash, user lexicons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "kb_buf.h"
#include "kb_lexicon.h"
#include "kb_mem.h"
#include "kb_prefilter.h"
#include "kb_test.h"

static const kb_lexicon_t *fx(void)
{
    return kb_engine_lexicon(kb_test_fixture());
}

static const kb_lex_entry_t *lookup(const kb_lexicon_t *lx, const char *term)
{
    kb_ntext_t nt;
    char err[64];
    const kb_lex_entry_t *e = NULL;
    size_t n;

    kb_ntext_init(&nt);
    ck_assert_int_eq(kb_norm_run(kb_engine_norm(kb_test_fixture()), term, strlen(term),
                                 &nt, err, sizeof(err)), 0);
    n = kb_lexicon_longest(lx, nt.cp, nt.n, &e);
    if (n != nt.n) {
        e = NULL;
    }
    kb_ntext_fini(&nt);
    return e;
}

START_TEST(t_entries)
{
    const kb_lex_entry_t *e;

    ck_assert_ptr_nonnull(e = lookup(fx(), "好吃"));
    ck_assert_float_eq_tol(e->valence, 2.0f, 1e-6f);
    ck_assert_ptr_nonnull(e = lookup(fx(), "好"));      /* sentiment and degree merged */
    ck_assert_float_eq_tol(e->degree, 1.5f, 1e-6f);
    ck_assert_float_eq_tol(e->valence, 2.0f, 1e-6f);
    ck_assert_ptr_nonnull(e = lookup(fx(), "不"));
    ck_assert_float_eq_tol(e->negator, -0.74f, 1e-6f); /* default factor */
    ck_assert_ptr_nonnull(e = lookup(fx(), "服务员"));
    ck_assert_uint_eq(e->servqual, (1u << KB_SQ_ASSURANCE) | (1u << KB_SQ_EMPATHY));
    ck_assert_ptr_nonnull(e = lookup(fx(), "退款"));
    ck_assert_uint_eq(e->intent, KB_INTENT_COMPLAINT_WEAK);
    ck_assert_ptr_nonnull(e = lookup(fx(), "就是"));
    ck_assert_uint_eq(e->contrast, KB_CONTRAST_BUT_MID);
    ck_assert_ptr_nonnull(e = lookup(fx(), "WASTE OF MONEY")); /* case folded */
    ck_assert_ptr_nonnull(e = lookup(fx(), "雲朵"));   /* Traditional alias */
    ck_assert_str_eq(kb_lexicon_brand_name(fx(), e->brand), "云朵外卖");
    ck_assert_ptr_null(lookup(fx(), "好吃吗"));
    ck_assert_ptr_null(lookup(fx(), "zzz"));
}
END_TEST

START_TEST(t_hash)
{
    const char *h = kb_lexicon_hash(fx());

    ck_assert_uint_eq(strlen(h), 16);
    ck_assert_uint_eq(strspn(h, "0123456789abcdef"), 16);
    ck_assert_str_ne(h, kb_lexicon_hash(kb_engine_lexicon(kb_test_product())));
}
END_TEST

START_TEST(t_check_product)
{
    const char *dir = getenv("KB_LEXICONS");
    FILE *out = tmpfile();

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(kb_lexicon_check(kb_engine_norm(kb_test_fixture()), dir ? dir : "lexicons", out), 0);
    fclose(out);
}
END_TEST

/* Every broken line of lexicon_bad/bad.tsv is reported with its line. */
START_TEST(t_check_bad)
{
    static const char *const expect[] = {
        "bad.tsv:5: duplicate sentiment term '好' (first at",
        "bad.tsv:6: '9' is not a number in [-4, 4]",
        "bad.tsv:7: 'abc' is not a number",
        "bad.tsv:9: unknown SERVQUAL dimension 'deliciousness'",
        "bad.tsv:11: bad regex at offset 7: missing closing parenthesis",
        "bad.tsv:13: unknown intent class 'grumble'",
        "bad.tsv:14: unknown kind 'nonsense'",
        "bad.tsv:16: pattern tag rating=high: only rating=mid is known",
    };
    char buf[4096];
    FILE *out = tmpfile();
    size_t n;
    int problems = kb_lexicon_check(kb_engine_norm(kb_test_fixture()),
                                    kb_test_data("lexicon_bad"), out);

    ck_assert_int_eq(problems, 8);
    rewind(out);
    n = fread(buf, 1, sizeof(buf) - 1, out);
    buf[n] = '\0';
    fclose(out);
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        ck_assert_msg(strstr(buf, expect[i]) != NULL, "missing '%s' in:\n%s", expect[i], buf);
    }
}
END_TEST

START_TEST(t_load_error)
{
    char err[256];
    kb_lexicon_t *lx = kb_lexicon_load(kb_engine_norm(kb_test_fixture()),
                                       kb_test_data("lexicon_bad"), NULL, 0, err, sizeof(err));

    ck_assert_ptr_null(lx);
    ck_assert_ptr_nonnull(strstr(err, "bad.tsv:5: duplicate"));
    lx = kb_lexicon_load(kb_engine_norm(kb_test_fixture()), "/nonexistent/dir", NULL, 0,
                         err, sizeof(err));
    ck_assert_ptr_null(lx);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir"));
}
END_TEST

/* A user lexicon in plain term<TAB>valence form overrides and adds. */
START_TEST(t_extra)
{
    char path[] = "/tmp/kb_extra_XXXXXX", err[256];
    const char *extra[1] = {path};
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    kb_lexicon_t *lx;
    const kb_lex_entry_t *e;

    ck_assert_ptr_nonnull(f);
    fputs("好吃\t3.5\nyummy\t2.5\n", f);
    fclose(f);
    lx = kb_lexicon_load(kb_engine_norm(kb_test_fixture()), kb_test_data("lexicon"), extra, 1,
                         err, sizeof(err));
    remove(path);
    ck_assert_msg(lx != NULL, "%s", err);
    ck_assert_ptr_nonnull(e = lookup(lx, "好吃"));
    ck_assert_float_eq_tol(e->valence, 3.5f, 1e-6f);
    ck_assert_ptr_nonnull(e = lookup(lx, "yummy"));
    ck_assert_str_ne(kb_lexicon_hash(lx), kb_lexicon_hash(fx()));
    kb_lexicon_free(lx);
}
END_TEST

/* The frozen trie: a node with many children (binary search), children
 * above the BMP, terms that are prefixes of others. Each term is found
 * whole, its neighbours that were never added are not, and a walk agrees
 * with step by step. */
START_TEST(t_trie)
{
    char path[] = "/tmp/kb_trie_XXXXXX", err[256], term[16];
    const char *extra[1] = {path};
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    kb_lexicon_t *lx;
    const kb_lex_entry_t *e;

    ck_assert_ptr_nonnull(f);
    for (char c = 'a'; c <= 'z'; c += 2) { /* qa qaz qc qcz ...: every other letter */
        fprintf(f, "q%c\t1.5\nq%cz\t-1.5\n", c, c);
    }
    fputs("\xF0\x9F\x98\x80\t2\n\xF0\x9F\x98\x80\xF0\x9F\x98\x80\t3\n", f);
    fclose(f);
    lx = kb_lexicon_load(kb_engine_norm(kb_test_fixture()), kb_test_data("lexicon"), extra, 1,
                         err, sizeof(err));
    remove(path);
    ck_assert_msg(lx != NULL, "%s", err);
    for (char c = 'a'; c <= 'z'; c++) {
        uint32_t cps[2] = {'q', (uint32_t)c};
        snprintf(term, sizeof(term), "q%c", c);
        e = lookup(lx, term);
        if ((c - 'a') % 2 == 0) {
            ck_assert_msg(e && e->valence > 0, "%s missing", term);
            snprintf(term, sizeof(term), "q%cz", c);
            ck_assert_msg((e = lookup(lx, term)) && e->valence < 0, "%s missing", term);
            ck_assert_uint_eq(kb_lexicon_walk(lx, KB_LEX_ROOT, cps, 2),
                              kb_lexicon_step(lx, kb_lexicon_step(lx, KB_LEX_ROOT, 'q'), (uint32_t)c));
        } else {
            ck_assert_msg(e == NULL, "%s found", term);
            ck_assert_uint_eq(kb_lexicon_walk(lx, KB_LEX_ROOT, cps, 2), KB_LEX_NONE);
        }
    }
    ck_assert_ptr_nonnull(e = lookup(lx, "\xF0\x9F\x98\x80"));
    ck_assert_float_eq_tol(e->valence, 2.0f, 1e-6f);
    ck_assert_ptr_nonnull(e = lookup(lx, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80"));
    ck_assert_float_eq_tol(e->valence, 3.0f, 1e-6f);
    ck_assert_ptr_null(lookup(lx, "\xF0\x9F\x98\x81"));
    ck_assert_uint_eq(kb_lexicon_step(lx, KB_LEX_ROOT, 0x10FFFF), KB_LEX_NONE);
    kb_lexicon_free(lx);
}
END_TEST

/* Every allocation failure during a load ends in a clean NULL (ASan checks
 * that nothing leaks); eventually the load succeeds. */
START_TEST(t_alloc_failure)
{
    char err[256];
    kb_lexicon_t *lx = NULL;
    long n;

    for (n = 0; n < 100000 && !lx; n += 1 + n / 8) {
        kb_mem_fail_after(n);
        lx = kb_lexicon_load(kb_engine_norm(kb_test_fixture()), kb_test_data("lexicon"), NULL, 0,
                             err, sizeof(err));
        kb_mem_fail_after(-1);
        if (!lx) {
            ck_assert_msg(err[0] != '\0', "no reason given at failure point %ld", n);
        }
    }
    ck_assert_ptr_nonnull(lx);
    kb_lexicon_free(lx);
}
END_TEST

/* Prefilter: each row is a pattern, a text, and whether the pattern may
 * run on it. A "1" where the pattern does not match is allowed (the filter
 * is only a necessary condition); a "0" must never hide a real match. */
static const struct {
    const char *re, *text;
    int run;
} pf_rows[] = {
    {"(?=[w])\\bwait(?:ed|ing)?\\s(?:[0-9]+)\\s(?:hours?|mins?)", "waited 3 hours", 1},
    {"(?=[w])\\bwait(?:ed|ing)?\\s(?:[0-9]+)\\s(?:hours?|mins?)", "waited a while", 0},
    {"(?=[w])\\bwait(?:ed|ing)?\\s(?:[0-9]+)\\s(?:hours?|mins?)", "3 hours", 0},
    {"(?:等|排队)了?[一二三]个?小时", "排队三小时", 1},
    {"(?:等|排队)了?[一二三]个?小时", "排队三天", 0},
    {"[0-9]{3}", "no digits", 0},          /* too many strings: one digit needed */
    {"[0-9]{3}", "room 7", 1},
    {"a(?i)b", "AB", 1},                   /* inline options: always runs */
    {"x\\x{4e00}", "y", 1},                /* \x escapes: always runs */
    {"(?:ab)*c?", "zzz", 1},               /* can match empty: no condition */
    {"(?<!no)\\s(?:good|great)\\b", "great", 1},
    {"(?<!no)\\s(?:good|great)\\b", "fine", 0},
    {"(?:late|delayed){2}", "delayedlate", 1},
    {"(?:late|delayed){2}", "late", 0},
    {"(?:late|delayed){2}", "on time", 0},
    /* alternatives: each set unites one set of each side ("/" or "out") */
    {"9\\s?/\\s?10|\\bnine\\sout\\sof\\sten\\b", "9 / 10", 1},
    {"9\\s?/\\s?10|\\bnine\\sout\\sof\\sten\\b", "nine out of ten", 1},
    {"9\\s?/\\s?10|\\bnine\\sout\\sof\\sten\\b", "nine ran out of time", 0},
    {"9\\s?/\\s?10|\\bnine\\sout\\sof\\sten\\b", "9 out of 10", 0},
    {"9\\s?/\\s?10|\\bnine\\sout\\sof\\sten\\b", "and/or 9 or 10", 1},
};

START_TEST(t_prefilter)
{
    const size_t n = sizeof(pf_rows) / sizeof(pf_rows[0]);
    kb_prefilter_t *pf = kb_prefilter_new();
    uint8_t run[sizeof(pf_rows) / sizeof(pf_rows[0])];

    ck_assert_ptr_nonnull(pf);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(kb_prefilter_add(pf, pf_rows[i].re), 0);
    }
    ck_assert_int_eq(kb_prefilter_build(pf), 0);
    ck_assert_uint_eq(kb_prefilter_count(pf), n);
    ck_assert_uint_eq(kb_prefilter_sets(pf, 0), 3); /* wait, a digit, hour|min */
    ck_assert_uint_eq(kb_prefilter_sets(pf, 7), 0);
    ck_assert_uint_eq(kb_prefilter_sets(pf, 8), 0);
    ck_assert_uint_eq(kb_prefilter_sets(pf, 9), 0);
    for (size_t i = 0; i < n; i++) {
        kb_prefilter_scan(pf, pf_rows[i].text, strlen(pf_rows[i].text), run);
        ck_assert_msg(run[i] == pf_rows[i].run, "row %zu: /%s/ on '%s' gave %d", i,
                      pf_rows[i].re, pf_rows[i].text, run[i]);
    }
    kb_prefilter_free(pf);
}
END_TEST

/* Second code points of a twin's matches: exactly the listed ones (the
 * same spelling as first_rows), and none when a match may be one code
 * point long or the analysis cannot read the pattern. */
static const struct {
    const char *re, *second;
} second_rows[] = {
    {"(?:[一二]{1,3}|好几)个?天", "一二个天几"},
    {"(?=[打拨])(?:打了|拨了|打过)[三四]", "了过"},
    {"\\b(?:ab|cd)", "bd"},
    {"a(?:b|)c", "bc"},
    {"x*yz", "xyz"},
    {"a|bc", ""},
    {"xy?", ""},
    {"x\\R", ""},
    {"x.", ""},
    {"(?i)ab", ""},
};

START_TEST(t_prefilter_second)
{
    const size_t n = sizeof(second_rows) / sizeof(second_rows[0]);
    kb_prefilter_t *pf = kb_prefilter_new();

    ck_assert_ptr_nonnull(pf);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(kb_prefilter_add(pf, second_rows[i].re), 0);
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t *cps;
        size_t m = kb_prefilter_second(pf, i, &cps), expected = 0;
        for (const char *p = second_rows[i].second; *p; expected++) {
            int found = 0;
            size_t l = ((unsigned char)*p < 0x80) ? 1 : ((unsigned char)*p < 0xE0) ? 2 : 3;
            for (size_t k = 0; k < m; k++) {
                char u[4];
                found |= kb_utf8_put(cps[k], u) == l && memcmp(u, p, l) == 0;
            }
            ck_assert_msg(found, "/%s/: '%.*s' missing", second_rows[i].re, (int)l, p);
            p += l;
        }
        ck_assert_msg(m == expected, "/%s/: %zu second code points, expected %zu",
                      second_rows[i].re, m, expected);
        for (size_t k = 1; k < m; k++) {
            ck_assert_msg(cps[k - 1] < cps[k], "/%s/: not ascending", second_rows[i].re);
        }
    }
    kb_prefilter_free(pf);
}
END_TEST

/* Every product pattern gets a condition, so a change in the analysis that
 * silently turns it off shows here (speed is measured in bench/). */
START_TEST(t_prefilter_product)
{
    const char *dir = getenv("KB_LEXICONS");
    kb_prefilter_t *pf = kb_prefilter_new();
    char line[4096];
    FILE *f;
    size_t n = 0;

    snprintf(line, sizeof(line), "%s/patterns.tsv", dir ? dir : "lexicons");
    f = fopen(line, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(pf);
    while (fgets(line, sizeof(line), f)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab) {
            continue;
        }
        *tab = '\0';
        ck_assert_int_eq(kb_prefilter_add(pf, line), 0);
        ck_assert_msg(kb_prefilter_sets(pf, n) > 0, "no condition for /%s/", line);
        n++;
    }
    fclose(f);
    ck_assert_uint_gt(n, 0);
    kb_prefilter_free(pf);
}
END_TEST

/* First code points: every non-empty match starts with one of them, or the
 * analysis says it cannot tell ("" here). Lookarounds and \b never add any. */
static const struct {
    const char *re, *first;
} first_rows[] = {
    {"(?=[等排])(?:等|排队)了", "等排"},
    {"(?:[一二]{1,3}|好几)个?(?:天|月)", "一二好"},
    {"个?小时", "个小"},                     /* an optional atom lets the next start */
    {"(?<![不没])(?:少|漏)了", "少漏"},
    {"\\b(?:took|takes)\\s", "t"},
    {"[0-9]{2}分钟", "0123456789"},
    {"a?b?", "ab"},                          /* may be empty: non-empty ones start so */
    {"(?:x|.)y", ""},                        /* a wildcard */
    {"[^a]b", ""},                           /* a negated class */
    {"\\dx", ""},                            /* a class escape */
    {"a(?i)b", ""},                          /* syntax it does not read */
    {"\\Kab", ""},
};

START_TEST(t_prefilter_first)
{
    const size_t n = sizeof(first_rows) / sizeof(first_rows[0]);
    kb_prefilter_t *pf = kb_prefilter_new();

    ck_assert_ptr_nonnull(pf);
    for (size_t i = 0; i < n; i++) {
        const uint32_t *cps;
        size_t m, expected = 0;
        ck_assert_int_eq(kb_prefilter_add(pf, first_rows[i].re), 0);
        m = kb_prefilter_first(pf, i, &cps);
        for (const char *p = first_rows[i].first; *p; expected++) {
            int found = 0;
            size_t l = ((unsigned char)*p < 0x80) ? 1 : ((unsigned char)*p < 0xE0) ? 2 : 3;
            for (size_t k = 0; k < m; k++) {
                char u[4];
                found |= kb_utf8_put(cps[k], u) == l && memcmp(u, p, l) == 0;
            }
            ck_assert_msg(found, "/%s/: '%.*s' missing", first_rows[i].re, (int)l, p);
            p += l;
        }
        ck_assert_msg(m == expected, "/%s/: %zu first code points, expected %zu",
                      first_rows[i].re, m, expected);
    }
    kb_prefilter_free(pf);
}
END_TEST

/* The product patterns through kb_lexicon_patterns() (prefilter, anchored
 * twins on Chinese text) give what plain PCRE2 searches of every pattern
 * give: leftmost non-empty match, the earlier line on a tie, scanning on
 * from the end of each hit. */
static const char *const pattern_texts[] = {
    "等了一个小时还没到，少了一份米饭",
    "备注了不要辣结果还是放了辣椒，为什么没有给餐具",
    "打了三次电话都没人接，三天了还没发货",
    "点了两个小时才送到，菜里有头发，再也不来了",
    "半小时就送到了，秒回，好评",
    "We waited over an hour and nobody answered. Never again!",
    "一二三四五六七八九十几个小时",
};

static size_t reference_hits(pcre2_code **re, size_t n_re, const char *s, size_t len,
                             size_t *b0, size_t *b1, size_t *pat, size_t max)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t n = 0, off = 0;

    while (n < max) {
        size_t best = n_re, bs = 0, be = 0;
        for (size_t k = 0; k < n_re; k++) {
            size_t o = off;
            while (o < len && pcre2_match(re[k], (PCRE2_SPTR)s, len, o, 0, md, NULL) > 0) {
                if (ov[1] > ov[0]) {
                    if (best == n_re || ov[0] < bs) {
                        best = k, bs = ov[0], be = ov[1];
                    }
                    break;
                }
                for (o = ov[0] + 1; o < len && ((unsigned char)s[o] & 0xC0) == 0x80; o++) {
                }
            }
        }
        if (best == n_re) {
            break;
        }
        b0[n] = bs, b1[n] = be, pat[n] = best;
        n++;
        off = be;
    }
    pcre2_match_data_free(md);
    return n;
}

START_TEST(t_patterns_reference)
{
    const kb_engine_t *en = kb_test_product();
    const kb_lexicon_t *lx = kb_engine_lexicon(en);
    const char *dir = getenv("KB_LEXICONS");
    pcre2_code *re[256];
    float val[256]; /* each pattern's valence tag, to check which one won */
    size_t n_re = 0;
    char line[8192];
    void *md = NULL;
    FILE *f;

    snprintf(line, sizeof(line), "%s/patterns.tsv", dir ? dir : "lexicons");
    ck_assert_ptr_nonnull(f = fopen(line, "r"));
    while (fgets(line, sizeof(line), f) && n_re < 256) {
        char *tab = strchr(line, '\t');
        int ec;
        PCRE2_SIZE eo;
        if (line[0] == '#' || !tab) {
            continue;
        }
        *tab = '\0';
        val[n_re] = strstr(tab + 1, "valence=") ? strtof(strstr(tab + 1, "valence=") + 8, NULL)
                                                : 0.0f;
        ck_assert_ptr_nonnull(re[n_re] = pcre2_compile((PCRE2_SPTR)line, PCRE2_ZERO_TERMINATED,
                                                       PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL));
        n_re++;
    }
    fclose(f);
    for (size_t t = 0; t < sizeof(pattern_texts) / sizeof(pattern_texts[0]); t++) {
        kb_ntext_t nt;
        char err[64];
        const kb_buf_t *u8;
        kb_pattern_hit_t hits[64];
        size_t b0[64], b1[64], pat[64], n_ref;
        int n;
        kb_ntext_init(&nt);
        ck_assert_int_eq(kb_norm_run(kb_engine_norm(en), pattern_texts[t],
                                     strlen(pattern_texts[t]), &nt, err, sizeof(err)), 0);
        ck_assert_ptr_nonnull(u8 = kb_ntext_utf8(&nt));
        n = kb_lexicon_patterns(lx, &nt, &md, hits, 64);
        n_ref = reference_hits(re, n_re, u8->p, u8->len, b0, b1, pat, 64);
        ck_assert_msg(n >= 0 && (size_t)n == n_ref, "'%s': %d hits, reference %zu",
                      pattern_texts[t], n, n_ref);
        for (size_t h = 0; h < n_ref; h++) {
            ck_assert_uint_eq(hits[h].b0, b0[h]);
            ck_assert_uint_eq(hits[h].b1, b1[h]);
            ck_assert_float_eq(hits[h].tags->valence, val[pat[h]]); /* earlier line wins */
        }
        kb_ntext_fini(&nt);
    }
    ck_assert_uint_gt(n_re, 0);
    kb_lexicon_match_free(md);
    for (size_t k = 0; k < n_re; k++) {
        pcre2_code_free(re[k]);
    }
}
END_TEST

Suite *kb_lexicon_suite(void)
{
    Suite *s = suite_create("lexicon");
    TCase *tc = tcase_create("load");

    tcase_add_test(tc, t_entries);
    tcase_add_test(tc, t_hash);
    tcase_add_test(tc, t_extra);
    tcase_add_test(tc, t_trie);
    tcase_add_test(tc, t_load_error);
    tcase_add_test(tc, t_alloc_failure);
    suite_add_tcase(s, tc);
    tc = tcase_create("check");
    tcase_add_test(tc, t_check_product);
    tcase_add_test(tc, t_check_bad);
    suite_add_tcase(s, tc);
    tc = tcase_create("prefilter");
    tcase_add_test(tc, t_prefilter);
    tcase_add_test(tc, t_prefilter_product);
    tcase_add_test(tc, t_prefilter_first);
    tcase_add_test(tc, t_prefilter_second);
    tcase_add_test(tc, t_patterns_reference);
    suite_add_tcase(s, tc);
    return s;
}
