/* kb_run.c -- the live pipeline on Kafka: score stage, aggregate stage.
 *
 * One thread drives everything: two consumers (score, aggregate), one
 * producer. The loop is poll -> process -> timers. Commits happen after a
 * producer flush, so an offset is never committed before the records its
 * message caused are acknowledged by the broker.
 */
#include "kb_run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "kb_buf.h"
#include "kb_encode.h"
#include "kb_log.h"
#include "kb_mem.h"
#include "kb_obs.h"
#include "kb_score.h"

#define POLL_BATCH 500
#define FLUSH_TIMEOUT_MS 30000

typedef struct apart {
    int assigned, flushed;
    int64_t last_ms;   /* wall clock of the last record */
    int64_t next_off;  /* after the last record processed; -1 when none */
} apart_t;

struct kb_run {
    kb_run_cfg_t cfg;
    const kb_engine_t *en;
    const kb_decoder_t *dec;
    rd_kafka_t *prod, *c_score, *c_agg;
    kb_scorer_t *sc;
    kb_agg_t *agg;
    kb_buf_t out, key;
    kb_run_stats_t st;
    apart_t *ap;
    size_t apn;
    int failed;
    char fatal[256];
    int64_t last_input_ms;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kb_run_cfg_default(kb_run_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->role = KB_ROLE_ALL;
    cfg->group = "koubei";
    cfg->input = "feedback.raw";
    cfg->t_scored = "koubei.scored";
    cfg->t_wom = "koubei.wom";
    cfg->t_sat = "koubei.satisfaction";
    cfg->t_dlq = "koubei.dlq";
    cfg->t_late = "koubei.late";
    kb_agg_cfg_default(&cfg->agg);
    cfg->idle_close_ms = 30000;
    cfg->emit_interval_ms = 5000;
    cfg->commit_interval_ms = 1000;
    cfg->stats_interval_ms = 10000;
}

/* ---- clients ------------------------------------------------------------------ */

static int conf_set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t n)
{
    if (rd_kafka_conf_set(c, k, v, err, n) != RD_KAFKA_CONF_OK) {
        return -1;
    }
    return 0;
}

/* Common properties, then the user's -X key=value on top. */
static rd_kafka_conf_t *base_conf(const kb_run_cfg_t *cfg, char *err, size_t n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();

    if (conf_set(c, "bootstrap.servers", cfg->brokers, err, n) != 0 ||
        conf_set(c, "client.id", "koubei", err, n) != 0) {
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_props; i++) {
        char kv[512], *eq;
        snprintf(kv, sizeof(kv), "%s", cfg->props[i]);
        if (!(eq = strchr(kv, '='))) {
            snprintf(err, n, "property '%s' is not key=value", cfg->props[i]);
            goto fail;
        }
        *eq = '\0';
        if (conf_set(c, kv, eq + 1, err, n) != 0) {
            goto fail;
        }
    }
    return c;
fail:
    rd_kafka_conf_destroy(c);
    return NULL;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kb_run_t *r = opaque;

    (void)rk;
    if (m->err) {
        r->st.produce_errors++;
        if (!r->failed) {
            r->failed = 1;
            snprintf(r->fatal, sizeof(r->fatal), "cannot deliver to %s: %s",
                     rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
        }
    }
}

static rd_kafka_t *new_producer(kb_run_t *r, char *err, size_t n)
{
    rd_kafka_conf_t *c = base_conf(&r->cfg, err, n);
    rd_kafka_t *rk;

    if (!c) {
        return NULL;
    }
    /* Idempotence keeps retries from duplicating or reordering; murmur2 is
     * the Java client's partitioner, so brands land where Java puts them. */
    if (conf_set(c, "enable.idempotence", "true", err, n) != 0 ||
        conf_set(c, "partitioner", "murmur2_random", err, n) != 0 ||
        conf_set(c, "linger.ms", "5", err, n) != 0) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_opaque(c, r);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, n))) {
        rd_kafka_conf_destroy(c);
    }
    return rk;
}

