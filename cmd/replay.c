/* replay.c -- `koubei replay`: archived messages (JSONL files, .jsonl.gz,
 * stdin, or a Kafka offset range) through the live pipeline's scorer and
 * windows, with progress, a summary table and an optional HTML report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <zlib.h>

#include "kb_buf.h"
#include "kb_cmd.h"
#include "kb_engine.h"
#include "kb_log.h"
#include "kb_mem.h"
#include "kb_replay.h"
#include "kb_report.h"

#define MAX_PROPS 64

static void replay_usage(FILE *f)
{
    fprintf(f,
        "usage: koubei replay [options] FILE ...     (JSONL, .jsonl.gz, - for stdin)\n"
        "       koubei replay [options] --brokers B --topic T [range]\n"
        "  --window DUR --hop DUR --grace DUR    windows, as koubei run (60s, = window, 10s)\n"
        "  --field NAME=PATH, --lexicons DIR, --lexicon-extra FILE, --max-bytes N\n"
        "  range: --from-offset beginning|end|N|P:N,P:N  (beginning)\n"
        "         --from-time ISO8601 (needs a broker with timestamp lookup)\n"
        "         --until-time ISO8601 | --until-end (the end as of the start; default)\n"
        "  -X KEY=VALUE              librdkafka property for --brokers/--to-brokers\n"
        "  --out-dir DIR             wom.jsonl satisfaction.jsonl alerts.jsonl dlq.jsonl\n"
        "                            late.jsonl (and scored.jsonl with --scored)\n"
        "  --to-brokers B            publish to the live topics (koubei.wom, ...)\n"
        "  --report FILE.html        self-contained HTML report per brand\n"
        "  --alert KEY=VALUE         a detector threshold (repeatable; --alert help lists\n"
        "                            them with their defaults); --no-alerts\n"
        "  --quiet                   no progress, no summary\n"
        "  --progress-interval DUR   plain progress line when stderr is no terminal (10s)\n"
        "  --log-level LEVEL         error|warn|info|debug\n"
        "Without --out-dir or --to-brokers, final records go to stdout as JSONL and dead\n"
        "letters to stderr. Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

typedef struct replay_opts {
    kb_replay_cfg_t cfg;
    kb_cmd_scoring_t sc;
    const char *brokers, *topic, *from_offset, *from_time, *until_time;
    const char *out_dir, *to_brokers, *report;
    const char *props[MAX_PROPS];
    size_t n_props;
    int quiet;
    int64_t progress_ms;
    char **files;
    int n_files;
} replay_opts_t;

/* ---- outputs -------------------------------------------------------------- */

typedef struct sink {
    FILE *f[KB_OUT_COUNT];       /* per output; NULL: not written */
    rd_kafka_t *prod;
    int stdout_mode;
    kb_report_t *report;
    int64_t written[KB_OUT_COUNT];
} sink_t;

static const char *const topics[KB_OUT_COUNT] = {"koubei.wom", "koubei.satisfaction",
                                                 "koubei.alerts", "koubei.scored",
                                                 "koubei.dlq", "koubei.late"};
static const char *const files[KB_OUT_COUNT] = {"wom.jsonl", "satisfaction.jsonl",
                                                "alerts.jsonl", "scored.jsonl",
                                                "dlq.jsonl", "late.jsonl"};

static int produce(rd_kafka_t *rk, const char *topic, const char *key, size_t klen,
                   const char *json, size_t len)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
            RD_KAFKA_V_VALUE((void *)json, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err) {
                fprintf(stderr, "koubei replay: produce to %s: %s\n", topic, rd_kafka_err2str(err));
            }
            return err ? -1 : 0;
        }
        rd_kafka_poll(rk, 100); /* back-pressure: wait for deliveries */
    }
}

static int on_out(void *ud, kb_out_t out, const char *key, size_t klen, const char *json,
                  size_t len)
{
    sink_t *s = ud;

    s->written[out]++;
    if (out == KB_OUT_ALERT && s->report && kb_report_alert(s->report, json, len) != 0) {
        return -1;
    }
    if (s->stdout_mode && out == KB_OUT_DLQ) { /* a clear error, the record itself */
        fprintf(stderr, "koubei replay: dead letter: %.*s\n", (int)len, json);
        return 0;
    }
    if (s->f[out] && (fwrite(json, 1, len, s->f[out]) != len || fputc('\n', s->f[out]) == EOF)) {
        fprintf(stderr, "koubei replay: write %s: %s\n", kb_out_name(out), strerror(errno));
        return -1;
    }
    if (s->prod && produce(s->prod, topics[out], key, klen, json, len) != 0) {
        return -1;
    }
    return 0;
}

