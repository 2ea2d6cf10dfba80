/* kb_run.c -- the live pipeline on Kafka: score stage, aggregate stage.
 *
 * One thread drives everything: two consumers (score, aggregate), one
 * producer. The loop is poll -> process -> timers. Commits happen after a
 * producer flush, so an offset is never committed before the records its
 * message caused are acknowledged by the broker.
 */
#include "kb_run.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
/* A stopping run gets this long, all flushes together, to deliver what it
 * produced; what is still undelivered then keeps its input uncommitted and
 * is processed again after a restart. Below Kubernetes' default 30 s grace. */
#define SHUTDOWN_BUDGET_MS 20000
#define CLOSE_SLACK_MS 10000

typedef struct apart {
    int assigned;
    int64_t next_off;  /* after the last record processed; -1 when none */
    int64_t replay_end; /* offsets below were processed before a restart */
} apart_t;

/* Input topics as the aggregator sees them: every input partition is a
 * source, and the watermark is kept per (scored partition, source)
 * substream, the unit whose order Kafka preserves end to end. */
typedef struct src_topic {
    char *name;
    int base, n;       /* substream source indexes base .. base+n-1 */
} src_topic_t;

typedef struct sstate {
    int flushed, has_src;
    int64_t last_ms;
    int64_t src_off;   /* highest source offset counted */
} sstate_t;

struct kb_run {
    kb_run_cfg_t cfg;
    const kb_engine_t *en;
    const kb_decoder_t *dec;
    rd_kafka_t *prod, *c_score, *c_agg;
    kb_scorer_t *sc;
    kb_agg_t *agg;
    kb_alert_t *alerts;
    kb_buf_t out;
    kb_run_stats_t st;
    apart_t *ap;
    size_t apn;
    int failed;
    char fatal[256];
    int64_t last_input_ms;
    json_t *written;   /* state key -> version written since the last commit */
    json_t *committed; /* state key -> version current at the last commit that succeeded */
    int state_loaded;
    src_topic_t *src;
    size_t n_src_topics;
    int n_src;         /* sources, plus one for records of unknown origin */
    sstate_t *ss;      /* per substream id */
    size_t ssn;
    int score_assigned, agg_assigned;
    int wedged;        /* a transactional call never returned: leave the producer alone */
    volatile const sig_atomic_t *stop; /* kb_run_loop's stop flag */
    int64_t stop_deadline; /* > 0 once stopping: the end of SHUTDOWN_BUDGET_MS */
    int in_txn;
    int txn_poisoned;  /* a record could not join the transaction */
    json_t *totals;    /* --show: brand -> [mentions, pos, neg, complaints, windows] */
};

/* Substream id of a record from source @p s in scored partition @p p. */
static int32_t sid_of(const kb_run_t *r, int32_t p, int s)
{
    return p * r->n_src + s;
}

static int source_index(const kb_run_t *r, const char *topic, int32_t part)
{
    for (size_t i = 0; topic && i < r->n_src_topics; i++) {
        if (strcmp(r->src[i].name, topic) == 0 && part >= 0 && part < r->src[i].n) {
            return r->src[i].base + part;
        }
    }
    return r->n_src - 1; /* unknown origin */
}

