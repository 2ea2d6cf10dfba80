/* check_alert.c -- the alert detectors: the arithmetic against values worked
 * out by hand in the comments, then small streams with known spikes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_alert.h"
#include "kb_buf.h"
#include "kb_mem.h"
#include "kb_test.h"

#define MAX_RECS 512
#define H 3600000LL
/* 2026-11-02T00:00:00Z, a Monday */
#define T0 1793577600000LL

typedef struct sink {
    char *key[MAX_RECS], *rec[MAX_RECS];
    int n;
} sink_t;

static char *dup_n(const char *p, size_t n)
{
    char *c = malloc(n + 1);

    memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

static int collect(void *ud, const char *key, size_t key_len, const char *json, size_t len)
{
    sink_t *s = ud;

    ck_assert_int_lt(s->n, MAX_RECS);
    s->key[s->n] = dup_n(key, key_len);
    s->rec[s->n++] = dup_n(json, len);
    return 0;
}

static void sink_free(sink_t *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->key[i]);
        free(s->rec[i]);
    }
    s->n = 0;
}

/* A steady brand: 100 mentions, 10 negative (2 per dimension), 4
 * complaints per hour. @p extra adds that many complaints about dimension
 * @p dim (each also negative and a mention). */
typedef struct wspec {
    int64_t mentions, negative, complaints, dim_neg[KB_SQ_COUNT];
} wspec_t;

static wspec_t steady(void)
{
    wspec_t s = {100, 10, 4, {2, 2, 2, 2, 2}};
    return s;
}

static wspec_t spike(int dim, int64_t extra)
{
    wspec_t s = steady();

    s.mentions += extra;
    s.negative += extra;
    s.complaints += extra;
    s.dim_neg[dim] += extra;
    return s;
}

static const char *const terms[] = {"慢", "态度差"};
static const char *const ids[] = {"m1", "m2"};

static int feed(kb_alert_t *al, const char *brand, int64_t hour, const wspec_t *s)
{
    kb_alert_window_t w;

    memset(&w, 0, sizeof(w));
    w.brand = brand;
    w.brand_len = strlen(brand);
    w.window_start = T0 + hour * H;
    w.window_end = w.window_start + H;
    w.mentions = s->mentions;
    w.negative = s->negative;
    w.complaints = s->complaints;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        w.dim_negative[d] = s->dim_neg[d];
        w.dim_mentions[d] = s->dim_neg[d] + 1;
    }
    w.neg_terms = terms;
    w.n_neg_terms = 2;
    w.sample_ids = ids;
    w.n_sample_ids = 2;
    return kb_alert_window(al, &w);
}

static void feed_range(kb_alert_t *al, const char *brand, int64_t from, int64_t to,
                       const wspec_t *s)
{
    for (int64_t h = from; h < to; h++) {
        ck_assert_int_eq(feed(al, brand, h, s), 0);
    }
}

static kb_alert_t *alert_new(sink_t *s, const kb_alert_cfg_t *cfg)
{
    kb_alert_cfg_t def;
    char err[256];
    kb_alert_t *al;

    kb_alert_cfg_default(&def);
    al = kb_alert_new(cfg ? cfg : &def, collect, s, err, sizeof(err));
    ck_assert_msg(al != NULL, "%s", err);
    return al;
}

/* ---- arithmetic ---------------------------------------------------------- */

static void ck_log_rel(double got, double want)
{
    ck_assert_msg(fabs(got - want) <= 1e-9 * fabs(want) + 1e-12, "got %.17g want %.17g", got,
                  want);
}

/* P(X >= k) = 1 - sum_{i<k} e^-l l^i / i!, written out:
 *   P(X>=1 | 2)   = 1 - e^-2                                  = 0.86466...
 *   P(X>=3 | 1)   = 1 - e^-1 (1 + 1 + 1/2)                    = 0.08030...
 *   P(X>=5 | 0.5) = 1 - e^-0.5 (1 + .5 + .125 + .5^3/6 + .5^4/24) = 1.72e-4
 *   P(X>=3 | 10)  = 1 - e^-10 (1 + 10 + 50)  (the continued-fraction side)
 *   P(X>=40 | 2)  = e^-2 2^40/40! (1 + 2/41 + 4/(41*42) + ...) = 1.917e-37,
 *                   far below where 1 - CDF would cancel to 0. */
