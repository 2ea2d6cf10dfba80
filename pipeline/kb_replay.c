/* kb_replay.c -- batch replay: archived messages through the live scorer and
 * aggregator. See kb_replay.h for the time model. */
#include "kb_replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_encode.h"
#include "kb_mem.h"
#include "kb_obs.h"
#include "kb_score.h"

struct kb_replay {
    kb_replay_cfg_t cfg;
    const kb_engine_t *en;
    const kb_decoder_t *dec;
    kb_scorer_t *sc;
    kb_agg_t *agg;
    kb_alert_t *alerts;
    kb_buf_t out;
    int64_t *next_off;           /* per stream: the aggregator's offsets */
    int32_t n_streams;
    kb_replay_stats_t st;
    int failed;
    kb_replay_brand_t **brands;  /* open addressing by name */
    size_t bcap, bn;
    const kb_replay_brand_t **sorted;
};

static const char *const out_names[KB_OUT_COUNT] = {"wom", "satisfaction", "alert",
                                                    "scored", "dlq", "late"};

const char *kb_out_name(kb_out_t o)
{
    return (unsigned)o < KB_OUT_COUNT ? out_names[o] : "?";
}

/* Final windows: observed, emitted with the aggregator's key, fed to alerts. */
static int on_window(void *ud, const kb_agg_rec_t *rec)
{
    kb_replay_t *rp = ud;

    if (!rec->final) {
        return 0; /* replay publishes finals only */
    }
    rp->st.windows += rec->kind == KB_REC_WOM;
    if (rp->cfg.on_window && rp->cfg.on_window(rp->cfg.ud, rec) != 0) {
        return -1;
    }
    if (rp->cfg.out(rp->cfg.ud, rec->kind == KB_REC_WOM ? KB_OUT_WOM : KB_OUT_SAT, rec->key,
                    rec->key_len, rec->json, rec->len) != 0) {
        return -1;
    }
    /* After the window's own record, as live publishes them. */
    return rp->alerts && kb_alert_feed_record(rp->alerts, rec) == KB_ALERT_ERR ? -1 : 0;
}

static int on_alert(void *ud, const char *key, size_t klen, const char *json, size_t len)
{
    kb_replay_t *rp = ud;

    rp->st.alerts++;
    return rp->cfg.out(rp->cfg.ud, KB_OUT_ALERT, key, klen, json, len);
}

kb_replay_t *kb_replay_new(const kb_replay_cfg_t *cfg, const kb_engine_t *en,
                           const kb_decoder_t *dec, char *errstr, size_t errstr_size)
{
    kb_replay_t *rp;

    if (!cfg->out) {
        snprintf(errstr, errstr_size, "replay needs an output");
        return NULL;
    }
    if (!(rp = kb_calloc(1, sizeof(*rp)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rp->cfg = *cfg;
    rp->en = en;
    rp->dec = dec;
    kb_buf_init(&rp->out);
    if (!(rp->sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), errstr,
                                 errstr_size)) ||
        !(rp->agg = kb_agg_new(&cfg->agg, on_window, rp, errstr, errstr_size))) {
        kb_replay_free(rp);
        return NULL;
    }
    if (cfg->alerts) {
        kb_alert_cfg_t ac = cfg->alert;
        ac.window_ms = cfg->agg.window_ms;
        if (!(rp->alerts = kb_alert_new(&ac, on_alert, rp, errstr, errstr_size))) {
            kb_replay_free(rp);
            return NULL;
        }
    }
    return rp;
}

void kb_replay_free(kb_replay_t *rp)
{
    if (!rp) {
        return;
    }
    kb_scorer_free(rp->sc);
    kb_agg_free(rp->agg);
    kb_alert_free(rp->alerts);
    kb_buf_fini(&rp->out);
    kb_free(rp->next_off);
    for (size_t i = 0; i < rp->bcap; i++) {
        if (rp->brands[i]) {
            kb_free((char *)rp->brands[i]->name);
            kb_free(rp->brands[i]);
        }
    }
    kb_free(rp->brands);
    kb_free(rp->sorted);
    kb_free(rp);
}

static size_t name_hash(const char *p, size_t n)
{
    size_t h = 1469598103934665603u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    }
    return h;
}

static int brands_grow(kb_replay_t *rp)
{
    size_t cap = rp->bcap ? rp->bcap * 2 : 64;
    kb_replay_brand_t **t = kb_calloc(cap, sizeof(*t));

    if (!t) {
        return -1;
    }
    for (size_t i = 0; i < rp->bcap; i++) {
        kb_replay_brand_t *b = rp->brands[i];
        if (b) {
            size_t j = name_hash(b->name, strlen(b->name)) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = b;
        }
    }
    kb_free(rp->brands);
    rp->brands = t;
    rp->bcap = cap;
    return 0;
}

