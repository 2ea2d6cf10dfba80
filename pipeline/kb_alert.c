/* kb_alert.c -- per-brand anomaly detectors over closed windows.
 *
 * Layout: brands live in an open-addressing hash table. A brand keeps, for
 * each of its eight count series (mentions, complaints, negative, negative
 * per SERVQUAL dimension), an EWMA mean and variance; for mentions alone a
 * ring of the last season_weeks totals of every hour of the week (the
 * seasonal shape is a property of the brand's traffic, and a series' share
 * of mentions is stable, so one ring serves every series at 1/8 of the
 * memory); and one state machine per detector. Output order depends only on
 * the input order: the brand table is never iterated for records, and
 * kb_alert_take_changed() sorts brands by name.
 */
#include "kb_alert.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_agg.h"
#include "kb_buf.h"
#include "kb_decode.h"
#include "kb_mem.h"

#define HOUR_MS 3600000LL
#define WEEK_MS (168 * HOUR_MS)
/* 1970-01-01 was a Thursday: the first Monday 00:00 UTC is 4 days later. */
#define MONDAY_MS (4 * 24 * HOUR_MS)
#define MAX_SEASON_WEEKS 8
#define MAX_SUM_WINDOWS 6
#define NR (MAX_SUM_WINDOWS - 1)
#define MAD_SIGMA 1.4826 /* MAD -> standard deviation under normality */

enum { S_MENT = 0, S_COMP, S_NEG, S_DIM0, NS = S_DIM0 + KB_SQ_COUNT };
enum { D_DIM0 = 0, D_COMP = KB_SQ_COUNT, D_STORM, ND };

typedef struct det {
    int32_t firing;
    int32_t longevity;   /* anomalous windows since it started */
    int32_t normal_run;  /* consecutive normal windows while firing */
    int32_t max_sev;     /* highest severity published */
    int64_t since;       /* window_start of the first anomalous window */
} det_t;

typedef struct brand {
    char *name;
    size_t len;
    uint32_t hash;
    int dirty;
    int has_last;
    int64_t seen;            /* windows fed, gaps included */
    int64_t last_end;
    int64_t cooldown_until;  /* no new alert starts before this window_start */
    double mean[NS], var[NS];
    int32_t frozen[NS];      /* consecutive windows kept out of the EWMA */
    det_t det[ND];
    /* The last sum_windows - 1 windows of each detector, newest first:
     * observed, raw expected and baseline variance, for the summed test. */
    int64_t rx[ND][NR];
    double re[ND][NR], rv[ND][NR];
    int has_acc;
    int64_t acc_period;      /* absolute index of the seasonal period being summed */
    int64_t acc, acc_n;      /* its mentions and windows so far */
    uint32_t *ring;          /* n_slots x season_weeks totals, or NULL */
    uint8_t *fill, *next;    /* per slot: samples held, next write index */
} brand_t;

struct kb_alert {
    kb_alert_cfg_t cfg;
    kb_alert_emit_fn emit;
    void *ud;
    brand_t **brands;
    size_t bcap, bn;
    int64_t slot_ms, wps;    /* seasonal period and windows per period */
    int n_slots;             /* 0: no seasonal baseline for this window length */
    kb_buf_t out, key;
};

/* One window as the detectors see it: a real one or a skipped (zero) one. */
typedef struct obs {
    int64_t start, end;
    int64_t x[NS];
    const kb_alert_window_t *w;  /* NULL for a skipped window */
} obs_t;

/* A detector's verdict on one window. */
typedef struct verdict {
    int64_t observed;     /* count the verdict is about (summed over span) */
    int span;             /* windows it covers: 1, or sum_windows */
    double expected, log_p, z;
    int strict, hold, sev;
    int64_t x;            /* this window alone, for the history */
    double e_raw, bvar;
} verdict_t;

static const char *const kind_names[] = {"complaint_spike", "negative_storm",
                                         "dimension_spike"};

/* ---- arithmetic --------------------------------------------------------- */

/* P(X >= k) for Poisson(lambda) is the regularised lower incomplete gamma
 * P(k, lambda). Below the mode (lambda < k + 1) the series converges fast and
 * gives the small tail directly, so it is computed in log space without
 * cancellation; above it the tail is large and 1 - Q from the continued
 * fraction is exact enough (Numerical Recipes 6.2). */
static double log_gamma_series(double a, double x)
{
    double ap = a, del = 1.0 / a, sum = del;

    for (int n = 0; n < 10000000; n++) {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * 1e-16) {
            break;
        }
    }
    return a * log(x) - x - lgamma(a) + log(sum);
}

static double gamma_q_cf(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;

    for (int i = 1; i < 10000000; i++) {
        double an = -i * (i - a), del;
        b += 2.0;
        d = an * d + b;
        d = fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16) {
            break;
        }
    }
    return exp(a * log(x) - x - lgamma(a)) * h;
}

double kb_alert_poisson_logsf(int64_t k, double lambda)
{
    double a = (double)k;

    if (k <= 0) {
        return 0.0;
    }
    if (lambda < a + 1.0) {
        return log_gamma_series(a, lambda);
    }
    return log1p(-gamma_q_cf(a, lambda));
}

void kb_alert_ewma(double *mean, double *var, int64_t *n, double x, double alpha)
{
    double diff, incr;

    if (*n == 0) {
        *mean = x;
        *var = 0.0;
    } else {
        /* West (1979): the variance follows the same exponential weights. */
        diff = x - *mean;
        incr = alpha * diff;
        *mean += incr;
        *var = (1.0 - alpha) * (*var + diff * incr);
    }
    (*n)++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void kb_alert_median_mad(const uint32_t *v, size_t n, double *median, double *mad)
{
    uint32_t s[MAX_SEASON_WEEKS * 4];
    double dev[MAX_SEASON_WEEKS * 4] = {0};

    if (n == 0) {
        *median = *mad = 0.0;
        return;
    }
    n = n > sizeof(s) / sizeof(s[0]) ? sizeof(s) / sizeof(s[0]) : n;
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_u32);
    *median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + (double)s[n / 2]) / 2.0;
    for (size_t i = 0; i < n; i++) {
        dev[i] = fabs(s[i] - *median);
    }
    qsort(dev, n, sizeof(*dev), cmp_dbl);
    *mad = n % 2 ? dev[n / 2] : (dev[n / 2 - 1] + dev[n / 2]) / 2.0;
}