static int on_final(void *ud, const kb_agg_rec_t *rec)
{
    sink_t *s = ud;

    return s->report ? kb_report_window(s->report, rec) : 0;
}

static rd_kafka_conf_t *kafka_conf(const replay_opts_t *o, const char *brokers, char *err,
                                   size_t n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();

    if (rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, n) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    for (size_t i = 0; i < o->n_props; i++) {
        char k[256];
        const char *eq = strchr(o->props[i], '=');
        snprintf(k, sizeof(k), "%.*s", (int)(eq - o->props[i]), o->props[i]);
        if (rd_kafka_conf_set(c, k, eq + 1, err, n) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(c);
            return NULL;
        }
    }
    return c;
}

static int sink_open(sink_t *s, const replay_opts_t *o, char *err, size_t n)
{
    memset(s, 0, sizeof(*s));
    if (o->out_dir) {
        if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
            snprintf(err, n, "cannot create %s: %s", o->out_dir, strerror(errno));
            return -1;
        }
        for (int k = 0; k < KB_OUT_COUNT; k++) {
            char path[4096];
            if (k == KB_OUT_SCORED && !o->cfg.scored) {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", o->out_dir, files[k]);
            if (!(s->f[k] = fopen(path, "w"))) {
                snprintf(err, n, "cannot write %.300s: %s", path, strerror(errno));
                return -1;
            }
        }
    }
    if (o->to_brokers) {
        rd_kafka_conf_t *c = kafka_conf(o, o->to_brokers, err, n);
        if (!c || rd_kafka_conf_set(c, "enable.idempotence", "true", err, n) != RD_KAFKA_CONF_OK) {
            if (c) rd_kafka_conf_destroy(c);
            return -1;
        }
        if (!(s->prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, n))) {
            return -1;
        }
    }
    if (!o->out_dir && !o->to_brokers) {
        s->stdout_mode = 1;
        s->f[KB_OUT_WOM] = s->f[KB_OUT_SAT] = s->f[KB_OUT_ALERT] = stdout;
    }
    return 0;
}

/* Flush and close; 0 when every record reached its place. */
static int sink_close(sink_t *s)
{
    int rc = 0;

    for (int k = 0; k < KB_OUT_COUNT; k++) {
        FILE *f = s->f[k];
        int shared = 0;
        for (int j = 0; j < k; j++) shared |= s->f[j] == f;
        if (!f || shared) {
            continue;
        }
        if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
            rc = -1;
        }
    }
    if (s->prod) {
        if (rd_kafka_flush(s->prod, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            rd_kafka_outq_len(s->prod) > 0) {
            fprintf(stderr, "koubei replay: %d records not delivered\n",
                    rd_kafka_outq_len(s->prod));
            rc = -1;
        }
        rd_kafka_destroy(s->prod);
    }
    return rc;
}

/* ---- progress --------------------------------------------------------------- */

typedef struct progress {
    int tty, quiet;
    int64_t interval_ms, t0, last;
    int64_t total_bytes;         /* input size, 0 when unknown (stdin, Kafka) */
} progress_t;

static int64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void progress_show(progress_t *p, const kb_replay_stats_t *st, int64_t pos, int done)
{
    int64_t now = mono_ms();
    double secs, rate, pct = -1;
    char eta[32] = "";

    if (p->quiet || (!done && now - p->last < (p->tty ? 200 : p->interval_ms))) {
        return;
    }
    p->last = now;
    secs = (double)(now - p->t0) / 1000.0;
    rate = secs > 0 ? (double)st->messages / secs : 0;
    if (p->total_bytes > 0) {
        pct = 100.0 * (double)pos / (double)p->total_bytes;
        if (pct > 0 && pct < 100) {
            snprintf(eta, sizeof(eta), " ETA %.0fs", secs * (100.0 - pct) / pct);
        }
    }
    if (p->tty) {
        char bar[31];
        int fill = pct >= 0 ? (int)(pct * 30 / 100) : 0;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : (pct >= 0 ? '.' : ' ');
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %lld msgs  %.0f msgs/s  %.1f MB", bar, (long long)st->messages,
                rate, (double)st->bytes / 1e6);
        if (pct >= 0) fprintf(stderr, "  %.1f%%%s", pct, eta);
        fprintf(stderr, "\033[K%s", done ? "\n" : "");
    } else {
        fprintf(stderr, "koubei replay: %lld msgs, %.0f msgs/s, %.1f MB", (long long)st->messages,
                rate, (double)st->bytes / 1e6);
        if (pct >= 0) fprintf(stderr, ", %.1f%%%s", pct, eta);
        fputc('\n', stderr);
    }
}