static kb_replay_brand_t *brand_totals(kb_replay_t *rp, const char *name, size_t len)
{
    kb_replay_brand_t *b;
    size_t j;
    char *copy;

    if ((rp->bn + 1) * 2 > rp->bcap && brands_grow(rp) != 0) {
        return NULL;
    }
    for (j = name_hash(name, len) & (rp->bcap - 1); (b = rp->brands[j]);
         j = (j + 1) & (rp->bcap - 1)) {
        if (strncmp(b->name, name, len) == 0 && b->name[len] == '\0') {
            return b;
        }
    }
    if (!(b = kb_calloc(1, sizeof(*b))) || !(copy = kb_malloc(len + 1))) {
        kb_free(b);
        return NULL;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    b->name = copy;
    rp->brands[j] = b;
    rp->bn++;
    return b;
}

static void add_totals(kb_replay_brand_t *b, const kb_obs_t *o)
{
    b->mentions++;
    b->pos += o->label == KB_LABEL_POS;
    b->neg += o->label == KB_LABEL_NEG;
    b->promoters += o->score >= 0.5; /* the wom record's thresholds */
    b->detractors += o->score <= -0.5;
    b->complaints += o->complaint != 0;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        if (o->dim[d].mentioned) {
            b->dim_mentions[d]++;
            b->dim_neg[d] += o->dim[d].label == KB_LABEL_NEG;
            b->dim_score_sum[d] += o->dim[d].score;
        }
    }
}

static int by_name(const void *x, const void *y)
{
    return strcmp((*(const kb_replay_brand_t *const *)x)->name,
                  (*(const kb_replay_brand_t *const *)y)->name);
}

size_t kb_replay_brands(kb_replay_t *rp, const kb_replay_brand_t *const **out)
{
    size_t n = 0;

    kb_free(rp->sorted);
    if (!(rp->sorted = kb_malloc((rp->bn + 1) * sizeof(*rp->sorted)))) {
        *out = NULL;
        return 0;
    }
    for (size_t i = 0; i < rp->bcap; i++) {
        if (rp->brands[i]) {
            rp->sorted[n++] = rp->brands[i];
        }
    }
    qsort(rp->sorted, n, sizeof(*rp->sorted), by_name);
    *out = rp->sorted;
    return n;
}

int kb_replay_streams(kb_replay_t *rp, int32_t n)
{
    int64_t *t;

    if (n <= rp->n_streams) {
        return 0;
    }
    if (!(t = kb_realloc(rp->next_off, (size_t)n * sizeof(*t)))) {
        return -1;
    }
    rp->next_off = t;
    for (int32_t s = rp->n_streams; s < n; s++) {
        rp->next_off[s] = 0;
        /* Every stream holds the horizon until the end of input: lateness is
         * then judged against a record's own stream only. */
        if (kb_agg_expect_partition(rp->agg, s) != KB_AGG_OK) {
            return -1;
        }
    }
    rp->n_streams = n;
    return 0;
}

static void put_origin(kb_buf_t *o, const kb_origin_t *from)
{
    if (from->file) {
        kb_buf_puts(o, ",\"file\":");
        kb_buf_json_str(o, from->file, strlen(from->file));
        kb_buf_puts(o, ",\"line\":");
        kb_buf_int(o, from->line);
    } else {
        kb_buf_puts(o, ",\"topic\":");
        kb_buf_json_str(o, from->topic ? from->topic : "", from->topic ? strlen(from->topic) : 0);
        kb_buf_puts(o, ",\"partition\":");
        kb_buf_int(o, from->partition);
        kb_buf_puts(o, ",\"offset\":");
        kb_buf_int(o, from->offset);
    }
}

/* {reason, file, line | topic, partition, offset, payload}, as live. */
static int dead_letter(kb_replay_t *rp, const char *data, size_t len, const kb_origin_t *from,
                       const char *reason)
{
    kb_buf_t *o = &rp->out;

    rp->st.dlq++;
    kb_buf_reset(o);
    kb_buf_puts(o, "{\"reason\":");
    kb_buf_json_text(o, reason, strlen(reason));
    put_origin(o, from);
    kb_buf_payload(o, data, len);
    kb_buf_putc(o, '}');
    return o->oom ? -1 : rp->cfg.out(rp->cfg.ud, KB_OUT_DLQ, "", 0, o->p, o->len);
}

static int fail(kb_replay_t *rp, const char *why, char *errstr, size_t errstr_size)
{
    rp->failed = 1;
    snprintf(errstr, errstr_size, "%s", why);
    return -1;
}

/* The message's brand field, else the first brand the text names (live's
 * rule); NULL when neither. */