static apart_t *apart_get(kb_run_t *r, int32_t p)
{
    if (p < 0) {
        return NULL;
    }
    if ((size_t)p >= r->apn) {
        size_t n = (size_t)p + 1;
        apart_t *a = kb_realloc(r->ap, n * sizeof(*a));
        if (!a) {
            return NULL;
        }
        for (size_t i = r->apn; i < n; i++) {
            memset(&a[i], 0, sizeof(a[i]));
            a[i].next_off = -1;
        }
        r->ap = a;
        r->apn = n;
    }
    return &r->ap[p];
}

static int commit_agg(kb_run_t *r, int sync);
static int commit_score(kb_run_t *r, int sync);

/* Eager rebalancing: before partitions go, deliver and commit what is
 * safe; the aggregate stage also drops their open windows (the next owner
 * rebuilds them from the committed offsets). */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kb_run_t *r = opaque;
    int is_agg = rk == r->c_agg;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        KB_LOG(KB_LOG_INFO, "run", "%s stage assigned %d partition(s)",
               is_agg ? "aggregate" : "score", parts->cnt);
        for (int i = 0; is_agg && i < parts->cnt; i++) {
            apart_t *a = apart_get(r, parts->elems[i].partition);
            if (a) {
                memset(a, 0, sizeof(*a));
                a->assigned = 1;
                a->next_off = -1;
                a->last_ms = now_ms();
            }
            kb_agg_expect_partition(r->agg, parts->elems[i].partition);
        }
        rd_kafka_assign(rk, parts);
        return;
    }
    if (is_agg) {
        commit_agg(r, 1);
        for (int i = 0; i < parts->cnt; i++) {
            apart_t *a = apart_get(r, parts->elems[i].partition);
            kb_agg_drop_partition(r->agg, parts->elems[i].partition);
            if (a) {
                a->assigned = 0;
            }
        }
    } else {
        commit_score(r, 1);
    }
    rd_kafka_assign(rk, NULL);
}

static rd_kafka_t *new_consumer(kb_run_t *r, const char *suffix, const char *topics,
                                char *err, size_t n)
{
    rd_kafka_conf_t *c = base_conf(&r->cfg, err, n);
    rd_kafka_topic_partition_list_t *sub;
    char group[256], *list, *save = NULL;
    rd_kafka_t *rk;

    if (!c) {
        return NULL;
    }
    snprintf(group, sizeof(group), "%s.%s", r->cfg.group, suffix);
    if (conf_set(c, "group.id", group, err, n) != 0 ||
        conf_set(c, "enable.auto.commit", "false", err, n) != 0 ||
        conf_set(c, "auto.offset.reset", "earliest", err, n) != 0 ||
        conf_set(c, "enable.partition.eof", "false", err, n) != 0) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
    rd_kafka_conf_set_opaque(c, r);
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, n))) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    sub = rd_kafka_topic_partition_list_new(4);
    list = kb_strndup(topics, strlen(topics));
    for (char *t = list ? strtok_r(list, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        rd_kafka_topic_partition_list_add(sub, t, RD_KAFKA_PARTITION_UA);
    }
    kb_free(list);
    if (sub->cnt == 0 || rd_kafka_subscribe(rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, n, "cannot subscribe to '%s'", topics);
        rd_kafka_topic_partition_list_destroy(sub);
        rd_kafka_destroy(rk);
        return NULL;
    }
    rd_kafka_topic_partition_list_destroy(sub);
    return rk;
}

/* ---- producing ------------------------------------------------------------------ */

static int produce(kb_run_t *r, const char *topic, const char *key, size_t klen,
                   const char *val, size_t vlen)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            r->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
            RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return 0;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            r->st.produce_errors++;
            r->failed = 1;
            snprintf(r->fatal, sizeof(r->fatal), "cannot produce to %s: %s", topic,
                     rd_kafka_err2str(err));
            return -1;
        }
        rd_kafka_poll(r->prod, 100); /* back-pressure: wait for deliveries */
    }
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n) {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

static void base64(kb_buf_t *b, const unsigned char *s, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    kb_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        kb_buf_putc(b, tab[v >> 18 & 63]);
        kb_buf_putc(b, tab[v >> 12 & 63]);
        kb_buf_putc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
        kb_buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
    }
    kb_buf_putc(b, '"');
}

