/* kb_report.c -- the replay's self-contained HTML report (see kb_report.h). */
#include "kb_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kb_buf.h"
#include "kb_decode.h"
#include "kb_mem.h"

#define MAX_ALERTS 40            /* alerts listed per brand */
#define TOP_TERMS 10

typedef struct point {
    int64_t t0;                  /* bucket start; the bucket spans the brand's width */
    int64_t mentions, pos, neg, complaints, alerts;
    int64_t dim_n[KB_SQ_COUNT], gap_n[KB_SQ_COUNT];
    double dim_sum[KB_SQ_COUNT], gap_sum[KB_SQ_COUNT];
} point_t;

typedef struct rbrand {
    char *name;
    point_t pts[KB_REPORT_POINTS];
    size_t n;
    int64_t origin, width;
    json_t *terms[2];            /* term -> count over the windows' top lists: neg, pos */
    json_t *alerts;              /* the first MAX_ALERTS firing alerts */
    int64_t n_alerts;
} rbrand_t;

struct kb_report {
    kb_agg_cfg_t agg;
    json_t *index;               /* brand name -> position in brands */
    rbrand_t **brands;
    size_t n, cap;
    int64_t tmin, tmax;
};

kb_report_t *kb_report_new(const kb_agg_cfg_t *agg, char *errstr, size_t errstr_size)
{
    kb_report_t *rep = kb_calloc(1, sizeof(*rep));

    if (!rep || !(rep->index = json_object())) {
        kb_free(rep);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rep->agg = *agg;
    rep->tmin = INT64_MAX;
    rep->tmax = INT64_MIN;
    return rep;
}

void kb_report_free(kb_report_t *rep)
{
    if (!rep) {
        return;
    }
    for (size_t i = 0; i < rep->n; i++) {
        json_decref(rep->brands[i]->terms[0]);
        json_decref(rep->brands[i]->terms[1]);
        json_decref(rep->brands[i]->alerts);
        kb_free(rep->brands[i]->name);
        kb_free(rep->brands[i]);
    }
    kb_free(rep->brands);
    json_decref(rep->index);
    kb_free(rep);
}

static rbrand_t *brand_get(kb_report_t *rep, const char *name, int64_t t0)
{
    json_t *at = json_object_get(rep->index, name);
    rbrand_t *b;

    if (at) {
        return rep->brands[json_integer_value(at)];
    }
    if (rep->n == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 16;
        rbrand_t **t = kb_realloc(rep->brands, cap * sizeof(*t));
        if (!t) return NULL;
        rep->brands = t;
        rep->cap = cap;
    }
    if (!(b = kb_calloc(1, sizeof(*b))) || !(b->name = kb_malloc(strlen(name) + 1))) {
        kb_free(b);
        return NULL;
    }
    strcpy(b->name, name);
    b->origin = t0;
    b->width = rep->agg.hop_ms > 0 ? rep->agg.hop_ms : rep->agg.window_ms;
    b->terms[0] = json_object();
    b->terms[1] = json_object();
    b->alerts = json_array();
    if (!b->terms[0] || !b->terms[1] || !b->alerts ||
        json_object_set_new(rep->index, name, json_integer((json_int_t)rep->n)) != 0) {
        json_decref(b->terms[0]);
        json_decref(b->terms[1]);
        json_decref(b->alerts);
        kb_free(b->name);
        kb_free(b);
        return NULL;
    }
    rep->brands[rep->n++] = b;
    return b;
}

static void merge_into(point_t *d, const point_t *s)
{
    d->mentions += s->mentions;
    d->pos += s->pos;
    d->neg += s->neg;
    d->complaints += s->complaints;
    d->alerts += s->alerts;
    for (int k = 0; k < KB_SQ_COUNT; k++) {
        d->dim_n[k] += s->dim_n[k];
        d->gap_n[k] += s->gap_n[k];
        d->dim_sum[k] += s->dim_sum[k];
        d->gap_sum[k] += s->gap_sum[k];
    }
}

/* The bucket holding time t, halving the resolution while it does not fit. */
static point_t *bucket(rbrand_t *b, int64_t t)
{
    size_t i;

    if (t < b->origin) {
        t = b->origin; /* finals come in time order; this only guards */
    }
    while ((size_t)((t - b->origin) / b->width) >= KB_REPORT_POINTS) {
        size_t n = 0;
        b->width *= 2;
        for (size_t j = 0; j < b->n; j++) {
            size_t to = (size_t)((b->pts[j].t0 - b->origin) / b->width);
            point_t p = b->pts[j];
            if (n > 0 && (size_t)((b->pts[n - 1].t0 - b->origin) / b->width) == to) {
                merge_into(&b->pts[n - 1], &p);
            } else {
                p.t0 = b->origin + (int64_t)to * b->width;
                memset(&b->pts[n], 0, sizeof(b->pts[n]));
                b->pts[n] = p;
                n++;
            }
        }
        b->n = n;
    }
    i = (size_t)((t - b->origin) / b->width);
    if (b->n == 0 || (size_t)((b->pts[b->n - 1].t0 - b->origin) / b->width) < i) {
        memset(&b->pts[b->n], 0, sizeof(b->pts[b->n]));
        b->pts[b->n].t0 = b->origin + (int64_t)i * b->width;
        b->n++;
    }
    return &b->pts[b->n - 1];
}

static void add_terms(json_t *map, const json_t *list)
{
    size_t i;
    const json_t *v;

    json_array_foreach(list, i, v) {
        const char *t = json_string_value(json_object_get(v, "term"));
        json_int_t c = json_integer_value(json_object_get(v, "count"));
        if (t) {
            json_object_set_new(map, t, json_integer(json_integer_value(json_object_get(map, t)) + c));
        }
    }
}

int kb_report_window(kb_report_t *rep, const kb_agg_rec_t *rec)
{
    json_t *j = json_loadb(rec->json, rec->len, 0, NULL);
    rbrand_t *b;
    point_t *p;

    if (!j) {
        return -1;
    }
    if (!(b = brand_get(rep, rec->brand, rec->window_start))) {
        json_decref(j);
        return -1;
    }
    rep->tmin = rec->window_start < rep->tmin ? rec->window_start : rep->tmin;
    rep->tmax = rec->window_end > rep->tmax ? rec->window_end : rep->tmax;
    p = bucket(b, rec->window_start);
    if (rec->kind == KB_REC_WOM) {
        p->mentions += json_integer_value(json_object_get(j, "mentions"));
        p->pos += json_integer_value(json_object_get(j, "pos"));
        p->neg += json_integer_value(json_object_get(j, "neg"));
        p->complaints += json_integer_value(json_object_get(j, "complaints"));
        add_terms(b->terms[0], json_object_get(j, "top_neg_terms"));
        add_terms(b->terms[1], json_object_get(j, "top_pos_terms"));
    } else {
        const json_t *sq = json_object_get(j, "servqual");
        for (int d = 0; d < KB_SQ_COUNT; d++) {
            const json_t *x = json_object_get(sq, kb_servqual_name(d));
            json_int_t m = json_integer_value(json_object_get(x, "mentions"));
            const json_t *gap = json_object_get(x, "gap");
            if (m > 0) {
                p->dim_n[d] += m;
                p->dim_sum[d] += (double)m * json_number_value(json_object_get(x, "score"));
                if (json_is_number(gap)) {
                    p->gap_n[d] += m;
                    p->gap_sum[d] += (double)m * json_number_value(gap);
                }
            }
        }
    }
    json_decref(j);
    return 0;
}

static int64_t ts_of(const json_t *v)
{
    int64_t ms = 0;

    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_string(v) && kb_parse_iso8601(json_string_value(v), &ms) == 0) return ms;
    return INT64_MIN;
}