/* Two readings of "how far above expected", and the weaker wins: the ratio
 * (2 steps per doubling, so 1.5x is 2, 3x is 4, 20x is 9) and the evidence
 * (-log10 p), so a tiny brand going from 1 to 6 is not rated like a big one
 * going from 100 to 600. */
int kb_alert_severity(double observed, double expected, double log_p)
{
    double r = expected > 0 ? observed / expected : 1e9;
    double by_ratio = r > 1.0 ? 1.0 + floor(2.0 * log2(r)) : 1.0;
    double by_p = floor(-log_p / log(10.0));
    double s = by_ratio < by_p ? by_ratio : by_p;

    return s < 1 ? 1 : s > 10 ? 10 : (int)s;
}

/* ---- configuration and lifecycle ----------------------------------------- */

void kb_alert_cfg_default(kb_alert_cfg_t *cfg)
{
    cfg->window_ms = HOUR_MS;
    cfg->warmup_windows = 168;
    cfg->ewma_alpha = 0.05;
    cfg->p_max = 1e-4;
    cfg->z_min = 3.0;
    cfg->min_ratio = 2.0;
    cfg->min_observed = 5;
    cfg->min_expected = 1.0;
    cfg->storm_share_ratio = 1.3;
    cfg->hold_p = 0.01;
    cfg->hold_ratio = 1.3;
    cfg->resolve_windows = 2;
    cfg->cooldown_windows = 6;
    cfg->freeze_windows = 48;
    cfg->season_weeks = 3;
    cfg->season_min_weeks = 1;
    cfg->max_gap_windows = 336;
    cfg->sum_windows = 3;
}

/* The settable thresholds: one table for kb_alert_cfg_set() and
 * kb_alert_cfg_print(), so a new field is one line here. */
typedef struct cfg_field {
    const char *key;
    char type; /* 'i' int, 'l' int64_t, 'd' double */
    size_t off;
} cfg_field_t;

#define F(name, t) {#name, t, offsetof(kb_alert_cfg_t, name)}
static const cfg_field_t cfg_fields[] = {
    F(window_ms, 'l'),        F(warmup_windows, 'i'),  F(ewma_alpha, 'd'),
    F(p_max, 'd'),            F(z_min, 'd'),           F(min_ratio, 'd'),
    F(min_observed, 'l'),     F(min_expected, 'd'),    F(storm_share_ratio, 'd'),
    F(hold_p, 'd'),           F(hold_ratio, 'd'),      F(resolve_windows, 'i'),
    F(cooldown_windows, 'i'), F(freeze_windows, 'i'),  F(season_weeks, 'i'),
    F(season_min_weeks, 'i'), F(max_gap_windows, 'i'), F(sum_windows, 'i'),
};
#undef F

int kb_alert_cfg_set(kb_alert_cfg_t *cfg, const char *key, const char *value, char *errstr,
                     size_t errstr_size)
{
    char *end;
    double v = strtod(value, &end);

    for (size_t i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]); i++) {
        const cfg_field_t *f = &cfg_fields[i];
        char *at = (char *)cfg + f->off;
        if (strcmp(f->key, key) != 0) {
            continue;
        }
        if (end == value || *end || !isfinite(v) ||
            (f->type != 'd' && (fabs(v - floor(v)) > 0 || fabs(v) > 9e15))) {
            snprintf(errstr, errstr_size, "alert setting %s: bad value '%s'", key, value);
            return -1;
        }
        if (f->type == 'd') {
            memcpy(at, &v, sizeof(v));
        } else if (f->type == 'l') {
            int64_t n = (int64_t)v;
            memcpy(at, &n, sizeof(n));
        } else {
            int n = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
            memcpy(at, &n, sizeof(n));
        }
        return 0;
    }
    snprintf(errstr, errstr_size, "unknown alert setting '%s'", key);
    return -1;
}

void kb_alert_cfg_print(const kb_alert_cfg_t *cfg, kb_buf_t *out)
{
    for (size_t i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]); i++) {
        const cfg_field_t *f = &cfg_fields[i];
        const char *at = (const char *)cfg + f->off;
        kb_buf_printf(out, "%s=", f->key);
        if (f->type == 'd') {
            double v;
            char num[32];
            memcpy(&v, at, sizeof(v));
            /* The shortest of 15 or 17 digits that reads back the same. */
            snprintf(num, sizeof(num), "%.15g", v);
            if (strtod(num, NULL) < v || strtod(num, NULL) > v) {
                snprintf(num, sizeof(num), "%.17g", v);
            }
            kb_buf_printf(out, "%s\n", num);
        } else if (f->type == 'l') {
            int64_t n;
            memcpy(&n, at, sizeof(n));
            kb_buf_printf(out, "%lld\n", (long long)n);
        } else {
            int n;
            memcpy(&n, at, sizeof(n));
            kb_buf_printf(out, "%d\n", n);
        }
    }
}

static int cfg_check(const kb_alert_cfg_t *c, char *errstr, size_t errstr_size)
{
    const char *bad = NULL;

    if (c->window_ms <= 0) {
        bad = "window_ms must be positive";
    } else if (c->warmup_windows < 0 || c->resolve_windows < 1 || c->cooldown_windows < 0 ||
               c->freeze_windows < 0 || c->max_gap_windows < 1) {
        bad = "window counts: warmup, cooldown, freeze >= 0; resolve, max_gap >= 1";
    } else if (!(c->ewma_alpha > 0 && c->ewma_alpha <= 1)) {
        bad = "ewma_alpha must be in (0, 1]";
    } else if (!(c->p_max > 0 && c->p_max < 1) || !(c->hold_p >= c->p_max && c->hold_p < 1)) {
        bad = "0 < p_max <= hold_p < 1";
    } else if (!(c->z_min >= 0) || !(c->min_ratio >= 1) || !(c->hold_ratio >= 1) ||
               !(c->storm_share_ratio >= 1) || !(c->min_expected > 0) || c->min_observed < 1) {
        bad = "z_min >= 0; ratios >= 1; min_expected > 0; min_observed >= 1";
    } else if (c->season_weeks < 1 || c->season_weeks > MAX_SEASON_WEEKS ||
               c->season_min_weeks < 1 || c->season_min_weeks > c->season_weeks) {
        bad = "1 <= season_min_weeks <= season_weeks <= 8";
    } else if (c->sum_windows < 1 || c->sum_windows > MAX_SUM_WINDOWS) {
        bad = "1 <= sum_windows <= 6";
    }
    if (bad) {
        snprintf(errstr, errstr_size, "alert config: %s", bad);
        return -1;
    }
    return 0;
}