START_TEST(t_poisson_tail)
{
    double tail40 = 0, term = 1;

    ck_assert_double_eq(kb_alert_poisson_logsf(0, 3.0), 0.0);
    ck_log_rel(kb_alert_poisson_logsf(1, 2.0), log(1 - exp(-2.0)));
    ck_log_rel(kb_alert_poisson_logsf(3, 1.0), log(1 - 2.5 * exp(-1.0)));
    ck_log_rel(kb_alert_poisson_logsf(5, 0.5),
               log(1 - exp(-0.5) * (1 + 0.5 + 0.125 + 0.125 / 6 + 0.0625 / 24)));
    ck_log_rel(kb_alert_poisson_logsf(3, 10.0), log(1 - 61 * exp(-10.0)));
    for (int i = 1; i < 60; i++) {
        tail40 += term;
        term *= 2.0 / (40 + i);
    }
    ck_log_rel(kb_alert_poisson_logsf(40, 2.0), -2 + 40 * log(2.0) - lgamma(41.0) + log(tail40));
    ck_assert_double_eq_tol(kb_alert_poisson_logsf(40, 2.0), -84.5448043814865, 1e-9);
    /* A big brand: 600 against 500 is p = 7.785e-6 (summed in Python). */
    ck_assert_double_eq_tol(exp(kb_alert_poisson_logsf(600, 500.0)), 7.785272561879e-6, 1e-15);
}
END_TEST

/* alpha 0.5: 2 initialises (mean 2, var 0); 4: diff 2, incr 1, mean 3,
 * var 0.5 (0 + 2 * 1) = 1; 0: diff -3, incr -1.5, mean 1.5,
 * var 0.5 (1 + 4.5) = 2.75. */
START_TEST(t_ewma)
{
    double m = 0, v = 0;
    int64_t n = 0;

    kb_alert_ewma(&m, &v, &n, 2, 0.5);
    ck_assert_double_eq(m, 2);
    ck_assert_double_eq(v, 0);
    kb_alert_ewma(&m, &v, &n, 4, 0.5);
    ck_assert_double_eq_tol(m, 3, 1e-12);
    ck_assert_double_eq_tol(v, 1, 1e-12);
    kb_alert_ewma(&m, &v, &n, 0, 0.5);
    ck_assert_double_eq_tol(m, 1.5, 1e-12);
    ck_assert_double_eq_tol(v, 2.75, 1e-12);
    ck_assert_int_eq(n, 3);
}
END_TEST

/* {3,10,4}: median 4, deviations {1,6,0}, MAD 1. {2,8}: median 5, MAD 3.
 * {7}: 7 and 0. The input stays in its order. */
START_TEST(t_median_mad)
{
    uint32_t a[] = {3, 10, 4}, b[] = {2, 8}, c[] = {7};
    double med, mad;

    kb_alert_median_mad(a, 3, &med, &mad);
    ck_assert_double_eq(med, 4);
    ck_assert_double_eq(mad, 1);
    ck_assert_uint_eq(a[0], 3);
    kb_alert_median_mad(b, 2, &med, &mad);
    ck_assert_double_eq(med, 5);
    ck_assert_double_eq(mad, 3);
    kb_alert_median_mad(c, 1, &med, &mad);
    ck_assert_double_eq(med, 7);
    ck_assert_double_eq(mad, 0);
}
END_TEST

/* 40 against 2: ratio 20, 1 + floor(2 log2 20) = 1 + floor(8.64) = 9; p
 * 1.9e-37 gives 36 -> 9. 6 against 1: ratio says 1 + floor(5.17) = 6, p
 * 5.9e-4 says floor(3.23) = 3 -> 3. 3 against 2: 1 + floor(1.17) = 2 but
 * p 0.32 says 0 -> clamped to 1. 1000x anything -> 10. */
START_TEST(t_severity)
{
    ck_assert_int_eq(kb_alert_severity(40, 2, kb_alert_poisson_logsf(40, 2)), 9);
    ck_assert_int_eq(kb_alert_severity(6, 1, kb_alert_poisson_logsf(6, 1)), 3);
    ck_assert_int_eq(kb_alert_severity(3, 2, kb_alert_poisson_logsf(3, 2)), 1);
    ck_assert_int_eq(kb_alert_severity(5000, 5, kb_alert_poisson_logsf(5000, 5)), 10);
}
END_TEST

