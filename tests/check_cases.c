/* check_cases.c -- the product lexicon on hand-written cases.
 *
 * tests/data/score_cases.jsonl holds labelled messages written for this
 * project (label, the SERVQUAL dimensions with their polarity or "none" for
 * one that must not be named, complaint,
 * effort). Each line is one test. Relational cases check that rules move
 * scores the right way whatever the exact lexicon values are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kb_score.h"
#include "kb_test.h"

static json_t *cases;

static json_t *load_cases(void)
{
    json_error_t jerr;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;

    if (cases) {
        return cases;
    }
    cases = json_array();
    f = fopen(kb_test_data("score_cases.jsonl"), "r");
    if (!f) {
        return cases;
    }
    while (getline(&line, &cap, f) > 0) {
        json_t *c = json_loads(line, 0, &jerr);
        if (c) {
            json_array_append_new(cases, c);
        }
    }
    free(line);
    fclose(f);
    return cases;
}

static const kb_result_t *score(kb_scorer_t **sc, const char *text)
{
    const kb_engine_t *en = kb_test_product();
    const kb_result_t *r;
    char err[128];

    if (!*sc) {
        *sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), err, sizeof(err));
    }
    ck_assert_ptr_nonnull(*sc);
    ck_assert_int_eq(kb_scorer_run(*sc, text, strlen(text), 0, &r, err, sizeof(err)), 0);
    return r;
}

static kb_label_t label_of(const char *s)
{
    return strcmp(s, "pos") == 0 ? KB_LABEL_POS : strcmp(s, "neg") == 0 ? KB_LABEL_NEG
                                                                         : KB_LABEL_NEU;
}

START_TEST(t_case)
{
    json_t *c = json_array_get(load_cases(), (size_t)_i), *sq, *v;
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *text = json_string_value(json_object_get(c, "text"));
    kb_scorer_t *sc = NULL;
    const kb_result_t *r = score(&sc, text);
    const char *k;

    ck_assert_msg(r->label == label_of(json_string_value(json_object_get(c, "label"))),
                  "%s '%s': label %s (score %.3f), expected %s", id, text,
                  kb_label_name(r->label), r->score,
                  json_string_value(json_object_get(c, "label")));
    sq = json_object_get(c, "servqual");
    json_object_foreach(sq, k, v) {
        int d;
        for (d = 0; d < KB_SQ_COUNT && strcmp(k, kb_servqual_name(d)) != 0; d++) {
        }
        if (d == KB_SQ_COUNT) {
            ck_abort_msg("%s: unknown dimension '%s'", id, k);
            break;
        }
        if (strcmp(json_string_value(v), "none") == 0) { /* must not be named */
            ck_assert_msg(!r->dim[d].mentioned, "%s '%s': %s detected", id, text, k);
            continue;
        }
        ck_assert_msg(r->dim[d].mentioned, "%s '%s': %s not detected", id, text, k);
        ck_assert_msg(r->dim[d].label == label_of(json_string_value(v)),
                      "%s '%s': %s is %s, expected %s", id, text, k,
                      kb_label_name(r->dim[d].label), json_string_value(v));
    }
    ck_assert_msg(r->complaint == json_is_true(json_object_get(c, "complaint")),
                  "%s '%s': complaint %d", id, text, r->complaint);
    ck_assert_msg(r->effort == json_is_true(json_object_get(c, "effort")),
                  "%s '%s': effort %d", id, text, r->effort);
    kb_scorer_free(sc);
}
END_TEST

START_TEST(t_no_cases)
{
    ck_abort_msg("no cases in %s", kb_test_data("score_cases.jsonl"));
}
END_TEST

/* Traditional input scores exactly like its Simplified twin. */
static const char *const trad_pairs[][2] = {
    {"這家餐廳的服務態度非常差，再也不來了", "这家餐厅的服务态度非常差，再也不来了"},
    {"外賣送得很快，味道也不錯", "外卖送得很快，味道也不错"},
    {"酒店環境乾淨，前臺熱情", "酒店环境干净，前台热情"},
    {"快遞太慢了，客服也不回覆", "快递太慢了，客服也不回复"},
    {"價格實惠，物超所值！", "价格实惠，物超所值！"},
    {"手機電池續航很差，發熱嚴重", "手机电池续航很差，发热严重"},
    {"送錯了還說甚麼下次注意", "送错了还说什么下次注意"},  /* ICU's word rules */
    {"劇情沈悶，拉鍊也壞了", "剧情沉闷，拉链也坏了"},
};