int kb_report_alert(kb_report_t *rep, const char *json, size_t len)
{
    json_t *j = json_loadb(json, len, 0, NULL);
    const char *brand = json_string_value(json_object_get(j, "brand"));
    const char *state = json_string_value(json_object_get(j, "state"));
    int64_t t = ts_of(json_object_get(j, "window_start"));
    rbrand_t *b;

    if (!j) {
        return -1;
    }
    if (brand && state && strcmp(state, "firing") == 0 && t != INT64_MIN &&
        (b = brand_get(rep, brand, t))) {
        if (json_integer_value(json_object_get(j, "longevity")) <= 1) {
            bucket(b, t)->alerts++;
        }
        b->n_alerts++;
        if (json_array_size(b->alerts) < MAX_ALERTS) {
            json_array_append(b->alerts, j);
        }
    }
    json_decref(j);
    return 0;
}

/* ---- HTML ---------------------------------------------------------------- */

static void html(kb_buf_t *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': kb_buf_puts(o, "&lt;"); break;
        case '>': kb_buf_puts(o, "&gt;"); break;
        case '&': kb_buf_puts(o, "&amp;"); break;
        case '"': kb_buf_puts(o, "&quot;"); break;
        default: kb_buf_putc(o, *s); break;
        }
    }
}

