/* check_agg.c -- windows, watermarks and the record arithmetic, checked
 * against values worked out by hand in the comments. */
#include <stdlib.h>
#include <string.h>

#include "kb_agg.h"
#include "kb_mem.h"
#include "kb_test.h"

#define MAX_RECS 32

typedef struct sink {
    char *rec[MAX_RECS];
    int n;
} sink_t;

static int collect(void *ud, const kb_agg_rec_t *r)
{
    sink_t *s = ud;
    char *c;

    ck_assert_int_lt(s->n, MAX_RECS);
    c = malloc(r->len + 1);
    memcpy(c, r->json, r->len);
    c[r->len] = '\0';
    s->rec[s->n++] = c;
    return 0;
}

static void sink_free(sink_t *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->rec[i]);
    }
    s->n = 0;
}

static kb_obs_t obs(const char *brand, int64_t ts_s, double score)
{
    kb_obs_t o;

    memset(&o, 0, sizeof(o));
    o.brand = brand;
    o.brand_len = strlen(brand);
    o.ts_ms = ts_s * 1000;
    o.score = score;
    o.label = score >= 0.05 ? KB_LABEL_POS : score <= -0.05 ? KB_LABEL_NEG : KB_LABEL_NEU;
    o.followers = -1;
    return o;
}

static kb_agg_t *agg(sink_t *s, int64_t window_s, int64_t hop_s)
{
    kb_agg_cfg_t cfg;
    char err[128];
    kb_agg_t *a;

    kb_agg_cfg_default(&cfg);
    cfg.window_ms = window_s * 1000;
    cfg.hop_ms = hop_s * 1000;
    cfg.ewma_alpha = 0.5;
    cfg.top_terms = 2;
    a = kb_agg_new(&cfg, collect, s, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

static const kb_obs_term_t good[] = {{"好吃", 6, 1}};
static const kb_obs_term_t slow[] = {{"慢", 3, 0}};

/* Window [0,60): A gets +0.8 (promoter, rating 5, 100 followers, reliability
 * +0.6) and -0.6 (detractor, complaint, rating 2, reliability -0.2,
 * responsiveness -0.5); B gets one neutral. An A message at 65 s moves the
 * watermark to 55 s: nothing closes; B at 75 s moves it to 65 s: [0,60)
 * closes. A: net (1-1)/2 = 0, nps 0, share 2/3, complaint rate 1/2,
 * csat 100*1/(1+1) = 50, mean (0.8-0.6)/2 = 0.1, rating_csat 50,
 * reliability (0.6-0.2)/2 = 0.2 with no history yet. */
START_TEST(t_tumbling_arithmetic)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    kb_obs_t o;

    o = obs("A", 0, 0.8);
    o.followers = 100;
    o.rating = 5;
    o.dim[KB_SQ_RELIABILITY].mentioned = 1;
    o.dim[KB_SQ_RELIABILITY].score = 0.6;
    o.dim[KB_SQ_RELIABILITY].label = KB_LABEL_POS;
    o.terms = good;
    o.n_terms = 1;
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("A", 30, -0.6);
    o.complaint = 1;
    o.rating = 2;
    o.dim[KB_SQ_RELIABILITY].mentioned = 1;
    o.dim[KB_SQ_RELIABILITY].score = -0.2;
    o.dim[KB_SQ_RELIABILITY].label = KB_LABEL_NEG;
    o.dim[KB_SQ_RESPONSIVENESS].mentioned = 1;
    o.dim[KB_SQ_RESPONSIVENESS].score = -0.5;
    o.dim[KB_SQ_RESPONSIVENESS].label = KB_LABEL_NEG;
    o.terms = slow;
    o.n_terms = 1;
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("B", 45, 0);
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("A", 65, 0.5);
    o.dim[KB_SQ_RELIABILITY].mentioned = 1;
    o.dim[KB_SQ_RELIABILITY].score = 0.4;
    o.dim[KB_SQ_RELIABILITY].label = KB_LABEL_POS;
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 0);
    ck_assert_uint_eq(kb_agg_open_windows(a), 3);
    o = obs("B", 75, 0.3);
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.rec[0],
        "{\"type\":\"wom\",\"brand\":\"A\",\"window_start\":\"1970-01-01T00:00:00Z\","
        "\"window_end\":\"1970-01-01T00:01:00Z\",\"final\":true,\"mentions\":2,\"pos\":1,"
        "\"neg\":1,\"neu\":0,\"net_sentiment\":0,\"promoters\":1,\"detractors\":1,\"nps\":0,"
        "\"share_of_voice\":0.6667,\"complaints\":1,\"complaint_rate\":0.5,\"reach\":100,"
        "\"top_pos_terms\":[{\"term\":\"好吃\",\"count\":1}],"
        "\"top_neg_terms\":[{\"term\":\"慢\",\"count\":1}]}");
    ck_assert_str_eq(s.rec[1],
        "{\"type\":\"satisfaction\",\"brand\":\"A\",\"window_start\":\"1970-01-01T00:00:00Z\","
        "\"window_end\":\"1970-01-01T00:01:00Z\",\"final\":true,\"mentions\":2,\"csat\":50,"
        "\"mean_score\":0.1,\"ratings\":2,\"rating_csat\":50,\"effort\":0,\"effort_rate\":0,"
        "\"servqual\":{\"tangibles\":{\"mentions\":0,\"pos\":0,\"neg\":0,\"score\":null,"
        "\"expected\":null,\"gap\":null},\"reliability\":{\"mentions\":2,\"pos\":1,\"neg\":1,"
        "\"score\":0.2,\"expected\":null,\"gap\":null},\"responsiveness\":{\"mentions\":1,"
        "\"pos\":0,\"neg\":1,\"score\":-0.5,\"expected\":null,\"gap\":null},\"assurance\":"
        "{\"mentions\":0,\"pos\":0,\"neg\":0,\"score\":null,\"expected\":null,\"gap\":null},"
        "\"empathy\":{\"mentions\":0,\"pos\":0,\"neg\":0,\"score\":null,\"expected\":null,"
        "\"gap\":null}}}");
    /* B: one neutral mention of three; no reach, csat undefined. */
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"brand\":\"B\""));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"share_of_voice\":0.3333,"));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"reach\":null,"));
    ck_assert_ptr_nonnull(strstr(s.rec[3], "\"csat\":null,\"mean_score\":0,"));
    sink_free(&s);

    /* 20 s is behind the 65 s watermark: late, nothing counted. */
    o = obs("A", 20, 0.9);
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_LATE);
    /* End of input closes [60,120): A's reliability 0.4 against the
     * expected 0.2 of the previous window, gap 0.2. */
    ck_assert_int_eq(kb_agg_flush_all(a), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"reliability\":{\"mentions\":1,\"pos\":1,"
                                           "\"neg\":0,\"score\":0.4,\"expected\":0.2,\"gap\":0.2}"));
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"mentions\":1,\"pos\":1,\"neg\":0,\"neu\":0,"
                                           "\"net_sentiment\":1,\"promoters\":1,"));
    ck_assert_uint_eq(kb_agg_open_windows(a), 0);
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