/* {reason, topic, partition, offset, payload}; payload in base64 (with
 * "payload_encoding":"base64") when it is not UTF-8. */
static int dead_letter(kb_run_t *r, const rd_kafka_message_t *m, const char *reason)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    kb_buf_t *o = &r->out;

    kb_buf_reset(o);
    kb_buf_puts(o, "{\"reason\":");
    kb_buf_json_str(o, reason, strlen(reason));
    kb_buf_puts(o, ",\"topic\":");
    kb_buf_json_str(o, topic, strlen(topic));
    kb_buf_puts(o, ",\"partition\":");
    kb_buf_int(o, m->partition);
    kb_buf_puts(o, ",\"offset\":");
    kb_buf_int(o, m->offset);
    kb_buf_puts(o, ",\"payload\":");
    if (utf8_valid(m->payload, m->len)) {
        kb_buf_json_str(o, m->payload ? m->payload : "", m->len);
    } else {
        base64(o, m->payload, m->len);
        kb_buf_puts(o, ",\"payload_encoding\":\"base64\"");
    }
    kb_buf_putc(o, '}');
    r->st.dlq++;
    KB_LOG(KB_LOG_DEBUG, "run", "dead letter %s[%d]@%lld: %s", topic, (int)m->partition,
           (long long)m->offset, reason);
    return o->oom ? -1 : produce(r, r->cfg.t_dlq, m->key, m->key_len, o->p, o->len);
}

/* ---- stage 1: score ----------------------------------------------------------------- */

static int score_message(kb_run_t *r, const rd_kafka_message_t *m)
{
    kb_msg_t msg;
    const kb_result_t *res;
    char err[512];
    const char *brand;
    kb_decode_rc_t rc;
    int ret;

    r->st.consumed++;
    rc = kb_decode(r->dec, m->payload ? m->payload : "", m->len, &msg, err, sizeof(err));
    if (rc == KB_DECODE_ERROR) {
        snprintf(r->fatal, sizeof(r->fatal), "out of memory");
        r->failed = 1;
        return -1;
    }
    if (rc == KB_DECODE_OK &&
        kb_scorer_run(r->sc, msg.text, msg.text_len, 0, &res, err, sizeof(err)) != 0) {
        rc = KB_DECODE_BAD;
    }
    if (rc == KB_DECODE_BAD) {
        kb_msg_clear(&msg);
        return dead_letter(r, m, err);
    }
    if (!msg.has_ts) { /* event time falls back to the Kafka timestamp */
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if (ts >= 0) {
            msg.ts_ms = ts;
            msg.has_ts = 1;
        }
    }
    kb_buf_reset(&r->out);
    kb_encode_scored(&r->out, &msg, res, kb_engine_lexicon(r->en), 0);
    brand = msg.brand ? msg.brand
          : res->n_brands ? kb_lexicon_brand_name(kb_engine_lexicon(r->en), res->brands[0])
                          : NULL;
    ret = r->out.oom ? -1
        : produce(r, r->cfg.t_scored, brand, brand ? (msg.brand ? msg.brand_len : strlen(brand)) : 0,
                  r->out.p, r->out.len);
    r->st.scored++;
    kb_msg_clear(&msg);
    return ret;
}

/* ---- stage 2: aggregate ------------------------------------------------------------ */