static void date_label(char *out, size_t n, int64_t ms)
{
    char iso[40];

    kb_format_iso8601(ms, iso, sizeof(iso));
    snprintf(out, n, "%.10s %.5s", iso, iso + 11);
}

enum { W = 760, H = 170, L = 56, R = 52, T = 22, B = 26 };

typedef double (*value_fn)(const point_t *p, int *ok);

static double v_mentions(const point_t *p, int *ok) { *ok = 1; return (double)p->mentions; }
static double v_complaints(const point_t *p, int *ok) { *ok = 1; return (double)p->complaints; }
static double v_net(const point_t *p, int *ok)
{
    *ok = p->mentions > 0;
    return *ok ? (double)(p->pos - p->neg) / (double)p->mentions : 0;
}
static double v_csat(const point_t *p, int *ok)
{
    *ok = p->pos + p->neg > 0;
    return *ok ? 100.0 * (double)p->pos / (double)(p->pos + p->neg) : 0;
}

typedef struct chart {
    kb_buf_t *o;
    int64_t t0, t1;
} chart_t;

static double xpos(const chart_t *c, int64_t t)
{
    return L + (double)(t - c->t0) / (double)(c->t1 - c->t0 > 0 ? c->t1 - c->t0 : 1) * (W - L - R);
}

static double ypos(double v, double lo, double hi)
{
    return T + (1.0 - (v - lo) / (hi > lo ? hi - lo : 1)) * (H - T - B);
}

static void frame(chart_t *c, const char *title, const char *left, double lo, double hi,
                  const char *right, double rlo, double rhi)
{
    char a[40], z[40];

    kb_buf_printf(c->o, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
                  "<title>", W, H, W, H);
    html(c->o, title);
    kb_buf_printf(c->o, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"pl\"/>",
                  L, T, W - L - R, H - T - B);
    kb_buf_printf(c->o, "<text x=\"%d\" y=\"14\" class=\"ti\">", L);
    html(c->o, title);
    kb_buf_puts(c->o, "</text>");
    kb_buf_printf(c->o, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%g</text>"
                  "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%g</text>",
                  L - 4, T + 8, hi, L - 4, H - B, lo);
    kb_buf_printf(c->o, "<text x=\"4\" y=\"%d\" class=\"ax\">", H / 2);
    html(c->o, left);
    kb_buf_puts(c->o, "</text>");
    if (right) {
        kb_buf_printf(c->o, "<text x=\"%d\" y=\"%d\" class=\"ax rl\">%+g</text>"
                      "<text x=\"%d\" y=\"%d\" class=\"ax rl\">%+g</text>"
                      "<text x=\"%d\" y=\"%d\" class=\"ax rl\">", W - R + 4, T + 8, rhi,
                      W - R + 4, H - B, rlo, W - R + 4, H / 2);
        html(c->o, right);
        kb_buf_puts(c->o, "</text>");
    }
    date_label(a, sizeof(a), c->t0);
    date_label(z, sizeof(z), c->t1);
    kb_buf_printf(c->o, "<text x=\"%d\" y=\"%d\" class=\"ax\">%s UTC</text>"
                  "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s UTC</text>",
                  L, H - 8, a, W - R, H - 8, z);
}

static void bars(chart_t *c, const rbrand_t *b, value_fn f, double hi, const char *cls)
{
    for (size_t i = 0; i < b->n; i++) {
        int ok;
        double v = f(&b->pts[i], &ok), x0 = xpos(c, b->pts[i].t0),
               x1 = xpos(c, b->pts[i].t0 + b->width), y = ypos(v, 0, hi);
        if (ok && v > 0) {
            kb_buf_printf(c->o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "class=\"%s\"/>", x0, y, x1 - x0 > 1.5 ? x1 - x0 - 0.5 : 1.0,
                          (double)(H - B) - y, cls);
        }
    }
}

