/* check_norm.c -- normalisation: tables, offsets, masking, elongation. */
#include <string.h>

#include "kb_norm.h"
#include "kb_test.h"

static const kb_norm_t *nm(void)
{
    return kb_engine_norm(kb_test_fixture());
}

/* Normalise @s and return its code points as UTF-8 in a static buffer. */
static const char *norm_str(const char *s, kb_ntext_t *nt)
{
    static char out[1024];
    char err[128];
    kb_buf_t b;

    ck_assert_int_eq(kb_norm_run(nm(), s, strlen(s), nt, err, sizeof(err)), 0);
    kb_buf_init(&b);
    for (size_t i = 0; i < nt->n; i++) {
        kb_buf_utf8(&b, nt->cp[i]);
    }
    snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
    kb_buf_fini(&b);
    return out;
}

static const struct { const char *in, *out; } norm_cases[] = {
    {"ＡＢＣ１２３！？", "abc123!?"},                 /* full-width to ASCII */
    {"GOOD Food", "good food"},                      /* case folding */
    {"這個服務態度很差", "这个服务态度很差"},           /* Traditional to Simplified */
    {"雲朵外賣送餐太慢了", "云朵外卖送餐太慢了"},
    {"價格實惠，環境優雅", "价格实惠,环境优雅"},        /* with full-width comma */
    {"客服態度惡劣", "客服态度恶劣"},
    {"質量沒問題", "质量没问题"},
    {"sooooo good", "soo good"},                     /* elongation keeps two */
    {"好好好好吃", "好好吃"},
    {"a &amp; b &lt;3 &#39;x&#x27;", "a & b <3 'x'"}, /* HTML entities */
    {"don\xe2\x80\x99t", "don't"},                   /* typographic apostrophe */
    {"cafe\xcc\x81", "caf\xc3\xa9"},                 /* combining accent composes */
    {"\xef\xac\x81ne", "fine"},                      /* ligature expands */
    {"see http://example.com/x?y=1. ok", "see  . ok"}, /* URL masked, '.' kept */
    {"@小明 你好", "  你好"},                          /* mention masked */
    {"go to WwW.Example.com now", "go to   now"},     /* www. in any case */
    {"HTTPS://x.cn/a ok", "  ok"},                    /* scheme in any case */
    {"a/b w. ww.x ftp://y", "a/b w. ww.x ftp://y"},   /* no URL: left alone */
    {"#fail# sad", " fail  sad"},                     /* Weibo #topic# */
    {"so #blessed", "so  blessed"},
    {"\xef\xbc\xa0小明 你好", "  你好"},              /* full-width ＠ mention */
    {"\xef\xbc\x83差评\xef\xbc\x83 好", " 差评  好"}, /* ＃topic＃ */
    {"so \xef\xbc\x83" "blessed", "so  blessed"},     /* ＃tag */
    {"I &hearts; it, 5&starf;", "i \xe2\x99\xa5 it, 5\xe2\x98\x85"}, /* named entities */
    {"為甚麼沒人接", "为什么没人接"},                /* ICU's word rules, not the */
    {"電影很沈悶，計畫有變", "电影很沉闷,计划有变"}, /* characters one by one */
    {"有甚么用", "有什么用"},                        /* the variant in Simplified */
    {"沈阳 画一个饼 单干", "沈阳 画一个饼 单干"},      /* no rule: left alone */
    {"https://a.cn/甚麼 甚麼", "  什么"},             /* after a masked URL */
    {"waited   two  hours", "waited two hours"},       /* a run of spaces is one */
    {"好吃\xe3\x80\x80\xe3\x80\x80" "实惠", "好吃 实惠"},  /* ideographic spaces too */
};

START_TEST(t_norm_table)
{
    kb_ntext_t nt;

    kb_ntext_init(&nt);
    ck_assert_str_eq(norm_str(norm_cases[_i].in, &nt), norm_cases[_i].out);
    kb_ntext_fini(&nt);
}
END_TEST

START_TEST(t_offsets)
{
    kb_ntext_t nt;

    kb_ntext_init(&nt);
    norm_str("x&amp;好", &nt);
    ck_assert_uint_eq(nt.n, 3);
    ck_assert_uint_eq(nt.src0[1], 1); /* '&' came from "&amp;" = cps 1..6 */
    ck_assert_uint_eq(nt.src1[1], 6);
    ck_assert_uint_eq(nt.src0[2], 6);
    ck_assert_uint_eq(nt.obyte[6], 6); /* 好 starts at byte 6 */
    norm_str("goooood", &nt);          /* -> "good", the 2nd o covers 4 */
    ck_assert_uint_eq(nt.n, 4);
    ck_assert_uint_eq(nt.src1[2], 6);
    ck_assert(nt.flags[1] & KB_NF_ELONG);
    ck_assert(nt.flags[2] & KB_NF_ELONG);
    ck_assert(!(nt.flags[3] & KB_NF_ELONG));
    kb_ntext_fini(&nt);
}
END_TEST

START_TEST(t_upper_flag)
{
    kb_ntext_t nt;

    kb_ntext_init(&nt);
    norm_str("Ab", &nt);
    ck_assert(nt.flags[0] & KB_NF_UPPER);
    ck_assert(!(nt.flags[1] & KB_NF_UPPER));
    kb_ntext_fini(&nt);
}
END_TEST

