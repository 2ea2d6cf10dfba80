/* kb_broker.c -- the embedded development broker: librdkafka's mock cluster. */
#include "kb_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kb_mem.h"

struct kb_broker {
    rd_kafka_t *rk;                 /* owns the cluster's threads */
    rd_kafka_mock_cluster_t *mc;
};

kb_broker_t *kb_broker_new(int n_brokers, int partitions, const char *topics,
                           char *errstr, size_t errstr_size)
{
    kb_broker_t *b;
    rd_kafka_conf_t *conf;
    char *list, *save = NULL;

    if (n_brokers < 1 || n_brokers > 32 || partitions < 1 || partitions > 1000) {
        snprintf(errstr, errstr_size, "brokers must be 1..32 and partitions 1..1000");
        return NULL;
    }
    if (!(b = kb_calloc(1, sizeof(*b)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    if (!(b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size))) {
        rd_kafka_conf_destroy(conf);
        kb_free(b);
        return NULL;
    }
    if (!(b->mc = rd_kafka_mock_cluster_new(b->rk, n_brokers))) {
        snprintf(errstr, errstr_size, "cannot start the mock cluster");
        kb_broker_free(b);
        return NULL;
    }
    if (!topics || !*topics) {
        return b;
    }
    if (!(list = kb_strndup(topics, strlen(topics)))) {
        snprintf(errstr, errstr_size, "out of memory");
        kb_broker_free(b);
        return NULL;
    }
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (kb_broker_topic(b, t, partitions, errstr, errstr_size) != 0) {
            kb_free(list);
            kb_broker_free(b);
            return NULL;
        }
    }
    kb_free(list);
    return b;
}

void kb_broker_free(kb_broker_t *b)
{
    if (!b) {
        return;
    }
    if (b->mc) {
        rd_kafka_mock_cluster_destroy(b->mc);
    }
    rd_kafka_destroy(b->rk);
    kb_free(b);
}

const char *kb_broker_bootstrap(const kb_broker_t *b)
{
    return rd_kafka_mock_cluster_bootstraps(b->mc);
}

int kb_broker_topic(kb_broker_t *b, const char *topic, int partitions,
                    char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t err;

    if (!*topic || partitions < 1) {
        snprintf(errstr, errstr_size, "topic needs a name and >= 1 partition");
        return -1;
    }
    err = rd_kafka_mock_topic_create(b->mc, topic, partitions, 1);
    if (err) {
        snprintf(errstr, errstr_size, "create topic %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

/* Kafka protocol request keys by name (the ones worth failing in tests). */
static const struct {
    const char *name;
    int16_t key;
} api_keys[] = {
    {"Produce", 0}, {"Fetch", 1}, {"ListOffsets", 2}, {"Metadata", 3},
    {"OffsetCommit", 8}, {"OffsetFetch", 9}, {"FindCoordinator", 10},
    {"JoinGroup", 11}, {"Heartbeat", 12}, {"LeaveGroup", 13}, {"SyncGroup", 14},
    {"InitProducerId", 22}, {"AddPartitionsToTxn", 24}, {"AddOffsetsToTxn", 25},
    {"EndTxn", 26}, {"TxnOffsetCommit", 28},
};

static int parse_api(const char *s, int16_t *key)
{
    char *end;
    long v;

    for (size_t i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++) {
        if (strcasecmp(s, api_keys[i].name) == 0) {
            *key = api_keys[i].key;
            return 0;
        }
    }
    v = strtol(s, &end, 10);
    if (*s && !*end && v >= 0 && v < 100) {
        *key = (int16_t)v;
        return 0;
    }
    return -1;
}

static int parse_err(const char *s, rd_kafka_resp_err_t *err)
{
    const struct rd_kafka_err_desc *d;
    size_t n;
    char *end;
    long v;

    rd_kafka_get_err_descs(&d, &n);
    for (size_t i = 0; i < n; i++) {
        if (d[i].name && strcasecmp(s, d[i].name) == 0) {
            *err = d[i].code;
            return 0;
        }
    }
    v = strtol(s, &end, 10);
    if (*s && !*end) {
        *err = (rd_kafka_resp_err_t)v;
        return 0;
    }
    return -1;
}

static int parse_broker(const char *s, int32_t *id)
{
    char *end;
    long v;

    if (strcmp(s, "all") == 0) {
        *id = -1;
        return 0;
    }
    v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 32) {
        return -1;
    }
    *id = (int32_t)v;
    return 0;
}

static int cmd_error(kb_broker_t *b, int n, char **w, char *reply, size_t rs)
{
    int16_t key;
    rd_kafka_resp_err_t err;
    long cnt = n > 3 ? strtol(w[3], NULL, 10) : 1;
    rd_kafka_resp_err_t *errs;

    if (n < 3 || parse_api(w[1], &key) != 0 || parse_err(w[2], &err) != 0 ||
        cnt < 1 || cnt > 10000) {
        snprintf(reply, rs, "usage: error API ERR [COUNT]");
        return -1;
    }
    if (!(errs = kb_malloc((size_t)cnt * sizeof(*errs)))) {
        snprintf(reply, rs, "out of memory");
        return -1;
    }
    for (long i = 0; i < cnt; i++) {
        errs[i] = err;
    }
    rd_kafka_mock_push_request_errors_array(b->mc, key, (size_t)cnt, errs);
    kb_free(errs);
    snprintf(reply, rs, "ok: next %ld %s request(s) fail with %s", cnt, w[1],
             rd_kafka_err2name(err));
    return 0;
}

int kb_broker_command(kb_broker_t *b, const char *line, char *reply, size_t rs)
{
    char buf[512], *w[6], *save = NULL;
    int n = 0;
    int32_t id;
    int16_t key;

    snprintf(buf, sizeof(buf), "%s", line);
    for (char *t = strtok_r(buf, " \t\r\n", &save); t && n < 6; t = strtok_r(NULL, " \t\r\n", &save)) {
        w[n++] = t;
    }
    if (n == 0) {
        snprintf(reply, rs, "empty command");
        return -1;
    }
    if (strcmp(w[0], "topic") == 0 && n == 3) {
        char err[256];
        if (kb_broker_topic(b, w[1], atoi(w[2]), err, sizeof(err)) != 0) {
            snprintf(reply, rs, "%s", err);
            return -1;
        }
        snprintf(reply, rs, "ok: topic %s", w[1]);
        return 0;
    }
    if ((strcmp(w[0], "down") == 0 || strcmp(w[0], "up") == 0) && n == 2 &&
        parse_broker(w[1], &id) == 0) {
        rd_kafka_resp_err_t err = w[0][0] == 'd' ? rd_kafka_mock_broker_set_down(b->mc, id)
                                                 : rd_kafka_mock_broker_set_up(b->mc, id);
        snprintf(reply, rs, err ? "%s" : "ok: broker %s %s", err ? rd_kafka_err2str(err) : w[1],
                 w[0]);
        return err ? -1 : 0;
    }
    if (strcmp(w[0], "rtt") == 0 && n == 3 && parse_broker(w[1], &id) == 0) {
        rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(b->mc, id, atoi(w[2]));
        snprintf(reply, rs, err ? "%s" : "ok: rtt", rd_kafka_err2str(err));
        return err ? -1 : 0;
    }
    if (strcmp(w[0], "error") == 0) {
        return cmd_error(b, n, w, reply, rs);
    }
    if (strcmp(w[0], "clear") == 0 && n == 2 && parse_api(w[1], &key) == 0) {
        rd_kafka_mock_clear_request_errors(b->mc, key);
        snprintf(reply, rs, "ok: cleared %s", w[1]);
        return 0;
    }
    snprintf(reply, rs, "unknown command (topic, down, up, rtt, error, clear)");
    return -1;
}