static void line(chart_t *c, const rbrand_t *b, value_fn f, double lo, double hi, const char *cls)
{
    int n = 0;

    for (size_t i = 0; i < b->n; i++) {
        int ok;
        double v = f(&b->pts[i], &ok);
        if (!ok) {
            continue; /* no data: the line bridges the bucket */
        }
        if (n++ == 0) {
            kb_buf_printf(c->o, "<polyline class=\"%s\" points=\"", cls);
        }
        kb_buf_printf(c->o, "%s%.1f,%.1f", n > 1 ? " " : "",
                      xpos(c, b->pts[i].t0 + b->width / 2), ypos(v, lo, hi));
    }
    if (n) {
        kb_buf_puts(c->o, "\"/>");
    }
    if (n == 1) { /* a one-point line is invisible: mark the point */
        for (size_t i = 0; i < b->n; i++) {
            int ok;
            double v = f(&b->pts[i], &ok);
            if (ok) {
                kb_buf_printf(c->o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"%s\"/>",
                              xpos(c, b->pts[i].t0 + b->width / 2), ypos(v, lo, hi), cls);
            }
        }
    }
}

static double max_of(const rbrand_t *b, value_fn f)
{
    double m = 1;

    for (size_t i = 0; i < b->n; i++) {
        int ok;
        double v = f(&b->pts[i], &ok);
        if (ok && v > m) m = v;
    }
    return m;
}

static void alert_marks(chart_t *c, const rbrand_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->pts[i].alerts > 0) {
            double x = xpos(c, b->pts[i].t0 + b->width / 2);
            kb_buf_printf(c->o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"al\"/>"
                          "<path d=\"M%.1f %d l-5 -9 h10 z\" class=\"alm\"><title>%lld alert(s)"
                          "</title></path>", x, T, x, H - B, x, T, (long long)b->pts[i].alerts);
        }
    }
}

static void servqual_table(kb_buf_t *o, const rbrand_t *rb, const kb_replay_brand_t *t)
{
    kb_buf_puts(o, "<table class=\"sq\"><tr><th>SERVQUAL dimension</th><th>mentions</th>"
                   "<th>negative</th><th>mean score</th><th></th><th>mean gap "
                   "(perceived &minus; expected)</th></tr>");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        int64_t gn = 0;
        double gs = 0, mean = t && t->dim_mentions[d] ? t->dim_score_sum[d] /
                                                        (double)t->dim_mentions[d] : 0;
        for (size_t i = 0; i < rb->n; i++) {
            gn += rb->pts[i].gap_n[d];
            gs += rb->pts[i].gap_sum[d];
        }
        kb_buf_printf(o, "<tr><td>%s</td><td>%lld</td><td>%lld</td>", kb_servqual_name(d),
                      t ? (long long)t->dim_mentions[d] : 0LL, t ? (long long)t->dim_neg[d] : 0LL);
        if (t && t->dim_mentions[d]) {
            double w = fabs(mean) * 60;
            kb_buf_printf(o, "<td>%+.2f</td><td><svg width=\"124\" height=\"12\"><rect x=\"%.1f\" "
                          "y=\"1\" width=\"%.1f\" height=\"10\" class=\"%s\"/><line x1=\"62\" y1=\"0\" "
                          "x2=\"62\" y2=\"12\" class=\"zl\"/></svg></td>", mean,
                          mean < 0 ? 62 - w : 62, w, mean < 0 ? "nb" : "pb");
        } else {
            kb_buf_puts(o, "<td>&ndash;</td><td></td>");
        }
        if (gn > 0) kb_buf_printf(o, "<td>%+.3f</td></tr>", gs / (double)gn);
        else kb_buf_puts(o, "<td>&ndash;</td></tr>");
    }
    kb_buf_puts(o, "</table>");
}

typedef struct tc { const char *t; json_int_t c; } tc_t;