/* ---- file input ------------------------------------------------------------- */

/* One line at a time, any length; gzread handles plain and gzip alike. */
static int read_line(gzFile gz, kb_buf_t *line)
{
    char chunk[65536];

    kb_buf_reset(line);
    while (gzgets(gz, chunk, sizeof(chunk))) {
        size_t n = strlen(chunk);
        kb_buf_append(line, chunk, n);
        if (n > 0 && chunk[n - 1] == '\n') {
            line->len--;
            return line->oom ? -1 : 1;
        }
    }
    return line->len > 0 ? 1 : 0;
}

static int replay_files(kb_replay_t *rp, const replay_opts_t *o, progress_t *pg, char *err,
                        size_t n)
{
    kb_buf_t line;
    int64_t done_bytes = 0;
    int rc = 0;

    kb_buf_init(&line);
    for (int i = 0; i < o->n_files && rc == 0; i++) {
        const char *name = o->files[i];
        int is_stdin = strcmp(name, "-") == 0;
        gzFile gz = is_stdin ? gzdopen(dup(0), "rb") : gzopen(name, "rb");
        kb_origin_t from = {is_stdin ? "-" : name, 0, NULL, 0, 0, -1};
        int got = 0;

        if (!gz) {
            snprintf(err, n, "cannot open %s: %s", name, strerror(errno));
            rc = -1;
            break;
        }
        gzbuffer(gz, 1 << 17);
        while (rc == 0 && !kb_cmd_stopping() && (got = read_line(gz, &line)) > 0) {
            from.line++;
            if (line.len > 0 && line.p[line.len - 1] == '\r') line.len--;
            if (line.len == 0) {
                continue; /* blank lines carry nothing */
            }
            rc = kb_replay_message(rp, 0, line.p, line.len, &from, err, n);
            if ((from.line & 255) == 0) {
                kb_replay_stats_t st;
                kb_replay_get_stats(rp, &st);
                progress_show(pg, &st, done_bytes + gzoffset(gz), 0);
            }
        }
        if (rc == 0 && got < 0) {
            snprintf(err, n, "%s: out of memory", name);
            rc = -1;
        } else if (rc == 0 && !gzeof(gz) && !kb_cmd_stopping()) {
            int ze;
            snprintf(err, n, "%s: read error: %s", name, gzerror(gz, &ze));
            rc = -1;
        }
        if (!is_stdin) {
            struct stat sb;
            done_bytes += stat(name, &sb) == 0 ? sb.st_size : 0;
        }
        gzclose(gz);
    }
    kb_buf_fini(&line);
    return rc;
}

/* ---- Kafka range input ------------------------------------------------------- */

typedef struct krange {
    int32_t part;
    int64_t start, end;          /* [start, end) */
    int done;
} krange_t;

/* "beginning", "end", "N" (every partition) or "P:N,P:N". */
static int start_offset(const char *spec, int32_t part, int64_t lo, int64_t hi, int64_t *out)
{
    if (!spec || strcmp(spec, "beginning") == 0) {
        *out = lo;
        return 0;
    }
    if (strcmp(spec, "end") == 0) {
        *out = hi;
        return 0;
    }
    if (!strchr(spec, ':')) {
        char *e;
        long long v = strtoll(spec, &e, 10);
        if (*e || v < 0) return -1;
        *out = v < lo ? lo : v;
        return 0;
    }
    *out = lo;
    for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        char *e;
        long pp = strtol(p, &e, 10);
        long long v;
        if (*e != ':') return -1;
        v = strtoll(e + 1, &e, 10);
        if ((*e && *e != ',') || v < 0) return -1;
        if (pp == part) *out = v < lo ? lo : v;
    }
    return 0;
}