/* A window is final only when every active partition has passed it. */
START_TEST(t_partitions_gate)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    kb_obs_t o = obs("A", 10, 0.5);

    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("B", 20, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 1, 0, &o), KB_AGG_OK);
    o = obs("A", 200, 0.5); /* partition 0 at 190 s; partition 1 still at 10 s */
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 0);
    o = obs("B", 50, 0.5); /* still open for partition 1 */
    ck_assert_int_eq(kb_agg_add(a, 1, 0, &o), KB_AGG_OK);
    o = obs("A", 30, 0.5); /* but closed for partition 0 */
    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_LATE);
    /* Partition 1 idles: its windows close and it stops holding back. */
    ck_assert_int_eq(kb_agg_flush_partition(a, 1), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4); /* [0,60) for A and B, both kinds */
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"brand\":\"B\""));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"mentions\":2,"));
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"share_of_voice\":0.3333,"));
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

/* Hopping 60 s / 30 s: a message at 45 s is in [0,60) and [30,90). */
START_TEST(t_hopping)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 30);
    kb_obs_t o = obs("A", 45, -0.7);

    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    ck_assert_uint_eq(kb_agg_open_windows(a), 2);
    ck_assert_int_eq(kb_agg_emit_updates(a), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"window_start\":\"1970-01-01T00:00:00Z\","
                                           "\"window_end\":\"1970-01-01T00:01:00Z\",\"final\":false"));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"window_start\":\"1970-01-01T00:00:30Z\""));
    sink_free(&s);
    /* Nothing changed since: no updates. */
    ck_assert_int_eq(kb_agg_emit_updates(a), KB_AGG_OK);
    ck_assert_int_eq(s.n, 0);
    ck_assert_int_eq(kb_agg_flush_all(a), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"final\":true,\"mentions\":1,\"pos\":0,\"neg\":1,"));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"detractors\":1,\"nps\":-100,"));
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

