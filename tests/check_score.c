/* check_score.c -- scoring rules, table-driven with hand-computed values on
 * the fixture lexicon (tests/data/lexicon), plus SERVQUAL clause polarity,
 * complaint/effort, brands, language and allocation failures. */
#include <math.h>
#include <string.h>

#include "kb_mem.h"
#include "kb_score.h"
#include "kb_test.h"

static kb_scorer_t *sc_new(const kb_engine_t *en)
{
    char err[128];
    kb_scorer_t *sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), err, sizeof(err));

    ck_assert_ptr_nonnull(sc);
    return sc;
}

static const kb_result_t *run(kb_scorer_t *sc, const char *text)
{
    const kb_result_t *r = NULL;
    char err[128];

    ck_assert_msg(kb_scorer_run(sc, text, strlen(text), 1, &r, err, sizeof(err)) == 0, "%s", err);
    return r;
}

static double compound(double x)
{
    return x / sqrt(x * x + 15.0);
}

/* Raw valence sums computed by hand from the fixture values:
 * 好/好吃/good 2, 贵 -1.5, great 3, bad -2.5, rude -2, problems -1.5;
 * negator -0.74 (不太 -0.5); 很/very 1.5 (0.95 at distance 2); 有点 0.5. */
static const struct { const char *rule, *text; double x; } rule_cases[] = {
    {"lexicon", "好吃", 2},
    {"lexicon", "good", 2},
    {"lexicon", "差", -2.5},
    {"lexicon", "waste of money", -3},
    {"idiom", "不错", 2},                      /* a term, not 不 + 错 */
    {"shield", "好像", 0},
    {"shield", "好像不错", 2},
    {"degree", "很好吃", 3},
    {"degree", "very good", 3},
    {"degree_damp", "有点贵", -0.75},
    {"degree_dual", "好贵", -2.25},            /* 好 before an opinion word = very */
    {"degree_elongated", "太太太好吃", 2 * (1.5 + 0.2)}, /* three 太 are 太, not the word 太太;
                                                        an elongated booster is louder */
    {"degree_elongated", "太太好吃", 2},        /* two are the word 太太 (wife) */
    {"degree_loud", "veeery good", 2 * (1.5 + 0.2)},  /* an elongated booster */
    {"degree_loud", "VERY good", 2 * (1.5 + 0.2)},    /* a booster in capitals */
    {"degree_loud", "VERY GOOD", 3},                  /* all caps: no emphasis */
    {"negation", "不好吃", -1.48},
    {"negation", "not good", -1.48},
    {"negation", "never bad", 1.85},
    {"negation", "no problems", 1.11},
    {"negation_hedged", "不太好吃", -1.0},
    {"negation_degree", "很不好吃", -1.48 * 1.475},
    {"negated_degree", "不很好吃", 3.0 / 2.25 * -0.74},
    {"negated_degree", "not very good", 3.0 / 2.25 * -0.74},
    {"negation_scope", "not a very good", 3.0 / 2.25 * -0.74},
    {"negation_scope", "not one of the good", 2},  /* four tokens away */
    {"negation_scope", "不，好吃", 2},              /* a comma ends the scope */
    {"double_negation", "not not good", 2 * 0.74 * 0.74},
    {"negation_at_all", "not good at all", 2 * -0.74 * 1.3},  /* 'not even a little' */
    {"negation_at_all", "not at all good", 2 * -0.74 * 1.3},
    {"negation_at_all", "good at all", 2},                    /* nothing negated */
    {"contrast", "好吃，但是贵", 2 * 0.5 - 1.5 * 1.5},
    {"contrast", "good but rude", 2 * 0.5 - 2 * 1.5},
    {"contrast", "The food was good. But the waiter was rude.", 2 * 0.5 - 2 * 1.5},
    {"contrast", "虽然贵，好吃", -1.5 * 0.5 + 2 * 1.5},
    {"contrast", "although good, rude", 2 * 0.5 - 2 * 1.5},
    {"contrast", "good, although rude", 2 * 1.5 - 2 * 0.5},  /* opening a later clause */
    {"contrast", "good, bad although", 2 - 2.5},              /* clause-final: no weights */
    {"contrast", "好吃，虽然，贵", 2 * 1.5 - 1.5 * 1.5},        /* Chinese: rule unchanged */
    {"contrast_mid", "好吃，就是贵", 2 * 0.75 - 1.5 * 1.25}, /* a reservation: milder */
    {"contrast_mid", "就是好吃", 2},               /* not a contrast at the start */
    {"irrealis", "希望好吃", 2 * 0.3},
    {"irrealis", "差，希望好吃", -2.5 + 2 * 0.3},  /* only its own clause */
    {"irrealis", "if good", 2 * 0.3},
    {"counterfactual", "本以为好吃", 2 * -0.5},     /* unmet: praise says what was missing */
    {"counterfactual", "本以为差", -2.5 * 0.3},     /* a feared fault: a supposition */
    {"counterfactual", "差，本以为好吃", -2.5 + 2 * -0.5}, /* only its own clause */
    {"counterfactual", "should have been good", 2 * -0.5},
    {"counterfactual", "本以为不好吃", 2 * -0.74 * 0.3}, /* negated praise: a fault */
    {"resolver", "fixed problems", 0},              /* the fix governs the problem */
    {"resolver", "problems not fixed", -1.5},       /* a negated fix leaves it */
    {"comparative", "没有那家店里的好吃", 2 * -0.74},   /* 没有 five tokens back */
    {"comparative", "没有，那家店里的好吃", 2},        /* not across a comma */
    {"superlative", "没有比那家好吃的", 2},          /* nothing beats it: no flip */
    {"superlative", "没有比那好吃的", 2 * 1.25},     /* in reach: like never_such */
    {"superlative", "没有比那家好吃", 2 * -0.74},     /* no 的: a plain comparison */
    {"question", "好吃吗", 0},                      /* praise in a question asks */
    {"question", "差吗", -2.5},                      /* complaints stay */
    {"question", "好吃？差。", -2.5},        /* only its sentence */
    {"rhetorical", "难道没意思吗", -2 * -0.74},     /* a negated term read without it */
    {"rhetorical", "这不是没意思吗", -2},           /* 不是 carries the question */
    {"rhetorical", "没意思吗", -2},                 /* a plain question: kept */
    {"topic", "性价比很差", -2.5 * 1.5},            /* 性价比 names the topic */
    {"topic", "性价比好", 0.5 + 2},                /* same sign: both count */
    {"topic", "贵好吃", -1.5 + 2},                 /* a negative one stays */
    {"topic", "性价比，差", 0.5 - 2.5},             /* not across a comma */
    {"topic", "good bad", 2 - 2.5},                /* not in English */
    {"summary", "差。总的来说，好", -2.5 * 0.5 + 2 * 2},
    {"summary", "bad. overall good", -2.5 * 0.5 + 2 * 2},
    {"summary", "总的来说，好吃，但是贵", 2 * 0.5 * 2 - 1.5 * 1.5}, /* weights multiply; the
                                                               verdict is its first opinion clause */
    {"summary", "好吃。差，总的来说", 2 * 0.5 - 2.5 * 0.5},     /* nothing after it */
    {"emphasis", "good!", 2 + 0.292},
    {"emphasis", "好吃！！", 2 + 2 * 0.292},
    {"emphasis", "good!!!!!!!", 2 + 4 * 0.292},  /* at most four count */
    {"emphasis", "bad!!", -2.5 - 2 * 0.292},
    {"question", "good??", 2 + 2 * 0.18},
    {"question", "good?", 2},                    /* a single '?' adds nothing */
    {"scare_quotes", "the 'good' one", 2 * -0.74},
    {"scare_quotes", "a \"great\" agent", 3 * -0.74},
    {"scare_quotes", "'Good' is a title", 2},        /* capitalised: a title or name */
    {"scare_quotes", "the 'good one", 2},            /* no closing quote */
    {"scare_quotes", "the \"good' one", 2},         /* quotes that do not pair */
    {"scare_quotes", "the 'bad' one", -2.5},         /* only praise is doubted */
    {"caps", "GREAT food", 3 + 0.733},
    {"caps", "GREAT FOOD", 3},                   /* all caps: no emphasis */
    {"elongation", "goooood", 2 + 0.293},
    {"elongation", "好好好好吃", 2 + 0.293},
    {"emoji", "😡", -2.5},
    {"emoticon", "好吃 :)", 3.5},
    {"bracket_code", "[哈哈]", 1.5},
    {"fullwidth", "ＧＯＯＤ", 2},
    {"html_entity", "good &amp; bad", -0.5},
    {"url", "http://bad.example.com good", 2},   /* the URL is not text */
    {"mention", "@bad good", 2},
    {"repetition", "好吃好吃好吃", 6},
    {"traditional", "很好吃，但是貴", 3 * 0.5 - 1.5 * 1.5},
    {"lead", "好吃。差。", 2 * 1.5 - 2.5},         /* the first opinion sentence leads */
    {"lead", "好吃。今天星期一。", 2},             /* a sentence without opinion: no lead */
    {"lead", "好吃。好吃。", 2 + 2},               /* one that agrees: no lead either */
    {"lead", "好吃。有点贵。", 2 * (1 + 0.5 * 0.75 / 2) - 0.75}, /* lifted only as far as
                                                   the fault calls for: below 好吃 alone */
};