/* Timestamp of the message at @p off of @p part, or -1. */
static int64_t probe_ts(rd_kafka_t *rk, const char *topic, int32_t part, int64_t off)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    int64_t ts = -1;

    rd_kafka_topic_partition_list_add(l, topic, part)->offset = off;
    if (rd_kafka_assign(rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int tries = 0; tries < 20 && ts < 0; tries++) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
            if (m && !m->err && m->partition == part && m->offset == off) {
                rd_kafka_timestamp_type_t tt;
                ts = rd_kafka_message_timestamp(m, &tt);
            }
            if (m) rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(rk, NULL);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ts;
}

/* The broker's answer is checked against the messages on either side of it
 * (earlier than ts before, not earlier at it): a broker that cannot look up
 * by time (librdkafka's mock answers the end offset) must not silently
 * replay the wrong range. */
static int check_time_offset(rd_kafka_t *rk, const char *topic, const krange_t *r, int64_t lo,
                             int64_t ts)
{
    int64_t before = r->start > lo ? probe_ts(rk, topic, r->part, r->start - 1) : -2;
    int64_t at = r->start < r->end ? probe_ts(rk, topic, r->part, r->start) : -2;

    return (before == -1 || before >= ts || at == -1 || (at != -2 && at < ts)) ? -1 : 0;
}

static int from_time_offsets(rd_kafka_t *rk, const char *topic, krange_t *r, int n, int64_t ts,
                             char *err, size_t en)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    rd_kafka_resp_err_t e;

    for (int i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(l, topic, r[i].part)->offset = ts;
    }
    e = rd_kafka_offsets_for_times(rk, l, 10000);
    for (int i = 0; !e && i < n; i++) {
        int64_t lo, hi;
        e = l->elems[i].err;
        if (!e) {
            r[i].start = l->elems[i].offset < 0 ? r[i].end : l->elems[i].offset;
            if (rd_kafka_query_watermark_offsets(rk, topic, r[i].part, &lo, &hi, 10000) != 0 ||
                check_time_offset(rk, topic, &r[i], lo, ts) != 0) {
                snprintf(err, en, "--from-time: the broker cannot look up offsets by time: "
                         "its offset %lld for partition %d does not match the message "
                         "timestamps; use --from-offset", (long long)r[i].start, (int)r[i].part);
                rd_kafka_topic_partition_list_destroy(l);
                return -1;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, en, "--from-time: the broker cannot look up offsets by time: %s",
                 rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static int plan_range(rd_kafka_t *rk, const replay_opts_t *o, krange_t **out, int *n_out,
                      char *err, size_t n)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    krange_t *r = NULL;
    int np = 0;

    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        snprintf(err, n, "topic %s: %s", o->topic,
                 rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err
                                                        : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        if (!e) rd_kafka_metadata_destroy(md);
        return -1;
    }
    np = md->topics[0].partition_cnt;
    r = kb_calloc((size_t)np + 1, sizeof(*r));
    for (int i = 0; r && i < np; i++) {
        int64_t lo, hi;
        r[i].part = md->topics[0].partitions[i].id;
        e = rd_kafka_query_watermark_offsets(rk, o->topic, r[i].part, &lo, &hi, 10000);
        if (e) {
            snprintf(err, n, "offsets of %s[%d]: %s", o->topic, r[i].part, rd_kafka_err2str(e));
            break;
        }
        r[i].end = hi;
        if (start_offset(o->from_offset, r[i].part, lo, hi, &r[i].start) != 0) {
            snprintf(err, n, "bad --from-offset '%s'", o->from_offset);
            e = RD_KAFKA_RESP_ERR__INVALID_ARG;
            break;
        }
    }
    rd_kafka_metadata_destroy(md);
    if (!r || e) {
        kb_free(r);
        if (!r) snprintf(err, n, "out of memory");
        return -1;
    }
    if (o->from_time) {
        int64_t ts;
        if (kb_parse_iso8601(o->from_time, &ts) != 0) {
            snprintf(err, n, "bad --from-time '%s'", o->from_time);
            kb_free(r);
            return -1;
        }
        if (from_time_offsets(rk, o->topic, r, np, ts, err, n) != 0) {
            kb_free(r);
            return -1;
        }
    }
    *out = r;
    *n_out = np;
    return 0;
}

/* Messages in [start, end) per partition; with --until-time a partition also
 * ends at its first message stamped at or after that time. */
static int consume_range(rd_kafka_t *rk, kb_replay_t *rp, const replay_opts_t *o, krange_t *r,
                         int np, int64_t until, progress_t *pg, char *err, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    int left = 0, rc = 0, maxp = 0;

    for (int i = 0; i < np; i++) {
        maxp = r[i].part + 1 > maxp ? r[i].part + 1 : maxp;
        r[i].done = r[i].start >= r[i].end;
        if (!r[i].done) {
            rd_kafka_topic_partition_list_add(l, o->topic, r[i].part)->offset = r[i].start;
            left++;
        }
    }
    if (kb_replay_streams(rp, maxp) != 0 || rd_kafka_assign(rk, l) != 0) {
        snprintf(err, n, "cannot assign the range");
        rd_kafka_topic_partition_list_destroy(l);
        return -1;
    }
    rd_kafka_topic_partition_list_destroy(l);
    while (left > 0 && rc == 0 && !kb_cmd_stopping()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        krange_t *k = NULL;
        if (!m) {
            continue;
        }
        for (int i = 0; i < np; i++) {
            if (r[i].part == m->partition) k = &r[i];
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                KB_LOG(KB_LOG_WARN, "replay", "consumer: %s", rd_kafka_message_errstr(m));
            }
        } else if (k && !k->done) {
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (until >= 0 && ts >= until) {
                k->done = 1;
                left--;
            } else {
                kb_origin_t from = {NULL, 0, o->topic, m->partition, m->offset, ts};
                rc = kb_replay_message(rp, m->partition, m->payload ? m->payload : "", m->len,
                                       &from, err, n);
                if (m->offset + 1 >= k->end) {
                    k->done = 1;
                    left--;
                }
            }
        }
        rd_kafka_message_destroy(m);
        {
            kb_replay_stats_t st;
            kb_replay_get_stats(rp, &st);
            progress_show(pg, &st, 0, 0);
        }
    }
    return rc;
}

static int replay_kafka(kb_replay_t *rp, const replay_opts_t *o, progress_t *pg, char *err,
                        size_t n)
{
    rd_kafka_conf_t *c = kafka_conf(o, o->brokers, err, n);
    rd_kafka_t *rk;
    krange_t *r = NULL;
    int np = 0, rc = -1;
    int64_t until = -1;

    if (o->until_time && kb_parse_iso8601(o->until_time, &until) != 0) {
        snprintf(err, n, "bad --until-time '%s'", o->until_time);
        if (c) rd_kafka_conf_destroy(c);
        return -1;
    }
    /* A private group id: offsets are never committed, the range is ours. */
    if (!c || rd_kafka_conf_set(c, "group.id", "koubei-replay", err, n) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(c, "enable.auto.commit", "false", err, n) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(c, "enable.partition.eof", "true", err, n) != RD_KAFKA_CONF_OK) {
        if (c) rd_kafka_conf_destroy(c);
        return -1;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, n))) {
        return -1;
    }
    if (plan_range(rk, o, &r, &np, err, n) == 0) {
        rc = consume_range(rk, rp, o, r, np, until, pg, err, n);
    }
    kb_free(r);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- summary ----------------------------------------------------------------- */