/* ---- streams ------------------------------------------------------------- */

/* 200 steady hours (warm-up 168), then 3 hours with 20 extra responsiveness
 * complaints: responsiveness negatives 2 -> 22 (11x), complaints 4 -> 24 and
 * negatives 10 -> 30 too, but the dimension alert explains them, so exactly
 * one alert fires; two normal hours resolve it. */
START_TEST(t_spike_one_alert)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady(), sp = spike(KB_SQ_RESPONSIVENESS, 20);

    feed_range(al, "A", 0, 200, &st);
    ck_assert_int_eq(s.n, 0);
    feed_range(al, "A", 200, 203, &sp);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.key[0], "A|dimension_spike|responsiveness");
    ck_assert_str_eq(s.rec[0],
                     "{\"type\":\"alert\",\"kind\":\"dimension_spike\",\"brand\":\"A\","
                     "\"dimension\":\"responsiveness\",\"window_start\":\"2026-11-10T08:00:00Z\","
                     "\"window_end\":\"2026-11-10T09:00:00Z\",\"state\":\"firing\","
                     "\"since\":\"2026-11-10T08:00:00Z\",\"observed\":22,\"expected\":2,"
                     "\"p_value\":5.529e-16,\"z\":14.1421,\"windows\":1,\"severity\":7,\"longevity\":1,"
                     "\"evidence\":{\"top_terms\":[\"慢\",\"态度差\"],\"sample_ids\":[\"m1\",\"m2\"],"
                     "\"dimensions\":{\"tangibles\":{\"mentions\":3,\"negative\":2},"
                     "\"reliability\":{\"mentions\":3,\"negative\":2},"
                     "\"responsiveness\":{\"mentions\":23,\"negative\":22},"
                     "\"assurance\":{\"mentions\":3,\"negative\":2},"
                     "\"empathy\":{\"mentions\":3,\"negative\":2}}}}");
    feed_range(al, "A", 203, 204, &st);
    ck_assert_int_eq(s.n, 1);
    feed_range(al, "A", 204, 205, &st);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.key[1], "A|dimension_spike|responsiveness");
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"state\":\"resolved\""));
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"window_start\":\"2026-11-10T12:00:00Z\""));
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"severity\":7,\"longevity\":3,"));
    feed_range(al, "A", 205, 240, &st);
    ck_assert_int_eq(s.n, 2);
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* A rising spike publishes an update only when the severity rises: 20
 * extra (severity 7), 60 extra (ratio 31: 10), 40 extra (still 10, no
 * update). */
START_TEST(t_update_on_rise)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady(), a = spike(KB_SQ_RELIABILITY, 20), b = spike(KB_SQ_RELIABILITY, 60),
            c = spike(KB_SQ_RELIABILITY, 40);

    feed_range(al, "A", 0, 200, &st);
    ck_assert_int_eq(feed(al, "A", 200, &a), 0);
    ck_assert_int_eq(feed(al, "A", 201, &b), 0);
    ck_assert_int_eq(feed(al, "A", 202, &c), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"state\":\"firing\""));
    ck_assert_ptr_nonnull(strstr(s.rec[1], "\"severity\":10,\"longevity\":2,"));
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

START_TEST(t_no_alert_in_warmup)
{
    sink_t s = {0};
    kb_alert_cfg_t cfg;
    kb_alert_t *al;
    wspec_t st = steady(), sp = spike(KB_SQ_EMPATHY, 40);

    al = alert_new(&s, NULL);
    feed_range(al, "A", 0, 100, &st);
    feed_range(al, "A", 100, 103, &sp);
    feed_range(al, "A", 103, 167, &st);
    ck_assert_int_eq(s.n, 0);
    kb_alert_free(al);
    /* The control: with a 50-window warm-up the same spike fires. */
    kb_alert_cfg_default(&cfg);
    cfg.warmup_windows = 50;
    al = alert_new(&s, &cfg);
    feed_range(al, "A", 0, 100, &st);
    feed_range(al, "A", 100, 103, &sp);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.key[0], "A|dimension_spike|empathy");
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* Resolved at hour 204 (ends 205:00): cooldown 6 windows lasts until 211:00.
 * A spike at 207-208 stays silent; one at 215 fires. */