/* The seasonal period is an hour, or the window when it is longer; it must
 * tile both the hour (or the window) and the week, else there is no
 * same-hour-of-week to compare with and only the EWMA baseline runs. */
static void season_setup(kb_alert_t *al)
{
    int64_t w = al->cfg.window_ms;
    int64_t slot = w > HOUR_MS ? w : HOUR_MS;

    if (slot % w != 0 || WEEK_MS % slot != 0) {
        return;
    }
    al->slot_ms = slot;
    al->wps = slot / w;
    al->n_slots = (int)(WEEK_MS / slot);
}

kb_alert_t *kb_alert_new(const kb_alert_cfg_t *cfg, kb_alert_emit_fn emit, void *ud,
                         char *errstr, size_t errstr_size)
{
    kb_alert_t *al;

    if (cfg_check(cfg, errstr, errstr_size) != 0) {
        return NULL;
    }
    if (!(al = kb_calloc(1, sizeof(*al)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    al->cfg = *cfg;
    al->emit = emit;
    al->ud = ud;
    season_setup(al);
    kb_buf_init(&al->out);
    kb_buf_init(&al->key);
    return al;
}

static void brand_free(brand_t *b)
{
    if (b) {
        kb_free(b->name);
        kb_free(b->ring);
        kb_free(b->fill);
        kb_free(b);
    }
}

void kb_alert_free(kb_alert_t *al)
{
    if (!al) {
        return;
    }
    for (size_t i = 0; i < al->bcap; i++) {
        brand_free(al->brands[i]);
    }
    kb_free(al->brands);
    kb_buf_fini(&al->out);
    kb_buf_fini(&al->key);
    kb_free(al);
}

size_t kb_alert_brands(const kb_alert_t *al)
{
    return al->bn;
}

size_t kb_alert_brand_bytes(const kb_alert_cfg_t *cfg)
{
    kb_alert_t tmp;

    memset(&tmp, 0, sizeof(tmp));
    tmp.cfg = *cfg;
    season_setup(&tmp);
    /* The brand, its hash slot at <= 3/4 load, and the seasonal ring. */
    return sizeof(brand_t) + 2 * sizeof(brand_t *) +
           (size_t)tmp.n_slots * ((size_t)cfg->season_weeks * sizeof(uint32_t) + 2);
}

/* ---- brand table -------------------------------------------------------- */

static uint32_t fnv1a(const char *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    }
    return h;
}

static int brands_grow(kb_alert_t *al)
{
    size_t cap = al->bcap ? al->bcap * 2 : 64;
    brand_t **t = kb_calloc(cap, sizeof(*t));

    if (!t) {
        return -1;
    }
    for (size_t i = 0; i < al->bcap; i++) {
        if (al->brands[i]) {
            size_t j = al->brands[i]->hash & (cap - 1);
            while (t[j]) {
                j = (j + 1) & (cap - 1);
            }
            t[j] = al->brands[i];
        }
    }
    kb_free(al->brands);
    al->brands = t;
    al->bcap = cap;
    return 0;
}

static brand_t *brand_find(const kb_alert_t *al, const char *name, size_t len)
{
    uint32_t h = fnv1a(name, len);
    brand_t *b;

    if (!al->bcap) {
        return NULL;
    }
    for (size_t j = h & (al->bcap - 1); (b = al->brands[j]); j = (j + 1) & (al->bcap - 1)) {
        if (b->hash == h && b->len == len && memcmp(b->name, name, len) == 0) {
            return b;
        }
    }
    return NULL;
}

/* Zero a brand's detector state, keeping its name and allocations. */
static void brand_clear(const kb_alert_t *al, brand_t *b)
{
    b->has_last = 0;
    b->seen = b->last_end = b->cooldown_until = 0;
    memset(b->mean, 0, sizeof(b->mean));
    memset(b->var, 0, sizeof(b->var));
    memset(b->frozen, 0, sizeof(b->frozen));
    memset(b->det, 0, sizeof(b->det));
    memset(b->rx, 0, sizeof(b->rx));
    memset(b->re, 0, sizeof(b->re));
    memset(b->rv, 0, sizeof(b->rv));
    b->has_acc = 0;
    b->acc_period = b->acc = b->acc_n = 0;
    if (b->ring) {
        memset(b->ring, 0, (size_t)al->n_slots * al->cfg.season_weeks * sizeof(*b->ring));
        memset(b->fill, 0, 2 * (size_t)al->n_slots);
    }
}

static brand_t *brand_new(kb_alert_t *al, const char *name, size_t len)
{
    size_t ns = (size_t)al->n_slots;
    brand_t *b = kb_calloc(1, sizeof(*b));

    if (!b || !(b->name = kb_strndup(name, len))) {
        brand_free(b);
        return NULL;
    }
    b->len = len;
    b->hash = fnv1a(name, len);
    if (ns && (!(b->ring = kb_calloc(ns * al->cfg.season_weeks, sizeof(*b->ring))) ||
               !(b->fill = kb_calloc(2, ns)))) {
        brand_free(b);
        return NULL;
    }
    b->next = b->fill ? b->fill + ns : NULL;
    return b;
}

static brand_t *brand_get(kb_alert_t *al, const char *name, size_t len)
{
    brand_t *b = brand_find(al, name, len);
    size_t j;

    if (b) {
        return b;
    }
    if ((al->bn + 1) * 4 > al->bcap * 3 && brands_grow(al) != 0) {
        return NULL;
    }
    if (!(b = brand_new(al, name, len))) {
        return NULL;
    }
    for (j = b->hash & (al->bcap - 1); al->brands[j]; j = (j + 1) & (al->bcap - 1)) {
    }
    al->brands[j] = b;
    al->bn++;
    return b;
}

/* ---- seasonal baseline --------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t season_period(const kb_alert_t *al, int64_t start)
{
    return floor_div(start - MONDAY_MS, al->slot_ms);
}

static int season_slot(const kb_alert_t *al, int64_t period)
{
    int64_t s = period % al->n_slots;
    return (int)(s < 0 ? s + al->n_slots : s);
}

static void season_push(const kb_alert_t *al, brand_t *b, int slot, int64_t total)
{
    int k = al->cfg.season_weeks;
    uint32_t *r = b->ring + (size_t)slot * k;

    r[b->next[slot]] = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    b->next[slot] = (uint8_t)((b->next[slot] + 1) % k);
    if (b->fill[slot] < k) {
        b->fill[slot]++;
    }
}

/* Sum the mentions of the current period; a complete period becomes that
 * hour-of-week's newest sample when the next period begins. */
static void season_add(const kb_alert_t *al, brand_t *b, int64_t start, int64_t mentions)
{
    int64_t p;

    if (!al->n_slots) {
        return;
    }
    p = season_period(al, start);
    if (b->has_acc && p != b->acc_period) {
        if (b->acc_n == al->wps) {
            season_push(al, b, season_slot(al, b->acc_period), b->acc);
        }
        b->acc = b->acc_n = 0;
    }
    b->has_acc = 1;
    b->acc_period = p;
    b->acc += mentions;
    b->acc_n++;
}

/* Expected mentions of one window at @p start and their spread, from the
 * same hour of the previous weeks. 0 when that hour has too few samples. */
static int season_expect(const kb_alert_t *al, const brand_t *b, int64_t start, double *e,
                         double *sd)
{
    int slot, n;
    double med, mad;

    if (!al->n_slots) {
        return 0;
    }
    slot = season_slot(al, season_period(al, start));
    n = b->fill[slot];
    if (n < al->cfg.season_min_weeks) {
        return 0;
    }
    kb_alert_median_mad(b->ring + (size_t)slot * al->cfg.season_weeks, (size_t)n, &med, &mad);
    *e = med / (double)al->wps;
    *sd = MAD_SIGMA * mad / (double)al->wps;
    return 1;
}

/* ---- detectors ----------------------------------------------------------- */

static int det_series(int d)
{
    return d < D_COMP ? S_DIM0 + d : d == D_COMP ? S_COMP : S_NEG;
}

/* Expected count of series @p s (before the min_expected floor) and the
 * variance of that expectation. With a seasonal sample the series keeps its
 * EWMA share of mentions (stable over the day) and takes its shape from the
 * same hour of past weeks. */
static void expect(const kb_alert_t *al, const brand_t *b, int s, int64_t start, double *e,
                   double *bvar)
{
    double em, sdm;

    if (season_expect(al, b, start, &em, &sdm)) {
        double share = b->mean[S_MENT] > 0 ? b->mean[s] / b->mean[S_MENT] : 0.0;
        *e = share * em;
        *bvar = (share * sdm) * (share * sdm);
    } else {
        *e = b->mean[s];
        *bvar = b->var[s];
    }
}

/* The count test: @p x against @p e (floored at min_expected). */
static void test(const kb_alert_cfg_t *c, int64_t x, double e, double bvar, verdict_t *v)
{
    double ratio;

    v->observed = x;
    v->expected = e < c->min_expected ? c->min_expected : e;
    v->log_p = kb_alert_poisson_logsf(x, v->expected);
    /* Poisson noise plus the baseline's own uncertainty: large brands have
     * tiny Poisson spread, so without it every drift would be "significant". */
    v->z = (x - v->expected) / sqrt(v->expected + bvar);
    ratio = x / v->expected;
    v->strict = x >= c->min_observed && ratio >= c->min_ratio && v->z >= c->z_min &&
                v->log_p <= log(c->p_max);
    v->hold = ratio >= c->hold_ratio && v->log_p <= log(c->hold_p);
    v->sev = kb_alert_severity((double)x, v->expected, v->log_p);
}

/* Small brands: 4 complaints an hour against 0.2 is not significant in one
 * window, but three such hours in a row are. The summed test covers the
 * last sum_windows windows and counts only while this window is above its
 * own expectation, so it flags a spike that is still going on. */
static void test_sum(const kb_alert_t *al, const brand_t *b, int d, const verdict_t *one,
                     verdict_t *v)
{
    int64_t xs = one->x;
    double es = one->e_raw, vs = one->bvar;

    for (int i = 0; i < al->cfg.sum_windows - 1; i++) {
        xs += b->rx[d][i];
        es += b->re[d][i];
        vs += b->rv[d][i];
    }
    test(&al->cfg, xs, es, vs, v);
    v->span = al->cfg.sum_windows;
    v->strict = v->strict && (double)one->x > one->e_raw;
    v->hold = v->hold && (double)one->x > one->e_raw;
}

static void judge(const kb_alert_t *al, const brand_t *b, const obs_t *o, int d, verdict_t *v)
{
    const kb_alert_cfg_t *c = &al->cfg;
    verdict_t sum;
    int64_t x = o->x[det_series(d)];
    double e, bvar;

    expect(al, b, det_series(d), o->start, &e, &bvar);
    test(c, x, e, bvar, v);
    v->span = 1;
    v->x = x;
    v->e_raw = e;
    v->bvar = bvar;
    if (c->sum_windows > 1 && b->seen >= c->sum_windows - 1) {
        test_sum(al, b, d, v, &sum);
        if (!v->strict && sum.strict) {
            sum.x = v->x;
            sum.e_raw = v->e_raw;
            sum.bvar = v->bvar;
            *v = sum;
        }
        v->hold = v->hold || sum.hold;
    }
    if (d == D_STORM && v->strict) {
        /* A storm is a rise in the negative *share*, not a busy day. */
        double base = b->mean[S_MENT] > 0 ? b->mean[S_NEG] / b->mean[S_MENT] : 0.0;
        v->strict = o->x[S_MENT] > 0 &&
                    (double)x / (double)o->x[S_MENT] >= c->storm_share_ratio * base;
    }
}

/* ---- records ------------------------------------------------------------- */

static void put_key(kb_buf_t *out, const char *k)
{
    kb_buf_puts(out, ",\"");
    kb_buf_puts(out, k);
    kb_buf_puts(out, "\":");
}

static void put_ts(kb_buf_t *out, const char *k, int64_t ms)
{
    char ts[48];

    put_key(out, k);
    kb_format_iso8601(ms, ts, sizeof(ts));
    kb_buf_json_str(out, ts, strlen(ts));
}

static void put_strs(kb_buf_t *out, const char *k, const char *const *v, size_t n, size_t max)
{
    kb_buf_puts(out, k);
    kb_buf_puts(out, ":[");
    for (size_t i = 0; i < n && i < max; i++) {
        if (i) {
            kb_buf_putc(out, ',');
        }
        kb_buf_json_str(out, v[i], strlen(v[i]));
    }
    kb_buf_putc(out, ']');
}

static void put_evidence(kb_buf_t *out, const obs_t *o)
{
    const kb_alert_window_t *w = o->w;

    put_key(out, "evidence");
    kb_buf_putc(out, '{');
    put_strs(out, "\"top_terms\"", w ? w->neg_terms : NULL, w ? w->n_neg_terms : 0, 10);
    kb_buf_putc(out, ',');
    put_strs(out, "\"sample_ids\"", w ? w->sample_ids : NULL, w ? w->n_sample_ids : 0, 5);
    kb_buf_puts(out, ",\"dimensions\":{");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        kb_buf_printf(out, "%s\"%s\":{\"mentions\":", d ? "," : "", kb_servqual_name(d));
        kb_buf_int(out, w ? w->dim_mentions[d] : 0);
        kb_buf_puts(out, ",\"negative\":");
        kb_buf_int(out, o->x[S_DIM0 + d]);
        kb_buf_putc(out, '}');
    }
    kb_buf_puts(out, "}}");
}

static const char *kind_name(int d)
{
    return kind_names[d < D_COMP ? 2 : d == D_COMP ? 0 : 1];
}

static void build_key(kb_alert_t *al, const brand_t *b, int d)
{
    kb_buf_reset(&al->key);
    kb_buf_append(&al->key, b->name, b->len);
    kb_buf_putc(&al->key, '|');
    kb_buf_puts(&al->key, kind_name(d));
    kb_buf_putc(&al->key, '|');
    if (d < D_COMP) {
        kb_buf_puts(&al->key, kb_servqual_name(d));
    }
}

static int emit(kb_alert_t *al, const brand_t *b, const obs_t *o, int d, const verdict_t *v,
                int firing)
{
    kb_buf_t *out = &al->out;
    const det_t *dt = &b->det[d];
    char p[32];

    kb_buf_reset(out);
    kb_buf_puts(out, "{\"type\":\"alert\",\"kind\":\"");
    kb_buf_puts(out, kind_name(d));
    kb_buf_puts(out, "\",\"brand\":");
    kb_buf_json_str(out, b->name, b->len);
    if (d < D_COMP) {
        kb_buf_printf(out, ",\"dimension\":\"%s\"", kb_servqual_name(d));
    }
    put_ts(out, "window_start", o->start);
    put_ts(out, "window_end", o->end);
    kb_buf_puts(out, firing ? ",\"state\":\"firing\"" : ",\"state\":\"resolved\"");
    put_ts(out, "since", dt->since);
    put_key(out, "observed");
    kb_buf_int(out, v->observed);
    put_key(out, "expected");
    kb_buf_num(out, v->expected);
    /* p spans hundreds of orders of magnitude: four significant digits, not
     * four decimals (printf is correctly rounded, so still deterministic). */
    snprintf(p, sizeof(p), "%.4g", exp(v->log_p));
    put_key(out, "p_value");
    kb_buf_puts(out, p);
    put_key(out, "z");
    kb_buf_num(out, v->z);
    put_key(out, "windows");
    kb_buf_int(out, v->span);
    put_key(out, "severity");
    kb_buf_int(out, firing ? (v->sev > dt->max_sev ? v->sev : dt->max_sev) : dt->max_sev);
    put_key(out, "longevity");
    kb_buf_int(out, dt->longevity);
    put_evidence(out, o);
    kb_buf_putc(out, '}');
    build_key(al, b, d);
    if (out->oom || al->key.oom) {
        return -1;
    }
    return al->emit(al->ud, al->key.p, al->key.len, out->p, out->len);
}

/* ---- state machines ------------------------------------------------------ */

/* A new alert of @p d may start: the brand is warm, out of cooldown, and no
 * more specific alert of the brand explains the same rise already (a
 * dimension spike is also a complaint spike and often a storm; dimensions
 * are independent of each other). */
static int may_start(const kb_alert_t *al, const brand_t *b, const obs_t *o, int d)
{
    if (b->seen < al->cfg.warmup_windows || o->start < b->cooldown_until) {
        return 0;
    }
    for (int e = 0; e < d && d >= D_COMP; e++) {
        if (b->det[e].firing) {
            return 0;
        }
    }
    return 1;
}

static int step(kb_alert_t *al, brand_t *b, const obs_t *o, int d, const verdict_t *v)
{
    det_t *dt = &b->det[d];
    int rc = 0;

    if (!dt->firing) {
        if (v->strict && may_start(al, b, o, d)) {
            dt->firing = 1;
            dt->longevity = 1;
            dt->normal_run = 0;
            dt->since = o->start;
            rc = emit(al, b, o, d, v, 1);
            dt->max_sev = v->sev;
        }
        return rc;
    }
    if (v->hold || v->strict) {
        dt->longevity++;
        dt->normal_run = 0;
        if (v->sev > dt->max_sev) {
            rc = emit(al, b, o, d, v, 1);
            dt->max_sev = v->sev;
        }
        return rc;
    }
    if (++dt->normal_run < al->cfg.resolve_windows) {
        return 0;
    }
    rc = emit(al, b, o, d, v, 0);
    memset(dt, 0, sizeof(*dt));
    b->cooldown_until = o->end + (int64_t)al->cfg.cooldown_windows * al->cfg.window_ms;
    return rc;
}

/* Anomalous windows stay out of the baselines so a long spike does not
 * become its own normal, but only for freeze_windows in a row: after that a
 * lasting level shift is accepted as the new normal. */
static void remember(const kb_alert_t *al, brand_t *b, const verdict_t *v)
{
    for (int d = 0; d < ND; d++) {
        for (int i = al->cfg.sum_windows - 2; i > 0; i--) {
            b->rx[d][i] = b->rx[d][i - 1];
            b->re[d][i] = b->re[d][i - 1];
            b->rv[d][i] = b->rv[d][i - 1];
        }
        if (al->cfg.sum_windows > 1) {
            b->rx[d][0] = v[d].x;
            b->re[d][0] = v[d].e_raw;
            b->rv[d][0] = v[d].bvar;
        }
    }
}

static void update(const kb_alert_t *al, brand_t *b, const obs_t *o, const int *anom,
                   double exp_ment)
{
    int any = 0;

    for (int d = 0; d < ND; d++) {
        any |= anom[d];
    }
    for (int s = 0; s < NS; s++) {
        int a = s == S_MENT ? any : s == S_COMP ? anom[D_COMP]
                : s == S_NEG ? anom[D_STORM] || any : anom[s - S_DIM0];
        int64_t n = b->seen;
        if (a && b->frozen[s] < al->cfg.freeze_windows) {
            b->frozen[s]++;
            continue;
        }
        b->frozen[s] = 0;
        kb_alert_ewma(&b->mean[s], &b->var[s], &n, (double)o->x[s], al->cfg.ewma_alpha);
    }
    /* The seasonal history learns the expected traffic, not the spike. */
    season_add(al, b, o->start, any && b->frozen[S_MENT] ? llround(exp_ment) : o->x[S_MENT]);
    b->seen++;
    b->has_last = 1;
    b->last_end = o->end;
    b->dirty = 1;
}

static int process(kb_alert_t *al, brand_t *b, const obs_t *o)
{
    verdict_t v[ND];
    int anom[ND];
    double em, sdm;

    for (int d = 0; d < ND; d++) {
        judge(al, b, o, d, &v[d]);
    }
    /* Most specific first: dimensions, then complaints, then the storm. */
    for (int d = 0; d < ND; d++) {
        if (step(al, b, o, d, &v[d]) != 0) {
            return -1;
        }
        /* A new brand's first windows are all "anomalous" against a zero
         * baseline; freezing then would keep the baseline at zero. */
        anom[d] = b->seen >= al->cfg.warmup_windows &&
                  (v[d].strict || (b->det[d].firing && v[d].hold));
    }
    if (!season_expect(al, b, o->start, &em, &sdm)) {
        em = b->mean[S_MENT];
    }
    remember(al, b, v);
    update(al, b, o, anom, em);
    return 0;
}

/* A silence longer than max_gap_windows: the old baseline says nothing about
 * the brand any more. Firing alerts are resolved at the first silent window. */
static int brand_restart(kb_alert_t *al, brand_t *b)
{
    obs_t o;
    verdict_t v;

    memset(&o, 0, sizeof(o));
    o.start = b->last_end;
    o.end = b->last_end + al->cfg.window_ms;
    for (int d = 0; d < ND; d++) {
        if (b->det[d].firing) {
            judge(al, b, &o, d, &v);
            if (emit(al, b, &o, d, &v, 0) != 0) {
                return -1;
            }
        }
    }
    brand_clear(al, b);
    b->dirty = 1;
    return 0;
}

static void obs_from(obs_t *o, const kb_alert_window_t *w)
{
    o->start = w->window_start;
    o->end = w->window_end;
    o->x[S_MENT] = w->mentions;
    o->x[S_COMP] = w->complaints;
    o->x[S_NEG] = w->negative;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        o->x[S_DIM0 + d] = w->dim_negative[d];
    }
    o->w = w;
}

