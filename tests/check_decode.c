/* check_decode.c -- message decoding: bad-input classes, mapping, time. */
#include <string.h>

#include "kb_decode.h"
#include "kb_test.h"

static const struct {
    const char *in;
    kb_bad_t bad;
    int has_id;
} bad_cases[] = {
    {"not json", KB_BAD_JSON, 0},
    {"{\"text\":\"a\"", KB_BAD_JSON, 0},
    {"", KB_BAD_JSON, 0},
    {"[1,2]", KB_BAD_NOT_OBJECT, 0},
    {"\"text\"", KB_BAD_JSON, 0},               /* jansson rejects bare scalars */
    {"{\"id\":1}", KB_BAD_NO_TEXT, 1},
    {"{\"id\":2,\"text\":null}", KB_BAD_NO_TEXT, 1},
    {"{\"id\":3,\"text\":123}", KB_BAD_NO_TEXT, 1},
    {"{\"id\":\"a\",\"text\":\"\"}", KB_BAD_EMPTY_TEXT, 1},
    {"{\"id\":\"b\",\"text\":\" \\n\\t \"}", KB_BAD_EMPTY_TEXT, 1},
    {"{\"text\":\"\xff\xfe\"}", KB_BAD_UTF8, 0},
    {"{\"text\":\"a\\u0000b\"}", KB_BAD_JSON, 0},  /* NUL needs JSON_ALLOW_NUL */
    {"{\"id\":4,\"text\":\"ok\",\"ts\":\"yesterday\"}", KB_BAD_FIELD, 1},
    {"{\"id\":5,\"text\":\"ok\",\"rating\":9}", KB_BAD_FIELD, 1},
    {"{\"id\":10,\"text\":\"ok\",\"rating\":\"nan\"}", KB_BAD_FIELD, 1},
    {"{\"id\":11,\"text\":\"ok\",\"rating\":\"3abc\"}", KB_BAD_FIELD, 1},
    {"{\"id\":12,\"text\":\"ok\",\"rating\":\"\"}", KB_BAD_FIELD, 1},
    {"{\"id\":13,\"text\":\"ok\",\"rating\":0.5}", KB_BAD_FIELD, 1},
    {"{\"id\":14,\"text\":\"ok\",\"rating\":true}", KB_BAD_FIELD, 1},
    {"{\"id\":6,\"text\":\"ok\",\"brand\":7}", KB_BAD_FIELD, 1},
    {"{\"id\":7,\"text\":\"ok\",\"followers\":-3}", KB_BAD_FIELD, 1},
    {"{\"text\":\"a\",\"text\":\"b\"}", KB_BAD_JSON, 0}, /* duplicate key */
    {"{\"id\":8,\"lang\":\"zh\",\"text\":\"a\",\"ts\":1,\"id\":9}", KB_BAD_JSON, 0},
};

START_TEST(t_bad_input)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(1024, err, sizeof(err));
    kb_msg_t msg;

    ck_assert_ptr_nonnull(dec);
    ck_assert_int_eq(kb_decode(dec, bad_cases[_i].in, strlen(bad_cases[_i].in), &msg, err,
                               sizeof(err)), KB_DECODE_BAD);
    ck_assert_int_eq(msg.bad, bad_cases[_i].bad);
    ck_assert_int_eq(msg.id != NULL, bad_cases[_i].has_id);
    ck_assert(strlen(err) > 5);
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

START_TEST(t_oversize)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(16, err, sizeof(err));
    kb_msg_t msg;
    const char *in = "{\"text\":\"this is more than sixteen bytes\"}";

    ck_assert_int_eq(kb_decode(dec, in, strlen(in), &msg, err, sizeof(err)), KB_DECODE_BAD);
    ck_assert_int_eq(msg.bad, KB_BAD_OVERSIZE);
    ck_assert_ptr_nonnull(strstr(err, "exceeds the limit of 16"));
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