START_TEST(t_cooldown)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady(), sp = spike(KB_SQ_TANGIBLES, 30);

    feed_range(al, "A", 0, 200, &st);
    feed_range(al, "A", 200, 202, &sp);
    feed_range(al, "A", 202, 207, &st);
    ck_assert_int_eq(s.n, 2);
    feed_range(al, "A", 207, 209, &sp);
    feed_range(al, "A", 209, 215, &st);
    ck_assert_int_eq(s.n, 2);
    feed_range(al, "A", 215, 216, &sp);
    ck_assert_int_eq(s.n, 3);
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"state\":\"firing\""));
    ck_assert_ptr_nonnull(strstr(s.rec[2], "\"window_start\":\"2026-11-10T23:00:00Z\""));
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* Negative share 10 % -> 40 % with complaints flat: a storm. The extra 30
 * are spread over the dimensions (2 -> 8 each: P(X>=8 | 2) = 1.1e-3, not
 * extreme), so no dimension alert. A busy day (everything x3, share flat)
 * is no storm. */
START_TEST(t_storm)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady(), storm = steady(), busy;

    storm.negative = 40;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        storm.dim_neg[d] = 8;
    }
    busy = st;
    busy.complaints = 0;
    st.complaints = 0;
    feed_range(al, "A", 0, 200, &st);
    busy.mentions *= 3;
    busy.negative *= 3;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        busy.dim_neg[d] *= 3;
    }
    feed_range(al, "A", 200, 201, &busy);
    ck_assert_int_eq(s.n, 0);
    storm.complaints = 0;
    feed_range(al, "A", 201, 202, &storm);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.key[0], "A|negative_storm|");
    ck_assert_ptr_null(strstr(s.rec[0], "\"dimension\""));
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* A small brand: complaints alternate 0, 1 (about 0.5 an hour, floored to
 * 1 in one window). Four an hour is not extreme in one window
 * (P(X >= 4 | 1) = 0.019), but the last three windows (1 + 4 + 4 = 9
 * against about 1.7: 6.8e-5) are: complaint_spike fires in the second
 * hour, over 3 windows. */
START_TEST(t_small_brand_sum)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady();

    for (int64_t h = 0; h < 200; h++) {
        st.complaints = h % 2;
        ck_assert_int_eq(feed(al, "A", h, &st), 0);
    }
    st.complaints = 4;
    feed_range(al, "A", 200, 201, &st);
    ck_assert_int_eq(s.n, 0);
    feed_range(al, "A", 201, 202, &st);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.key[0], "A|complaint_spike|");
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"observed\":9,\"expected\":1.6871,"));
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"windows\":3,"));
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"since\":\"2026-11-10T09:00:00Z\""));
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* Dimensions are independent: a reliability spike fires while a tangibles
 * alert is still firing, but a complaint spike does not start on top. */
START_TEST(t_dimensions_independent)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady(), a = spike(KB_SQ_TANGIBLES, 20), both = a;

    both.complaints += 20;
    both.negative += 20;
    both.mentions += 20;
    both.dim_neg[KB_SQ_RELIABILITY] += 20;
    feed_range(al, "A", 0, 200, &st);
    feed_range(al, "A", 200, 201, &a);
    feed_range(al, "A", 201, 202, &both);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.key[0], "A|dimension_spike|tangibles");
    ck_assert_str_eq(s.key[1], "A|dimension_spike|reliability");
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* Daily rhythm: 100 mentions an hour with 5 complaints, but 1000 with 50
 * every day at noon. The EWMA level is about 137 mentions and 6.9
 * complaints, so noon looks like a 7x complaint spike to it; the same hour
 * of the previous week says 1000 x 5 % = 50 and nothing fires. The control
 * needs 3 weeks of history before the seasonal baseline counts and fires
 * at the first noon after warm-up. */