START_TEST(t_invalid_utf8)
{
    static const char *bad[] = {"ok\xff", "\xc3", "a\xed\xa0\x80", "\xf8\x88\x80\x80\x80"};
    kb_ntext_t nt;
    char err[128];

    kb_ntext_init(&nt);
    ck_assert_int_eq(kb_norm_run(nm(), bad[_i], strlen(bad[_i]), &nt, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "invalid UTF-8 at byte"));
    kb_ntext_fini(&nt);
}
END_TEST

START_TEST(t_classes)
{
    ck_assert_int_eq(kb_norm_class(nm(), 0x597D), KB_CC_HAN);      /* 好 */
    ck_assert_int_eq(kb_norm_class(nm(), 'a'), KB_CC_ALNUM);
    ck_assert_int_eq(kb_norm_class(nm(), 0xE9), KB_CC_LETTER);     /* é */
    ck_assert_int_eq(kb_norm_class(nm(), 0x3042), KB_CC_COMPLEX);  /* あ */
    ck_assert_int_eq(kb_norm_class(nm(), 0x1F621), KB_CC_EMOJI);   /* 😡 */
    ck_assert_int_eq(kb_norm_class(nm(), 0x3002), KB_CC_SENTENCE); /* 。 */
    ck_assert_int_eq(kb_norm_class(nm(), 0x3001), KB_CC_CLAUSE);   /* 、 */
    ck_assert_int_eq(kb_norm_class(nm(), '!'), KB_CC_EXCL);
    ck_assert_int_eq(kb_norm_class(nm(), 0x3000), KB_CC_SPACE);    /* ideographic space */
}
END_TEST

START_TEST(t_term)
{
    kb_buf_t b;

    kb_buf_init(&b);
    ck_assert_int_eq(kb_norm_term(nm(), "ＳＯＯＯ", strlen("ＳＯＯＯ"), &b), 0);
    ck_assert_str_eq(b.p, "sooo"); /* terms are not de-elongated */
    kb_buf_fini(&b);
}
END_TEST

/* Every byte of the UTF-8 view maps back to the code point it encodes. */
START_TEST(t_cp_at)
{
    static const char text[] = "a好\xf0\x9f\x98\x80" "b\xc3\xa9";
    static const size_t want[] = {0, 1, 1, 1, 2, 2, 2, 2, 3, 4, 4};
    kb_ntext_t nt;
    const kb_buf_t *u8;
    char err[128];

    kb_ntext_init(&nt);
    ck_assert_int_eq(kb_norm_run(nm(), text, strlen(text), &nt, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(u8 = kb_ntext_utf8(&nt));
    ck_assert_uint_eq(u8->len, sizeof(want) / sizeof(want[0]));
    for (size_t b = 0; b < u8->len; b++) {
        ck_assert_uint_eq(kb_ntext_cp_at(&nt, b), want[b]);
    }
    kb_ntext_fini(&nt);
}
END_TEST

/* The tables linked in at build time are ICU's: the snapshot of a
 * normaliser built from them equals, byte for byte, that of one built from
 * ICU in this process, so a stale or damaged snapshot cannot go unnoticed. */
START_TEST(t_snapshot_is_icu)
{
    char err[256];
    kb_norm_t *linked = kb_norm_new(err, sizeof(err));
    kb_norm_t *icu = kb_norm_new_icu(err, sizeof(err));
    kb_buf_t a, b;

    ck_assert_ptr_nonnull(linked);
    ck_assert_ptr_nonnull(icu);
    /* built with this ICU: the snapshot must load, not fall back */
    ck_assert_int_eq(kb_norm_from_snapshot(linked), 1);
    ck_assert_int_eq(kb_norm_from_snapshot(icu), 0);
    kb_buf_init(&a);
    kb_buf_init(&b);
    ck_assert_int_eq(kb_norm_snapshot(linked, &a), 0);
    ck_assert_int_eq(kb_norm_snapshot(icu, &b), 0);
    ck_assert_uint_gt(a.len, 1000);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(memcmp(a.p, b.p, a.len) == 0);
    kb_buf_fini(&a);
    kb_buf_fini(&b);
    kb_norm_free(linked);
    kb_norm_free(icu);
}
END_TEST

Suite *kb_norm_suite(void)
{
    Suite *s = suite_create("norm");
    TCase *tc = tcase_create("table");

    tcase_add_loop_test(tc, t_norm_table, 0, sizeof(norm_cases) / sizeof(norm_cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("offsets");
    tcase_add_test(tc, t_offsets);
    tcase_add_test(tc, t_upper_flag);
    tcase_add_test(tc, t_term);
    tcase_add_test(tc, t_cp_at);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, t_invalid_utf8, 0, 4);
    suite_add_tcase(s, tc);
    tc = tcase_create("classes");
    tcase_add_test(tc, t_classes);
    suite_add_tcase(s, tc);
    tc = tcase_create("snapshot");
    tcase_add_test(tc, t_snapshot_is_icu);
    suite_add_tcase(s, tc);
    return s;
}
