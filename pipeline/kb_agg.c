/* kb_agg.c -- per-brand event-time windows: word of mouth and satisfaction.
 *
 * Layout: brands live in an open-addressing hash table and keep their
 * trailing EWMA per SERVQUAL dimension. Open windows are grouped in slots,
 * one per window start, kept sorted by start; a slot lists the brand
 * windows it holds and their total mentions (for share of voice). Output is
 * ordered by window start, then brand name (bytes), so it is deterministic.
 */
#include "kb_agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_decode.h"
#include "kb_mem.h"

/* ---- small string -> count table for top terms ------------------------- */

typedef struct term_count {
    char *s;
    uint32_t len, count;
    uint32_t hash;
} term_count_t;

typedef struct term_map {
    term_count_t *t;
    uint32_t cap, n; /* cap is 0 or a power of two */
} term_map_t;

static uint32_t fnv1a(const char *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    }
    return h;
}

static void term_map_fini(term_map_t *m)
{
    for (uint32_t i = 0; i < m->cap; i++) {
        kb_free(m->t[i].s);
    }
    kb_free(m->t);
    memset(m, 0, sizeof(*m));
}

static int term_map_grow(term_map_t *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 16;
    term_count_t *t = kb_calloc(cap, sizeof(*t));

    if (!t) {
        return -1;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->t[i].s) {
            uint32_t j = m->t[i].hash & (cap - 1);
            while (t[j].s) {
                j = (j + 1) & (cap - 1);
            }
            t[j] = m->t[i];
        }
    }
    kb_free(m->t);
    m->t = t;
    m->cap = cap;
    return 0;
}

static int term_map_add(term_map_t *m, const char *p, size_t len)
{
    uint32_t h = fnv1a(p, len), j;

    if ((m->n + 1) * 4 > m->cap * 3 && term_map_grow(m) != 0) {
        return -1;
    }
    for (j = h & (m->cap - 1); m->t[j].s; j = (j + 1) & (m->cap - 1)) {
        if (m->t[j].hash == h && m->t[j].len == len && memcmp(m->t[j].s, p, len) == 0) {
            m->t[j].count++;
            return 0;
        }
    }
    if (!(m->t[j].s = kb_malloc(len + 1))) {
        return -1;
    }
    memcpy(m->t[j].s, p, len);
    m->t[j].s[len] = '\0';
    m->t[j].len = (uint32_t)len;
    m->t[j].count = 1;
    m->t[j].hash = h;
    m->n++;
    return 0;
}

/* ---- brands, windows, slots --------------------------------------------- */

typedef struct dim_acc {
    int64_t mentions, pos, neg;
    double score_sum;
} dim_acc_t;

typedef struct brand brand_t;

typedef struct bwin {
    brand_t *brand;
    int64_t start;
    int dirty;
    int32_t part;        /* input partition of its observations */
    int32_t group;       /* the part's group when the window opened */
    int64_t min_off;     /* lowest input offset counted in it */
    int64_t mentions, pos, neg, neu, promoters, detractors, complaints, effort;
    int64_t reach, reach_n, ratings, ratings_good;
    double score_sum;
    dim_acc_t dim[KB_SQ_COUNT];
    term_map_t pos_terms, neg_terms;
    char *samples[KB_AGG_SAMPLES];
    size_t n_samples;
} bwin_t;

struct brand {
    char *name;
    size_t len;
    uint32_t hash;
    double ewma[KB_SQ_COUNT];
    int has_ewma[KB_SQ_COUNT];
    int dirty;           /* EWMA changed since kb_agg_take_changed() */
    int32_t group;       /* group of the partition its mentions come from */
};

typedef struct slot {
    int64_t start;
    int64_t total;   /* mentions of all brands: the share-of-voice base */
    int partial;     /* opened after the window was final for the others */
    bwin_t **w;
    size_t n, cap;
} slot_t;

typedef struct part {
    int active, idle, has_data;
    int32_t group;
    int64_t max_ts, wm;
} part_t;

/* A group of partitions that moves between instances as one (the live
 * pipeline's scored partition). Its own horizon says how far its windows
 * were published, so a group handed over by an instance that had published
 * less resumes where that instance stopped, not where this one is. */
typedef struct group {
    int has_pub;
    int64_t pub;         /* its windows ending at or before it are final */
    int active, busy;    /* scratch of advance() */
    int64_t lo;
} group_t;