static int fill_gap(kb_alert_t *al, brand_t *b, int64_t start)
{
    int64_t wm = al->cfg.window_ms;
    int64_t gap = (start - b->last_end) / wm;
    obs_t o;

    if (gap > al->cfg.max_gap_windows) {
        return brand_restart(al, b);
    }
    memset(&o, 0, sizeof(o));
    for (int64_t i = 0; i < gap; i++) {
        o.start = b->last_end;
        o.end = o.start + wm;
        if (process(al, b, &o) != 0) {
            return -1;
        }
    }
    return 0;
}

int kb_alert_window(kb_alert_t *al, const kb_alert_window_t *w)
{
    brand_t *b;
    obs_t o;

    if (w->window_end <= w->window_start || w->mentions < 0 || w->negative < 0 ||
        w->complaints < 0) {
        return -1;
    }
    if (!(b = brand_get(al, w->brand, w->brand_len))) {
        return -1;
    }
    if (b->has_last && w->window_start < b->last_end) {
        /* Seen already: a restart restored a state newer than the input it
         * replays. Ignoring it keeps replay idempotent. */
        return KB_ALERT_SEEN;
    }
    if (b->has_last && fill_gap(al, b, w->window_start) != 0) {
        return -1;
    }
    memset(&o, 0, sizeof(o));
    obs_from(&o, w);
    return process(al, b, &o);
}

