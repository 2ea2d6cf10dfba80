/* alert_feed.c -- feed window records to kb_alert and print its alerts.
 *
 * A stand-in for the replay path while `koubei replay` is being built:
 * bench/alert_eval.py --via-score builds hourly per-brand windows from
 * `koubei score` output and pipes them here, one JSON object a line:
 *   {"brand","window_start","window_end" (epoch ms),"mentions","negative",
 *    "complaints","dim_mentions":[5],"dim_negative":[5],"neg_terms":[..],
 *    "sample_ids":[..]}
 * in window_start order. Alert records go to stdout, one a line.
 *
 *   build/release/bench_alert_feed < windows.jsonl > alerts.jsonl
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_alert.h"

#define MAX_STRS 16

static int print_alert(void *ud, const char *key, size_t key_len, const char *json, size_t len)
{
    (void)ud;
    (void)key;
    (void)key_len;
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    return 0;
}

static int64_t get_i(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

static size_t get_strs(const json_t *o, const char *k, const char **v)
{
    const json_t *a = json_object_get(o, k);
    size_t n = 0;

    for (size_t i = 0; i < json_array_size(a) && n < MAX_STRS; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s) {
            v[n++] = s;
        }
    }
    return n;
}

static int feed_line(kb_alert_t *al, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *o = json_loadb(line, len, 0, &jerr);
    const char *terms[MAX_STRS], *ids[MAX_STRS];
    kb_alert_window_t w;
    int rc;

    if (!json_is_object(o)) {
        fprintf(stderr, "alert_feed: bad line: %s\n", o ? "not an object" : jerr.text);
        json_decref(o);
        return -1;
    }
    memset(&w, 0, sizeof(w));
    w.brand = json_string_value(json_object_get(o, "brand"));
    w.brand_len = w.brand ? strlen(w.brand) : 0;
    w.window_start = get_i(o, "window_start");
    w.window_end = get_i(o, "window_end");
    w.mentions = get_i(o, "mentions");
    w.negative = get_i(o, "negative");
    w.complaints = get_i(o, "complaints");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        w.dim_mentions[d] = json_integer_value(json_array_get(json_object_get(o, "dim_mentions"), d));
        w.dim_negative[d] = json_integer_value(json_array_get(json_object_get(o, "dim_negative"), d));
    }
    w.n_neg_terms = get_strs(o, "neg_terms", terms);
    w.neg_terms = terms;
    w.n_sample_ids = get_strs(o, "sample_ids", ids);
    w.sample_ids = ids;
    rc = w.brand ? kb_alert_window(al, &w) : -1;
    rc = rc == KB_ALERT_SEEN ? 0 : rc;
    if (rc != 0) {
        fprintf(stderr, "alert_feed: window refused: %.*s\n", (int)len, line);
    }
    json_decref(o);
    return rc;
}

int main(void)
{
    kb_alert_cfg_t cfg;
    kb_alert_t *al;
    char err[256], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    kb_alert_cfg_default(&cfg);
    if (!(al = kb_alert_new(&cfg, print_alert, NULL, err, sizeof(err)))) {
        fprintf(stderr, "alert_feed: %s\n", err);
        return 2;
    }
    while (rc == 0 && (n = getline(&line, &cap, stdin)) > 0) {
        if (n > 1) {
            rc = feed_line(al, line, (size_t)n);
        }
    }
    free(line);
    kb_alert_free(al);
    return rc == 0 ? 0 : 1;
}