static void rhythm(kb_alert_t *al, int64_t hours)
{
    wspec_t w = steady();

    for (int64_t h = 0; h < hours; h++) {
        int noon = h % 24 == 12;
        w.mentions = noon ? 1000 : 100;
        w.complaints = noon ? 50 : 5;
        w.negative = noon ? 100 : 10;
        for (int d = 0; d < KB_SQ_COUNT; d++) {
            w.dim_neg[d] = noon ? 20 : 2;
        }
        ck_assert_int_eq(feed(al, "A", h, &w), 0);
    }
}

START_TEST(t_daily_rhythm)
{
    sink_t s = {0};
    kb_alert_cfg_t cfg;
    kb_alert_t *al = alert_new(&s, NULL);

    rhythm(al, 3 * 168);
    ck_assert_int_eq(s.n, 0);
    kb_alert_free(al);
    kb_alert_cfg_default(&cfg);
    cfg.season_min_weeks = 3;
    al = alert_new(&s, &cfg);
    rhythm(al, 2 * 168);
    ck_assert_int_gt(s.n, 0);
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"window_start\":\"2026-11-09T12:00:00Z\""));
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

/* One-minute windows: an hour-of-week slot sums 60 windows, and the
 * expectation per window is the slot's median / 60. Eight steady days
 * (100 mentions, 4 complaints a minute) raise nothing; a minute with 20
 * extra responsiveness complaints fires with expected 2 (the 2 a minute
 * the dimension always has). */
START_TEST(t_minute_windows)
{
    sink_t s = {0};
    kb_alert_cfg_t cfg;
    kb_alert_t *al;
    wspec_t st = steady(), sp = spike(KB_SQ_RESPONSIVENESS, 20);
    kb_alert_window_t w;
    char *js = NULL;

    kb_alert_cfg_default(&cfg);
    cfg.window_ms = 60000;
    al = alert_new(&s, &cfg);
    for (int64_t m = 0; m <= 8 * 1440; m++) {
        const wspec_t *x = m == 8 * 1440 ? &sp : &st;
        memset(&w, 0, sizeof(w));
        w.brand = "A";
        w.brand_len = 1;
        w.window_start = T0 + m * 60000;
        w.window_end = w.window_start + 60000;
        w.mentions = x->mentions;
        w.negative = x->negative;
        w.complaints = x->complaints;
        memcpy(w.dim_negative, x->dim_neg, sizeof(w.dim_negative));
        ck_assert_int_eq(kb_alert_window(al, &w), 0);
    }
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.key[0], "A|dimension_spike|responsiveness");
    ck_assert_ptr_nonnull(strstr(s.rec[0], "\"observed\":22,\"expected\":2,"));
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &js), 1);
    /* Slot 0, Monday 00:00, of both weeks: 6000 mentions an hour. */
    ck_assert_ptr_nonnull(strstr(js, "\"slots\":[[6000,6000],"));
    kb_free(js);
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

typedef struct saved {
    char *brand, *json;
    size_t len;
    int calls;
} saved_t;

static int save_state(void *ud, const char *brand, size_t len, const char *json, size_t json_len)
{
    saved_t *sv = ud;

    free(sv->brand);
    free(sv->json);
    sv->brand = dup_n(brand, len);
    sv->json = dup_n(json, json_len);
    sv->len = json_len;
    sv->calls++;
    return 0;
}

/* Fire at 200, take the state after 201, restart from it: the rest of the
 * run is byte-identical to an uninterrupted one and does not fire again. */
START_TEST(t_restart_no_refire)
{
    sink_t ref = {0}, a = {0}, b = {0};
    saved_t sv = {0};
    kb_alert_t *al;
    wspec_t st = steady(), sp = spike(KB_SQ_ASSURANCE, 25);
    char err[256], *again = NULL;

    al = alert_new(&ref, NULL);
    feed_range(al, "A", 0, 200, &st);
    feed_range(al, "A", 200, 204, &sp);
    feed_range(al, "A", 204, 230, &st);
    kb_alert_free(al);
    ck_assert_int_eq(ref.n, 2);

    al = alert_new(&a, NULL);
    feed_range(al, "A", 0, 200, &st);
    feed_range(al, "A", 200, 202, &sp);
    ck_assert_int_eq(kb_alert_take_changed(al, save_state, &sv), 0);
    kb_alert_free(al);
    ck_assert_int_eq(a.n, 1);
    ck_assert_str_eq(sv.brand, "A");

    al = alert_new(&b, NULL);
    ck_assert_int_eq(kb_alert_state_set(al, "A", 1, sv.json, sv.len, err, sizeof(err)), 0);
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &again), 1);
    ck_assert_str_eq(again, sv.json);
    kb_free(again);
    /* Input before the restored state is replayed: ignored, silent. */
    ck_assert_int_eq(feed(al, "A", 201, &sp), KB_ALERT_SEEN);
    feed_range(al, "A", 202, 204, &sp);
    feed_range(al, "A", 204, 230, &st);
    kb_alert_free(al);
    ck_assert_int_eq(b.n, 1);
    ck_assert_str_eq(b.rec[0], ref.rec[1]);
    ck_assert_ptr_nonnull(strstr(b.rec[0], "\"state\":\"resolved\""));
    free(sv.brand);
    free(sv.json);
    sink_free(&ref);
    sink_free(&a);
    sink_free(&b);
}
END_TEST