/* Top terms: by count, ties by bytes; cut at top_terms (2). */
START_TEST(t_top_terms)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    const kb_obs_term_t t1[] = {{"b", 1, 1}, {"c", 1, 1}};
    const kb_obs_term_t t2[] = {{"c", 1, 1}, {"a", 1, 1}};
    kb_obs_t o = obs("A", 1, 0.5);

    o.terms = t1;
    o.n_terms = 2;
    kb_agg_add(a, 0, 0, &o);
    o.terms = t2;
    kb_agg_add(a, 0, 0, &o);
    ck_assert_int_eq(kb_agg_flush_all(a), KB_AGG_OK);
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"top_pos_terms\":[{\"term\":\"c\",\"count\":2},"
                                           "{\"term\":\"a\",\"count\":1}],\"top_neg_terms\":[]"));
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

/* An assigned partition that has not delivered yet holds windows open;
 * the commit point is the oldest offset inside an open window. */
START_TEST(t_expect_and_offsets)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    kb_obs_t o = obs("A", 10, 0.5);
    int64_t off = -1;

    ck_assert_int_eq(kb_agg_expect_partition(a, 1), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_add(a, 0, 7, &o), KB_AGG_OK);
    o = obs("A", 70, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 0, 8, &o), KB_AGG_OK);
    o = obs("A", 500, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 0, 9, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 0); /* partition 1 has said nothing yet */
    ck_assert(kb_agg_min_offset(a, 0, &off) == 1 && off == 7);
    ck_assert_int_eq(kb_agg_min_offset(a, 1, &off), 0);
    o = obs("B", 20, 0.5); /* not late: partition 1 was waited for */
    ck_assert_int_eq(kb_agg_add(a, 1, 0, &o), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_flush_partition(a, 1), KB_AGG_OK);
    ck_assert_int_eq(s.n, 6); /* [0,60) A and B, [60,120) A */
    ck_assert(kb_agg_min_offset(a, 0, &off) == 1 && off == 9);
    sink_free(&s);
    kb_agg_drop_partition(a, 0);
    ck_assert_uint_eq(kb_agg_open_windows(a), 0);
    kb_agg_free(a);
}
END_TEST

/* A group (scored partition) handed over by an owner that had published
 * only up to 60 s, to an instance whose own horizon is at 190 s: its
 * windows in between are rebuilt and published as it catches up (with a
 * null share of voice: the other brands of those windows went out long
 * ago), not found closed. Dropping the group forgets its horizon and its
 * brands' baselines. */
START_TEST(t_group_resumes_behind)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    kb_obs_t o = obs("A", 10, 0.5);
    kb_agg_bstate_t st;
    int64_t h = 0;

    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("A", 200, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 0, 1, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 2); /* A [0,60) */
    ck_assert(kb_agg_group_horizon(a, 0, &h) == 1 && h == 190000);
    ck_assert_int_eq(kb_agg_set_group(a, 1, 1), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_set_group_horizon(a, 1, 60000), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_expect_partition(a, 1), KB_AGG_OK);
    o = obs("B", 30, 0.5); /* published by the last owner */
    ck_assert_int_eq(kb_agg_add(a, 1, 0, &o), KB_AGG_LATE);
    o = obs("B", 70, 0.5);
    o.dim[KB_SQ_RELIABILITY].mentioned = 1;
    o.dim[KB_SQ_RELIABILITY].score = 0.4;
    o.dim[KB_SQ_RELIABILITY].label = KB_LABEL_POS;
    ck_assert_int_eq(kb_agg_add(a, 1, 1, &o), KB_AGG_OK);
    o = obs("B", 100, -0.5);
    ck_assert_int_eq(kb_agg_add(a, 1, 2, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 2); /* nothing closed under the group */
    o = obs("B", 400, 0.5);   /* the group passes 190 s, the instance's horizon */
    ck_assert_int_eq(kb_agg_add(a, 1, 3, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"brand\":\"B\""));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"window_start\":\"1970-01-01T00:01:00"));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"mentions\":2,"));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"share_of_voice\":null,"));
    ck_assert(kb_agg_group_horizon(a, 1, &h) == 1 && h == 190000);
    ck_assert_int_eq(kb_agg_brand_state(a, "B", 1, &st, 0), KB_AGG_OK);
    ck_assert(st.group == 1 && st.has[KB_SQ_RELIABILITY]);
    kb_agg_drop_partition(a, 1);
    ck_assert_int_eq(kb_agg_group_horizon(a, 1, &h), 0);
    ck_assert_int_eq(kb_agg_brand_state(a, "B", 1, &st, 0), KB_AGG_OK);
    ck_assert(!st.has[KB_SQ_RELIABILITY]);
    ck_assert(kb_agg_group_horizon(a, 0, &h) == 1 && h == 190000);
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

