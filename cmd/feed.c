/* feed.c -- `koubei feed`: produce JSONL files to a topic, optionally at
 * an accelerated real-time pace taken from the messages' own `ts`, keyed
 * by their `brand` so each brand's messages keep their order. Used by the
 * demo; handy for trying the pipeline on archived messages.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "kb_cmd.h"
#include "kb_decode.h"

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void feed_usage(FILE *f)
{
    fprintf(f, "usage: koubei feed --brokers B [--topic T] [--speed X] [-X k=v] FILE ...\n"
               "  --speed X   replay at X times the pace of the messages' ts (0: as fast\n"
               "              as possible, the default)\n");
}

/* Event time of a line, or -1. */
static int64_t line_ts(const json_t *j)
{
    const json_t *ts = json_object_get(j, "ts");
    int64_t ms;

    if (json_is_string(ts) && kb_parse_iso8601(json_string_value(ts), &ms) == 0) {
        return ms;
    }
    if (json_is_integer(ts)) {
        ms = json_integer_value(ts);
        return ms < 100000000000LL ? ms * 1000 : ms;
    }
    return -1;
}

static void pace(double speed, int64_t ts, int64_t *ts0, int64_t wall0)
{
    int64_t due, now;

    if (speed <= 0 || ts < 0) {
        return;
    }
    if (*ts0 < 0) {
        *ts0 = ts;
    }
    due = wall0 + (int64_t)((double)(ts - *ts0) / speed);
    while (!kb_cmd_stopping() && (now = mono_ms()) < due) {
        struct timespec d = {0, (long)((due - now > 50 ? 50 : due - now) * 1000000)};
        nanosleep(&d, NULL);
    }
}

static int feed_file(rd_kafka_t *rk, const char *topic, const char *path, double speed,
                     unsigned long *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t ts0 = -1, wall0 = mono_ms();

    if (!f) {
        fprintf(stderr, "koubei feed: cannot open %s\n", path);
        return -1;
    }
    while (!kb_cmd_stopping() && (len = getline(&line, &cap, f)) >= 0) {
        json_t *j;
        const char *key = NULL;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        j = json_loadb(line, (size_t)len, 0, NULL);
        if (json_is_string(json_object_get(j, "brand"))) {
            key = json_string_value(json_object_get(j, "brand"));
        }
        pace(speed, line_ts(j), &ts0, wall0);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                 RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                                 RD_KAFKA_V_VALUE(line, (size_t)len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 100);
        }
        rd_kafka_poll(rk, 0);
        json_decref(j);
        (*n)++;
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    return 0;
}

int kb_cmd_feed(int argc, char **argv)
{
    static const struct option lo[] = {
        {"brokers", required_argument, NULL, 'b'}, {"topic", required_argument, NULL, 't'},
        {"speed", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *brokers = NULL, *topic = "feedback.raw";
    double speed = 0;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    unsigned long n = 0;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "X:", lo, NULL)) != -1) {
        char *eq;
        switch (c) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 's': speed = atof(optarg); break;
        case 'X':
            if (!(eq = strchr(optarg, '='))) {
                feed_usage(stderr);
                rd_kafka_conf_destroy(conf);
                return 2;
            }
            *eq = '\0';
            if (rd_kafka_conf_set(conf, optarg, eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "koubei feed: %s\n", err);
                rd_kafka_conf_destroy(conf);
                return 2;
            }
            break;
        case 'h': feed_usage(stdout); rd_kafka_conf_destroy(conf); return 0;
        default: feed_usage(stderr); rd_kafka_conf_destroy(conf); return 2;
        }
    }
    if (!brokers || optind >= argc ||
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof(err))) {
        feed_usage(stderr);
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        fprintf(stderr, "koubei feed: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    kb_cmd_catch_signals();
    for (int i = optind; i < argc && rc == 0; i++) {
        rc = feed_file(rk, topic, argv[i], speed, &n);
    }
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "koubei feed: not every message was delivered\n");
        rc = -1;
    }
    fprintf(stderr, "koubei feed: %lu messages to %s\n", n, topic);
    rd_kafka_destroy(rk);
    return rc == 0 ? 0 : 1;
}
