/* check_lexicon.c -- loader, checker, trie lookups, hash, user lexicons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    };
    char buf[4096];
    FILE *out = tmpfile();
    size_t n;
    int problems = kb_lexicon_check(kb_engine_norm(kb_test_fixture()),
                                    kb_test_data("lexicon_bad"), out);

    ck_assert_int_eq(problems, 7);
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
    ck_assert_uint_eq(kb_prefilter_sets(pf, 0), 2); /* wait, hour|min; [0-9] is dropped */
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

Suite *kb_lexicon_suite(void)
{
    Suite *s = suite_create("lexicon");
    TCase *tc = tcase_create("load");

    tcase_add_test(tc, t_entries);
    tcase_add_test(tc, t_hash);
    tcase_add_test(tc, t_extra);
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
    suite_add_tcase(s, tc);
    return s;
}