/* A group whose last owner had published up to 300 s joins an instance at
 * 100 s: the group's windows up to 300 s are refused, and the instance's
 * own open windows do not close early because of it. */
START_TEST(t_group_resumes_ahead)
{
    sink_t s = {0};
    kb_agg_t *a = agg(&s, 60, 60);
    kb_obs_t o = obs("A", 50, 0.5);
    int64_t h = 0;

    ck_assert_int_eq(kb_agg_add(a, 0, 0, &o), KB_AGG_OK);
    o = obs("A", 110, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 0, 1, &o), KB_AGG_OK);
    ck_assert_int_eq(s.n, 2); /* A [0,60) */
    ck_assert_int_eq(kb_agg_set_group(a, 1, 1), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_set_group_horizon(a, 1, 300000), KB_AGG_OK);
    ck_assert_int_eq(kb_agg_expect_partition(a, 1), KB_AGG_OK);
    o = obs("B", 250, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 1, 0, &o), KB_AGG_LATE);
    ck_assert_int_eq(s.n, 2); /* A [60,120) is still open */
    o = obs("A", 115, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 0, 2, &o), KB_AGG_OK);
    o = obs("B", 330, 0.5);
    ck_assert_int_eq(kb_agg_add(a, 1, 1, &o), KB_AGG_OK);
    ck_assert(kb_agg_group_horizon(a, 0, &h) == 1 && h == 105000);
    ck_assert(kb_agg_group_horizon(a, 1, &h) == 1 && h == 300000);
    ck_assert_int_eq(kb_agg_flush_all(a), KB_AGG_OK);
    ck_assert_int_eq(s.n, 6); /* A [60,120) with 2 mentions, B [300,360) */
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"mentions\":2,"));
    ck_assert_ptr_nonnull(strstr(s.rec[4], "\"brand\":\"B\""));
    sink_free(&s);
    kb_agg_free(a);
}
END_TEST

START_TEST(t_bad_config)
{
    kb_agg_cfg_t cfg;
    char err[128];

    kb_agg_cfg_default(&cfg);
    cfg.hop_ms = 45000; /* 60 s is not a multiple of 45 s */
    ck_assert_ptr_null(kb_agg_new(&cfg, collect, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "multiple"));
    ck_assert(kb_round4(0.12346) > 0.12349 && kb_round4(0.12346) < 0.12351);
    ck_assert(!(kb_round4(-0.66666) < -0.6667) && !(kb_round4(-0.66666) > -0.6667));
}
END_TEST

/* Out of memory anywhere in add is an error, never a crash or a count. */
START_TEST(t_oom)
{
    for (int n = 0; n < 12; n++) {
        sink_t s = {0};
        kb_agg_t *a = agg(&s, 60, 60);
        const kb_obs_term_t t1[] = {{"b", 1, 1}};
        kb_obs_t o = obs("A", 1, 0.5);
        int rc;
        o.terms = t1;
        o.n_terms = 1;
        kb_mem_fail_after(n);
        rc = kb_agg_add(a, 0, 0, &o);
        kb_mem_fail_after(-1);
        ck_assert(rc == KB_AGG_OK || rc == KB_AGG_ERR);
        kb_agg_flush_all(a);
        sink_free(&s);
        kb_agg_free(a);
    }
}
END_TEST

Suite *kb_agg_suite(void)
{
    Suite *s = suite_create("agg");
    TCase *tc = tcase_create("windows");

    tcase_add_test(tc, t_tumbling_arithmetic);
    tcase_add_test(tc, t_partitions_gate);
    tcase_add_test(tc, t_hopping);
    tcase_add_test(tc, t_top_terms);
    tcase_add_test(tc, t_expect_and_offsets);
    tcase_add_test(tc, t_group_resumes_behind);
    tcase_add_test(tc, t_group_resumes_ahead);
    tcase_add_test(tc, t_bad_config);
    tcase_add_test(tc, t_oom);
    suite_add_tcase(s, tc);
    return s;
}