static sstate_t *ss_get(kb_run_t *r, int32_t sid)
{
    if (sid < 0) {
        return NULL;
    }
    if ((size_t)sid >= r->ssn) {
        size_t n = (size_t)sid + 64;
        sstate_t *a = kb_realloc(r->ss, n * sizeof(*a));
        if (!a) {
            return NULL;
        }
        memset(a + r->ssn, 0, (n - r->ssn) * sizeof(*a));
        r->ss = a;
        r->ssn = n;
    }
    return &r->ss[sid];
}

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
    cfg->t_state = "koubei.state";
    cfg->t_alerts = "koubei.alerts";
    cfg->alerts = 1;
    kb_alert_cfg_default(&cfg->alert);
    kb_agg_cfg_default(&cfg->agg);
    cfg->idle_close_ms = 30000;
    cfg->emit_interval_ms = 5000;
    cfg->commit_interval_ms = 1000;
    cfg->stats_interval_ms = 10000;
    cfg->txn_watchdog_ms = 60000;
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
        if (!r->failed && !r->cfg.exactly_once) { /* in a transaction: its commit aborts */
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
    if (r->cfg.exactly_once) {
        char id[256];
        if (r->cfg.txn_id) {
            snprintf(id, sizeof(id), "%s", r->cfg.txn_id);
        } else {
            snprintf(id, sizeof(id), "koubei-%s-%ld", r->cfg.group, (long)getpid());
        }
        if (conf_set(c, "transactional.id", id, err, n) != 0) {
            rd_kafka_conf_destroy(c);
            return NULL;
        }
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

static int commit_agg(kb_run_t *r);
static int commit_score(kb_run_t *r, int sync);
static rd_kafka_topic_partition_list_t *score_offsets(kb_run_t *r);
static int txn_commit(kb_run_t *r);
static rd_kafka_topic_partition_list_t *agg_offsets(kb_run_t *r);
static rd_kafka_conf_t *base_conf(const kb_run_cfg_t *cfg, char *err, size_t n);
static void restore(kb_run_t *r, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts);

/* "koubei1 n=N h=MS|-" as written by commit_metadata(). */
static int parse_metadata(const rd_kafka_topic_partition_t *e, int64_t *n, int *has_h,
                          int64_t *h)
{
    char buf[160], hs[40];
    long long nn;

    if (!e->metadata || e->metadata_size == 0 || e->metadata_size >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, e->metadata, e->metadata_size);
    buf[e->metadata_size] = '\0';
    if (sscanf(buf, "koubei1 n=%lld h=%39s", &nn, hs) != 2) {
        return -1;
    }
    *n = nn;
    *has_h = hs[0] != '-';
    *h = *has_h ? strtoll(hs, NULL, 10) : 0;
    return 0;
}

/* An alert record's chosen version: the detectors' state of the brand. */
static void apply_alert_state(kb_run_t *r, const json_t *brand, const json_t *pick)
{
    char *js = r->alerts ? json_dumps(json_object_get(pick, "state"), JSON_COMPACT) : NULL;
    char err[256], key[512];

    if (!js) {
        return;
    }
    if (kb_alert_state_set(r->alerts, json_string_value(brand), json_string_length(brand), js,
                           strlen(js), err, sizeof(err)) != 0) {
        KB_LOG(KB_LOG_WARN, "run", "alert state of %s not restored: %s",
               json_string_value(brand), err);
    }
    free(js);
    snprintf(key, sizeof(key), "%s|alert", json_string_value(brand));
    if ((js = json_dumps(pick, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)))) {
        json_object_set_new(r->committed, key, json_string(js));
        json_object_del(r->written, key); /* an older owner's leftover */
        free(js);
    }
}

/* The committed horizons of the partitions an assignment brought. */
typedef struct resumed {
    int32_t *part;
    int64_t *h;
    int n;
    int64_t max_h;
} resumed_t;

/* The horizon a state record is read against: its partition's, when this
 * assignment brought that partition; records written before states named
 * their partition are read once, against the highest. */
static int state_horizon(const kb_run_t *r, const json_t *rec, const resumed_t *rs,
                         int64_t *h, int32_t *group)
{
    const json_t *p = json_object_get(rec, "p");

    if (!p) {
        *h = rs->max_h;
        *group = 0;
        return !r->state_loaded;
    }
    for (int i = 0; i < rs->n; i++) {
        if (rs->part[i] == json_integer_value(p)) {
            *h = rs->h[i];
            *group = rs->part[i];
            return 1;
        }
    }
    return 0;
}

/* Pick the newest state version that the committed horizon covers. */
static void apply_state(kb_run_t *r, const json_t *rec, const resumed_t *rs)
{
    const json_t *brand = json_object_get(rec, "brand");
    const json_t *pick = NULL;
    const char *which[2] = {"cur", "prev"};
    kb_agg_bstate_t st;
    int64_t horizon;

    if (!state_horizon(r, rec, rs, &horizon, &st.group)) {
        return;
    }

    for (int i = 0; i < 2 && !pick; i++) {
        const json_t *v = json_object_get(rec, which[i]);
        if (json_is_object(v) && json_integer_value(json_object_get(v, "h")) <= horizon) {
            pick = v;
        }
    }
    if (!json_is_string(brand) || !pick) {
        return;
    }
    if (json_is_string(json_object_get(rec, "kind"))) {
        if (strcmp(json_string_value(json_object_get(rec, "kind")), "alert") == 0) {
            apply_alert_state(r, brand, pick);
        }
        return;
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        const json_t *x = json_array_get(json_object_get(pick, "ewma"), (size_t)d);
        st.has[d] = json_is_number(x);
        st.ewma[d] = st.has[d] ? json_number_value(x) : 0;
    }
    kb_agg_brand_state(r->agg, json_string_value(brand), json_string_length(brand), &st, 1);
    json_object_setn(r->committed, json_string_value(brand), json_string_length(brand),
                     (json_t *)pick);
    json_object_deln(r->written, json_string_value(brand), json_string_length(brand));
}

/* Read the whole state topic, from a group-less consumer, for the brands
 * of the partitions an assignment brought. */
static void load_state(kb_run_t *r, const resumed_t *rs)
{
    char err[256];
    rd_kafka_conf_t *c = base_conf(&r->cfg, err, sizeof(err));
    rd_kafka_t *rk = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *t = NULL;
    rd_kafka_topic_partition_list_t *as;
    int64_t *hi = NULL, left = 0;
    int np = 0;

    if (!c || conf_set(c, "enable.auto.commit", "false", err, sizeof(err)) != 0 ||
        conf_set(c, "group.id", "koubei.state-reader", err, sizeof(err)) != 0 ||
        !(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err)))) {
        KB_LOG(KB_LOG_WARN, "run", "state reader: %s", err);
        if (c && !rk) rd_kafka_conf_destroy(c);
        return;
    }
    t = rd_kafka_topic_new(rk, r->cfg.t_state, NULL);
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1 && !md->topics[0].err) {
        np = md->topics[0].partition_cnt;
    }
    as = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    hi = kb_calloc((size_t)(np > 0 ? np : 1), sizeof(*hi));
    for (int p = 0; hi && p < np; p++) {
        int64_t lo;
        if (rd_kafka_query_watermark_offsets(rk, r->cfg.t_state, p, &lo, &hi[p], 10000) == 0 &&
            hi[p] > lo) {
            rd_kafka_topic_partition_list_add(as, r->cfg.t_state, p)->offset = lo;
            left++;
        } else {
            hi[p] = -1;
        }
    }
    if (left > 0) {
        rd_kafka_assign(rk, as);
    }
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10000);
        json_t *rec;
        if (!m) {
            KB_LOG(KB_LOG_WARN, "run", "state topic read timed out; some baselines start fresh");
            break;
        }
        if (!m->err && (rec = json_loadb(m->payload, m->len, 0, NULL))) {
            apply_state(r, rec, rs);
            json_decref(rec);
        }
        if (!m->err && m->partition < np && m->offset + 1 >= hi[m->partition]) {
            hi[m->partition] = -1;
            left--;
        }
        rd_kafka_message_destroy(m);
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(as);
    rd_kafka_topic_destroy(t);
    kb_free(hi);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Expect every input source in scored partition @p p: until a source has
 * delivered or idled, it holds the horizon back. */
static void expect_sources(kb_run_t *r, int32_t p)
{
    for (int s = 0; s + 1 < r->n_src; s++) {
        sstate_t *x = ss_get(r, sid_of(r, p, s));
        kb_agg_set_group(r->agg, sid_of(r, p, s), p);
        kb_agg_expect_partition(r->agg, sid_of(r, p, s));
        if (x) {
            memset(x, 0, sizeof(*x));
            x->last_ms = now_ms();
        }
    }
}