START_TEST(t_rule)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, rule_cases[_i].text);

    ck_assert_msg(fabs(r->score - compound(rule_cases[_i].x)) < 1e-3,
                  "%s: '%s' scored %.4f, expected %.4f", rule_cases[_i].rule,
                  rule_cases[_i].text, r->score, compound(rule_cases[_i].x));
    kb_scorer_free(sc);
}
END_TEST

START_TEST(t_labels)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());

    ck_assert_int_eq(run(sc, "好吃")->label, KB_LABEL_POS);
    ck_assert_int_eq(run(sc, "不好吃")->label, KB_LABEL_NEG);
    ck_assert_int_eq(run(sc, "今天星期一")->label, KB_LABEL_NEU);
    ck_assert_double_eq(run(sc, "今天星期一")->score, 0.0);
    kb_scorer_free(sc);
}
END_TEST

/* A dimension's polarity comes from its own clause. */
START_TEST(t_servqual_clauses)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, "菜很好吃但是等了一个小时");
    const kb_dim_result_t *rel = &r->dim[KB_SQ_RELIABILITY];
    const kb_dim_result_t *resp = &r->dim[KB_SQ_RESPONSIVENESS];

    ck_assert(rel->mentioned && resp->mentioned);
    ck_assert_int_eq(rel->label, KB_LABEL_POS);
    ck_assert_int_eq(resp->label, KB_LABEL_NEG);
    ck_assert_uint_eq(rel->n_ev, 1);
    ck_assert_uint_eq(r->evidence[rel->ev0].start, 0);
    ck_assert_uint_eq(r->evidence[rel->ev0].end, 1);
    ck_assert_uint_eq(resp->n_ev, 1);
    ck_assert_uint_eq(r->evidence[resp->ev0].start, 6);
    ck_assert_uint_eq(r->evidence[resp->ev0].end, 12);
    ck_assert(!r->dim[KB_SQ_TANGIBLES].mentioned);

    r = run(sc, "环境好，服务员差");
    ck_assert_int_eq(r->dim[KB_SQ_TANGIBLES].label, KB_LABEL_POS);
    ck_assert_int_eq(r->dim[KB_SQ_ASSURANCE].label, KB_LABEL_NEG);
    ck_assert_int_eq(r->dim[KB_SQ_EMPATHY].label, KB_LABEL_NEG);

    r = run(sc, "服务员，很好"); /* the opinion is in the next clause */
    ck_assert_int_eq(r->dim[KB_SQ_ASSURANCE].label, KB_LABEL_POS);

    /* the verdict follows in a clause that names a dimension of its own:
     * 2 / sqrt(4 + 15) = 0.459 for both */
    r = run(sc, "服务员，环境好");
    ck_assert_double_eq_tol(r->dim[KB_SQ_ASSURANCE].score, 0.4588, 1e-4);
    ck_assert_double_eq_tol(r->dim[KB_SQ_TANGIBLES].score, 0.4588, 1e-4);
    r = run(sc, "环境好，服务员"); /* nothing follows: no opinion to borrow */
    ck_assert(r->dim[KB_SQ_ASSURANCE].mentioned);
    ck_assert_int_eq(r->dim[KB_SQ_ASSURANCE].label, KB_LABEL_NEU);

    r = run(sc, "the waiter was rude but good"); /* offsets in code points */
    ck_assert_int_eq(r->dim[KB_SQ_ASSURANCE].label, KB_LABEL_NEG);
    ck_assert_uint_eq(r->evidence[r->dim[KB_SQ_ASSURANCE].ev0].start, 4);

    r = run(sc, "雲朵外賣的菜很好吃"); /* offsets into the Traditional original */
    ck_assert_uint_eq(r->evidence[r->dim[KB_SQ_RELIABILITY].ev0].start, 5);
    ck_assert_int_eq(memcmp(r->evidence[r->dim[KB_SQ_RELIABILITY].ev0].p, "菜", 3), 0);
    kb_scorer_free(sc);
}
END_TEST