/* A brand silent for 10 hours: 10 zero windows join its history, so seen
 * goes 50 -> 61 (and 9 more to the window at 70: 71). A window seen
 * already is ignored. */
START_TEST(t_gaps)
{
    sink_t s = {0};
    kb_alert_cfg_t cfg;
    kb_alert_t *al;
    wspec_t st = steady();
    char *js = NULL;

    kb_alert_cfg_default(&cfg);
    cfg.max_gap_windows = 20;
    al = alert_new(&s, &cfg);
    feed_range(al, "A", 0, 50, &st);
    ck_assert_int_eq(feed(al, "A", 60, &st), 0);
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &js), 1);
    ck_assert_ptr_nonnull(strstr(js, "{\"v\":1,\"seen\":61,"));
    kb_free(js);
    ck_assert_int_eq(feed(al, "A", 70, &st), 0);
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &js), 1);
    ck_assert_ptr_nonnull(strstr(js, "{\"v\":1,\"seen\":71,"));
    kb_free(js);
    ck_assert_int_eq(feed(al, "A", 69, &st), KB_ALERT_SEEN);
    ck_assert_int_eq(feed(al, "A", 70, &st), KB_ALERT_SEEN);
    /* 30 silent hours > max_gap 20: the brand starts over. */
    ck_assert_int_eq(feed(al, "A", 101, &st), 0);
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &js), 1);
    ck_assert_ptr_nonnull(strstr(js, "{\"v\":1,\"seen\":1,"));
    kb_free(js);
    ck_assert_int_eq(kb_alert_state_get(al, "B", 1, &js), 0);
    ck_assert_ptr_null(js);
    kb_alert_free(al);
    sink_free(&s);
}
END_TEST

START_TEST(t_bad_state)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    char err[256], *js = NULL;
    static const char *const bad[] = {
        "{", "[]", "{\"v\":1}",
        "{\"v\":1,\"seen\":1,\"last_end\":null,\"cooldown_until\":0,\"mean\":[0],\"var\":[0]}",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        ck_assert_int_eq(kb_alert_state_set(al, "A", 1, bad[i], strlen(bad[i]), err,
                                            sizeof(err)),
                         -1);
        ck_assert_ptr_nonnull(strstr(err, "alert state of A"));
    }
    ck_assert_int_eq(kb_alert_brands(al), 0);
    ck_assert_int_eq(kb_alert_state_get(al, "A", 1, &js), 0);
    kb_alert_free(al);
}
END_TEST

/* Changed brands come in name order, once. */
START_TEST(t_take_changed_order)
{
    sink_t s = {0};
    kb_alert_t *al = alert_new(&s, NULL);
    wspec_t st = steady();
    saved_t sv = {0};

    feed_range(al, "b", 0, 1, &st);
    feed_range(al, "a", 0, 1, &st);
    feed_range(al, "ab", 0, 1, &st);
    ck_assert_int_eq(kb_alert_take_changed(al, save_state, &sv), 0);
    ck_assert_int_eq(sv.calls, 3);
    ck_assert_str_eq(sv.brand, "b");
    ck_assert_int_eq(kb_alert_take_changed(al, save_state, &sv), 0);
    ck_assert_int_eq(sv.calls, 3);
    free(sv.brand);
    free(sv.json);
    kb_alert_free(al);
}
END_TEST