static int tc_cmp(const void *x, const void *y)
{
    const tc_t *a = x, *b = y;
    return a->c != b->c ? (a->c > b->c ? -1 : 1) : strcmp(a->t, b->t);
}

static void term_list(kb_buf_t *o, const json_t *map, const char *title, const char *cls)
{
    size_t n = json_object_size(map), k = 0;
    tc_t *v = kb_malloc((n + 1) * sizeof(*v));
    const char *t;
    json_t *c;

    kb_buf_printf(o, "<div class=\"tl\"><h4>%s</h4><ol>", title);
    if (v) {
        json_object_foreach((json_t *)map, t, c) {
            v[k].t = t;
            v[k++].c = json_integer_value(c);
        }
        qsort(v, k, sizeof(*v), tc_cmp);
        for (size_t i = 0; i < k && i < TOP_TERMS; i++) {
            kb_buf_printf(o, "<li><span class=\"%s\">", cls);
            html(o, v[i].t);
            kb_buf_printf(o, "</span> %lld</li>", (long long)v[i].c);
        }
    }
    if (k == 0) kb_buf_puts(o, "<li>none</li>");
    kb_buf_puts(o, "</ol></div>");
    kb_free(v);
}

static void alert_table(kb_buf_t *o, const rbrand_t *b)
{
    size_t i;
    const json_t *a;

    kb_buf_printf(o, "<h4>Alerts (%lld firing)</h4>", (long long)b->n_alerts);
    if (json_array_size(b->alerts) == 0) {
        kb_buf_puts(o, "<p class=\"mu\">none</p>");
        return;
    }
    kb_buf_puts(o, "<table class=\"sq\"><tr><th>window start</th><th>kind</th><th>dimension</th>"
                   "<th>observed</th><th>expected</th><th>severity</th></tr>");
    json_array_foreach(b->alerts, i, a) {
        char ws[40];
        const char *dim = json_string_value(json_object_get(a, "dimension"));
        date_label(ws, sizeof(ws), ts_of(json_object_get(a, "window_start")));
        kb_buf_printf(o, "<tr><td>%s</td><td>", ws);
        html(o, json_string_value(json_object_get(a, "kind")));
        kb_buf_puts(o, "</td><td>");
        html(o, dim ? dim : "");
        kb_buf_printf(o, "</td><td>%g</td><td>%g</td><td>%lld</td></tr>",
                      json_number_value(json_object_get(a, "observed")),
                      json_number_value(json_object_get(a, "expected")),
                      (long long)json_integer_value(json_object_get(a, "severity")));
    }
    kb_buf_puts(o, "</table>");
}

static void brand_section(kb_report_t *rep, kb_buf_t *o, const rbrand_t *b,
                          const kb_replay_brand_t *t)
{
    chart_t c = {o, rep->tmin, rep->tmax};
    double mx;

    kb_buf_puts(o, "<section><h2>");
    html(o, b->name);
    kb_buf_puts(o, "</h2>");
    if (t) {
        double m = (double)t->mentions;
        kb_buf_printf(o, "<p class=\"kp\"><b>%lld</b> mentions &middot; net sentiment <b>%+.2f</b>"
                      " &middot; NPS-style <b>%+.0f</b> &middot; complaints <b>%.1f%%</b>",
                      (long long)t->mentions, (double)(t->pos - t->neg) / m,
                      100.0 * (double)(t->promoters - t->detractors) / m,
                      100.0 * (double)t->complaints / m);
        if (t->pos + t->neg > 0) {
            kb_buf_printf(o, " &middot; CSAT <b>%.0f</b>",
                          100.0 * (double)t->pos / (double)(t->pos + t->neg));
        }
        kb_buf_puts(o, "</p>");
    }
    mx = max_of(b, v_mentions);
    frame(&c, "Mentions (bars) and net sentiment (line)", "mentions", 0, mx, "net", -1, 1);
    bars(&c, b, v_mentions, mx, "mb");
    kb_buf_printf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"zl\"/>", L,
                  ypos(0, -1, 1), W - R, ypos(0, -1, 1));
    line(&c, b, v_net, -1, 1, "nl");
    kb_buf_puts(o, "</svg>");
    frame(&c, "CSAT (positive share of opinionated mentions)", "CSAT", 0, 100, NULL, 0, 0);
    line(&c, b, v_csat, 0, 100, "cl");
    kb_buf_puts(o, "</svg>");
    mx = max_of(b, v_complaints);
    frame(&c, "Complaints (bars), alerts marked in red", "complaints", 0, mx, NULL, 0, 0);
    bars(&c, b, v_complaints, mx, "cb");
    alert_marks(&c, b);
    kb_buf_puts(o, "</svg>");
    servqual_table(o, b, t);
    kb_buf_puts(o, "<div class=\"tt\">");
    term_list(o, b->terms[1], "Top positive terms", "pt");
    term_list(o, b->terms[0], "Top negative terms", "ng");
    kb_buf_puts(o, "</div>");
    alert_table(o, b);
    kb_buf_puts(o, "</section>");
}