START_TEST(t_fields)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;
    const char *in = "{\"text\":\"hi\",\"id\":\"m1\",\"brand\":\"B\",\"ts\":1700000000123,"
                     "\"lang\":\"en\",\"rating\":4,\"source\":\"app\",\"followers\":12}";

    ck_assert_int_eq(kb_decode(dec, in, strlen(in), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_str_eq(msg.text, "hi");
    ck_assert_str_eq(json_string_value(msg.id), "m1");
    ck_assert_str_eq(msg.brand, "B");
    ck_assert(msg.has_ts);
    ck_assert_int_eq(msg.ts_ms, 1700000000123LL);
    ck_assert_int_eq(msg.rating, 4);
    ck_assert_int_eq(msg.followers, 12);
    ck_assert_str_eq(msg.source, "app");
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

/* A byte order mark before the object is ignored (RFC 8259, 8.1); one
 * inside the text is the text's own. */
START_TEST(t_bom)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;
    const char *in = "\xEF\xBB\xBF{\"text\":\"hi\",\"id\":1}",
               *twice = "\xEF\xBB\xBF\xEF\xBB\xBF{\"text\":\"hi\"}";

    ck_assert_int_eq(kb_decode(dec, in, strlen(in), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_str_eq(msg.text, "hi");
    ck_assert_int_eq(json_integer_value(msg.id), 1);
    kb_msg_clear(&msg);
    ck_assert_int_eq(kb_decode(dec, twice, strlen(twice), &msg, err, sizeof(err)),
                     KB_DECODE_BAD);
    ck_assert_int_eq(msg.bad, KB_BAD_JSON);
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

/* A rating is kept as given (4.5 is not a 5); a quoted number is read whole. */
static const struct {
    const char *json;
    double rating;
} rating_cases[] = {
    {"4.5", 4.5}, {"1", 1}, {"5.0", 5}, {"\"3\"", 3}, {"\" 2.5 \"", 2.5}, {"null", 0},
};

START_TEST(t_rating_forms)
{
    char err[256], in[128];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;

    snprintf(in, sizeof(in), "{\"text\":\"ok\",\"rating\":%s}", rating_cases[_i].json);
    ck_assert_int_eq(kb_decode(dec, in, strlen(in), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_double_eq(msg.rating, rating_cases[_i].rating);
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

START_TEST(t_mapping)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;
    const char *in = "{\"content\":{\"body\":\"好吃\"},\"meta\":{\"brand\":\"X\"},"
                     "\"items\":[{\"id\":9}]}";

    ck_assert_int_eq(kb_decoder_map(dec, "text=content.body", err, sizeof(err)), 0);
    ck_assert_int_eq(kb_decoder_map(dec, "brand=meta.brand", err, sizeof(err)), 0);
    ck_assert_int_eq(kb_decoder_map(dec, "id=items.0.id", err, sizeof(err)), 0);
    ck_assert_int_eq(kb_decoder_map(dec, "colour=x", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "colour=x"));
    ck_assert_int_eq(kb_decoder_map(dec, "text=a..b", err, sizeof(err)), -1);
    ck_assert_int_eq(kb_decode(dec, in, strlen(in), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_str_eq(msg.text, "好吃");
    ck_assert_str_eq(msg.brand, "X");
    ck_assert_int_eq(json_integer_value(msg.id), 9);
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

/* A field mapped to another top-level key: read from that key only, by the
 * fast parse and by jansson (a real number sends the line there). */
START_TEST(t_mapping_flat)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;
    const char *in[2] = {"{\"text\":\"no\",\"body\":\"好吃\",\"lang\":\"zh\",\"rid\":3}",
                         "{\"text\":\"no\",\"body\":\"好吃\",\"lang\":\"zh\",\"rid\":3,"
                         "\"x\":1.5}"};

    ck_assert_int_eq(kb_decoder_map(dec, "text=body", err, sizeof(err)), 0);
    ck_assert_int_eq(kb_decoder_map(dec, "id=rid", err, sizeof(err)), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(kb_decode(dec, in[i], strlen(in[i]), &msg, err, sizeof(err)),
                         KB_DECODE_OK);
        ck_assert_str_eq(msg.text, "好吃");
        ck_assert_str_eq(msg.lang, "zh");
        ck_assert_int_eq(json_integer_value(msg.id), 3);
        ck_assert_ptr_null(msg.brand);
        kb_msg_clear(&msg);
    }
    kb_decoder_free(dec);
}
END_TEST

static const struct { const char *in; long long ms; } ts_cases[] = {
    {"2026-11-02T09:00:12Z", 1793610012000LL},
    {"2026-11-02T17:00:12+08:00", 1793610012000LL},
    {"2026-11-02T04:00:12-0500", 1793610012000LL},
    {"2026-11-02 09:00:12", 1793610012000LL},
    {"2026-11-02T09:00:12.5Z", 1793610012500LL},
    {"2026-11-02T09:00:12.123456Z", 1793610012123LL},
    {"2026-11-02T09:00Z", 1793610000000LL},
    {"2026-11-02", 1793577600000LL},
    {"1970-01-01T00:00:00Z", 0LL},
    {"2000-02-29T12:00:00Z", 951825600000LL},
    {"2024-02-29T00:00:00Z", 1709164800000LL},
    {"2026-11-02 17:00:12+08", 1793610012000LL}, /* the hour alone */
};

START_TEST(t_iso8601)
{
    int64_t ms = -1;
    char back[40];

    ck_assert_int_eq(kb_parse_iso8601(ts_cases[_i].in, &ms), 0);
    ck_assert_int_eq(ms, ts_cases[_i].ms);
    kb_format_iso8601(ms, back, sizeof(back));
    ck_assert_int_eq(kb_parse_iso8601(back, &ms), 0);
    ck_assert_int_eq(ms, ts_cases[_i].ms); /* formatting round-trips */
}
END_TEST

START_TEST(t_iso8601_bad)
{
    static const char *bad[] = {"2026-13-01T00:00:00Z", "2026-11-02T25:00:00Z", "26-11-02",
                                "2026-11-02T09:00:12 junk", "", "2026/11/02",
                                "2024-02-30T00:00:00Z", "2026-02-29", "2026-04-31",
                                "2026-11-02T09:00:00+25:00", "2026-11-02T09:00:00+08:75",
                                "2026-11-02T09:00:00+8", "2026-11-02T09:00:00+08:",
                                "2026-11-02T09:00:00+08:0", "2026-11-02T09:00:00+080"};
    int64_t ms;

    ck_assert_int_eq(kb_parse_iso8601(bad[_i], &ms), -1);
}
END_TEST

START_TEST(t_epoch)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(4096, err, sizeof(err));
    kb_msg_t msg;
    const char *sec = "{\"text\":\"a\",\"ts\":1793610012}";
    const char *str = "{\"text\":\"a\",\"ts\":\"1793610012000\"}";

    ck_assert_int_eq(kb_decode(dec, sec, strlen(sec), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_int_eq(msg.ts_ms, 1793610012000LL);
    kb_msg_clear(&msg);
    ck_assert_int_eq(kb_decode(dec, str, strlen(str), &msg, err, sizeof(err)), KB_DECODE_OK);
    ck_assert_int_eq(msg.ts_ms, 1793610012000LL);
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

/* The flat-object fast path must build what json_loadb builds: escapes,
 * surrogate pairs, integers at the edge of its range, literals. */
static const struct {
    const char *in, *text;
    json_type id_type;
    long long id;
} fast_cases[] = {
    {"{\"text\":\"a\\\"b\\\\c\\/d\\n\",\"id\":1}", "a\"b\\c/d\n", JSON_INTEGER, 1},
    {"{\"text\":\"caf\\u00e9 \\ud83d\\ude00\",\"id\":-0}", "caf\xc3\xa9 \xf0\x9f\x98\x80", JSON_INTEGER, 0},
    {" { \"id\" : -123456789012345678 , \"text\" : \"x\" } ", "x", JSON_INTEGER, -123456789012345678LL},
    {"{\"text\":\"x\",\"id\":9223372036854775807}", "x", JSON_INTEGER, 9223372036854775807LL},
    {"{\"text\":\"x\",\"id\":true}", "x", JSON_TRUE, 0},
    {"{\"text\":\"x\",\"id\":2.5}", "x", JSON_REAL, 0},
    {"{\"text\":\"x\",\"id\":{\"k\":[1]}}", "x", JSON_OBJECT, 0},
    {"{\"te\\u0078t\":\"x\",\"id\":\"s\"}", "x", JSON_STRING, 0},
};

START_TEST(t_fast_path)
{
    char err[256];
    kb_decoder_t *dec = kb_decoder_new(1024, err, sizeof(err));
    kb_msg_t msg;

    ck_assert_ptr_nonnull(dec);
    ck_assert_int_eq(kb_decode(dec, fast_cases[_i].in, strlen(fast_cases[_i].in), &msg, err,
                               sizeof(err)), KB_DECODE_OK);
    ck_assert_uint_eq(msg.text_len, strlen(fast_cases[_i].text));
    ck_assert_mem_eq(msg.text, fast_cases[_i].text, msg.text_len);
    ck_assert_ptr_nonnull(msg.id);
    ck_assert_int_eq(json_typeof(msg.id), fast_cases[_i].id_type);
    if (fast_cases[_i].id_type == JSON_INTEGER) {
        ck_assert_int_eq(json_integer_value(msg.id), fast_cases[_i].id);
    }
    kb_msg_clear(&msg);
    kb_decoder_free(dec);
}
END_TEST

Suite *kb_decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("bad_input");

    tcase_add_loop_test(tc, t_bad_input, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
    tcase_add_test(tc, t_oversize);
    suite_add_tcase(s, tc);
    tc = tcase_create("fields");
    tcase_add_test(tc, t_fields);
    tcase_add_test(tc, t_bom);
    tcase_add_loop_test(tc, t_fast_path, 0, sizeof(fast_cases) / sizeof(fast_cases[0]));
    tcase_add_loop_test(tc, t_rating_forms, 0, sizeof(rating_cases) / sizeof(rating_cases[0]));
    tcase_add_test(tc, t_mapping);
    tcase_add_test(tc, t_mapping_flat);
    tcase_add_test(tc, t_epoch);
    tcase_add_loop_test(tc, t_iso8601, 0, sizeof(ts_cases) / sizeof(ts_cases[0]));
    tcase_add_loop_test(tc, t_iso8601_bad, 0, 15);
    suite_add_tcase(s, tc);
    return s;
}