/* Print @p s left-aligned in @p cols terminal columns: East Asian wide
 * characters (U+2E80 on, roughly) take two, other code points one. */
static void put_padded(FILE *f, const char *s, int cols)
{
    int w = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp = *p;
        int k = cp < 0x80 ? 0 : cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : 1;
        if (k) cp &= 0x3Fu >> k;
        for (p++; k > 0 && (*p & 0xC0) == 0x80; k--, p++) cp = cp << 6 | (*p & 0x3F);
        w += cp >= 0x2E80 && cp <= 0xFFDC ? 2 : 1;
    }
    fputs(s, f);
    for (; w < cols; w++) fputc(' ', f);
}

static void summary(kb_replay_t *rp, const sink_t *s)
{
    const kb_replay_brand_t *const *b;
    size_t n = kb_replay_brands(rp, &b);
    kb_replay_stats_t st;

    kb_replay_get_stats(rp, &st);
    fprintf(stderr, "\n%-18s %9s %7s %6s %6s %10s  %s\n", "brand", "mentions", "net", "nps",
            "csat", "complaint%", "worst SERVQUAL dimension (mean score)");
    for (size_t i = 0; b && i < n; i++) {
        double m = (double)b[i]->mentions, worst = 2;
        int wd = -1;
        for (int d = 0; d < KB_SQ_COUNT; d++) {
            double mean;
            if (!b[i]->dim_mentions[d]) continue;
            mean = b[i]->dim_score_sum[d] / (double)b[i]->dim_mentions[d];
            if (mean < worst) worst = mean, wd = d;
        }
        put_padded(stderr, b[i]->name, 18);
        fprintf(stderr, " %9lld %+7.2f %+6.0f ", (long long)b[i]->mentions,
                (double)(b[i]->pos - b[i]->neg) / m,
                100.0 * (double)(b[i]->promoters - b[i]->detractors) / m);
        if (b[i]->pos + b[i]->neg > 0) {
            fprintf(stderr, "%6.1f", 100.0 * (double)b[i]->pos / (double)(b[i]->pos + b[i]->neg));
        } else {
            fprintf(stderr, "%6s", "-");
        }
        fprintf(stderr, " %10.1f  ", 100.0 * (double)b[i]->complaints / m);
        if (wd >= 0) {
            fprintf(stderr, "%s (%+.2f, %lld neg of %lld)\n", kb_servqual_name(wd), worst,
                    (long long)b[i]->dim_neg[wd], (long long)b[i]->dim_mentions[wd]);
        } else {
            fprintf(stderr, "-\n");
        }
    }
    fprintf(stderr,
            "messages %lld (%.1f MB), scored %lld, dead letters %lld, late %lld, "
            "unbranded %lld, windows %lld, alert records %lld\n",
            (long long)st.messages, (double)st.bytes / 1e6, (long long)st.scored,
            (long long)st.dlq, (long long)st.late, (long long)st.unbranded,
            (long long)st.windows, (long long)s->written[KB_OUT_ALERT]);
}

