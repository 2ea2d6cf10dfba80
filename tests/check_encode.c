/* check_encode.c -- JSON writing: numbers, escaping, record layout. */
#include <stdint.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_encode.h"
#include "kb_test.h"

static const struct { double v; const char *out; } num_cases[] = {
    {0.5, "0.5"}, {-0.25, "-0.25"}, {3, "3"}, {0, "0"}, {-0.00001, "0"},
    {0.1234, "0.1234"}, {1.0 / 3.0, "0.3333"}, {-2.0 / 3.0, "-0.6667"}, {100, "100"},
};

START_TEST(t_num)
{
    kb_buf_t b;

    kb_buf_init(&b);
    kb_buf_num(&b, num_cases[_i].v);
    ck_assert_str_eq(b.p, num_cases[_i].out);
    kb_buf_fini(&b);
}
END_TEST

/* Integers are written by hand: the extremes and zero must match %lld. */
START_TEST(t_int)
{
    static const struct { int64_t v; const char *out; } cases[] = {
        {0, "0"}, {7, "7"}, {-42, "-42"}, {1793610000, "1793610000"},
        {INT64_MAX, "9223372036854775807"}, {INT64_MIN, "-9223372036854775808"},
    };
    kb_buf_t b;

    kb_buf_init(&b);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kb_buf_reset(&b);
        kb_buf_int(&b, cases[i].v);
        ck_assert_str_eq(b.p, cases[i].out);
    }
    kb_buf_fini(&b);
}
END_TEST

START_TEST(t_escape)
{
    kb_buf_t b;
    const char in[] = "a\"b\\c\nd\te\x01 好";

    kb_buf_init(&b);
    kb_buf_json_str(&b, in, sizeof(in) - 1);
    ck_assert_str_eq(b.p, "\"a\\\"b\\\\c\\nd\\te\\u0001 好\"");
    kb_buf_fini(&b);
}
END_TEST

START_TEST(t_error_record)
{
    kb_buf_t b;
    json_t *id = json_integer(42);

    kb_buf_init(&b);
    kb_encode_error(&b, id, "missing \"text\"");
    ck_assert_str_eq(b.p, "{\"id\":42,\"error\":\"missing \\\"text\\\"\"}");
    kb_buf_reset(&b);
    kb_encode_error(&b, NULL, "not a JSON object");
    ck_assert_str_eq(b.p, "{\"error\":\"not a JSON object\"}");
    json_decref(id);
    kb_buf_fini(&b);
}
END_TEST

/* jansson's "invalid escape near '...'" quotes the input and may cut a
 * character in two; the reason must still make a valid JSON line, with
 * U+FFFD where the bytes were ill-formed (and the good ones kept). */
START_TEST(t_error_reason_not_utf8)
{
    kb_buf_t b;
    json_t *back;
    json_error_t je;

    kb_buf_init(&b);
    kb_encode_error(&b, NULL, "near '\\u\xe8\x99' \xff\xc3(\xe5\xa5\xbd)");
    ck_assert_str_eq(b.p, "{\"error\":\"near '\\\\u\\ufffd' \\ufffd\\ufffd(\xe5\xa5\xbd)\"}");
    back = json_loads(b.p, 0, &je);
    ck_assert_msg(back != NULL, "not JSON: %s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(back, "error")),
                     "near '\\u\xef\xbf\xbd' \xef\xbf\xbd\xef\xbf\xbd(\xe5\xa5\xbd)");
    json_decref(back);
    kb_buf_fini(&b);
}
END_TEST

/* The whole record for one message on the fixture lexicon: key order,
 * number format, offsets. 菜很好吃但是等了一个小时:
 * 好吃 2 x 1.5 (很) x 0.5 (before 但是) = 1.5; pattern -2 x 1.5 = -3;
 * nine tokens without valence, so pos = 1.5 / 13.5 and neg = 3 / 13.5. */
START_TEST(t_record)
{
    const kb_engine_t *en = kb_test_fixture();
    const char *line = "{\"id\":\"r1\",\"text\":\"菜很好吃但是等了一个小时\",\"ts\":0,\"rating\":2.5}";
    char err[256], expect[2048];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_scorer_t *sc = kb_scorer_new(kb_engine_lexicon(en), kb_engine_norm(en), err, sizeof(err));
    const kb_result_t *r;
    kb_msg_t msg;
    kb_buf_t b;

    kb_buf_init(&b);
    ck_assert_int_eq(kb_decode(dec, line, strlen(line), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_int_eq(kb_scorer_run(sc, msg.text, msg.text_len, 0, &r, err, sizeof(err)), 0);
    kb_encode_scored(&b, &msg, r, kb_engine_lexicon(en), 0);
    snprintf(expect, sizeof(expect),
             "{\"id\":\"r1\",\"brand\":null,\"ts\":\"1970-01-01T00:00:00Z\",\"rating\":2.5,"
             "\"lang\":\"zh\",\"sentiment\":{\"score\":-0.3612,\"label\":\"neg\","
             "\"pos\":0.1111,\"neg\":0.2222},\"servqual\":{\"reliability\":{\"score\":0.3612,"
             "\"label\":\"pos\",\"evidence\":[{\"term\":\"菜\",\"start\":0,\"end\":1}]},"
             "\"responsiveness\":{\"score\":-0.6124,\"label\":\"neg\",\"evidence\":"
             "[{\"term\":\"等了一个小时\",\"start\":6,\"end\":12}]}},\"complaint\":false,"
             "\"effort\":false,\"terms\":{\"pos\":[\"好吃\"],\"neg\":[]},"
             "\"lexicon\":\"%s\"}", kb_lexicon_hash(kb_engine_lexicon(en)));
    ck_assert_str_eq(b.p, expect);
    kb_msg_clear(&msg);
    kb_scorer_free(sc);
    kb_decoder_free(dec);
    kb_buf_fini(&b);
}
END_TEST

Suite *kb_encode_suite(void)
{
    Suite *s = suite_create("encode");
    TCase *tc = tcase_create("format");

    tcase_add_loop_test(tc, t_num, 0, sizeof(num_cases) / sizeof(num_cases[0]));
    tcase_add_test(tc, t_int);
    tcase_add_test(tc, t_escape);
    tcase_add_test(tc, t_error_record);
    tcase_add_test(tc, t_error_reason_not_utf8);
    tcase_add_test(tc, t_record);
    suite_add_tcase(s, tc);
    return s;
}
