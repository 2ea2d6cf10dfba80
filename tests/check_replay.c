/* check_replay.c -- the replay core: output independent of how streams
 * interleave, lateness per stream, event time, dead letters, totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_replay.h"
#include "kb_test.h"

typedef struct out {
    kb_buf_t all;                /* every record but late ones, "kind key json\n" */
    int n[KB_OUT_COUNT];
} out_t;

static int collect(void *ud, kb_out_t o, const char *key, size_t klen, const char *json,
                   size_t len)
{
    out_t *s = ud;

    s->n[o]++;
    if (o == KB_OUT_LATE) {
        return 0; /* routed as they arrive, so in input order */
    }
    kb_buf_printf(&s->all, "%s %.*s %.*s\n", kb_out_name(o), (int)klen, key, (int)len, json);
    return 0;
}

static kb_replay_t *new_replay(out_t *s, kb_decoder_t **dec)
{
    kb_replay_cfg_t cfg;
    char err[256];
    kb_replay_t *rp;

    memset(&cfg, 0, sizeof(cfg));
    memset(s, 0, sizeof(*s));
    kb_buf_init(&s->all);
    kb_agg_cfg_default(&cfg.agg); /* 60 s tumbling, 10 s grace */
    cfg.out = collect;
    cfg.ud = s;
    *dec = kb_decoder_new(1 << 16, err, sizeof(err));
    ck_assert_ptr_nonnull(*dec);
    rp = kb_replay_new(&cfg, kb_test_fixture(), *dec, err, sizeof(err));
    ck_assert_msg(rp != NULL, "%s", err);
    return rp;
}

static void feed(kb_replay_t *rp, int32_t stream, const char *json)
{
    kb_origin_t from = {"t.jsonl", 1, NULL, 0, 0, -1};
    char err[256];

    ck_assert_int_eq(kb_replay_message(rp, stream, json, strlen(json), &from, err, sizeof(err)), 0);
}

static const char *const s0[] = {
    "{\"id\":\"a1\",\"brand\":\"Alpha\",\"ts\":\"2026-11-02T10:00:05Z\",\"text\":\"好吃\"}",
    "{\"id\":\"a2\",\"brand\":\"Beta\",\"ts\":\"2026-11-02T10:00:50Z\",\"text\":\"bad\"}",
    "{\"id\":\"a3\",\"brand\":\"Alpha\",\"ts\":\"2026-11-02T10:02:10Z\",\"text\":\"great\"}",
    "{\"id\":\"a4\",\"brand\":\"Alpha\",\"ts\":\"2026-11-02T10:00:30Z\",\"text\":\"差\"}",
};
static const char *const s1[] = {
    "{\"id\":\"b1\",\"brand\":\"Beta\",\"ts\":\"2026-11-02T10:00:20Z\",\"text\":\"good\"}",
    "{\"id\":\"b2\",\"brand\":\"Alpha\",\"ts\":\"2026-11-02T10:01:40Z\",\"text\":\"rude\"}",
    "{\"id\":\"b3\",\"brand\":\"Beta\",\"ts\":\"2026-11-02T10:00:40Z\",\"text\":\"好\"}",
};

/* Stream 0's a4 (10:00:30) arrives after a3 moved that stream's watermark
 * to 10:02:10 - 10 s = 10:02:00, past the end of window 10:00: late. Stream
 * 1's b3 (10:00:40) follows b2, watermark 10:01:40 - 10 s = 10:01:30, also
 * past 10:01:00: late. Each is judged by its own stream only, so both input
 * orders agree on that and on every byte of the finals. */
static void run_order(int interleave, out_t *s, kb_replay_stats_t *st)
{
    kb_decoder_t *dec;
    kb_replay_t *rp = new_replay(s, &dec);
    char err[256];

    ck_assert_int_eq(kb_replay_streams(rp, 2), 0);
    if (interleave) {
        for (size_t i = 0; i < 4; i++) {
            feed(rp, 0, s0[i]);
            if (i < 3) feed(rp, 1, s1[i]);
        }
    } else {
        for (size_t i = 0; i < 3; i++) feed(rp, 1, s1[i]);
        for (size_t i = 0; i < 4; i++) feed(rp, 0, s0[i]);
    }
    ck_assert_int_eq(kb_replay_finish(rp, err, sizeof(err)), 0);
    kb_replay_get_stats(rp, st);
    kb_replay_free(rp);
    kb_decoder_free(dec);
}