/* ---- options ------------------------------------------------------------------ */

static int set_dur(const char *name, const char *arg, int64_t *out)
{
    if ((*out = kb_cmd_duration_ms(arg)) <= 0) {
        fprintf(stderr, "koubei replay: bad duration for --%s: '%s'\n", name, arg);
        return -1;
    }
    return 0;
}

static int parse_replay(int argc, char **argv, replay_opts_t *o)
{
    static const struct option lo[] = {
        {"window", required_argument, NULL, 'w'}, {"hop", required_argument, NULL, 'H'},
        {"grace", required_argument, NULL, 'G'}, {"field", required_argument, NULL, 'f'},
        {"lexicons", required_argument, NULL, 'L'}, {"lexicon-extra", required_argument, NULL, 'x'},
        {"max-bytes", required_argument, NULL, 'm'}, {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'}, {"from-offset", required_argument, NULL, 'o'},
        {"from-time", required_argument, NULL, 'F'}, {"until-time", required_argument, NULL, 'U'},
        {"until-end", no_argument, NULL, 'e'}, {"out-dir", required_argument, NULL, 'd'},
        {"scored", no_argument, NULL, 's'}, {"to-brokers", required_argument, NULL, 'B'},
        {"report", required_argument, NULL, 'R'}, {"quiet", no_argument, NULL, 'q'},
        {"progress-interval", required_argument, NULL, 'P'},
        {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"alert", required_argument, NULL, 'A'}, {"no-alerts", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0}};
    int ch, hop_set = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "X:", lo, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'w': bad = set_dur("window", optarg, &o->cfg.agg.window_ms); break;
        case 'H': bad = set_dur("hop", optarg, &o->cfg.agg.hop_ms); hop_set = 1; break;
        case 'G':
            bad = (o->cfg.agg.grace_ms = kb_cmd_duration_ms(optarg)) < 0;
            break;
        case 'b': o->brokers = optarg; break;
        case 't': o->topic = optarg; break;
        case 'o': o->from_offset = optarg; break;
        case 'F': o->from_time = optarg; break;
        case 'U': o->until_time = optarg; break;
        case 'e': o->until_time = NULL; break;
        case 'd': o->out_dir = optarg; break;
        case 's': o->cfg.scored = 1; break;
        case 'B': o->to_brokers = optarg; break;
        case 'R': o->report = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'P': bad = set_dur("progress-interval", optarg, &o->progress_ms); break;
        case 'X':
            if (o->n_props == MAX_PROPS || !strchr(optarg, '=')) bad = 1;
            else o->props[o->n_props++] = optarg;
            break;
        case 'A':
            if (strcmp(optarg, "help") == 0) {
                return kb_cmd_alert_help(&o->cfg.alert);
            }
            bad = kb_cmd_alert_opt(&o->cfg.alert, optarg) != 0;
            break;
        case 'N': o->cfg.alerts = 0; break;
        case 'h': replay_usage(stdout); return 1;
        default: bad = kb_cmd_scoring_opt(&o->sc, ch, optarg) <= 0; break;
        }
        if (bad) {
            fprintf(stderr, "koubei replay: bad option or value near '%s'\n", argv[optind - 1]);
            replay_usage(stderr);
            return -1;
        }
    }
    if (!hop_set) {
        o->cfg.agg.hop_ms = o->cfg.agg.window_ms;
    }
    o->files = argv + optind;
    o->n_files = argc - optind;
    if ((o->brokers != NULL) != (o->topic != NULL) || (o->brokers && o->n_files > 0) ||
        (!o->brokers && o->n_files == 0)) {
        fprintf(stderr, "koubei replay: give FILE ... or --brokers B --topic T\n");
        replay_usage(stderr);
        return -1;
    }
    return 0;
}

