/* alert_sim.c -- detection quality of kb_alert on simulated brands.
 *
 * The same process model as bench/gen_alert_stream.py, at the level of
 * window counts instead of messages, so thousands of brand-weeks run in
 * seconds: hourly traffic 1..10,000 mentions/hour (log-uniform) shaped by a
 * diurnal and a weekly rhythm and a slow drift, Poisson noise on every
 * count, and injected complaint spikes of known start, size (1.5x..20x),
 * length and SERVQUAL dimension. Windows are fed to kb_alert_window() in
 * time order (a brand with no mentions in a window sends no record, as in
 * the pipeline); alerts are scored against the injected spikes.
 *
 *   build/release/bench_alert_sim [--brands N] [--weeks W] [--seed S]
 *                                 [--set name=value ...] [--alerts]
 *
 * Deterministic: the generator is splitmix64 from the seed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_alert.h"

#define HOUR 3600000LL
#define WEEK_H 168
#define MAX_SPIKES 8
#define SLACK 1 /* an alert starting this many windows after a spike still counts */

typedef struct spike {
    int start, len, dim;
    double size;
    int detected, delay;
    double base_c;   /* expected complaints per window when it starts */
    /* For the oracle bound: over the spike's windows so far, the expected
     * complaints without the spike and the complaints observed, and the
     * smallest ln p of the observed sum over any prefix of the spike. */
    double exp_sum, oracle_logp;
    int64_t obs_sum, extra_sum;
} spike_t;

typedef struct sbrand {
    char name[16];
    double rate, comp, neg, weekend, drift;
    double dimp[KB_SQ_COUNT];
    spike_t sp[MAX_SPIKES];
    int nsp;
    int open_alerts;
    int alerts, false_alerts;
} sbrand_t;

static uint64_t rng_state;

static uint64_t splitmix(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(splitmix() >> 11) / 9007199254740992.0;
}

/* Knuth's product method for small means, a rounded normal above 30 (the
 * error there is far below what the detectors can see). */
static int64_t poisson(double lam)
{
    if (lam <= 0) {
        return 0;
    }
    if (lam < 30) {
        double l = exp(-lam), p = 1.0;
        int64_t k = 0;
        do {
            k++;
            p *= unif();
        } while (p > l);
        return k - 1;
    }
    double u1 = unif(), u2 = unif();
    double n = sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2);
    double x = floor(lam + sqrt(lam) * n + 0.5);
    return x < 0 ? 0 : (int64_t)x;
}

/* Mean 1 over the day: quiet nights, lunch and evening peaks. */
static const double diurnal[24] = {0.35, 0.2,  0.15, 0.12, 0.12, 0.2,  0.45, 0.8,
                                   1.1,  1.25, 1.3,  1.45, 1.7,  1.45, 1.25, 1.2,
                                   1.25, 1.35, 1.55, 1.75, 1.8,  1.6,  1.2,  0.71};
static const double sizes[] = {1.5, 2, 3, 5, 10, 20};
static const int lens[] = {1, 2, 3, 4, 6, 12};

static double rate_at(const sbrand_t *b, int h, int hours)
{
    int dow = (h / 24) % 7; /* the simulation starts on a Monday */
    double wk = dow >= 5 ? b->weekend : 1.0;

    return b->rate * diurnal[h % 24] * wk * (1.0 + b->drift * h / hours);
}

static void brand_init(sbrand_t *b, int i, int weeks)
{
    double sum = 0;
    int t = WEEK_H + 24; /* spikes start after the warm-up week */

    snprintf(b->name, sizeof(b->name), "b%05d", i);
    b->rate = pow(10.0, 4.0 * unif());
    b->comp = 0.02 + 0.06 * unif();
    b->neg = 0.08 + 0.08 * unif();
    b->weekend = unif() < 0.5 ? 0.7 : 1.3;
    b->drift = 0.2 * unif() - 0.1;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        sum += (b->dimp[d] = 0.2 + unif());
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        b->dimp[d] /= sum;
    }
    /* About one spike per brand-week, at least two days apart. */
    while (b->nsp < MAX_SPIKES) {
        spike_t *s = &b->sp[b->nsp];
        t += 48 + (int)(unif() * 96);
        s->size = sizes[(int)(unif() * 6)];
        s->len = lens[(int)(unif() * 6)];
        s->dim = (int)(unif() * KB_SQ_COUNT);
        if (t + s->len + 24 > weeks * WEEK_H) {
            break;
        }
        s->start = t;
        s->delay = -1;
        b->nsp++;
        t += s->len;
    }
}

static spike_t *spike_at(sbrand_t *b, int h)
{
    for (int i = 0; i < b->nsp; i++) {
        if (h >= b->sp[i].start && h < b->sp[i].start + b->sp[i].len) {
            return &b->sp[i];
        }
    }
    return NULL;
}