START_TEST(t_interleaving)
{
    out_t a, b;
    kb_replay_stats_t sa, sb;

    run_order(1, &a, &sa);
    run_order(0, &b, &sb);
    ck_assert_int_eq(sa.late, 2);
    ck_assert_int_eq(sb.late, 2);
    ck_assert_int_eq(a.n[KB_OUT_LATE], 2);
    ck_assert_int_eq(a.n[KB_OUT_WOM], 4); /* Alpha, Beta at 10:00; Alpha 10:01, 10:02 */
    ck_assert_int_eq(a.all.len, b.all.len);
    ck_assert_msg(memcmp(a.all.p, b.all.p, a.all.len) == 0, "the two orders' finals differ");
    /* Finals come out by window start, then brand. */
    ck_assert_ptr_nonnull(strstr(a.all.p, "wom Alpha|2026-11-02T10:00:00Z "));
    ck_assert(strstr(a.all.p, "wom Alpha|2026-11-02T10:00:00Z ") <
              strstr(a.all.p, "wom Beta|2026-11-02T10:00:00Z "));
    ck_assert(strstr(a.all.p, "wom Beta|2026-11-02T10:00:00Z ") <
              strstr(a.all.p, "wom Alpha|2026-11-02T10:01:00Z "));
    kb_buf_fini(&a.all);
    kb_buf_fini(&b.all);
}
END_TEST

START_TEST(t_event_time_and_dead_letters)
{
    out_t s;
    kb_decoder_t *dec;
    kb_replay_t *rp = new_replay(&s, &dec);
    kb_origin_t kafka = {NULL, 0, "raw", 3, 42, 1793613600000LL}; /* 2026-11-02T10:00:00Z */
    const char *no_ts = "{\"id\":\"x\",\"brand\":\"Alpha\",\"text\":\"good\"}";
    const kb_replay_brand_t *const *b;
    kb_replay_stats_t st;
    char err[256];

    feed(rp, 0, no_ts); /* a file line without ts: nothing to window it by */
    feed(rp, 0, "not json");
    ck_assert_int_eq(kb_replay_message(rp, 0, no_ts, strlen(no_ts), &kafka, err, sizeof(err)), 0);
    feed(rp, 0, "{\"id\":\"y\",\"ts\":\"2026-11-02T10:00:09Z\",\"text\":\"no brand, good\"}");
    ck_assert_int_eq(kb_replay_finish(rp, err, sizeof(err)), 0);
    kb_replay_get_stats(rp, &st);
    ck_assert_int_eq(st.messages, 4);
    ck_assert_int_eq(st.dlq, 2);
    ck_assert_int_eq(st.scored, 2);
    ck_assert_int_eq(st.unbranded, 1);
    ck_assert_ptr_nonnull(strstr(s.all.p, "dlq  {\"reason\":\"no event time: the message has no "
                                          "ts\",\"file\":\"t.jsonl\",\"line\":1,"));
    ck_assert_ptr_nonnull(strstr(s.all.p, "\"file\":\"t.jsonl\",\"line\":1,\"payload\":\"not json\"}"));
    /* The Kafka timestamp stood in for the missing ts, as live. */
    ck_assert_ptr_nonnull(strstr(s.all.p, "wom Alpha|2026-11-02T10:00:00Z "));
    ck_assert_uint_eq(kb_replay_brands(rp, &b), 1);
    ck_assert_str_eq(b[0]->name, "Alpha");
    ck_assert_int_eq(b[0]->mentions, 1);
    ck_assert_int_eq(b[0]->pos, 1);
    kb_replay_free(rp);
    kb_decoder_free(dec);
    kb_buf_fini(&s.all);
}
END_TEST

START_TEST(t_totals_sorted)
{
    out_t s;
    kb_decoder_t *dec;
    kb_replay_t *rp = new_replay(&s, &dec);
    const kb_replay_brand_t *const *b;
    kb_replay_stats_t st;
    char err[256];

    for (size_t i = 0; i < 3; i++) feed(rp, 1, s1[i]);
    ck_assert_int_eq(kb_replay_finish(rp, err, sizeof(err)), 0);
    kb_replay_get_stats(rp, &st);
    ck_assert_uint_eq(kb_replay_brands(rp, &b), 2);
    ck_assert_str_eq(b[0]->name, "Alpha");
    ck_assert_str_eq(b[1]->name, "Beta");
    /* Beta: good (pos) counted, 好 at 10:00:40 late behind 10:01:40 - 10 s. */
    ck_assert_int_eq(b[1]->mentions, 1);
    ck_assert_int_eq(b[0]->neg, 1); /* rude */
    ck_assert_int_eq(st.late, 1);
    kb_replay_free(rp);
    kb_decoder_free(dec);
    kb_buf_fini(&s.all);
}
END_TEST

Suite *kb_replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");

    tcase_add_test(tc, t_interleaving);
    tcase_add_test(tc, t_event_time_and_dead_letters);
    tcase_add_test(tc, t_totals_sorted);
    suite_add_tcase(s, tc);
    return s;
}