static int64_t input_size(const replay_opts_t *o)
{
    int64_t total = 0;

    for (int i = 0; i < o->n_files; i++) {
        struct stat sb;
        if (strcmp(o->files[i], "-") == 0 || stat(o->files[i], &sb) != 0) {
            return 0;
        }
        total += sb.st_size;
    }
    return total;
}

int kb_cmd_replay(int argc, char **argv)
{
    replay_opts_t o;
    kb_engine_t *en = NULL;
    kb_decoder_t *dec = NULL;
    kb_replay_t *rp = NULL;
    sink_t sink;
    progress_t pg;
    char err[512] = "";
    int rc = 2, prc, opened = 0;

    memset(&o, 0, sizeof(o));
    kb_agg_cfg_default(&o.cfg.agg);
    kb_alert_cfg_default(&o.cfg.alert);
    o.cfg.alerts = 1;
    kb_cmd_scoring_init(&o.sc);
    o.progress_ms = 10000;
    if ((prc = parse_replay(argc, argv, &o)) != 0) {
        return prc > 0 ? 0 : 2;
    }
    if (!(en = kb_engine_new(o.sc.lexicons, o.sc.extra, o.sc.n_extra, err, sizeof(err)))) {
        fprintf(stderr, "koubei replay: cannot load lexicons: %s\n", err);
        return 2;
    }
    if (!(dec = kb_cmd_decoder(&o.sc, err, sizeof(err)))) {
        goto out;
    }
    rc = 1;
    if (sink_open(&sink, &o, err, sizeof(err)) != 0) {
        goto out;
    }
    opened = 1;
    if (o.report && !(sink.report = kb_report_new(&o.cfg.agg, err, sizeof(err)))) {
        goto out;
    }
    o.cfg.out = on_out;
    o.cfg.on_window = on_final;
    o.cfg.ud = &sink;
    if (!(rp = kb_replay_new(&o.cfg, en, dec, err, sizeof(err))) || kb_replay_streams(rp, 1) != 0) {
        goto out;
    }
    memset(&pg, 0, sizeof(pg));
    pg.quiet = o.quiet;
    pg.tty = isatty(2);
    pg.interval_ms = o.progress_ms;
    pg.t0 = pg.last = mono_ms();
    pg.total_bytes = o.brokers ? 0 : input_size(&o);
    kb_cmd_catch_signals();
    if ((o.brokers ? replay_kafka(rp, &o, &pg, err, sizeof(err))
                   : replay_files(rp, &o, &pg, err, sizeof(err))) != 0 ||
        kb_replay_finish(rp, err, sizeof(err)) != 0) {
        goto out;
    }
    {
        kb_replay_stats_t st;
        kb_replay_get_stats(rp, &st);
        progress_show(&pg, &st, pg.total_bytes, 1);
    }
    if (sink.report) {
        const kb_replay_brand_t *const *b;
        size_t nb = kb_replay_brands(rp, &b);
        if (kb_report_write(sink.report, o.report, b, nb, err, sizeof(err)) != 0) {
            goto out;
        }
    }
    rc = 0;
out:
    if (opened) {
        if (sink_close(&sink) != 0 && rc == 0) {
            snprintf(err, sizeof(err), "output incomplete");
            rc = 1;
        }
        if (rc == 0 && !o.quiet) {
            summary(rp, &sink);
        }
        kb_report_free(sink.report);
    }
    if (rc != 0) {
        fprintf(stderr, "koubei replay: %s\n", err);
    }
    kb_replay_free(rp);
    kb_decoder_free(dec);
    kb_engine_free(en);
    return rc;
}