/* ---- state --------------------------------------------------------------- */

static void put_dbls(kb_buf_t *out, const char *k, const double *v, int n)
{
    put_key(out, k);
    kb_buf_putc(out, '[');
    for (int i = 0; i < n; i++) {
        /* 17 significant digits round-trip a double exactly. */
        kb_buf_printf(out, "%s%.17g", i ? "," : "", v[i]);
    }
    kb_buf_putc(out, ']');
}

static void put_season(const kb_alert_t *al, const brand_t *b, kb_buf_t *out)
{
    int k = al->cfg.season_weeks;

    put_key(out, "season");
    if (!al->n_slots) {
        kb_buf_puts(out, "null");
        return;
    }
    kb_buf_printf(out, "{\"period\":%lld,\"acc\":%lld,\"acc_n\":%lld,\"slots\":[",
                  (long long)(b->has_acc ? b->acc_period : -1), (long long)b->acc,
                  (long long)b->acc_n);
    for (int s = 0; s < al->n_slots; s++) {
        int n = b->fill[s];
        kb_buf_puts(out, s ? ",[" : "[");
        /* Oldest first, so the ring position need not be stored. */
        for (int i = 0; i < n; i++) {
            int j = (b->next[s] - n + i + k) % k;
            kb_buf_printf(out, "%s%u", i ? "," : "", b->ring[(size_t)s * k + j]);
        }
        kb_buf_putc(out, ']');
    }
    kb_buf_puts(out, "]}");
}