static const char *hbuf(int64_t h, char *buf, size_t n)
{
    snprintf(buf, n, "%lld", (long long)h);
    return buf;
}

/* New aggregate partitions resume from their commit point: the horizon of
 * the last commit (windows up to it were published), the offset up to
 * which records were handled before, and their brands' baselines. Each
 * partition has its own: its last owner may have published less or more
 * than this instance has of its other partitions. */
static void restore(kb_run_t *r, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    resumed_t rs = {kb_calloc((size_t)parts->cnt + 1, sizeof(int32_t)),
                    kb_calloc((size_t)parts->cnt + 1, sizeof(int64_t)), 0, INT64_MIN};

    if (rd_kafka_committed(rk, parts, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        KB_LOG(KB_LOG_WARN, "run", "cannot read committed offsets; starting partitions fresh");
    }
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &parts->elems[i];
        apart_t *a = apart_get(r, e->partition);
        int64_t n, h;
        int has_h;
        char hs[24];
        if (!a) {
            continue;
        }
        memset(a, 0, sizeof(*a));
        a->assigned = 1;
        a->next_off = -1;
        expect_sources(r, e->partition);
        if (parse_metadata(e, &n, &has_h, &h) == 0) {
            a->replay_end = n;
            if (has_h && rs.part && rs.h) {
                kb_agg_set_group_horizon(r->agg, e->partition, h);
                rs.part[rs.n] = e->partition;
                rs.h[rs.n++] = h;
                rs.max_h = h > rs.max_h ? h : rs.max_h;
            }
            KB_LOG(KB_LOG_INFO, "run",
                   "partition %d resumes at %lld (handled before: < %lld; published to %s)",
                   (int)e->partition, (long long)e->offset, (long long)n,
                   has_h ? hbuf(h, hs, sizeof(hs)) : "-");
        }
    }
    if (rs.n > 0) {
        load_state(r, &rs);
        r->state_loaded = 1;
    }
    kb_free(rs.part);
    kb_free(rs.h);
}

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
        if (is_agg) {
            restore(r, rk, parts);
            r->agg_assigned = 1;
        } else {
            r->score_assigned = 1;
        }
        r->last_input_ms = now_ms(); /* idle time counts from a working group */
        rd_kafka_assign(rk, parts);
        return;
    }
    if (is_agg) {
        commit_agg(r);
        for (int i = 0; i < parts->cnt; i++) {
            apart_t *a = apart_get(r, parts->elems[i].partition);
            for (int src = 0; src < r->n_src; src++) {
                kb_agg_drop_partition(r->agg, sid_of(r, parts->elems[i].partition, src));
            }
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
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL && r->cfg.exactly_once) {
            /* The transaction cannot hold this record: abort it and redo. */
            r->st.produce_errors++;
            r->txn_poisoned = 1;
            KB_LOG(KB_LOG_WARN, "run", "produce to %s: %s: the transaction will be aborted",
                   topic, rd_kafka_err2str(err));
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

/* {reason, topic, partition, offset, payload}; payload in base64 (with
 * "payload_encoding":"base64") when it is not UTF-8. */
static int dead_letter(kb_run_t *r, const rd_kafka_message_t *m, const char *reason)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    kb_buf_t *o = &r->out;

    kb_buf_reset(o);
    kb_buf_puts(o, "{\"reason\":");
    kb_buf_json_text(o, reason, strlen(reason));
    kb_buf_puts(o, ",\"topic\":");
    kb_buf_json_str(o, topic, strlen(topic));
    kb_buf_puts(o, ",\"partition\":");
    kb_buf_int(o, m->partition);
    kb_buf_puts(o, ",\"offset\":");
    kb_buf_int(o, m->offset);
    kb_buf_payload(o, m->payload, m->len);
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
    if (r->out.len > 0) { /* where it came from, for the aggregator's de-duplication */
        const char *t = rd_kafka_topic_name(m->rkt);
        r->out.len--;
        kb_buf_puts(&r->out, ",\"src\":{\"topic\":");
        kb_buf_json_str(&r->out, t, strlen(t));
        kb_buf_puts(&r->out, ",\"partition\":");
        kb_buf_int(&r->out, m->partition);
        kb_buf_puts(&r->out, ",\"offset\":");
        kb_buf_int(&r->out, m->offset);
        kb_buf_puts(&r->out, "}}");
    }
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
    if (r->totals) {
        static const char *const f[] = {"mentions", "pos", "neg", "complaints"};
        json_t *t = json_object_get(r->totals, rec->brand);
        if (!t) {
            t = json_pack("[iiiii]", 0, 0, 0, 0, 0);
            json_object_set_new(r->totals, rec->brand, t);
        }
        for (size_t i = 0; t && i < 4; i++) {
            json_array_set_new(t, i, json_integer(json_integer_value(json_array_get(t, i)) +
                                                  json_integer_value(json_object_get(j, f[i]))));
        }
        json_array_set_new(t, 4, json_integer(json_integer_value(json_array_get(t, 4)) + 1));
    }
    json_decref(j);
}

/* --show: one line per brand over every final window seen. */
static void show_summary(kb_run_t *r)
{
    const char *brand;
    json_t *t;

    if (!r->cfg.show || !r->totals || json_object_size(r->totals) == 0) {
        return;
    }
    fprintf(r->cfg.show, "\nsummary (final windows)\n%-16s %8s %8s %6s %6s %11s\n", "brand",
            "windows", "mentions", "pos%", "neg%", "complaints");
    json_object_foreach(r->totals, brand, t) {
        double m = (double)json_integer_value(json_array_get(t, 0));
        fprintf(r->cfg.show, "%-16s %8lld %8.0f %6.1f %6.1f %11lld\n", brand,
                (long long)json_integer_value(json_array_get(t, 4)), m,
                m > 0 ? 100.0 * (double)json_integer_value(json_array_get(t, 1)) / m : 0.0,
                m > 0 ? 100.0 * (double)json_integer_value(json_array_get(t, 2)) / m : 0.0,
                (long long)json_integer_value(json_array_get(t, 3)));
    }
    fflush(r->cfg.show);
}

static int on_window(void *ud, const kb_agg_rec_t *rec)
{
    kb_run_t *r = ud;

    if (rec->final) {
        r->st.windows_emitted += rec->kind == KB_REC_WOM;
        if (r->cfg.show && rec->kind == KB_REC_WOM) {
            show_final(r, rec);
        }
    }
    if (produce(r, rec->kind == KB_REC_WOM ? r->cfg.t_wom : r->cfg.t_sat, rec->key,
                rec->key_len, rec->json, rec->len) != 0) {
        return -1;
    }
    /* The same detector input as replay: kb_alert_feed_record(). */
    return r->alerts && kb_alert_feed_record(r->alerts, rec) == KB_ALERT_ERR ? -1 : 0;
}

static int on_alert(void *ud, const char *key, size_t klen, const char *json, size_t len)
{
    kb_run_t *r = ud;

    r->st.alerts++;
    if (r->cfg.show) {
        json_t *j = json_loadb(json, len, 0, NULL);
        const char *dim = json_string_value(json_object_get(j, "dimension"));
        fprintf(r->cfg.show, "%.16s  ALERT %s %s%s%s %s: %g observed, %g expected, severity %d\n",
                json_string_value(json_object_get(j, "window_start")),
                json_string_value(json_object_get(j, "brand")),
                json_string_value(json_object_get(j, "kind")), dim ? " " : "", dim ? dim : "",
                json_string_value(json_object_get(j, "state")),
                json_number_value(json_object_get(j, "observed")),
                json_number_value(json_object_get(j, "expected")),
                (int)json_integer_value(json_object_get(j, "severity")));
        fflush(r->cfg.show);
        json_decref(j);
    }
    return produce(r, r->cfg.t_alerts, key, klen, json, len);
}

static kb_alert_t *new_alerts(kb_run_t *r, char *errstr, size_t n)
{
    kb_alert_cfg_t ac = r->cfg.alert;

    ac.window_ms = r->cfg.agg.window_ms;
    return kb_alert_new(&ac, on_alert, r, errstr, n);
}

/* Substream of a scored record: its partition and input source. */
static int32_t sid_of_record(kb_run_t *r, const rd_kafka_message_t *m, const json_t *rec)
{
    const json_t *src = json_object_get(rec, "src");
    int s = source_index(r, json_string_value(json_object_get(src, "topic")),
                         (int32_t)json_integer_value(json_object_get(src, "partition")));
    int32_t sid = sid_of(r, m->partition, s);
    sstate_t *x = ss_get(r, sid);

    if (kb_agg_set_group(r->agg, sid, m->partition) != KB_AGG_OK) {
        return -1; /* out of memory: kb_agg_add() fails on it */
    }
    if (x) {
        x->last_ms = now_ms();
        x->flushed = 0;
    }
    return sid;
}

/* 1 when the scored record's source message was counted already: within a
 * substream, source offsets only grow, so a smaller or equal one is a copy
 * re-produced by a score stage that restarted. */
static int seen_before(kb_run_t *r, int32_t sid, const json_t *rec)
{
    const json_t *off = json_object_get(json_object_get(rec, "src"), "offset");
    sstate_t *x = ss_get(r, sid);

    if (!x || !json_is_integer(off)) {
        return 0;
    }
    if (x->has_src && json_integer_value(off) <= x->src_off) {
        return 1;
    }
    x->has_src = 1;
    x->src_off = json_integer_value(off);
    return 0;
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
    int32_t sid;

    if (!a) {
        return -1;
    }
    a->assigned = 1;
    if (!rec || !json_is_object(rec)) {
        rc = dead_letter(r, m, "aggregate: not a scored record (invalid JSON)");
    } else if (json_is_null(json_object_get(rec, "brand"))) {
        r->st.unbranded++; /* scored and kept in the scored topic; no brand to count */
    } else if (seen_before(r, (sid = sid_of_record(r, m, rec)), rec)) {
        r->st.duplicates++;
    } else if (kb_obs_from_json(&ob, rec, rd_kafka_message_timestamp(m, &tt), err,
                                sizeof(err)) != 0) {
        char reason[300];
        snprintf(reason, sizeof(reason), "aggregate: %s", err);
        rc = dead_letter(r, m, reason);
    } else if ((added = kb_agg_add(r->agg, sid, m->offset, &ob.obs)) == KB_AGG_LATE) {
        if (m->offset >= a->replay_end) { /* else it was routed before the restart */
            r->st.late++;
            rc = produce(r, r->cfg.t_late, m->key, m->key_len, m->payload, m->len);
        }
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

/* Wait until the producer has delivered everything. While running, up to
 * FLUSH_TIMEOUT_MS, cut short by a stop request (the commit is postponed,
 * and the shutdown flushes again). While stopping, only until the shutdown
 * deadline, however many flushes the shutdown makes (its own commits, the
 * revocations of consumer close): with the broker gone, SIGTERM used to
 * take a full FLUSH_TIMEOUT_MS a flush, six of them, three minutes. */
static int flush(kb_run_t *r)
{
    int64_t end = r->stop_deadline > 0 ? r->stop_deadline : now_ms() + FLUSH_TIMEOUT_MS;
    rd_kafka_resp_err_t err;

    do {
        int64_t left = end - now_ms();
        err = rd_kafka_flush(r->prod, left <= 0 ? 0 : left < 100 ? (int)left : 100);
    } while (err == RD_KAFKA_RESP_ERR__TIMED_OUT && now_ms() < end &&
             (r->stop_deadline > 0 || !r->stop || !*r->stop));
    if (err) {
        KB_LOG(KB_LOG_WARN, "run", "producer flush: %s (%d still queued); commit postponed",
               rd_kafka_err2str(err), rd_kafka_outq_len(r->prod));
        return -1;
    }
    return r->failed ? -1 : 0;
}

/* The score stage commits its positions as they are when the producer has
 * been flushed, as an explicit list. Not rd_kafka_commit(rk, NULL, async):
 * that reads the stored offsets only when librdkafka's main thread serves
 * the request, and by then this thread may have polled more messages (their
 * offsets are stored on poll) whose scored records are still in flight; a
 * kill before they are delivered commits them unscored, and they are lost. */
static int commit_score(kb_run_t *r, int sync)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err;

    if (r->cfg.exactly_once) {
        return txn_commit(r);
    }
    if (!r->c_score || flush(r) != 0 || !(l = score_offsets(r))) {
        return -1;
    }
    err = l->cnt ? rd_kafka_commit(r->c_score, l, !sync) : RD_KAFKA_RESP_ERR__NO_OFFSET;
    rd_kafka_topic_partition_list_destroy(l);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        KB_LOG(KB_LOG_WARN, "run", "score commit: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

/* State records: a brand's EWMA now and the version current at the last
 * commit that succeeded, each with the horizon it belongs to. A restart
 * takes the newest version not beyond the committed horizon, so a state
 * written just before a crash (whose offsets were never committed) is not
 * applied twice, and states written again after a failed commit still
 * leave the committed version in the record. */
static int write_state(void *ud, const char *name, size_t len, const kb_agg_bstate_t *st)
{
    kb_run_t *r = ud;
    int64_t h = 0;
    json_t *ver = json_object(), *ew = json_array(), *prev, *rec;
    char *js;
    int rc = -1;

    kb_agg_group_horizon(r->agg, st->group, &h);
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        json_array_append_new(ew, st->has[d] ? json_real(st->ewma[d]) : json_null());
    }
    json_object_set_new(ver, "h", json_integer(h));
    json_object_set_new(ver, "ewma", ew);
    prev = json_object_getn(r->committed, name, len);
    rec = json_pack("{s:s%,s:O,s:i,s:O?}", "brand", name, len, "cur", ver, "p", (int)st->group,
                    "prev", prev);
    js = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(rec);
    if (js) {
        rc = produce(r, r->cfg.t_state, name, len, js, strlen(js));
        free(js);
    }
    json_object_setn_new(r->written, name, len, ver);
    return rc;
}

/* The detectors' state of a brand, versioned by horizon like the EWMA
 * baselines (key "BRAND|alert", "kind":"alert"). */
static int write_alert_state(void *ud, const char *name, size_t len, const char *json,
                             size_t json_len)
{
    kb_run_t *r = ud;
    int64_t h = 0;
    kb_buf_t ver, rec;
    const char *prev;
    char key[512];
    int rc = -1;
    kb_agg_bstate_t st;

    if (kb_agg_brand_state(r->agg, name, len, &st, 0) != KB_AGG_OK) {
        return -1;
    }
    kb_agg_group_horizon(r->agg, st.group, &h);
    snprintf(key, sizeof(key), "%.*s|alert", (int)len, name);
    prev = json_string_value(json_object_get(r->committed, key));
    kb_buf_init(&ver);
    kb_buf_init(&rec);
    kb_buf_puts(&ver, "{\"h\":");
    kb_buf_int(&ver, h);
    kb_buf_puts(&ver, ",\"state\":");
    kb_buf_append(&ver, json, json_len);
    kb_buf_putc(&ver, '}');
    /* Keys in sorted order, as the baseline records print them. */
    kb_buf_puts(&rec, "{\"brand\":");
    kb_buf_json_str(&rec, name, len);
    kb_buf_puts(&rec, ",\"cur\":");
    kb_buf_append(&rec, ver.p, ver.len);
    kb_buf_puts(&rec, ",\"kind\":\"alert\",\"p\":");
    kb_buf_int(&rec, st.group);
    if (prev) {
        kb_buf_puts(&rec, ",\"prev\":");
        kb_buf_puts(&rec, prev);
    }
    kb_buf_putc(&rec, '}');
    if (!ver.oom && !rec.oom) {
        rc = produce(r, r->cfg.t_state, key, strlen(key), rec.p, rec.len);
        /* Kept as text: a parsed copy costs ten times the bytes per brand. */
        json_object_set_new(r->written, key, json_stringn(ver.p, ver.len));
    }
    kb_buf_fini(&ver);
    kb_buf_fini(&rec);
    return rc;
}

/* The commit that covers the versions written since the last one went
 * through: they are the committed ones now. */
static void states_committed(kb_run_t *r)
{
    json_object_update(r->committed, r->written);
    json_object_clear(r->written);
}

/* Every baseline that changed since the last commit, before the commit. */
static int write_states(kb_run_t *r)
{
    if (kb_agg_take_changed(r->agg, write_state, r) != KB_AGG_OK) {
        return -1;
    }
    return r->alerts ? kb_alert_take_changed(r->alerts, write_alert_state, r) : 0;
}

static char *commit_metadata(const kb_run_t *r, int32_t part, int64_t next_off)
{
    int64_t h;
    int has_h = kb_agg_group_horizon(r->agg, part, &h);
    char buf[160], *m;

    if (has_h) {
        snprintf(buf, sizeof(buf), "koubei1 n=%lld h=%lld", (long long)next_off, (long long)h);
    } else {
        snprintf(buf, sizeof(buf), "koubei1 n=%lld h=-", (long long)next_off);
    }
    if ((m = malloc(strlen(buf) + 1))) { /* owned by the list: librdkafka frees it */
        memcpy(m, buf, strlen(buf) + 1);
    }
    return m;
}

/* Per partition: no further than the oldest offset inside an open window,
 * with what a restart needs to resume there exactly. Always synchronous:
 * the state records written next name the version this commit covers, so
 * its outcome must be known (the flush before it waits longer anyway). */
static int commit_agg(kb_run_t *r)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err;
    int l_cnt;

    if (r->cfg.exactly_once) {
        return r->c_score ? 0 : txn_commit(r); /* one transaction covers both stages */
    }
    if (!r->c_agg || write_states(r) != 0 || flush(r) != 0) {
        return -1;
    }
    l = agg_offsets(r);
    l_cnt = l->cnt;
    err = l->cnt ? rd_kafka_commit(r->c_agg, l, 0) : RD_KAFKA_RESP_ERR__NO_OFFSET;
    rd_kafka_topic_partition_list_destroy(l);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        KB_LOG(KB_LOG_WARN, "run", "aggregate commit: %s", rd_kafka_err2str(err));
        return -1;
    }
    if (!err) {
        states_committed(r);
    }
    r->st.commits += l_cnt > 0;
    return 0;
}

/* The aggregate stage's commit points, with their metadata. */
static rd_kafka_topic_partition_list_t *agg_offsets(kb_run_t *r)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)r->apn + 1);

    for (size_t p = 0; p < r->apn; p++) {
        rd_kafka_topic_partition_t *e;
        int64_t off = r->ap[p].next_off, o;
        if (!r->ap[p].assigned || off < 0) {
            continue;
        }
        for (int src = 0; src < r->n_src; src++) {
            if (kb_agg_min_offset(r->agg, sid_of(r, (int32_t)p, src), &o) && o < off) {
                off = o;
            }
        }
        e = rd_kafka_topic_partition_list_add(l, r->cfg.t_scored, (int32_t)p);
        e->offset = off;
        if ((e->metadata = commit_metadata(r, (int32_t)p, r->ap[p].next_off))) {
            e->metadata_size = strlen(e->metadata);
        }
    }
    return l;
}