static const char css[] =
    "body{font:14px/1.45 system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;margin:24px auto;"
    "max-width:820px;color:#1d2433;background:#fff}h1{font-size:22px;margin:0 0 4px}"
    "h2{font-size:18px;border-bottom:2px solid #e3e7ee;padding-bottom:4px;margin-top:36px}"
    "h4{margin:10px 0 4px}.mu{color:#6b7385}.kp b{font-size:15px}"
    "svg{display:block;margin:8px 0}.pl{fill:#fafbfd;stroke:#d9dee8}"
    ".ti{font-size:12px;font-weight:600;fill:#1d2433}.ax{font-size:10px;fill:#6b7385}"
    ".mb{fill:#9db4d9}.cb{fill:#e0a35e}.nl{fill:none;stroke:#2d7a46;stroke-width:1.6}"
    ".cl{fill:none;stroke:#3b5fb0;stroke-width:1.6}circle.nl{fill:#2d7a46}circle.cl{fill:#3b5fb0}"
    ".zl{stroke:#b8bfcc;stroke-dasharray:3 3}"
    ".al{stroke:#d0342c;stroke-width:1.2}.alm{fill:#d0342c}.nb{fill:#d9534f}.pb{fill:#4c9a5f}"
    "table.sq{border-collapse:collapse;margin:8px 0;font-size:13px}"
    ".sq th,.sq td{border-bottom:1px solid #e3e7ee;padding:3px 8px;text-align:left}"
    ".tt{display:flex;gap:40px}.tl ol{margin:0;padding-left:22px}.pt{color:#2d7a46}"
    ".ng{color:#b3261e}";

int kb_report_write(kb_report_t *rep, const char *path, const kb_replay_brand_t *const *brands,
                    size_t n_brands, char *errstr, size_t errstr_size)
{
    kb_buf_t o;
    FILE *f;
    char a[40], z[40];
    int rc = 0;

    kb_buf_init(&o);
    kb_buf_printf(&o, "<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
                  "<title>koubei replay report</title><style>%s</style></head><body>"
                  "<h1>koubei word-of-mouth and satisfaction report</h1>", css);
    if (rep->tmin <= rep->tmax) {
        date_label(a, sizeof(a), rep->tmin);
        date_label(z, sizeof(z), rep->tmax);
        kb_buf_printf(&o, "<p class=\"mu\">%s &ndash; %s UTC &middot; %zu brand(s) &middot; "
                      "windows of %lld s</p>", a, z, rep->n, (long long)(rep->agg.window_ms / 1000));
    } else {
        kb_buf_puts(&o, "<p class=\"mu\">No final windows: the input named no brand.</p>");
    }
    for (size_t i = 0; i < n_brands; i++) { /* in the summary's order: by name */
        json_t *at = json_object_get(rep->index, brands[i]->name);
        if (at) {
            brand_section(rep, &o, rep->brands[json_integer_value(at)], brands[i]);
        }
    }
    kb_buf_puts(&o, "<p class=\"mu\">Generated by koubei replay. Scores are lexicon-based; "
                    "top terms are summed over each window's top list.</p></body></html>\n");
    if (o.oom) {
        snprintf(errstr, errstr_size, "out of memory");
        kb_buf_fini(&o);
        return -1;
    }
    if (!(f = fopen(path, "w")) || fwrite(o.p, 1, o.len, f) != o.len) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    kb_buf_fini(&o);
    return rc;
}