/* The oracle knows the true complaint rate and the spike's start: it flags
 * the spike when, over some prefix of its windows, the observed complaints
 * have a Poisson tail p <= ORACLE_P under the rate without the spike. With
 * that p, one such test per window and length (12 lengths) gives about
 * 168 * 12 * 1e-3 = 2 false flags per brand-week, twice the budget,
 * so its recall bounds what any detector within the budget can reach. */
#define ORACLE_P 1e-3

static void oracle_step(spike_t *s, double expected, int64_t observed, int64_t extra)
{
    double lp;

    s->exp_sum += expected;
    s->obs_sum += observed;
    s->extra_sum += extra;
    lp = kb_alert_poisson_logsf(s->obs_sum, s->exp_sum > 0 ? s->exp_sum : 1e-9);
    if (lp < s->oracle_logp) {
        s->oracle_logp = lp;
    }
}

/* One window of one brand: Poisson splitting by complaint / other negative
 * / rest, and dimensions by the brand's mix (70 % of negatives name one). */
static void window_counts(sbrand_t *b, int h, int hours, kb_alert_window_t *w)
{
    double lam = rate_at(b, h, hours);
    spike_t *s = spike_at(b, h);

    memset(w->dim_mentions, 0, sizeof(w->dim_mentions));
    memset(w->dim_negative, 0, sizeof(w->dim_negative));
    w->complaints = w->negative = 0;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        int64_t c = poisson(lam * b->comp * 0.7 * b->dimp[d]);
        int64_t n = poisson(lam * b->neg * 0.7 * b->dimp[d]);
        w->complaints += c;
        w->negative += c + n;
        w->dim_negative[d] = c + n;
        w->dim_mentions[d] = c + n + poisson(lam * 0.1 * b->dimp[d]);
    }
    {
        int64_t c = poisson(lam * b->comp * 0.3), n = poisson(lam * b->neg * 0.3);
        w->complaints += c;
        w->negative += c + n;
    }
    w->mentions = w->negative + poisson(lam * (1.0 - b->comp - b->neg));
    if (s) {
        /* The spike: extra complaints about one dimension. */
        int64_t extra = poisson(lam * b->comp * (s->size - 1.0));
        w->complaints += extra;
        w->negative += extra;
        w->mentions += extra;
        w->dim_negative[s->dim] += extra;
        w->dim_mentions[s->dim] += extra;
        oracle_step(s, lam * b->comp, w->complaints, extra);
    }
}

typedef struct sim {
    kb_alert_cfg_t cfg;
    sbrand_t *b;
    int nb, hour, print;
} sim_t;

static int on_alert(void *ud, const char *key, size_t key_len, const char *json, size_t len)
{
    sim_t *sm = ud;
    sbrand_t *b = &sm->b[atoi(key + 1)];
    int firing = strstr(json, "\"state\":\"firing\"") != NULL;
    int start = firing && strstr(json, "\"longevity\":1,") != NULL;

    if (sm->print) {
        printf("%.*s\n", (int)len, json);
    }
    (void)key_len;
    if (!firing) {
        b->open_alerts--;
        return 0;
    }
    if (!start) {
        return 0;
    }
    b->open_alerts++;
    b->alerts++;
    for (int i = 0; i < b->nsp; i++) {
        spike_t *s = &b->sp[i];
        if (sm->hour >= s->start && sm->hour < s->start + s->len + SLACK) {
            if (s->delay < 0) {
                s->detected = 1;
                s->delay = sm->hour - s->start;
            }
            return 0;
        }
    }
    b->false_alerts++;
    return 0;
}