START_TEST(t_bad_config)
{
    kb_alert_cfg_t cfg;
    char err[256];

    kb_alert_cfg_default(&cfg);
    cfg.season_weeks = 9;
    ck_assert_ptr_null(kb_alert_new(&cfg, collect, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "season"));
    kb_alert_cfg_default(&cfg);
    cfg.p_max = 0.5;
    cfg.hold_p = 0.01;
    ck_assert_ptr_null(kb_alert_new(&cfg, collect, NULL, err, sizeof(err)));
}
END_TEST

START_TEST(t_cfg_set)
{
    kb_alert_cfg_t cfg;
    kb_buf_t out;
    char err[128];

    kb_alert_cfg_default(&cfg);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "p_max", "1e-5", err, sizeof(err)), 0);
    ck_assert_double_eq(cfg.p_max, 1e-5);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "warmup_windows", "24", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.warmup_windows, 24);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "window_ms", "60000", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.window_ms, 60000);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "warmup_windows", "2.5", err, sizeof(err)), -1);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "z_min", "three", err, sizeof(err)), -1);
    ck_assert_int_eq(kb_alert_cfg_set(&cfg, "nope", "1", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "unknown alert setting 'nope'");
    kb_buf_init(&out);
    kb_alert_cfg_print(&cfg, &out);
    ck_assert_ptr_nonnull(strstr(out.p, "\nwarmup_windows=24\n"));
    ck_assert_ptr_nonnull(strstr(out.p, "\np_max=1e-05\n"));
    kb_buf_fini(&out);
}
END_TEST

/* Every allocation failing in turn: an error return, never a crash or leak
 * (ASan checks the leaks). */
START_TEST(t_alloc_failure)
{
    wspec_t st = steady(), sp = spike(KB_SQ_ASSURANCE, 25);
    int failed = 0, last_ok = 0;

    for (long n = 0; n < 200; n++) {
        sink_t s = {0};
        char err[128], *js = NULL;
        kb_alert_t *al;
        kb_alert_cfg_t cfg;
        int ok = 1;

        kb_alert_cfg_default(&cfg);
        cfg.warmup_windows = 2;
        kb_mem_fail_after(n);
        al = kb_alert_new(&cfg, collect, &s, err, sizeof(err));
        for (int h = 0; al && h < 8; h++) {
            ok &= feed(al, h % 2 ? "A" : "B", h, h > 5 ? &sp : &st) == 0;
        }
        if (al && kb_alert_state_get(al, "A", 1, &js) == 1) {
            ok &= kb_alert_state_set(al, "C", 1, js, strlen(js), err, sizeof(err)) == 0;
        }
        kb_mem_fail_after(-1);
        ok &= al != NULL && js != NULL;
        failed += !ok;
        last_ok = ok;
        kb_free(js);
        kb_alert_free(al);
        sink_free(&s);
    }
    ck_assert_int_gt(failed, 0);
    ck_assert_int_eq(last_ok, 1);
}
END_TEST

Suite *kb_alert_suite(void)
{
    Suite *s = suite_create("alert");
    TCase *tc = tcase_create("arithmetic");

    tcase_add_test(tc, t_poisson_tail);
    tcase_add_test(tc, t_ewma);
    tcase_add_test(tc, t_median_mad);
    tcase_add_test(tc, t_severity);
    suite_add_tcase(s, tc);
    tc = tcase_create("detectors");
    tcase_add_test(tc, t_spike_one_alert);
    tcase_add_test(tc, t_update_on_rise);
    tcase_add_test(tc, t_no_alert_in_warmup);
    tcase_add_test(tc, t_cooldown);
    tcase_add_test(tc, t_storm);
    tcase_add_test(tc, t_small_brand_sum);
    tcase_add_test(tc, t_dimensions_independent);
    tcase_add_test(tc, t_daily_rhythm);
    tcase_add_test(tc, t_minute_windows);
    suite_add_tcase(s, tc);
    tc = tcase_create("state");
    tcase_add_test(tc, t_restart_no_refire);
    tcase_add_test(tc, t_gaps);
    tcase_add_test(tc, t_bad_state);
    tcase_add_test(tc, t_take_changed_order);
    tcase_add_test(tc, t_bad_config);
    tcase_add_test(tc, t_cfg_set);
    tcase_add_test(tc, t_alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}