/* The input topics' partitions, from the cluster's metadata (the producer
 * handle is enough to ask). A topic that does not exist yet counts as one
 * partition. */
static int load_sources(kb_run_t *r, char *errstr, size_t n)
{
    char *list = kb_strndup(r->cfg.input, strlen(r->cfg.input)), *save = NULL;
    int base = 0;

    if (!list) {
        snprintf(errstr, n, "out of memory");
        return -1;
    }
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->prod, t, NULL);
        const rd_kafka_metadata_t *md = NULL;
        src_topic_t *a = kb_realloc(r->src, (r->n_src_topics + 1) * sizeof(*a));
        int np = 1;
        if (rkt && rd_kafka_metadata(r->prod, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
            np = md->topics[0].partition_cnt;
        }
        if (md) rd_kafka_metadata_destroy(md);
        if (rkt) rd_kafka_topic_destroy(rkt);
        if (!a || !(a[r->n_src_topics].name = kb_strndup(t, strlen(t)))) {
            if (a) r->src = a;
            kb_free(list);
            snprintf(errstr, n, "out of memory");
            return -1;
        }
        r->src = a;
        a[r->n_src_topics].base = base;
        a[r->n_src_topics].n = np;
        r->n_src_topics++;
        base += np;
    }
    kb_free(list);
    r->n_src = base + 1;
    return 0;
}