static void put_recent(const kb_alert_t *al, const brand_t *b, kb_buf_t *out)
{
    int n = al->cfg.sum_windows - 1;

    put_key(out, "recent");
    for (int d = 0; d < ND; d++) {
        kb_buf_puts(out, d ? ",[[" : "[[[");
        for (int i = 0; i < n; i++) {
            kb_buf_printf(out, "%s%lld", i ? "," : "", (long long)b->rx[d][i]);
        }
        kb_buf_puts(out, "],[");
        for (int i = 0; i < n; i++) {
            kb_buf_printf(out, "%s%.17g", i ? "," : "", b->re[d][i]);
        }
        kb_buf_puts(out, "],[");
        for (int i = 0; i < n; i++) {
            kb_buf_printf(out, "%s%.17g", i ? "," : "", b->rv[d][i]);
        }
        kb_buf_puts(out, "]]");
    }
    kb_buf_putc(out, ']');
}

static void state_build(const kb_alert_t *al, const brand_t *b, kb_buf_t *out)
{
    kb_buf_printf(out, "{\"v\":1,\"seen\":%lld", (long long)b->seen);
    put_key(out, "last_end");
    if (b->has_last) {
        kb_buf_int(out, b->last_end);
    } else {
        kb_buf_puts(out, "null");
    }
    put_key(out, "cooldown_until");
    kb_buf_int(out, b->cooldown_until);
    put_dbls(out, "mean", b->mean, NS);
    put_dbls(out, "var", b->var, NS);
    put_key(out, "frozen");
    for (int s = 0; s < NS; s++) {
        kb_buf_printf(out, "%c%d", s ? ',' : '[', (int)b->frozen[s]);
    }
    kb_buf_puts(out, "],\"det\":[");
    for (int d = 0; d < ND; d++) {
        const det_t *dt = &b->det[d];
        kb_buf_printf(out, "%s[%d,%d,%d,%d,%lld]", d ? "," : "", (int)dt->firing,
                      (int)dt->longevity, (int)dt->normal_run, (int)dt->max_sev,
                      (long long)dt->since);
    }
    kb_buf_putc(out, ']');
    put_recent(al, b, out);
    put_season(al, b, out);
    kb_buf_putc(out, '}');
}