struct kb_agg {
    kb_agg_cfg_t cfg;
    kb_agg_emit_fn emit;
    void *ud;
    brand_t **brands;          /* hash table */
    size_t bcap, bn;
    slot_t *slots;             /* sorted by start */
    size_t sn, scap;
    part_t *parts;
    size_t pn;
    int64_t horizon;           /* the instance-wide horizon; never moves back */
    int has_horizon;
    group_t *groups;
    size_t gn;
    kb_buf_t out, key;
    size_t open;
    kb_agg_counts_t counts;    /* of the window being emitted */
    const char **top_neg;      /* cfg.top_terms names, for counts.neg_terms */
};

double kb_round4(double v)
{
    return isfinite(v) ? (double)llround(v * 10000.0) / 10000.0 : v;
}

void kb_agg_cfg_default(kb_agg_cfg_t *cfg)
{
    cfg->window_ms = 60000;
    cfg->hop_ms = 60000;
    cfg->grace_ms = 10000;
    cfg->ewma_alpha = 0.3;
    cfg->top_terms = 5;
}

kb_agg_t *kb_agg_new(const kb_agg_cfg_t *cfg, kb_agg_emit_fn emit, void *ud,
                     char *errstr, size_t errstr_size)
{
    kb_agg_t *a;

    if (cfg->window_ms <= 0 || cfg->hop_ms <= 0 || cfg->hop_ms > cfg->window_ms ||
        cfg->window_ms % cfg->hop_ms != 0) {
        snprintf(errstr, errstr_size,
                 "window must be positive and a whole multiple of the hop");
        return NULL;
    }
    if (cfg->grace_ms < 0 || !(cfg->ewma_alpha > 0 && cfg->ewma_alpha <= 1) ||
        cfg->top_terms < 0 || cfg->top_terms > 100) {
        snprintf(errstr, errstr_size, "grace >= 0, 0 < alpha <= 1, 0 <= top terms <= 100");
        return NULL;
    }
    if (!(a = kb_calloc(1, sizeof(*a)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    a->cfg = *cfg;
    a->emit = emit;
    a->ud = ud;
    a->gn = 1;
    kb_buf_init(&a->out);
    kb_buf_init(&a->key);
    if (!(a->top_neg = kb_calloc((size_t)cfg->top_terms + 1, sizeof(*a->top_neg))) ||
        !(a->groups = kb_calloc(1, sizeof(*a->groups)))) {
        snprintf(errstr, errstr_size, "out of memory");
        kb_agg_free(a);
        return NULL;
    }
    return a;
}

static void bwin_free(bwin_t *w)
{
    term_map_fini(&w->pos_terms);
    term_map_fini(&w->neg_terms);
    for (size_t i = 0; i < w->n_samples; i++) kb_free(w->samples[i]);
    kb_free(w);
}

void kb_agg_free(kb_agg_t *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < a->sn; i++) {
        for (size_t j = 0; j < a->slots[i].n; j++) {
            bwin_free(a->slots[i].w[j]);
        }
        kb_free(a->slots[i].w);
    }
    kb_free(a->slots);
    for (size_t i = 0; i < a->bcap; i++) {
        if (a->brands[i]) {
            kb_free(a->brands[i]->name);
            kb_free(a->brands[i]);
        }
    }
    kb_free(a->brands);
    kb_free(a->parts);
    kb_free(a->groups);
    kb_free(a->top_neg);
    kb_buf_fini(&a->out);
    kb_buf_fini(&a->key);
    kb_free(a);
}

size_t kb_agg_open_windows(const kb_agg_t *a)
{
    return a->open;
}

static int brands_grow(kb_agg_t *a)
{
    size_t cap = a->bcap ? a->bcap * 2 : 64;
    brand_t **t = kb_calloc(cap, sizeof(*t));

    if (!t) {
        return -1;
    }
    for (size_t i = 0; i < a->bcap; i++) {
        if (a->brands[i]) {
            size_t j = a->brands[i]->hash & (cap - 1);
            while (t[j]) {
                j = (j + 1) & (cap - 1);
            }
            t[j] = a->brands[i];
        }
    }
    kb_free(a->brands);
    a->brands = t;
    a->bcap = cap;
    return 0;
}

static brand_t *brand_get(kb_agg_t *a, const char *name, size_t len)
{
    uint32_t h = fnv1a(name, len);
    size_t j;
    brand_t *b;

    if ((a->bn + 1) * 4 > a->bcap * 3 && brands_grow(a) != 0) {
        return NULL;
    }
    for (j = h & (a->bcap - 1); (b = a->brands[j]); j = (j + 1) & (a->bcap - 1)) {
        if (b->hash == h && b->len == len && memcmp(b->name, name, len) == 0) {
            return b;
        }
    }
    if (!(b = kb_calloc(1, sizeof(*b))) || !(b->name = kb_malloc(len + 1))) {
        kb_free(b);
        return NULL;
    }
    memcpy(b->name, name, len);
    b->name[len] = '\0';
    b->len = len;
    b->hash = h;
    a->brands[j] = b;
    a->bn++;
    return b;
}

/* @p arr (of *n elements of @p size) grown to @p want, the new ones zeroed;
 * NULL when out of memory (arr is then unchanged). */
static void *grow_zeroed(void *arr, size_t *n, size_t want, size_t size)
{
    char *t;

    if (want <= *n) {
        return arr;
    }
    if (!(t = kb_realloc(arr, want * size))) {
        return NULL;
    }
    memset(t + *n * size, 0, (want - *n) * size);
    *n = want;
    return t;
}

static part_t *part_get(kb_agg_t *a, int32_t p)
{
    part_t *t;

    if (p < 0 || !(t = grow_zeroed(a->parts, &a->pn, (size_t)p + 1, sizeof(*t)))) {
        return NULL;
    }
    a->parts = t;
    return &a->parts[p];
}

static group_t *group_get(kb_agg_t *a, int32_t g)
{
    group_t *t;

    if (g < 0 || !(t = grow_zeroed(a->groups, &a->gn, (size_t)g + 1, sizeof(*t)))) {
        return NULL;
    }
    a->groups = t;
    return &a->groups[g];
}

/* The slot starting at @p start, created in order when missing. */
static slot_t *slot_get(kb_agg_t *a, int64_t start)
{
    size_t i = a->sn;

    while (i > 0 && a->slots[i - 1].start > start) {
        i--;
    }
    if (i > 0 && a->slots[i - 1].start == start) {
        return &a->slots[i - 1];
    }
    if (a->sn == a->scap) {
        size_t cap = a->scap ? a->scap * 2 : 8;
        slot_t *s = kb_realloc(a->slots, cap * sizeof(*s));
        if (!s) {
            return NULL;
        }
        a->slots = s;
        a->scap = cap;
    }
    memmove(&a->slots[i + 1], &a->slots[i], (a->sn - i) * sizeof(slot_t));
    memset(&a->slots[i], 0, sizeof(slot_t));
    a->slots[i].start = start;
    /* Only a group that resumes behind this instance opens such a slot: its
     * base lacks the other groups' mentions, published already. */
    a->slots[i].partial = a->has_horizon && start + a->cfg.window_ms <= a->horizon;
    a->sn++;
    return &a->slots[i];
}

static bwin_t *bwin_get(kb_agg_t *a, slot_t *s, brand_t *b)
{
    bwin_t *w;

    /* Slots hold a handful of brands typically; a linear scan from the end
     * finds the brand of a burst quickly. */
    for (size_t i = s->n; i-- > 0;) {
        if (s->w[i]->brand == b) {
            return s->w[i];
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        bwin_t **t = kb_realloc(s->w, cap * sizeof(*t));
        if (!t) {
            return NULL;
        }
        s->w = t;
        s->cap = cap;
    }
    if (!(w = kb_calloc(1, sizeof(*w)))) {
        return NULL;
    }
    w->brand = b;
    w->start = s->start;
    s->w[s->n++] = w;
    a->open++;
    return w;
}

/* ---- records ------------------------------------------------------------- */

static void put_key(kb_buf_t *o, const char *k)
{
    kb_buf_putc(o, ',');
    kb_buf_putc(o, '"');
    kb_buf_puts(o, k);
    kb_buf_puts(o, "\":");
}

static void put_ratio(kb_buf_t *o, const char *k, double num, double den)
{
    put_key(o, k);
    if (den > 0) {
        kb_buf_num(o, num / den);
    } else {
        kb_buf_puts(o, "null");
    }
}

static int term_cmp(const void *x, const void *y)
{
    const term_count_t *a = *(const term_count_t *const *)x;
    const term_count_t *b = *(const term_count_t *const *)y;
    int c;

    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Most frequent first, ties by bytes: the order never depends on hashing. */
static int put_top_terms(kb_agg_t *a, const char *k, const term_map_t *m,
                         const char **names, size_t *n_names)
{
    term_count_t **v = NULL;
    size_t n = 0;

    put_key(&a->out, k);
    kb_buf_putc(&a->out, '[');
    if (m->n > 0) {
        if (!(v = kb_malloc(m->n * sizeof(*v)))) {
            return -1;
        }
        for (uint32_t i = 0; i < m->cap; i++) {
            if (m->t[i].s) {
                v[n++] = &m->t[i];
            }
        }
        qsort(v, n, sizeof(*v), term_cmp);
    }
    for (size_t i = 0; i < n && i < (size_t)a->cfg.top_terms; i++) {
        kb_buf_puts(&a->out, i ? ",{\"term\":" : "{\"term\":");
        kb_buf_json_str(&a->out, v[i]->s, v[i]->len);
        kb_buf_puts(&a->out, ",\"count\":");
        kb_buf_int(&a->out, v[i]->count);
        kb_buf_putc(&a->out, '}');
        if (names) {
            names[(*n_names)++] = v[i]->s;
        }
    }
    kb_buf_putc(&a->out, ']');
    kb_free(v);
    return 0;
}

static void put_head(kb_agg_t *a, const char *type, const bwin_t *w, int final)
{
    char ts[40];

    kb_buf_reset(&a->out);
    kb_buf_puts(&a->out, "{\"type\":\"");
    kb_buf_puts(&a->out, type);
    kb_buf_puts(&a->out, "\",\"brand\":");
    kb_buf_json_str(&a->out, w->brand->name, w->brand->len);
    put_key(&a->out, "window_start");
    kb_format_iso8601(w->start, ts, sizeof(ts));
    kb_buf_json_str(&a->out, ts, strlen(ts));
    put_key(&a->out, "window_end");
    kb_format_iso8601(w->start + a->cfg.window_ms, ts, sizeof(ts));
    kb_buf_json_str(&a->out, ts, strlen(ts));
    kb_buf_puts(&a->out, final ? ",\"final\":true" : ",\"final\":false");
    put_key(&a->out, "mentions");
    kb_buf_int(&a->out, w->mentions);
}

static int send(kb_agg_t *a, kb_rec_kind_t kind, const bwin_t *w, int final)
{
    kb_agg_rec_t rec;
    char ts[40];

    /* Keyed so that a compacted topic keeps the latest record of a window. */
    kb_format_iso8601(w->start, ts, sizeof(ts));
    kb_buf_reset(&a->key);
    kb_buf_append(&a->key, w->brand->name, w->brand->len);
    kb_buf_putc(&a->key, '|');
    kb_buf_puts(&a->key, ts);
    if (a->out.oom || a->key.oom) {
        return -1;
    }
    rec.key = a->key.p;
    rec.key_len = a->key.len;
    rec.kind = kind;
    rec.brand = w->brand->name;
    rec.window_start = w->start;
    rec.window_end = w->start + a->cfg.window_ms;
    rec.final = final;
    rec.json = a->out.p;
    rec.len = a->out.len;
    rec.counts = &a->counts;
    return a->emit(a->ud, &rec);
}

static int emit_wom(kb_agg_t *a, const slot_t *s, const bwin_t *w, int final)
{
    kb_buf_t *o = &a->out;
    double m = (double)w->mentions;

    put_head(a, "wom", w, final);
    put_key(o, "pos");
    kb_buf_int(o, w->pos);
    put_key(o, "neg");
    kb_buf_int(o, w->neg);
    put_key(o, "neu");
    kb_buf_int(o, w->neu);
    put_ratio(o, "net_sentiment", (double)(w->pos - w->neg), m);
    put_key(o, "promoters");
    kb_buf_int(o, w->promoters);
    put_key(o, "detractors");
    kb_buf_int(o, w->detractors);
    put_ratio(o, "nps", 100.0 * (double)(w->promoters - w->detractors), m);
    put_ratio(o, "share_of_voice", m, s->partial ? 0.0 : (double)s->total);
    put_key(o, "complaints");
    kb_buf_int(o, w->complaints);
    put_ratio(o, "complaint_rate", (double)w->complaints, m);
    put_key(o, "reach");
    if (w->reach_n > 0) {
        kb_buf_int(o, w->reach);
    } else {
        kb_buf_puts(o, "null");
    }
    a->counts.n_neg_terms = 0;
    if (put_top_terms(a, "top_pos_terms", &w->pos_terms, NULL, NULL) != 0 ||
        put_top_terms(a, "top_neg_terms", &w->neg_terms, a->top_neg,
                      &a->counts.n_neg_terms) != 0) {
        return -1;
    }
    kb_buf_putc(o, '}');
    return send(a, KB_REC_WOM, w, final);
}

static int emit_sat(kb_agg_t *a, const bwin_t *w, int final)
{
    kb_buf_t *o = &a->out;
    double m = (double)w->mentions;

    put_head(a, "satisfaction", w, final);
    put_ratio(o, "csat", 100.0 * (double)w->pos, (double)(w->pos + w->neg));
    put_ratio(o, "mean_score", w->score_sum, m);
    put_key(o, "ratings");
    kb_buf_int(o, w->ratings);
    put_ratio(o, "rating_csat", 100.0 * (double)w->ratings_good, (double)w->ratings);
    put_key(o, "effort");
    kb_buf_int(o, w->effort);
    put_ratio(o, "effort_rate", (double)w->effort, m);
    put_key(o, "servqual");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        const dim_acc_t *x = &w->dim[d];
        const brand_t *b = w->brand;
        double score = x->mentions ? kb_round4(x->score_sum / (double)x->mentions) : 0;
        kb_buf_puts(o, d ? ",\"" : "{\"");
        kb_buf_puts(o, kb_servqual_name(d));
        kb_buf_puts(o, "\":{\"mentions\":");
        kb_buf_int(o, x->mentions);
        put_key(o, "pos");
        kb_buf_int(o, x->pos);
        put_key(o, "neg");
        kb_buf_int(o, x->neg);
        put_key(o, "score");
        if (x->mentions) kb_buf_num(o, score); else kb_buf_puts(o, "null");
        put_key(o, "expected");
        if (b->has_ewma[d]) kb_buf_num(o, b->ewma[d]); else kb_buf_puts(o, "null");
        put_key(o, "gap");
        if (x->mentions && b->has_ewma[d]) kb_buf_num(o, score - b->ewma[d]);
        else kb_buf_puts(o, "null");
        kb_buf_putc(o, '}');
    }
    kb_buf_puts(o, "}}");
    return send(a, KB_REC_SAT, w, final);
}

/* `expected` is the brand's trailing EWMA of each dimension's window score,
 * taken before the window itself is folded in, so gap = perceived - expected. */
static void fold_ewma(kb_agg_t *a, const bwin_t *w)
{
    brand_t *b = w->brand;

    for (int d = 0; d < KB_SQ_COUNT; d++) {
        const dim_acc_t *x = &w->dim[d];
        double score;
        if (!x->mentions) {
            continue;
        }
        score = kb_round4(x->score_sum / (double)x->mentions);
        b->ewma[d] = b->has_ewma[d] ? kb_round4(a->cfg.ewma_alpha * score +
                                                (1.0 - a->cfg.ewma_alpha) * b->ewma[d])
                                    : score;
        b->has_ewma[d] = 1;
        b->dirty = 1;
    }
}

static int bwin_name_cmp(const void *x, const void *y)
{
    const brand_t *a = (*(const bwin_t *const *)x)->brand;
    const brand_t *b = (*(const bwin_t *const *)y)->brand;
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void fill_counts(kb_agg_t *a, const bwin_t *w)
{
    kb_agg_counts_t *c = &a->counts;

    c->mentions = w->mentions;
    c->pos = w->pos;
    c->neg = w->neg;
    c->complaints = w->complaints;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        c->dim_mentions[d] = w->dim[d].mentions;
        c->dim_neg[d] = w->dim[d].neg;
    }
    c->neg_terms = a->top_neg;
    c->n_neg_terms = 0;
    c->sample_ids = (const char *const *)w->samples;
    c->n_sample_ids = w->n_samples;
}

static int emit_window(kb_agg_t *a, const slot_t *s, bwin_t *w, int final)
{
    fill_counts(a, w);
    if (emit_wom(a, s, w, final) != 0 || emit_sat(a, w, final) != 0) {
        return -1;
    }
    w->dirty = 0;
    return 0;
}

static int due(const kb_agg_t *a, const bwin_t *w)
{
    const group_t *g = &a->groups[w->group];

    return g->has_pub && w->start + a->cfg.window_ms <= g->pub;
}

/* Emit and free the windows of @p s that are due, in brand order. */
static int close_slot(kb_agg_t *a, slot_t *s)
{
    size_t nd = 0;
    int rc = 0;

    for (size_t j = 0; j < s->n; j++) {
        if (due(a, s->w[j])) {
            bwin_t *t = s->w[nd];
            s->w[nd++] = s->w[j];
            s->w[j] = t;
        }
    }
    qsort(s->w, nd, sizeof(*s->w), bwin_name_cmp);
    for (size_t i = 0; i < nd; i++) {
        if (rc == 0 && emit_window(a, s, s->w[i], 1) != 0) {
            rc = -1;
        }
        fold_ewma(a, s->w[i]);
        bwin_free(s->w[i]);
        a->open--;
    }
    memmove(s->w, s->w + nd, (s->n - nd) * sizeof(*s->w));
    s->n -= nd;
    return rc;
}

/* Emit and drop every window its group's horizon has passed. Normally
 * every group shares the instance's horizon and whole slots close at once;
 * a group resuming behind it closes its own windows as it catches up. */
static int close_due(kb_agg_t *a)
{
    int64_t top = INT64_MIN;
    size_t i, k = 0;
    int rc = 0;

    for (size_t g = 0; g < a->gn; g++) {
        if (a->groups[g].has_pub && a->groups[g].pub > top) {
            top = a->groups[g].pub;
        }
    }
    for (i = 0; i < a->sn && a->slots[i].start + a->cfg.window_ms <= top; i++) {
        if (close_slot(a, &a->slots[i]) != 0) {
            rc = -1;
        }
        if (a->slots[i].n == 0) {
            kb_free(a->slots[i].w);
        } else {
            a->slots[k++] = a->slots[i];
        }
    }
    if (k < i) {
        memmove(a->slots + k, a->slots + i, (a->sn - i) * sizeof(slot_t));
        a->sn -= i - k;
    }
    return rc;
}

/* A group's horizon follows the instance's, except that a group whose own
 * busy partitions are behind it (it resumed here from an owner that had
 * published less) follows those; it never moves back. */
static void publish_groups(kb_agg_t *a)
{
    for (size_t g = 0; g < a->gn; g++) {
        group_t *x = &a->groups[g];
        int64_t c = x->busy && x->lo < a->horizon ? x->lo : a->horizon;
        if (x->active && (!x->has_pub || c > x->pub)) {
            x->pub = c;
            x->has_pub = 1;
        }
    }
}

/* The horizon is the lowest watermark of the partitions that are active and
 * not idle (or the highest of all when every one is idle); it never moves
 * back, so a window once final stays final. The same walk gathers each
 * group's lowest busy watermark for publish_groups(). */
static int advance(kb_agg_t *a)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    int any = 0, busy = 0;

    for (size_t g = 0; g < a->gn; g++) {
        a->groups[g].active = a->groups[g].busy = 0;
        a->groups[g].lo = INT64_MAX;
    }
    for (size_t p = 0; p < a->pn; p++) {
        const part_t *q = &a->parts[p];
        group_t *g = &a->groups[q->group];
        if (!q->active) {
            continue;
        }
        any = g->active = 1;
        hi = q->wm > hi ? q->wm : hi;
        if (!q->idle) {
            busy = g->busy = 1;
            lo = q->wm < lo ? q->wm : lo;
            g->lo = q->wm < g->lo ? q->wm : g->lo;
        }
    }
    if (!any) {
        return 0;
    }
    lo = busy ? lo : hi;
    if (!a->has_horizon || lo > a->horizon) {
        a->horizon = lo;
        a->has_horizon = 1;
    }
    publish_groups(a);
    return close_due(a);
}

static int64_t floor_div(int64_t x, int64_t d)
{
    int64_t q = x / d;

    return (x % d != 0 && (x < 0) != (d < 0)) ? q - 1 : q;
}

static int count(bwin_t *w, const kb_obs_t *o)
{
    w->dirty = 1;
    w->mentions++;
    w->pos += o->label == KB_LABEL_POS;
    w->neg += o->label == KB_LABEL_NEG;
    w->neu += o->label == KB_LABEL_NEU;
    w->promoters += o->score >= 0.5;
    w->detractors += o->score <= -0.5;
    w->complaints += o->complaint != 0;
    w->effort += o->effort != 0;
    w->score_sum += o->score;
    if (o->followers >= 0) {
        w->reach += o->followers;
        w->reach_n++;
    }
    if (o->rating > 0) {
        w->ratings++;
        w->ratings_good += o->rating >= 4;
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        if (o->dim[d].mentioned) {
            w->dim[d].mentions++;
            w->dim[d].pos += o->dim[d].label == KB_LABEL_POS;
            w->dim[d].neg += o->dim[d].label == KB_LABEL_NEG;
            w->dim[d].score_sum += o->dim[d].score;
        }
    }
    for (size_t i = 0; i < o->n_terms; i++) {
        term_map_t *m = o->terms[i].positive ? &w->pos_terms : &w->neg_terms;
        if (term_map_add(m, o->terms[i].p, o->terms[i].len) != 0) {
            return -1;
        }
    }
    if (o->id && w->n_samples < KB_AGG_SAMPLES &&
        (o->label == KB_LABEL_NEG || o->complaint)) {
        char *id = kb_malloc(o->id_len + 1);
        if (!id) {
            return -1;
        }
        memcpy(id, o->id, o->id_len);
        id[o->id_len] = '\0';
        w->samples[w->n_samples++] = id;
    }
    return 0;
}

int kb_agg_add(kb_agg_t *a, int32_t part, int64_t offset, const kb_obs_t *o)
{
    part_t *p = part_get(a, part);
    group_t *g;
    brand_t *b;
    int64_t W = a->cfg.window_ms, H = a->cfg.hop_ms, closed, s;
    int counted = 0;

    if (!p || !(b = brand_get(a, o->brand, o->brand_len))) {
        return KB_AGG_ERR;
    }
    /* A window is closed for this observation when it ended at or before
     * its partition's watermark or its group's horizon. */
    g = &a->groups[p->group];
    closed = p->active ? p->wm : INT64_MIN;
    if (g->has_pub && g->pub > closed) {
        closed = g->pub;
    }
    b->group = p->group;
    for (s = floor_div(o->ts_ms, H) * H; s > o->ts_ms - W; s -= H) {
        slot_t *sl;
        bwin_t *w;
        if (s + W <= closed) {
            continue;
        }
        if (!(sl = slot_get(a, s)) || !(w = bwin_get(a, sl, b)) || count(w, o) != 0) {
            return KB_AGG_ERR;
        }
        if (w->mentions == 1 || offset < w->min_off) {
            w->min_off = offset;
        }
        w->part = part;
        w->group = p->group;
        sl->total++;
        counted = 1;
    }
    if (!p->has_data || o->ts_ms > p->max_ts) {
        p->max_ts = o->ts_ms;
        p->wm = o->ts_ms - a->cfg.grace_ms;
    }
    p->active = p->has_data = 1;
    p->idle = 0;
    if (advance(a) != 0) {
        return KB_AGG_ERR;
    }
    return counted ? KB_AGG_OK : KB_AGG_LATE;
}

int kb_agg_flush_partition(kb_agg_t *a, int32_t part)
{
    part_t *p;
    int64_t end;

    if (part < 0 || (size_t)part >= a->pn || !a->parts[part].active) {
        return KB_AGG_OK;
    }
    p = &a->parts[part];
    /* The latest window holding max_ts ends here: everything the partition
     * has fed so far can close. */
    if (p->has_data) {
        end = floor_div(p->max_ts, a->cfg.hop_ms) * a->cfg.hop_ms + a->cfg.window_ms;
        p->wm = end > p->wm ? end : p->wm;
    }
    p->idle = 1;
    return advance(a) == 0 ? KB_AGG_OK : KB_AGG_ERR;
}

int kb_agg_flush_all(kb_agg_t *a)
{
    for (size_t p = 0; p < a->pn; p++) {
        if (kb_agg_flush_partition(a, (int32_t)p) != KB_AGG_OK) {
            return KB_AGG_ERR;
        }
    }
    return KB_AGG_OK;
}

int kb_agg_emit_updates(kb_agg_t *a)
{
    for (size_t i = 0; i < a->sn; i++) {
        slot_t *s = &a->slots[i];
        qsort(s->w, s->n, sizeof(*s->w), bwin_name_cmp);
        for (size_t j = 0; j < s->n; j++) {
            if (s->w[j]->dirty && emit_window(a, s, s->w[j], 0) != 0) {
                return KB_AGG_ERR;
            }
        }
    }
    return KB_AGG_OK;
}

int kb_agg_expect_partition(kb_agg_t *a, int32_t part)
{
    part_t *p = part_get(a, part);

    if (!p) {
        return KB_AGG_ERR;
    }
    if (!p->active) {
        int32_t g = p->group;
        memset(p, 0, sizeof(*p));
        p->group = g;
        p->active = 1;
        p->wm = INT64_MIN;
    }
    return KB_AGG_OK;
}

int kb_agg_set_group(kb_agg_t *a, int32_t part, int32_t group)
{
    part_t *p = part_get(a, part);

    if (!p || !group_get(a, group)) {
        return KB_AGG_ERR;
    }
    p->group = group;
    return KB_AGG_OK;
}

int kb_agg_min_offset(const kb_agg_t *a, int32_t part, int64_t *offset)
{
    int found = 0;

    for (size_t i = 0; i < a->sn; i++) {
        for (size_t j = 0; j < a->slots[i].n; j++) {
            const bwin_t *w = a->slots[i].w[j];
            if (w->part == part && (!found || w->min_off < *offset)) {
                *offset = w->min_off;
                found = 1;
            }
        }
    }
    return found;
}

static void forget_group(kb_agg_t *a, int32_t g);

void kb_agg_drop_partition(kb_agg_t *a, int32_t part)
{
    for (size_t i = 0; i < a->sn; i++) {
        slot_t *s = &a->slots[i];
        size_t keep = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (s->w[j]->part == part) {
                s->total -= s->w[j]->mentions;
                bwin_free(s->w[j]);
                a->open--;
            } else {
                s->w[keep++] = s->w[j];
            }
        }
        s->n = keep;
    }
    if (part >= 0 && (size_t)part < a->pn) {
        int32_t g = a->parts[part].group;
        memset(&a->parts[part], 0, sizeof(a->parts[part]));
        a->parts[part].group = g;
        forget_group(a, g);
    }
}

/* When the last partition of a group has gone, so has what this instance
 * knew of it: its horizon and its brands' baselines. The next owner takes
 * them from the commit and the state topic, and so does this instance if
 * the group comes back. */
static void forget_group(kb_agg_t *a, int32_t g)
{
    for (size_t p = 0; p < a->pn; p++) {
        if (a->parts[p].active && a->parts[p].group == g) {
            return;
        }
    }
    a->groups[g].has_pub = 0;
    for (size_t i = 0; i < a->bcap; i++) {
        brand_t *b = a->brands[i];
        if (b && b->group == g) {
            memset(b->has_ewma, 0, sizeof(b->has_ewma));
            b->dirty = 0;
        }
    }
}

int kb_agg_group_horizon(const kb_agg_t *a, int32_t group, int64_t *horizon)
{
    const group_t *g = group >= 0 && (size_t)group < a->gn ? &a->groups[group] : NULL;

    *horizon = g ? g->pub : 0;
    return g && g->has_pub && g->pub > INT64_MIN;
}

int kb_agg_set_group_horizon(kb_agg_t *a, int32_t group, int64_t horizon)
{
    group_t *g = group_get(a, group);

    if (!g) {
        return KB_AGG_ERR;
    }
    if (!g->has_pub || horizon > g->pub) {
        g->pub = horizon;
        g->has_pub = 1;
    }
    return KB_AGG_OK;
}

int kb_agg_brand_state(kb_agg_t *a, const char *name, size_t len, kb_agg_bstate_t *st,
                       int set)
{
    brand_t *b = brand_get(a, name, len);

    if (!b) {
        return KB_AGG_ERR;
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        if (set) {
            b->ewma[d] = st->ewma[d];
            b->has_ewma[d] = st->has[d];
        } else {
            st->ewma[d] = b->ewma[d];
            st->has[d] = b->has_ewma[d];
        }
    }
    if (set) {
        b->group = st->group;
    } else {
        st->group = b->group;
    }
    return KB_AGG_OK;
}

int kb_agg_take_changed(kb_agg_t *a, kb_agg_brand_fn fn, void *ud)
{
    for (size_t i = 0; i < a->bcap; i++) {
        brand_t *b = a->brands[i];
        kb_agg_bstate_t st;
        if (!b || !b->dirty) {
            continue;
        }
        for (int d = 0; d < KB_SQ_COUNT; d++) {
            st.ewma[d] = b->ewma[d];
            st.has[d] = b->has_ewma[d];
        }
        st.group = b->group;
        if (fn(ud, b->name, b->len, &st) != 0) {
            return KB_AGG_ERR;
        }
        b->dirty = 0;
    }
    return KB_AGG_OK;
}

void kb_agg_reset(kb_agg_t *a)
{
    for (size_t i = 0; i < a->sn; i++) {
        for (size_t j = 0; j < a->slots[i].n; j++) {
            bwin_free(a->slots[i].w[j]);
        }
        kb_free(a->slots[i].w);
    }
    a->sn = 0;
    a->open = 0;
    for (size_t p = 0; p < a->pn; p++) {
        int32_t g = a->parts[p].group;
        memset(&a->parts[p], 0, sizeof(a->parts[p]));
        a->parts[p].group = g;
    }
    for (size_t g = 0; g < a->gn; g++) {
        a->groups[g].has_pub = 0;
    }
    a->has_horizon = 0;
    a->horizon = 0;
    for (size_t i = 0; i < a->bcap; i++) {
        if (a->brands[i]) {
            memset(a->brands[i]->has_ewma, 0, sizeof(a->brands[i]->has_ewma));
            a->brands[i]->dirty = 0;
        }
    }
}