static void show_final(kb_run_t *r, const kb_agg_rec_t *rec)
{
    json_error_t jerr;
    json_t *j = json_loadb(rec->json, rec->len, 0, &jerr);
    char ws[40];

    if (!j) {
        return;
    }
    kb_format_iso8601(rec->window_start, ws, sizeof(ws));
    fprintf(r->cfg.show, "%.16s  %-14s mentions %4lld  net %+6.2f  nps %+5.0f  complaints %3lld\n",
            ws, rec->brand, (long long)json_integer_value(json_object_get(j, "mentions")),
            json_number_value(json_object_get(j, "net_sentiment")),
            json_number_value(json_object_get(j, "nps")),
            (long long)json_integer_value(json_object_get(j, "complaints")));
    fflush(r->cfg.show);
    json_decref(j);
}

static int on_window(void *ud, const kb_agg_rec_t *rec)
{
    kb_run_t *r = ud;
    char ws[40];

    kb_format_iso8601(rec->window_start, ws, sizeof(ws));
    kb_buf_reset(&r->key);
    kb_buf_puts(&r->key, rec->brand);
    kb_buf_putc(&r->key, '|');
    kb_buf_puts(&r->key, ws);
    if (r->key.oom) {
        return -1;
    }
    if (rec->final) {
        r->st.windows_emitted += rec->kind == KB_REC_WOM;
        if (r->cfg.show && rec->kind == KB_REC_WOM) {
            show_final(r, rec);
        }
    }
    return produce(r, rec->kind == KB_REC_WOM ? r->cfg.t_wom : r->cfg.t_sat, r->key.p,
                   r->key.len, rec->json, rec->len);
}

static int aggregate_message(kb_run_t *r, const rd_kafka_message_t *m)
{
    json_error_t jerr;
    json_t *rec = json_loadb(m->payload ? m->payload : "", m->len, 0, &jerr);
    apart_t *a = apart_get(r, m->partition);
    kb_obs_buf_t ob;
    rd_kafka_timestamp_type_t tt;
    char err[256];
    int rc = 0, added;

    if (!a) {
        return -1;
    }
    a->last_ms = now_ms();
    a->flushed = 0;
    a->assigned = 1;
    if (!rec || !json_is_object(rec)) {
        rc = dead_letter(r, m, "aggregate: not a scored record (invalid JSON)");
    } else if (json_is_null(json_object_get(rec, "brand"))) {
        r->st.unbranded++; /* scored and kept in the scored topic; no brand to count */
    } else if (kb_obs_from_json(&ob, rec, rd_kafka_message_timestamp(m, &tt), err,
                                sizeof(err)) != 0) {
        char reason[300];
        snprintf(reason, sizeof(reason), "aggregate: %s", err);
        rc = dead_letter(r, m, reason);
    } else if ((added = kb_agg_add(r->agg, m->partition, m->offset, &ob.obs)) == KB_AGG_LATE) {
        r->st.late++;
        rc = produce(r, r->cfg.t_late, m->key, m->key_len, m->payload, m->len);
    } else if (added == KB_AGG_ERR) {
        rc = -1;
        if (!r->failed) {
            snprintf(r->fatal, sizeof(r->fatal), "aggregator failed (out of memory or producer)");
            r->failed = 1;
        }
    }
    json_decref(rec);
    a->next_off = m->offset + 1;
    return rc;
}

/* ---- commits ------------------------------------------------------------------------ */

static int flush(kb_run_t *r)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(r->prod, FLUSH_TIMEOUT_MS);

    if (err) {
        KB_LOG(KB_LOG_WARN, "run", "producer flush: %s; commit postponed", rd_kafka_err2str(err));
        return -1;
    }
    return r->failed ? -1 : 0;
}

/* Callers flush first. The score stage's stored offsets are those of
 * processed messages. */