/* ---- exactly-once: Kafka transactions ------------------------------------------
 * The call sequence of librdkafka's examples/transactions.c: outputs and
 * input offsets (both consumer groups) go into one transaction; an error
 * that requires an abort aborts and rewinds the consumers to the committed
 * offsets, rebuilding the aggregator from there; a retriable one is retried;
 * anything else is fatal. */

typedef struct offsets_job {
    rd_kafka_t *prod;
    rd_kafka_topic_partition_list_t *offsets;
    rd_kafka_consumer_group_metadata_t *cgmd;
    rd_kafka_error_t *error;
    int done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} offsets_job_t;

static void *offsets_thread(void *arg)
{
    offsets_job_t *j = arg;
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(j->prod, j->offsets, j->cgmd, -1);

    pthread_mutex_lock(&j->mu);
    j->error = e;
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* librdkafka 2.0.2's rd_kafka_send_offsets_to_transaction() does not honour
 * its timeout; the call runs in a thread and a watchdog gives up on it. A
 * call that never returns leaves the producer unusable: the pipeline stops
 * with an error (a supervisor restarts it; nothing was committed). */
static rd_kafka_error_t *send_offsets(kb_run_t *r, rd_kafka_t *consumer,
                                      rd_kafka_topic_partition_list_t *offsets, int *wedged)
{
    offsets_job_t *j = kb_calloc(1, sizeof(*j));
    struct timespec dl;
    pthread_t th;
    rd_kafka_error_t *e;
    int done;

    *wedged = 0;
    if (!j) {
        return rd_kafka_error_new(RD_KAFKA_RESP_ERR__FATAL, "out of memory");
    }
    j->prod = r->prod;
    j->offsets = offsets;
    j->cgmd = rd_kafka_consumer_group_metadata(consumer);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pthread_create(&th, NULL, offsets_thread, j) != 0) {
        rd_kafka_consumer_group_metadata_destroy(j->cgmd);
        kb_free(j);
        return rd_kafka_error_new(RD_KAFKA_RESP_ERR__FATAL, "cannot start a thread");
    }
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)(r->cfg.txn_watchdog_ms / 1000);
    dl.tv_nsec += (long)(r->cfg.txn_watchdog_ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&j->mu);
    while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &dl) == 0) {
    }
    done = j->done;
    pthread_mutex_unlock(&j->mu);
    if (!done) {
        pthread_detach(th); /* the job is abandoned with the thread */
        *wedged = 1;
        return rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                  "send_offsets_to_transaction did not return in time");
    }
    pthread_join(th, NULL);
    e = j->error;
    rd_kafka_consumer_group_metadata_destroy(j->cgmd);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    kb_free(j);
    return e;
}