static int run(sim_t *sm, int weeks)
{
    kb_alert_cfg_t cfg;
    kb_alert_t *al;
    char err[256];
    int hours = weeks * WEEK_H;
    /* 2026-11-02T00:00:00Z, a Monday */
    const int64_t t0 = 1793577600000LL;

    cfg = sm->cfg;
    if (!(al = kb_alert_new(&cfg, on_alert, sm, err, sizeof(err)))) {
        fprintf(stderr, "alert_sim: %s\n", err);
        return -1;
    }
    for (int h = 0; h < hours; h++) {
        sm->hour = h;
        for (int i = 0; i < sm->nb; i++) {
            kb_alert_window_t w;
            memset(&w, 0, sizeof(w));
            window_counts(&sm->b[i], h, hours, &w);
            if (w.mentions == 0) {
                continue;
            }
            w.brand = sm->b[i].name;
            w.brand_len = strlen(sm->b[i].name);
            w.window_start = t0 + h * HOUR;
            w.window_end = w.window_start + HOUR;
            if (kb_alert_window(al, &w) != 0) {
                fprintf(stderr, "alert_sim: kb_alert_window failed\n");
                kb_alert_free(al);
                return -1;
            }
        }
    }
    fprintf(stderr, "brands %zu, %zu bytes per brand\n", kb_alert_brands(al),
            kb_alert_brand_bytes(&cfg));
    kb_alert_free(al);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static double median(int *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_int);
    return n == 0 ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Recall and median delay of the spikes that pass @p keep. */
static void row(const sim_t *sm, const char *label, double smin, double smax, int lmin,
                double cmin)
{
    int n = 0, hit = 0, cap = 0, oracle = 0, few = 0, *delays;

    for (int i = 0; i < sm->nb; i++) {
        cap += sm->b[i].nsp;
    }
    delays = malloc(sizeof(int) * (size_t)(cap + 1));
    for (int i = 0; i < sm->nb; i++) {
        for (int j = 0; j < sm->b[i].nsp; j++) {
            const spike_t *s = &sm->b[i].sp[j];
            if (s->size < smin || s->size > smax || s->len < lmin || s->base_c < cmin) {
                continue;
            }
            n++;
            oracle += s->oracle_logp <= log(ORACLE_P);
            few += s->extra_sum <= 2;
            if (s->detected) {
                delays[hit++] = s->delay;
            }
        }
    }
    printf("%-34s %6d %6d %7.3f %6.1f %7.3f %7.3f\n", label, n, hit, n ? (double)hit / n : NAN,
           median(delays, hit), n ? (double)oracle / n : NAN, n ? (double)few / n : NAN);
    free(delays);
}

static void report(sim_t *sm, int weeks)
{
    int alerts = 0, fa = 0, hours = weeks * WEEK_H;
    char label[64];

    for (int i = 0; i < sm->nb; i++) {
        sbrand_t *b = &sm->b[i];
        alerts += b->alerts;
        fa += b->false_alerts;
        for (int j = 0; j < b->nsp; j++) {
            b->sp[j].base_c = rate_at(b, b->sp[j].start, hours) * b->comp;
        }
    }
    printf("brands %d, weeks %d (first is warm-up)\n", sm->nb, weeks);
    printf("alerts %d, true %d, false %d: precision %.3f, false alerts per brand-week %.4f\n",
           alerts, alerts - fa, fa, alerts ? (double)(alerts - fa) / alerts : NAN,
           (double)fa / (sm->nb * (weeks - 1)));
    printf("%-34s %6s %6s %7s %6s %7s %7s\n", "spikes", "n", "found", "recall", "delay", "oracle",
           "<=2 xtr");
    for (int k = 0; k < 6; k++) {
        snprintf(label, sizeof(label), "size %gx", sizes[k]);
        row(sm, label, sizes[k], sizes[k], 1, 0);
    }
    row(sm, "size >= 3x, len >= 3", 3, 100, 3, 0);
    row(sm, "  ... baseline >= 0.5 compl./win", 3, 100, 3, 0.5);
    row(sm, "  ... baseline >= 1 compl./win", 3, 100, 3, 1);
    row(sm, "  ... baseline >= 5 compl./win", 3, 100, 3, 5);
    row(sm, "size >= 3x, any len, base >= 1", 3, 100, 1, 1);
    row(sm, "size 1.5-2x, base >= 5", 1.5, 2, 1, 5);
}

/* --set name=value: any kb_alert_cfg_t field. */
static int set_cfg(kb_alert_cfg_t *c, const char *kv)
{
    char key[64], err[128];
    const char *eq = strchr(kv, '=');

    if (!eq || (size_t)(eq - kv) >= sizeof(key)) {
        fprintf(stderr, "alert_sim: --set wants name=value\n");
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    if (kb_alert_cfg_set(c, key, eq + 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "alert_sim: %s\n", err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    sim_t sm = {0};
    int weeks = 4;
    uint64_t seed = 6;

    sm.nb = 1000;
    kb_alert_cfg_default(&sm.cfg);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--brands") && i + 1 < argc) {
            sm.nb = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--weeks") && i + 1 < argc) {
            weeks = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
            if (set_cfg(&sm.cfg, argv[++i]) != 0) {
                return 2;
            }
        } else if (!strcmp(argv[i], "--alerts")) {
            sm.print = 1;
        } else {
            fprintf(stderr, "usage: %s [--brands N] [--weeks W] [--seed S] [--set name=value] [--alerts]\n",
                    argv[0]);
            return 2;
        }
    }
    if (sm.nb < 1 || weeks < 2) {
        fprintf(stderr, "alert_sim: need >= 1 brand and >= 2 weeks\n");
        return 2;
    }
    rng_state = seed;
    sm.b = calloc((size_t)sm.nb, sizeof(*sm.b));
    for (int i = 0; i < sm.nb; i++) {
        brand_init(&sm.b[i], i, weeks);
    }
    if (run(&sm, weeks) != 0) {
        return 1;
    }
    report(&sm, weeks);
    free(sm.b);
    return 0;
}