int kb_alert_state_get(const kb_alert_t *al, const char *brand, size_t len, char **json)
{
    const brand_t *b = brand_find(al, brand, len);
    kb_buf_t out;

    *json = NULL;
    if (!b) {
        return 0;
    }
    kb_buf_init(&out);
    state_build(al, b, &out);
    if (out.oom) {
        kb_buf_fini(&out);
        return -1;
    }
    *json = out.p;
    return 1;
}

/* ---- state parsing ------------------------------------------------------- */

static int num_at(const json_t *a, size_t i, double *v)
{
    const json_t *j = json_array_get(a, i);

    if (!json_is_number(j)) {
        return -1;
    }
    *v = json_number_value(j);
    return 0;
}

static int get_int(const json_t *o, const char *k, int64_t *v)
{
    const json_t *j = json_object_get(o, k);

    if (!json_is_integer(j)) {
        return -1;
    }
    *v = json_integer_value(j);
    return 0;
}

static int get_dbls(const json_t *o, const char *k, double *v, size_t n)
{
    const json_t *a = json_object_get(o, k);

    if (!json_is_array(a) || json_array_size(a) != n) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (num_at(a, i, &v[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int parse_dets(const json_t *o, brand_t *b)
{
    const json_t *a = json_object_get(o, "det");
    double f[NS];

    if (!json_is_array(a) || json_array_size(a) != ND) {
        return -1;
    }
    for (size_t d = 0; d < ND; d++) {
        const json_t *e = json_array_get(a, d);
        double v[5];
        if (!json_is_array(e) || json_array_size(e) != 5) {
            return -1;
        }
        for (size_t i = 0; i < 5; i++) {
            if (num_at(e, i, &v[i]) != 0) {
                return -1;
            }
        }
        b->det[d].firing = v[0] > 0.5;
        b->det[d].longevity = (int32_t)v[1];
        b->det[d].normal_run = (int32_t)v[2];
        b->det[d].max_sev = (int32_t)v[3];
        b->det[d].since = (int64_t)v[4];
    }
    if (get_dbls(o, "frozen", f, NS) != 0) {
        return -1;
    }
    for (int s = 0; s < NS; s++) {
        b->frozen[s] = (int32_t)f[s];
    }
    return 0;
}

/* "recent": per detector [[observed...],[expected...],[variance...]], newest
 * first; a longer history than sum_windows - 1 keeps the newest. */
static int parse_recent(const kb_alert_t *al, const json_t *o, brand_t *b)
{
    const json_t *a = json_object_get(o, "recent");
    size_t n = (size_t)al->cfg.sum_windows - 1;

    if (!json_is_array(a) || json_array_size(a) != ND) {
        return -1;
    }
    for (size_t d = 0; d < ND; d++) {
        const json_t *e = json_array_get(a, d);
        double v;
        if (!json_is_array(e) || json_array_size(e) != 3) {
            return -1;
        }
        for (size_t k = 0; k < 3; k++) {
            const json_t *r = json_array_get(e, k);
            if (!json_is_array(r)) {
                return -1;
            }
            for (size_t i = 0; i < n && i < json_array_size(r); i++) {
                if (num_at(r, i, &v) != 0) {
                    return -1;
                }
                if (k == 0) {
                    b->rx[d][i] = (int64_t)v;
                } else {
                    (k == 1 ? b->re : b->rv)[d][i] = v;
                }
            }
        }
    }
    return 0;
}

static int parse_season(const kb_alert_t *al, const json_t *o, brand_t *b)
{
    const json_t *s = json_object_get(o, "season"), *slots;
    int64_t period;

    if (!al->n_slots) {
        return json_is_null(s) ? 0 : -1;
    }
    slots = json_object_get(s, "slots");
    if (!json_is_object(s) || get_int(s, "period", &period) != 0 ||
        get_int(s, "acc", &b->acc) != 0 || get_int(s, "acc_n", &b->acc_n) != 0 ||
        !json_is_array(slots) || json_array_size(slots) != (size_t)al->n_slots) {
        return -1;
    }
    b->has_acc = period != -1;
    b->acc_period = b->has_acc ? period : 0;
    for (int i = 0; i < al->n_slots; i++) {
        const json_t *r = json_array_get(slots, (size_t)i);
        size_t n = json_array_size(r);
        if (!json_is_array(r)) {
            return -1;
        }
        /* Oldest first: a shorter configured history keeps the newest. */
        for (size_t j = n > (size_t)al->cfg.season_weeks ? n - al->cfg.season_weeks : 0;
             j < n; j++) {
            double v;
            if (num_at(r, j, &v) != 0 || v < 0) {
                return -1;
            }
            season_push(al, b, i, (int64_t)v);
        }
    }
    return 0;
}

static int parse_state(const kb_alert_t *al, const json_t *o, brand_t *b)
{
    const json_t *last = json_object_get(o, "last_end");

    if (!json_is_object(o) || get_int(o, "seen", &b->seen) != 0 ||
        get_int(o, "cooldown_until", &b->cooldown_until) != 0 ||
        get_dbls(o, "mean", b->mean, NS) != 0 || get_dbls(o, "var", b->var, NS) != 0 ||
        parse_dets(o, b) != 0 || parse_recent(al, o, b) != 0 ||
        parse_season(al, o, b) != 0) {
        return -1;
    }
    if (json_is_integer(last)) {
        b->has_last = 1;
        b->last_end = json_integer_value(last);
    } else if (!json_is_null(last)) {
        return -1;
    }
    return 0;
}

/* Put @p b in the table, replacing a brand of the same name. */
static int brand_put(kb_alert_t *al, brand_t *b)
{
    size_t j;

    if ((al->bn + 1) * 4 > al->bcap * 3 && brands_grow(al) != 0) {
        return -1;
    }
    for (j = b->hash & (al->bcap - 1); al->brands[j]; j = (j + 1) & (al->bcap - 1)) {
        brand_t *o = al->brands[j];
        if (o->hash == b->hash && o->len == b->len && memcmp(o->name, b->name, b->len) == 0) {
            brand_free(o);
            al->brands[j] = b;
            return 0;
        }
    }
    al->brands[j] = b;
    al->bn++;
    return 0;
}

int kb_alert_state_set(kb_alert_t *al, const char *brand, size_t len, const char *json,
                       size_t json_len, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, json_len, 0, &jerr);
    brand_t *b = NULL;
    int rc = -1;

    if (!root) {
        snprintf(errstr, errstr_size, "alert state of %.*s: %s (column %d)", (int)len, brand,
                 jerr.text, jerr.column);
        goto out;
    }
    if (!(b = brand_new(al, brand, len))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    if (parse_state(al, root, b) != 0) {
        snprintf(errstr, errstr_size,
                 "alert state of %.*s: missing or malformed field, or another configuration",
                 (int)len, brand);
        goto out;
    }
    if (brand_put(al, b) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    b = NULL;
    rc = 0;
out:
    brand_free(b);
    json_decref(root);
    return rc;
}

static int cmp_brand(const void *x, const void *y)
{
    const brand_t *a = *(brand_t *const *)x, *b = *(brand_t *const *)y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->name, b->name, n);

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

int kb_alert_take_changed(kb_alert_t *al, kb_alert_brand_fn fn, void *ud)
{
    brand_t **v;
    size_t n = 0;
    int rc = 0;

    if (!(v = kb_malloc((al->bn ? al->bn : 1) * sizeof(*v)))) {
        return -1;
    }
    for (size_t i = 0; i < al->bcap; i++) {
        if (al->brands[i] && al->brands[i]->dirty) {
            v[n++] = al->brands[i];
        }
    }
    /* Name order: the state topic gets the same sequence on every run. */
    qsort(v, n, sizeof(*v), cmp_brand);
    for (size_t i = 0; i < n && rc == 0; i++) {
        kb_buf_reset(&al->out);
        state_build(al, v[i], &al->out);
        if (al->out.oom || fn(ud, v[i]->name, v[i]->len, al->out.p, al->out.len) != 0) {
            rc = -1;
            break;
        }
        v[i]->dirty = 0;
    }
    kb_free(v);
    return rc;
}

int kb_alert_feed_record(kb_alert_t *al, const kb_agg_rec_t *rec)
{
    const kb_agg_counts_t *c = rec->counts;
    kb_alert_window_t w;
    int64_t phase = rec->window_start % al->cfg.window_ms;

    if (!rec->final || rec->kind != KB_REC_WOM || !c || phase != 0 ||
        rec->window_end - rec->window_start != al->cfg.window_ms) {
        return KB_ALERT_OK;
    }
    memset(&w, 0, sizeof(w));
    w.brand = rec->brand;
    w.brand_len = strlen(rec->brand);
    w.window_start = rec->window_start;
    w.window_end = rec->window_end;
    w.mentions = c->mentions;
    w.negative = c->neg;
    w.complaints = c->complaints;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        w.dim_mentions[d] = c->dim_mentions[d];
        w.dim_negative[d] = c->dim_neg[d];
    }
    w.neg_terms = c->neg_terms;
    w.n_neg_terms = c->n_neg_terms;
    w.sample_ids = c->sample_ids;
    w.n_sample_ids = c->n_sample_ids;
    return kb_alert_window(al, &w);
}