static const struct { const char *text; int complaint, effort; } intent_cases[] = {
    {"我要投诉", 1, 0},
    {"没有投诉", 0, 0},                 /* negated */
    {"投诉，好吃好吃好吃", 0, 0},         /* clearly happy overall */
    {"投诉好吃", 0, 0},                 /* 0.459: settled, the topic of a happy clause */
    {"投诉，好吃", 1, 0},               /* 0.459 too, but in a clause of its own */
    {"投诉好吃，差", 1, 0},             /* -0.128: a negative message */
    {"退款", 0, 0},                     /* weak complaint needs a negative message */
    {"差，退款", 1, 0},
    {"bad, refund please", 1, 0},
    {"折腾", 0, 1},
    {"打了三次电话", 0, 1},              /* pattern */
    {"好吃", 0, 0},
};

START_TEST(t_intent)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, intent_cases[_i].text);

    ck_assert_msg(r->complaint == intent_cases[_i].complaint, "complaint of '%s'",
                  intent_cases[_i].text);
    ck_assert_msg(r->effort == intent_cases[_i].effort, "effort of '%s'", intent_cases[_i].text);
    kb_scorer_free(sc);
}
END_TEST

START_TEST(t_brands_lang)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, "雲朵外賣 好吃, CloudEats yes, 云朵外卖");

    ck_assert_uint_eq(r->n_brands, 1);
    ck_assert_str_eq(kb_lexicon_brand_name(kb_engine_lexicon(kb_test_fixture()), r->brands[0]),
                     "云朵外卖");
    ck_assert_int_eq(run(sc, "好吃")->lang, KB_LANG_ZH);
    ck_assert_int_eq(run(sc, "good food")->lang, KB_LANG_EN);
    ck_assert_int_eq(run(sc, "这个app很好吃")->lang, KB_LANG_ZH); /* one loanword */
    ck_assert_int_eq(run(sc, "这个app很good")->lang, KB_LANG_MIXED);
    ck_assert_int_eq(run(sc, "这个 app is good 好吃")->lang, KB_LANG_MIXED);
    ck_assert_int_eq(run(sc, "外卖很快, great job")->lang, KB_LANG_MIXED); /* one term, two words */
    ck_assert_int_eq(run(sc, "外卖很快, 这个app不错")->lang, KB_LANG_ZH);
    ck_assert_int_eq(run(sc, "123 !!")->lang, KB_LANG_UND);
    ck_assert_uint_eq(run(sc, "没有品牌")->n_brands, 0);
    kb_scorer_free(sc);
}
END_TEST