static int commit_score(kb_run_t *r, int sync)
{
    rd_kafka_resp_err_t err;

    if (!r->c_score || flush(r) != 0) {
        return -1;
    }
    err = rd_kafka_commit(r->c_score, NULL, !sync);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        KB_LOG(KB_LOG_WARN, "run", "score commit: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

/* Per partition: no further than the oldest offset inside an open window. */
static int commit_agg(kb_run_t *r, int sync)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err;

    if (!r->c_agg || flush(r) != 0) {
        return -1;
    }
    l = rd_kafka_topic_partition_list_new((int)r->apn);
    for (size_t p = 0; p < r->apn; p++) {
        int64_t off;
        if (!r->ap[p].assigned || r->ap[p].next_off < 0) {
            continue;
        }
        if (!kb_agg_min_offset(r->agg, (int32_t)p, &off) || off > r->ap[p].next_off) {
            off = r->ap[p].next_off;
        }
        rd_kafka_topic_partition_list_add(l, r->cfg.t_scored, (int32_t)p)->offset = off;
    }
    err = l->cnt ? rd_kafka_commit(r->c_agg, l, !sync) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(l);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        KB_LOG(KB_LOG_WARN, "run", "aggregate commit: %s", rd_kafka_err2str(err));
        return -1;
    }
    r->st.commits++;
    return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

kb_run_t *kb_run_new(const kb_run_cfg_t *cfg, const kb_engine_t *en,
                     const kb_decoder_t *dec, char *errstr, size_t n)
{
    kb_run_t *r = kb_calloc(1, sizeof(*r));

    if (!r) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->en = en;
    r->dec = dec;
    kb_buf_init(&r->out);
    kb_buf_init(&r->key);
    if (!cfg->brokers || !*cfg->brokers) {
        snprintf(errstr, n, "no brokers given");
        goto fail;
    }
    if (!(r->prod = new_producer(r, errstr, n))) {
        goto fail;
    }
    if (cfg->role != KB_ROLE_AGGREGATE) {
        if (!(r->sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), errstr, n)) ||
            !(r->c_score = new_consumer(r, "score", cfg->input, errstr, n))) {
            goto fail;
        }
    }
    if (cfg->role != KB_ROLE_SCORE) {
        if (!(r->agg = kb_agg_new(&cfg->agg, on_window, r, errstr, n)) ||
            !(r->c_agg = new_consumer(r, "aggregate", cfg->t_scored, errstr, n))) {
            goto fail;
        }
    }
    r->last_input_ms = now_ms();
    return r;
fail:
    kb_run_free(r);
    return NULL;
}

void kb_run_free(kb_run_t *r)
{
    if (!r) {
        return;
    }
    if (r->c_score) {
        rd_kafka_destroy(r->c_score);
    }
    if (r->c_agg) {
        rd_kafka_destroy(r->c_agg);
    }
    if (r->prod) {
        rd_kafka_destroy(r->prod);
    }
    kb_scorer_free(r->sc);
    kb_agg_free(r->agg);
    kb_buf_fini(&r->out);
    kb_buf_fini(&r->key);
    kb_free(r->ap);
    kb_free(r);
}

static int64_t consumer_lag(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *as = NULL;
    int64_t lag = 0;

    if (!rk || rd_kafka_assignment(rk, &as) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return 0;
    }
    rd_kafka_position(rk, as);
    for (int i = 0; i < as->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(rk, as->elems[i].topic, as->elems[i].partition, &lo,
                                           &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0) {
            int64_t pos = as->elems[i].offset >= 0 ? as->elems[i].offset : lo;
            lag += hi > pos ? hi - pos : 0;
        }
    }
    rd_kafka_topic_partition_list_destroy(as);
    return lag;
}

void kb_run_get_stats(const kb_run_t *r, kb_run_stats_t *st)
{
    *st = r->st;
    st->windows_open = r->agg ? kb_agg_open_windows(r->agg) : 0;
    st->lag = consumer_lag(r->c_score) + consumer_lag(r->c_agg);
}

