/* check_token.c -- tokenizer: Han longest match, words, emoji, phrases, and
 * agreement of the ASCII fast path with ICU's word break. */
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/ustring.h>

#include "kb_test.h"
#include "kb_token.h"

typedef struct {
    kb_ntext_t nt;
    kb_tokens_t tk;
} fx_t;

static void tok(fx_t *f, const char *s)
{
    const kb_engine_t *en = kb_test_fixture();
    char err[128];

    kb_ntext_init(&f->nt);
    kb_tokens_init(&f->tk);
    ck_assert_int_eq(kb_norm_run(kb_engine_norm(en), s, strlen(s), &f->nt, err, sizeof(err)), 0);
    ck_assert_int_eq(kb_tokenize(kb_engine_lexicon(en), kb_engine_norm(en), &f->nt, &f->tk,
                                 err, sizeof(err)), 0);
}

static void fx_free(fx_t *f)
{
    kb_tokens_fini(&f->tk);
    kb_ntext_fini(&f->nt);
}

/* Tokens joined with '|' as they appear in the original text. */
static const char *joined(const fx_t *f)
{
    static char out[1024];
    size_t w = 0;

    for (size_t i = 0; i < f->tk.n && w < sizeof(out) - 64; i++) {
        const kb_token_t *t = &f->tk.t[i];
        uint32_t b0 = f->nt.obyte[t->s0], b1 = f->nt.obyte[t->s1];
        if (i) out[w++] = '|';
        memcpy(out + w, f->nt.orig + b0, b1 - b0);
        w += b1 - b0;
    }
    out[w] = '\0';
    return out;
}

static const struct { const char *in, *out; } seg_cases[] = {
    {"性价比很好", "性价比|很|好"},          /* multi-character term kept whole */
    {"好像不错", "好像|不错"},               /* shield word beats 好 */
    {"好吃，不贵", "好吃|，|不|贵"},
    {"好好好好吃", "好好好好吃"},            /* elongated 好 folded into 好吃 */
    {"哈哈哈哈哈", "哈哈哈哈哈"},
    {"太太太好吃", "太太太|好吃"},          /* an elongated 太, not the word 太太 */
    {"太太好吃", "太太|好吃"},              /* the word 太太 (wife) typed twice */
    {"[哈哈]真棒", "[哈哈]|真|棒"},          /* bracket code is one token */
    {"great :) 😡", "great|:)|😡"},
    {"a waste of money!", "a|waste of money|!"}, /* phrase merged */
    {"don't stop", "don't|stop"},
    {"it was great.the end", "it|was|great|the|end"}, /* unknown dotted word split */
    {"e.g. 3.5 stars, 1,000", "e.g|.|3.5|stars|,|1,000"},
    {"云朵外卖app很好", "云朵外卖|app|很|好"},
    {"naïve café", "naïve|café"},            /* ICU path for non-ASCII words */
    {"👍🏽 ok", "👍🏽|ok"},                   /* skin tone stays with its emoji */
};

START_TEST(t_segment)
{
    fx_t f;

    tok(&f, seg_cases[_i].in);
    ck_assert_str_eq(joined(&f), seg_cases[_i].out);
    fx_free(&f);
}
END_TEST

START_TEST(t_flags)
{
    fx_t f;

    tok(&f, "GREAT food sooo good #bad");
    ck_assert_uint_eq(f.tk.n, 5);
    ck_assert(f.tk.t[0].flags & KB_TF_CAPS);
    ck_assert(!(f.tk.t[1].flags & KB_TF_CAPS));
    ck_assert(f.tk.t[2].flags & KB_TF_ELONG);
    ck_assert(f.tk.t[4].flags & KB_TF_HASHTAG);
    ck_assert_ptr_nonnull(f.tk.t[4].e); /* "bad" found inside the hashtag */
    fx_free(&f);
}
END_TEST

/* ICU's word break over the same normalised text, as '|'-joined words. */
static const char *icu_words(const fx_t *f)
{
    static char out[1024];
    UChar u[512];
    int32_t len = 0, prev, b;
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *bi;
    size_t w = 0;

    for (size_t i = 0; i < f->nt.n; i++) {
        U16_APPEND_UNSAFE(u, len, (UChar32)f->nt.cp[i]);
    }
    bi = ubrk_open(UBRK_WORD, "en", u, len, &err);
    ck_assert(U_SUCCESS(err));
    for (prev = ubrk_first(bi), b = ubrk_next(bi); b != UBRK_DONE; prev = b, b = ubrk_next(bi)) {
        if (ubrk_getRuleStatus(bi) == UBRK_WORD_NONE) continue;
        if (w) out[w++] = '|';
        for (int32_t k = prev; k < b; k++) out[w++] = (char)u[k];
    }
    out[w] = '\0';
    ubrk_close(bi);
    return out;
}

/* Words only (no punctuation tokens), '|'-joined, from the normalised text. */
static const char *our_words(const fx_t *f)
{
    static char out[1024];
    size_t w = 0;

    for (size_t i = 0; i < f->tk.n; i++) {
        const kb_token_t *t = &f->tk.t[i];
        if (t->type != KB_TOK_WORD && t->type != KB_TOK_NUM) continue;
        if (w) out[w++] = '|';
        for (uint32_t k = t->n0; k < t->n1; k++) out[w++] = (char)f->nt.cp[k];
    }
    out[w] = '\0';
    return out;
}

static const char *const ascii_sentences[] = {
    "The food wasn't bad, but the service was slow.",
    "I paid $25.50 for 2 burgers at 7:30pm",
    "Rated 4.5/5 - would come again!!!",
    "U.S. customers can't return items (sigh)",
    "snake_case words and e-mail-like tokens",
    "It's 1,000 times better than last year's",
    "Call 555-0199; ask for Mr. Smith",
};

START_TEST(t_ascii_matches_icu)
{
    fx_t f;
    char icu[1024];

    tok(&f, ascii_sentences[_i]);
    snprintf(icu, sizeof(icu), "%s", icu_words(&f));
    ck_assert_str_eq(our_words(&f), icu);
    fx_free(&f);
}
END_TEST

Suite *kb_token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("segment");

    tcase_add_loop_test(tc, t_segment, 0, sizeof(seg_cases) / sizeof(seg_cases[0]));
    tcase_add_test(tc, t_flags);
    suite_add_tcase(s, tc);
    tc = tcase_create("icu");
    tcase_add_loop_test(tc, t_ascii_matches_icu, 0,
                        sizeof(ascii_sentences) / sizeof(ascii_sentences[0]));
    suite_add_tcase(s, tc);
    return s;
}