START_TEST(t_trace)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, "不很好吃!");

    ck_assert_uint_eq(r->n_trace, 1);
    ck_assert_float_eq_tol(r->trace[0].base, 2.0f, 1e-6f);
    ck_assert_uint_eq(r->trace[0].n_mods, 3); /* degree, its inversion, negation */
    ck_assert_int_eq(r->trace[0].mods[2].kind, KB_MOD_NEGATION);
    ck_assert_float_eq_tol(r->trace[0].value, (float)(3.0 / 2.25 * -0.74), 1e-4f);
    ck_assert_float_eq_tol(r->emphasis, -0.292f, 1e-6f);
    kb_scorer_free(sc);
}
END_TEST

/* Modifiers applied after valence() land on the right trace entry even when
 * an earlier entry ended at 0, and every entry's value is what was summed. */
START_TEST(t_trace_entries)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r = run(sc, "fixed problems. 性价比很差");

    ck_assert_uint_eq(r->n_trace, 3);
    ck_assert_int_eq(r->trace[0].mods[0].kind, KB_MOD_RESOLVED);
    ck_assert_float_eq_tol(r->trace[0].value, 0.0f, 1e-6f);
    ck_assert_uint_eq(r->trace[1].span.start, 16); /* 性价比 */
    ck_assert_uint_eq(r->trace[1].n_mods, 1);
    ck_assert_int_eq(r->trace[1].mods[0].kind, KB_MOD_TOPIC);
    ck_assert_float_eq_tol(r->trace[1].value, 0.0f, 1e-6f);
    ck_assert_uint_eq(r->trace[2].n_mods, 1); /* 很差: the degree word only */
    r = run(sc, "好吃吗");
    ck_assert_uint_eq(r->n_trace, 1);
    ck_assert_int_eq(r->trace[0].mods[r->trace[0].n_mods - 1].kind, KB_MOD_QUESTION);
    ck_assert_float_eq_tol(r->trace[0].value, 0.0f, 1e-6f);
    kb_scorer_free(sc);
}
END_TEST