static void stats_line(kb_run_t *r)
{
    kb_run_stats_t st;
    kb_buf_t b;

    kb_run_get_stats(r, &st);
    kb_buf_init(&b);
    kb_buf_printf(&b,
                  "{\"type\":\"stats\",\"consumed\":%llu,\"scored\":%llu,\"dlq\":%llu,"
                  "\"late\":%llu,\"unbranded\":%llu,\"windows_open\":%zu,"
                  "\"windows_emitted\":%llu,\"lag\":%lld,\"produce_errors\":%llu,"
                  "\"commits\":%llu}",
                  (unsigned long long)st.consumed, (unsigned long long)st.scored,
                  (unsigned long long)st.dlq, (unsigned long long)st.late,
                  (unsigned long long)st.unbranded, st.windows_open,
                  (unsigned long long)st.windows_emitted, (long long)st.lag,
                  (unsigned long long)st.produce_errors, (unsigned long long)st.commits);
    if (!b.oom) {
        fprintf(stderr, "%s\n", b.p);
        if (r->cfg.t_stats) {
            produce(r, r->cfg.t_stats, NULL, 0, b.p, b.len);
        }
    }
    kb_buf_fini(&b);
}

/* Poll one consumer for up to POLL_BATCH messages. Returns how many. */
static int drain(kb_run_t *r, rd_kafka_t *rk, int timeout_ms,
                 int (*handle)(kb_run_t *, const rd_kafka_message_t *))
{
    int n = 0;

    while (n < POLL_BATCH && !r->failed) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, n ? 0 : timeout_ms);
        if (!m) {
            break;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                KB_LOG(KB_LOG_WARN, "run", "consumer: %s", rd_kafka_message_errstr(m));
            }
        } else {
            handle(r, m);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    return n;
}

static void idle_close(kb_run_t *r, int64_t now)
{
    for (size_t p = 0; p < r->apn; p++) {
        apart_t *a = &r->ap[p];
        if (a->assigned && !a->flushed && now - a->last_ms >= r->cfg.idle_close_ms) {
            kb_agg_flush_partition(r->agg, (int32_t)p);
            a->flushed = 1;
        }
    }
}

int kb_run_loop(kb_run_t *r, volatile const int *stop, char *errstr, size_t n)
{
    int64_t t_emit = now_ms(), t_commit = t_emit, t_stats = t_emit;

    while (!*stop && !r->failed) {
        int got = 0;
        int64_t now;
        if (r->c_score) {
            got += drain(r, r->c_score, r->c_agg ? 0 : 50, score_message);
        }
        if (r->c_agg) {
            got += drain(r, r->c_agg, got ? 0 : 50, aggregate_message);
        }
        rd_kafka_poll(r->prod, 0);
        now = now_ms();
        if (got) {
            r->last_input_ms = now;
        }
        if (r->agg) {
            idle_close(r, now);
            if (now - t_emit >= r->cfg.emit_interval_ms) {
                kb_agg_emit_updates(r->agg);
                t_emit = now;
            }
        }
        if (now - t_commit >= r->cfg.commit_interval_ms) {
            commit_score(r, 0);
            if (r->c_agg) {
                commit_agg(r, 0);
            }
            t_commit = now;
        }
        if (r->cfg.stats_interval_ms > 0 && now - t_stats >= r->cfg.stats_interval_ms) {
            stats_line(r);
            t_stats = now;
        }
        if (r->cfg.exit_idle_ms > 0 && now - r->last_input_ms >= r->cfg.exit_idle_ms) {
            KB_LOG(KB_LOG_INFO, "run", "no input for %lld ms: stopping",
                   (long long)r->cfg.exit_idle_ms);
            break;
        }
    }
    /* Shutdown: open windows go out as updates, then deliver and commit. */
    if (r->agg && !r->failed) {
        kb_agg_emit_updates(r->agg);
    }
    if (!r->failed) {
        commit_score(r, 1);
        if (r->c_agg) {
            commit_agg(r, 1);
        }
    }
    stats_line(r);
    if (r->c_score) {
        rd_kafka_consumer_close(r->c_score);
    }
    if (r->c_agg) {
        rd_kafka_consumer_close(r->c_agg);
    }
    if (r->failed) {
        snprintf(errstr, n, "%s", r->fatal);
        return -1;
    }
    return 0;
}