static const char *brand_of(const kb_replay_t *rp, const kb_msg_t *msg, const kb_result_t *res,
                            size_t *len)
{
    const char *b;

    if (msg->brand) {
        *len = msg->brand_len;
        return msg->brand;
    }
    if (!res->n_brands) {
        *len = 0;
        return NULL;
    }
    b = kb_lexicon_brand_name(kb_engine_lexicon(rp->en), res->brands[0]);
    *len = strlen(b);
    return b;
}

/* Count one scored message in its brand's windows. */
static int aggregate(kb_replay_t *rp, int32_t stream, const kb_msg_t *msg,
                     const kb_result_t *res, const char *data, size_t len,
                     char *errstr, size_t errstr_size)
{
    size_t brand_len;
    const char *brand = brand_of(rp, msg, res, &brand_len);
    kb_obs_buf_t ob;
    int rc;

    if (!brand) {
        rp->st.unbranded++; /* scored; no brand to count it for */
        return 0;
    }
    kb_obs_from_result(&ob, msg, res, brand, brand_len, 0);
    rc = kb_agg_add(rp->agg, stream, rp->next_off[stream]++, &ob.obs);
    if (rc == KB_AGG_ERR) {
        return fail(rp, "aggregator failed (out of memory or output)", errstr, errstr_size);
    }
    if (rc == KB_AGG_OK) {
        kb_replay_brand_t *b = brand_totals(rp, brand, brand_len);
        if (!b) {
            return fail(rp, "out of memory", errstr, errstr_size);
        }
        add_totals(b, &ob.obs);
    } else if (rc == KB_AGG_LATE) {
        rp->st.late++;
        if (rp->cfg.out(rp->cfg.ud, KB_OUT_LATE, brand, brand_len, data, len) != 0) {
            return fail(rp, "output failed", errstr, errstr_size);
        }
    }
    return 0;
}

int kb_replay_message(kb_replay_t *rp, int32_t stream, const char *data, size_t len,
                      const kb_origin_t *from, char *errstr, size_t errstr_size)
{
    kb_msg_t msg;
    const kb_result_t *res = NULL;
    char err[512];
    kb_decode_rc_t drc;
    int rc = 0;

    if (rp->failed || stream < 0 ||
        (stream >= rp->n_streams && kb_replay_streams(rp, stream + 1) != 0)) {
        return fail(rp, "out of memory or a failed run", errstr, errstr_size);
    }
    rp->st.messages++;
    rp->st.bytes += (int64_t)len;
    drc = kb_decode(rp->dec, data, len, &msg, err, sizeof(err));
    if (drc == KB_DECODE_ERROR) {
        return fail(rp, "out of memory", errstr, errstr_size);
    }
    if (drc == KB_DECODE_OK &&
        kb_scorer_run(rp->sc, msg.text, msg.text_len, 0, &res, err, sizeof(err)) != 0) {
        drc = KB_DECODE_BAD;
    }
    if (drc == KB_DECODE_OK && !msg.has_ts) {
        if (from->kafka_ts_ms >= 0) { /* as live: the Kafka timestamp */
            msg.ts_ms = from->kafka_ts_ms;
            msg.has_ts = 1;
        } else {
            snprintf(err, sizeof(err), "no event time: the message has no ts");
            drc = KB_DECODE_BAD;
        }
    }
    if (drc == KB_DECODE_BAD) {
        kb_msg_clear(&msg);
        return dead_letter(rp, data, len, from, err) == 0
                   ? 0 : fail(rp, "output failed", errstr, errstr_size);
    }
    rp->st.scored++;
    if (rp->cfg.scored) {
        size_t blen;
        const char *brand = brand_of(rp, &msg, res, &blen);
        kb_buf_reset(&rp->out);
        kb_encode_scored(&rp->out, &msg, res, kb_engine_lexicon(rp->en), 0);
        rc = rp->out.oom ? -1
           : rp->cfg.out(rp->cfg.ud, KB_OUT_SCORED, brand ? brand : "", blen, rp->out.p,
                         rp->out.len);
        if (rc != 0) {
            kb_msg_clear(&msg);
            return fail(rp, "output failed", errstr, errstr_size);
        }
    }
    rc = aggregate(rp, stream, &msg, res, data, len, errstr, errstr_size);
    kb_msg_clear(&msg);
    return rc;
}

int kb_replay_finish(kb_replay_t *rp, char *errstr, size_t errstr_size)
{
    if (rp->failed) {
        return fail(rp, "the run failed earlier", errstr, errstr_size);
    }
    if (kb_agg_flush_all(rp->agg) != KB_AGG_OK) {
        return fail(rp, "aggregator failed (out of memory or output)", errstr, errstr_size);
    }
    return 0;
}

void kb_replay_get_stats(const kb_replay_t *rp, kb_replay_stats_t *st)
{
    *st = rp->st;
}