/* The score consumer's positions: each is one past the last message polled,
 * and every polled message was handled (its records produced) before the
 * next poll. NULL when the assignment cannot be read. */
static rd_kafka_topic_partition_list_t *score_offsets(kb_run_t *r)
{
    rd_kafka_topic_partition_list_t *as = NULL, *l;

    if (rd_kafka_assignment(r->c_score, &as) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return NULL;
    }
    rd_kafka_position(r->c_score, as);
    l = rd_kafka_topic_partition_list_new(as->cnt + 1);
    for (int i = 0; i < as->cnt; i++) {
        if (as->elems[i].offset >= 0) {
            rd_kafka_topic_partition_list_add(l, as->elems[i].topic, as->elems[i].partition)
                ->offset = as->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(as);
    return l;
}

/* Seek every assigned partition of @p rk back to its committed offset. */
static void rewind_consumer(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *as = NULL;
    rd_kafka_error_t *e;

    if (!rk || rd_kafka_assignment(rk, &as) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    if (as->cnt > 0 && rd_kafka_committed(rk, as, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < as->cnt; i++) {
            if (as->elems[i].offset < 0) {
                as->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
            }
        }
        if ((e = rd_kafka_seek_partitions(rk, as, 10000))) {
            KB_LOG(KB_LOG_WARN, "run", "rewind: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(as);
}

/* After an abort: the aggregator starts again from the committed offsets. */
static void rewind_all(kb_run_t *r)
{
    rd_kafka_topic_partition_list_t *as = NULL;

    rewind_consumer(r->c_score);
    if (r->c_agg && rd_kafka_assignment(r->c_agg, &as) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        kb_agg_reset(r->agg);
        if (r->alerts) { /* rebuilt from the state topic like the baselines */
            char err[256];
            kb_alert_free(r->alerts);
            if (!(r->alerts = new_alerts(r, err, sizeof(err)))) {
                snprintf(r->fatal, sizeof(r->fatal), "alerts: %.200s", err);
                r->failed = 1;
            }
        }
        json_object_clear(r->written);
        json_object_clear(r->committed);
        r->state_loaded = 0;
        restore(r, r->c_agg, as);
        rd_kafka_topic_partition_list_destroy(as);
        rewind_consumer(r->c_agg);
    }
}

static int txn_begin(kb_run_t *r)
{
    rd_kafka_error_t *e = rd_kafka_begin_transaction(r->prod);

    if (e) {
        snprintf(r->fatal, sizeof(r->fatal), "begin_transaction: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        r->failed = 1;
        return -1;
    }
    r->in_txn = 1;
    return 0;
}

/* Abortable: abort, rewind, start a new transaction. Fatal: stop. */
static int txn_failed(kb_run_t *r, rd_kafka_error_t *e, const char *what)
{
    int rc = 0;

    if (rd_kafka_error_txn_requires_abort(e) || rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__STATE) {
        rd_kafka_error_t *a;
        KB_LOG(KB_LOG_WARN, "run", "%s: %s: aborting the transaction and rewinding", what,
               rd_kafka_error_string(e));
        if ((a = rd_kafka_abort_transaction(r->prod, 30000))) {
            snprintf(r->fatal, sizeof(r->fatal), "abort_transaction: %s", rd_kafka_error_string(a));
            rd_kafka_error_destroy(a);
            r->failed = 1;
            rc = -1;
        } else {
            r->st.txn_aborts++;
            r->in_txn = 0;
            r->failed = 0; /* a delivery failure inside the aborted transaction is undone */
            rewind_all(r);
            rc = txn_begin(r);
        }
    } else {
        snprintf(r->fatal, sizeof(r->fatal), "%s: %s%s", what, rd_kafka_error_string(e),
                 rd_kafka_error_is_fatal(e) ? " (fatal)" : "");
        r->failed = 1;
        rc = -1;
    }
    rd_kafka_error_destroy(e);
    return rc;
}

static int txn_commit(kb_run_t *r)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_error_t *e = NULL;
    int wedged = 0;

    if (!r->in_txn || r->wedged) {
        return -1;
    }
    if (r->txn_poisoned) {
        r->txn_poisoned = 0;
        return txn_failed(r, rd_kafka_error_new(RD_KAFKA_RESP_ERR__STATE,
                                                "a record could not be produced"), "produce");
    }
    if (r->agg && write_states(r) != 0) {
        return -1;
    }
    if (r->c_score && (l = score_offsets(r))) {
        e = l->cnt ? send_offsets(r, r->c_score, l, &wedged) : NULL;
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (!e && !wedged && r->c_agg && (l = agg_offsets(r))) {
        e = l->cnt ? send_offsets(r, r->c_agg, l, &wedged) : NULL;
        if (!wedged) {
            rd_kafka_topic_partition_list_destroy(l);
        }
    }
    if (wedged) {
        r->wedged = 1;
        r->failed = 1;
        snprintf(r->fatal, sizeof(r->fatal),
                 "send_offsets_to_transaction gave no answer in %lld ms; stopping (not committed)",
                 (long long)r->cfg.txn_watchdog_ms);
        if (e) rd_kafka_error_destroy(e);
        return -1;
    }
    if (e) {
        return txn_failed(r, e, "send_offsets_to_transaction");
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        e = rd_kafka_commit_transaction(r->prod, 30000);
        if (!e || !rd_kafka_error_is_retriable(e)) {
            break;
        }
        KB_LOG(KB_LOG_WARN, "run", "commit_transaction: %s: retrying", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        e = NULL;
    }
    if (e) {
        return txn_failed(r, e, "commit_transaction");
    }
    r->in_txn = 0;
    states_committed(r);
    r->st.txn_commits++;
    r->st.commits++;
    return txn_begin(r);
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
    if (!(r->written = json_object()) || !(r->committed = json_object()) ||
        !(r->totals = json_object())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (!cfg->brokers || !*cfg->brokers) {
        snprintf(errstr, n, "no brokers given");
        goto fail;
    }
    if (!(r->prod = new_producer(r, errstr, n))) {
        goto fail;
    }
    if (cfg->exactly_once) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(r->prod, 30000);
        if (e) {
            snprintf(errstr, n, "init_transactions: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            goto fail;
        }
        KB_LOG(KB_LOG_INFO, "run", "exactly-once: transactions initialised");
        if (txn_begin(r) != 0) {
            snprintf(errstr, n, "%s", r->fatal);
            goto fail;
        }
    }
    if (cfg->role != KB_ROLE_AGGREGATE) {
        if (!(r->sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), errstr, n)) ||
            !(r->c_score = new_consumer(r, "score", cfg->input, errstr, n))) {
            goto fail;
        }
    }
    if (cfg->role != KB_ROLE_SCORE) {
        if (load_sources(r, errstr, n) != 0) {
            goto fail;
        }
        if (!(r->agg = kb_agg_new(&cfg->agg, on_window, r, errstr, n)) ||
            (cfg->alerts && !(r->alerts = new_alerts(r, errstr, n))) ||
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
    /* Closed by kb_run_loop (or never run): no second, unbounded close. */
    if (r->c_score) {
        rd_kafka_destroy_flags(r->c_score, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (r->c_agg) {
        rd_kafka_destroy_flags(r->c_agg, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (r->prod && !r->wedged) { /* a wedged call still uses it: let the process exit */
        rd_kafka_destroy(r->prod);
    }
    kb_scorer_free(r->sc);
    kb_agg_free(r->agg);
    kb_alert_free(r->alerts);
    kb_buf_fini(&r->out);
    kb_free(r->ap);
    for (size_t i = 0; i < r->n_src_topics; i++) {
        kb_free(r->src[i].name);
    }
    kb_free(r->src);
    kb_free(r->ss);
    json_decref(r->written);
    json_decref(r->committed);
    json_decref(r->totals);
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
                  "\"commits\":%llu,\"duplicates\":%llu,\"txn_commits\":%llu,\"txn_aborts\":%llu,"
                  "\"alerts\":%llu}",
                  (unsigned long long)st.consumed, (unsigned long long)st.scored,
                  (unsigned long long)st.dlq, (unsigned long long)st.late,
                  (unsigned long long)st.unbranded, st.windows_open,
                  (unsigned long long)st.windows_emitted, (long long)st.lag,
                  (unsigned long long)st.produce_errors, (unsigned long long)st.commits,
                  (unsigned long long)st.duplicates, (unsigned long long)st.txn_commits,
                  (unsigned long long)st.txn_aborts, (unsigned long long)st.alerts);
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

/* Leave the group, serving the revocation on this thread, but not past the
 * shutdown deadline (plus the session timeout's worth of slack a clean
 * LeaveGroup never needs). rd_kafka_consumer_close() waits for the group
 * protocol without a limit, so a coordinator that stops answering would
 * hold a stopping process forever; past the deadline it exits anyway and
 * the group notices by the session timeout. Returns 1 when closed. */
static int close_consumer(kb_run_t *r, rd_kafka_t *rk, const char *stage)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(rk, q);
    int64_t end = r->stop_deadline + CLOSE_SLACK_MS;
    int closed;

    if (e) {
        KB_LOG(KB_LOG_WARN, "run", "%s consumer close: %s", stage, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    while (!e && !rd_kafka_consumer_closed(rk) && now_ms() < end) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
            on_rebalance(rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), r);
        }
        rd_kafka_event_destroy(ev); /* NULL is fine */
    }
    closed = rd_kafka_consumer_closed(rk);
    if (!closed) {
        KB_LOG(KB_LOG_WARN, "run", "%s consumer: the group did not let it go in time; exiting anyway",
               stage);
    }
    rd_kafka_queue_destroy(q);
    return closed;
}

static void idle_close(kb_run_t *r, int64_t now)
{
    for (size_t p = 0; p < r->apn; p++) {
        if (!r->ap[p].assigned) {
            continue;
        }
        for (int src = 0; src < r->n_src; src++) {
            int32_t sid = sid_of(r, (int32_t)p, src);
            sstate_t *x = (size_t)sid < r->ssn ? &r->ss[sid] : NULL;
            if (x && !x->flushed && x->last_ms > 0 && now - x->last_ms >= r->cfg.idle_close_ms) {
                kb_agg_flush_partition(r->agg, sid);
                x->flushed = 1;
            }
        }
    }
}

int kb_run_loop(kb_run_t *r, volatile const sig_atomic_t *stop, char *errstr, size_t n)
{
    int64_t t_emit = now_ms(), t_commit = t_emit, t_stats = t_emit;

    r->stop = stop;
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
                commit_agg(r);
            }
            t_commit = now;
        }
        if (r->cfg.stats_interval_ms > 0 && now - t_stats >= r->cfg.stats_interval_ms) {
            stats_line(r);
            t_stats = now;
        }
        if (r->cfg.exit_idle_ms > 0 && now - r->last_input_ms >= r->cfg.exit_idle_ms &&
            (r->score_assigned || !r->c_score) && (r->agg_assigned || !r->c_agg)) {
            KB_LOG(KB_LOG_INFO, "run", "no input for %lld ms: stopping",
                   (long long)r->cfg.exit_idle_ms);
            break;
        }
    }
    /* Shutdown: open windows go out as updates, then deliver and commit. */
    r->stop_deadline = now_ms() + SHUTDOWN_BUDGET_MS;
    if (r->agg && !r->failed) {
        kb_agg_emit_updates(r->agg);
    }
    if (!r->failed) {
        commit_score(r, 1);
        if (r->c_agg) {
            commit_agg(r);
        }
    }
    if (r->cfg.exactly_once && r->in_txn && !r->wedged) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(r->prod, 30000);
        if (e) rd_kafka_error_destroy(e);
        r->in_txn = 0;
    }
    stats_line(r);
    show_summary(r);
    if (r->c_score) {
        close_consumer(r, r->c_score, "score");
    }
    if (r->c_agg) {
        close_consumer(r, r->c_agg, "aggregate");
    }
    if (r->failed) {
        snprintf(errstr, n, "%s", r->fatal);
        return -1;
    }
    return 0;
}