START_TEST(t_traditional)
{
    kb_scorer_t *sc = NULL;
    double a = score(&sc, trad_pairs[_i][0])->score;
    double b = score(&sc, trad_pairs[_i][1])->score;

    ck_assert_msg(!(a < b || a > b), "'%s' %.4f vs '%s' %.4f", trad_pairs[_i][0], a, trad_pairs[_i][1], b);
    ck_assert(a < 0.0 || a > 0.0); /* and the pair is not trivially neutral */
    kb_scorer_free(sc);
}
END_TEST

/* score(first) > score(second): the rules push in the right direction. */
static const char *const order[][2] = {
    {"非常满意", "满意"},
    {"满意", "有点满意"},
    {"不太满意", "很不满意"},
    {"不满意", "很不满意"},
    {"满意！！", "满意"},
    {"有点贵，就是好吃", "好吃，就是有点贵"},
    {"虽然有点贵，但是很好吃", "虽然很好吃，但是有点贵"},
    {"very good", "good"},
    {"the pizza was sooooo good", "the pizza was so good"}, /* elongated booster */
    {"so bad", "sooooo bad"},
    {"VERY good food", "very good food"},                 /* booster in capitals */
    {"超超超好吃", "超好吃"},
    {"not helpful", "not helpful at all"},                /* 'not even a little' */
    {"I did not enjoy it", "I did not enjoy it at all"},
    {"not at all bad", "bad"},
    {"物流非常快", "物流快"},      /* a booster splitting a compound term boosts it */
    {"屏幕很清晰", "屏幕清晰"},
    {"价格贵", "价格非常贵"},
    {"物流有点慢", "物流慢"},      /* a damper still damps */
    {"good", "not very good"},
    {"not very good", "not good"},
    {"good!!!", "good"},
    {"GREAT service here", "great service here"},
    {"goooood", "good"},
    {"the service was slow but the food was good", "the food was good but the service was slow"},
    {"no problems at all", "problems"},
    {"没有问题", "有问题"},
    {"不错", "不好"},
    {"😍", "😡"},
    {"[哈哈]", "[怒]"},
    {"还会再来", "再也不来了"},
};

START_TEST(t_order)
{
    kb_scorer_t *sc = NULL;
    double a = score(&sc, order[_i][0])->score;
    double b = score(&sc, order[_i][1])->score;

    ck_assert_msg(a > b, "'%s' %.4f should beat '%s' %.4f", order[_i][0], a, order[_i][1], b);
    kb_scorer_free(sc);
}
END_TEST

/* A pattern that values a whole phrase (晚了一个小时) replaces the lexicon
 * term inside it (晚了): one complaint counts once, and the trace says so. */
START_TEST(t_pattern_subsumes)
{
    const kb_engine_t *en = kb_test_product();
    const kb_result_t *r;
    char err[128];
    kb_scorer_t *sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), err, sizeof(err));
    double sum = 0;
    size_t n_pat = 0, n_zero = 0;

    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(kb_scorer_run(sc, "这次晚了一个小时", strlen("这次晚了一个小时"), 1, &r,
                                   err, sizeof(err)), 0);
    for (size_t i = 0; i < r->n_trace; i++) {
        const kb_trace_t *t = &r->trace[i];
        sum += t->value;
        if (t->is_pattern) {
            n_pat++;
            ck_assert_float_eq_tol(t->value, t->base, 1e-6f);
        } else {
            ck_assert_uint_ge(t->n_mods, 1);
            ck_assert_int_eq(t->mods[t->n_mods - 1].kind, KB_MOD_PATTERN);
            ck_assert_float_eq_tol(t->value, 0.0f, 1e-6f);
            n_zero++;
        }
    }
    ck_assert_uint_eq(n_pat, 1);
    ck_assert_uint_eq(n_zero, 1); /* 晚了 was read, then subsumed */
    ck_assert_double_eq_tol(r->score, sum / sqrt(sum * sum + 15.0), 1e-4);
    kb_scorer_free(sc);
}
END_TEST

Suite *kb_cases_suite(void)
{
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("handwritten");
    size_t n = json_array_size(load_cases());

    if (n == 0) {
        tcase_add_test(tc, t_no_cases); /* a missing file must fail, not pass */
    } else {
        tcase_add_loop_test(tc, t_case, 0, (int)n);
    }
    suite_add_tcase(s, tc);
    tc = tcase_create("traditional");
    tcase_add_loop_test(tc, t_traditional, 0, sizeof(trad_pairs) / sizeof(trad_pairs[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("pattern");
    tcase_add_test(tc, t_pattern_subsumes);
    suite_add_tcase(s, tc);
    tc = tcase_create("order");
    tcase_add_loop_test(tc, t_order, 0, sizeof(order) / sizeof(order[0]));
    suite_add_tcase(s, tc);
    return s;
}