START_TEST(t_invalid_utf8)
{
    kb_scorer_t *sc = sc_new(kb_test_fixture());
    const kb_result_t *r;
    char err[128];

    ck_assert_int_eq(kb_scorer_run(sc, "ok\xc3", 3, 0, &r, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "invalid UTF-8 at byte 2"));
    kb_scorer_free(sc);
}
END_TEST

/* Allocation failures while scoring return -1 with a reason, never crash. */
START_TEST(t_alloc_failure)
{
    const kb_engine_t *en = kb_test_fixture();
    const char *text = "菜很好吃但是等了一个小时!! The waiter was rude :( 投诉 http://x.y";
    const kb_result_t *r;
    char err[128];
    int ok = 0;

    for (long n = 0; n < 400 && !ok; n++) {
        kb_scorer_t *sc;
        kb_mem_fail_after(n);
        sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), err, sizeof(err));
        if (sc) {
            ok = kb_scorer_run(sc, text, strlen(text), 1, &r, err, sizeof(err)) == 0;
            if (!ok) {
                ck_assert_ptr_nonnull(strstr(err, "out of memory"));
            }
        }
        kb_mem_fail_after(-1);
        kb_scorer_free(sc);
    }
    ck_assert(ok);
}
END_TEST

Suite *kb_score_suite(void)
{
    Suite *s = suite_create("score");
    TCase *tc = tcase_create("rules");

    tcase_add_loop_test(tc, t_rule, 0, sizeof(rule_cases) / sizeof(rule_cases[0]));
    tcase_add_test(tc, t_labels);
    tcase_add_test(tc, t_trace);
    tcase_add_test(tc, t_trace_entries);
    suite_add_tcase(s, tc);
    tc = tcase_create("servqual");
    tcase_add_test(tc, t_servqual_clauses);
    suite_add_tcase(s, tc);
    tc = tcase_create("intent");
    tcase_add_loop_test(tc, t_intent, 0, sizeof(intent_cases) / sizeof(intent_cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("brands_lang");
    tcase_add_test(tc, t_brands_lang);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, t_invalid_utf8);
    tcase_add_test(tc, t_alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}
