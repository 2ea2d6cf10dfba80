/* kb_token.c -- split normalised text into tokens the scorer understands. */
#include "kb_token.h"

#include <stdio.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/utf16.h>

#include "kb_mem.h"

void kb_tokens_init(kb_tokens_t *tk)
{
    memset(tk, 0, sizeof(*tk));
}

void kb_tokens_fini(kb_tokens_t *tk)
{
    kb_free(tk->t);
    kb_free(tk->u16);
    kb_free(tk->tmp);
    if (tk->brk) {
        ubrk_close(tk->brk);
    }
    kb_tokens_init(tk);
}

typedef struct {
    const kb_lexicon_t *lx;
    const kb_norm_t *nm;
    const uint8_t *cls; /* BMP classes of nm, looked up once per code point */
    const kb_ntext_t *nt;
    kb_tokens_t *tk;
    size_t n_words; /* word and number tokens pushed (merge_phrases()) */
    int oom;
    const char *icu_err;
} tok_ctx_t;

/* Push a token whose code points' KB_NF_* flags, or-ed, are fl. */
static inline kb_token_t *push_fl(tok_ctx_t *x, size_t n0, size_t n1, int type,
                                  const kb_lex_entry_t *e, uint8_t fl)
{
    kb_tokens_t *tk = x->tk;
    kb_token_t *t;

    if (tk->n == tk->cap) {
        size_t cap = tk->cap ? tk->cap * 2 : 64;
        kb_token_t *nt = kb_realloc(tk->t, cap * sizeof(*nt));
        if (!nt) {
            x->oom = 1;
            return NULL;
        }
        tk->t = nt;
        tk->cap = cap;
    }
    t = &tk->t[tk->n++];
    t->n0 = (uint32_t)n0;
    t->n1 = (uint32_t)n1;
    t->s0 = x->nt->src0[n0];
    t->s1 = x->nt->src1[n1 - 1];
    t->e = e;
    t->node = t->sp = KB_LEX_NONE;
    t->type = (uint8_t)type;
    t->flags = (uint8_t)(((fl & KB_NF_ELONG) ? KB_TF_ELONG : 0) |
                         ((fl & KB_NF_HASHTAG) ? KB_TF_HASHTAG : 0));
    return t;
}

static inline kb_token_t *push(tok_ctx_t *x, size_t n0, size_t n1, int type,
                               const kb_lex_entry_t *e)
{
    uint8_t fl = 0;

    for (size_t k = n0; k < n1; k++) {
        fl |= x->nt->flags[k];
    }
    return push_fl(x, n0, n1, type, e, fl);
}

static kb_cpclass_t cls_at(const tok_ctx_t *x, size_t i)
{
    uint32_t c;

    if (i >= x->nt->n) {
        return KB_CC_SPACE;
    }
    c = x->nt->cp[i];
    return c < 0x10000 ? (kb_cpclass_t)x->cls[c] : kb_norm_class(x->nm, c);
}

/* Trie node reached by cp[0, n) from the root, or KB_LEX_NONE. */
static uint32_t walk(const kb_lexicon_t *lx, const uint32_t *cp, size_t n)
{
    return kb_lexicon_walk(lx, KB_LEX_ROOT, cp, n);
}

/* Entry of exactly cp[0, n), or NULL. */
static const kb_lex_entry_t *exact(const kb_lexicon_t *lx, const uint32_t *cp,
                                   size_t n)
{
    uint32_t node = walk(lx, cp, n);

    return node == KB_LEX_NONE ? NULL : kb_lexicon_entry(lx, node);
}

/* Look a word up; an elongated word ("soo", "gooood" -> "good") is tried
 * again with each flagged double letter made single. */
static const kb_lex_entry_t *lookup_word(tok_ctx_t *x, size_t n0, size_t n1)
{
    const kb_ntext_t *nt = x->nt;
    kb_token_t *tok = &x->tk->t[x->tk->n - 1];
    const kb_lex_entry_t *e;
    size_t m = 0;

    /* Kept on the token: merge_phrases() continues from this node instead
     * of walking the word again. */
    tok->node = kb_lexicon_word(x->lx, nt->cp + n0, n1 - n0, &e, &tok->sp);
    if (e || !(tok->flags & KB_TF_ELONG)) {
        return e;
    }
    if (x->tk->tmpcap < n1 - n0) {
        uint32_t *t = kb_realloc(x->tk->tmp, (n1 - n0) * sizeof(uint32_t));
        if (!t) {
            return NULL;
        }
        x->tk->tmp = t;
        x->tk->tmpcap = n1 - n0;
    }
    for (size_t k = n0; k < n1; k++) {
        if (k > n0 && (nt->flags[k] & KB_NF_ELONG) && nt->cp[k] == nt->cp[k - 1]) {
            continue;
        }
        x->tk->tmp[m++] = nt->cp[k];
    }
    return exact(x->lx, x->tk->tmp, m);
}

/* Lower-case ASCII letters, digits and '_': one load instead of three
 * range tests, for every code point of every English word. */
static const uint8_t ascii_alnum[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1};

static int is_ascii_alnum(uint32_t c)
{
    return c < 128 && ascii_alnum[c];
}

static int is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* Push one word token: flags, type, lexicon entry. */
static void push_word(tok_ctx_t *x, size_t i, size_t j, int latin)
{
    const kb_ntext_t *nt = x->nt;
    size_t letters = 0, upper = 0, digits = 0;
    uint8_t fl = 0;
    kb_token_t *t;

    /* one pass for the counts and the token's flags */
    for (size_t k = i; k < j; k++) {
        fl |= nt->flags[k];
        if (is_digit(nt->cp[k])) {
            digits++;
        } else if (nt->cp[k] != '\'' && nt->cp[k] != '.') {
            letters++;
            upper += (nt->flags[k] & KB_NF_UPPER) != 0;
        }
    }
    if (!(t = push_fl(x, i, j, KB_TOK_WORD, NULL, fl))) {
        return;
    }
    x->n_words++;
    if (letters == 0 && digits > 0) {
        t->type = KB_TOK_NUM;
    }
    if (letters >= 2 && upper == letters) {
        t->flags |= KB_TF_CAPS;
    }
    if (latin && letters > 0) {
        t->flags |= KB_TF_LATIN;
    }
    t->e = lookup_word(x, i, j);
}

/* "e.g", "u.s", "a.m": single letters between the dots. */
static int abbreviation(const uint32_t *cp, size_t i, size_t j)
{
    size_t run = 0;

    for (size_t k = i; k < j; k++) {
        if (cp[k] == '.') {
            run = 0;
        } else if (++run > 1) {
            return 0;
        }
    }
    return 1;
}

/* ASCII word per UAX #29: letters/digits/'_', with ' or . between letters
 * and . or , between digits kept inside. A dotted word that is neither in
 * the lexicon nor an abbreviation ("great.the", a missing space) is split at
 * the dots. cp[i + 1, j) are known letters/digits/'_'. Returns the end. */
static size_t ascii_word(tok_ctx_t *x, size_t i, size_t j)
{
    const uint32_t *cp = x->nt->cp;
    size_t n = x->nt->n, dots = 0;

    while (j < n) {
        uint32_t c = cp[j];
        if (is_ascii_alnum(c)) {
            j++;
        } else if ((c == '\'' || c == '.' || c == ',') && j + 1 < n &&
                   is_ascii_alnum(cp[j + 1]) &&
                   ((c == '\'' && !is_digit(cp[j - 1]) && !is_digit(cp[j + 1])) ||
                    (c == '.' && is_digit(cp[j - 1]) == is_digit(cp[j + 1])) ||
                    (c == ',' && is_digit(cp[j - 1]) && is_digit(cp[j + 1])))) {
            dots += (c == '.' && !is_digit(cp[j - 1]));
            j += 2;
        } else {
            break;
        }
    }
    if (dots && !exact(x->lx, cp + i, j - i) && !abbreviation(cp, i, j)) {
        size_t k = i;
        while (k < j) {
            size_t e = k;
            while (e < j && cp[e] != '.') e++;
            if (e > k) push_word(x, k, e, 1);
            k = e + 1;
        }
        return j;
    }
    push_word(x, i, j, 1);
    return j;
}

static size_t icu_words(tok_ctx_t *x, size_t i, int complex);

/* ASCII letters may start a non-ASCII word ("naïve"): then ICU decides. */
static size_t alnum_word(tok_ctx_t *x, size_t i)
{
    const uint32_t *cp = x->nt->cp;
    size_t j0 = i + 1, j, n = x->nt->n;
    kb_cpclass_t c;

    /* The part of the run that ascii_word() would step over first, then
     * the rest of the class run (capitals, which it does not take) */
    while (j0 < n && is_ascii_alnum(cp[j0])) {
        j0++;
    }
    j = j0;
    /* cls_at() in a loop with the bounds and arrays in locals */
    while (j < n && cp[j] < 0x10000 && x->cls[cp[j]] == KB_CC_ALNUM) {
        j++;
    }
    c = cls_at(x, j);
    return (c == KB_CC_LETTER || c == KB_CC_COMPLEX) ? icu_words(x, i, 0)
                                                     : ascii_word(x, i, j0);
}

/* A run of non-ASCII letters (or kana, Thai...): ICU word break. */
static size_t icu_words(tok_ctx_t *x, size_t i, int complex)
{
    kb_tokens_t *tk = x->tk;
    const uint32_t *cp = x->nt->cp;
    size_t j = i, need;
    int32_t len = 0, prev = 0, b, *pos16;
    UErrorCode err = U_ZERO_ERROR;

    while (j < x->nt->n) {
        kb_cpclass_t c = cls_at(x, j);
        if (c == KB_CC_LETTER || c == KB_CC_COMPLEX || c == KB_CC_ALNUM ||
            (cp[j] == '\'' && j + 1 < x->nt->n && cls_at(x, j + 1) != KB_CC_SPACE)) {
            j++;
        } else {
            break;
        }
    }
    need = (j - i) * 2 + 1 + (j - i + 1) * 2; /* UTF-16 + index map */
    if (tk->u16cap < need) {
        uint16_t *u = kb_realloc(tk->u16, need * sizeof(uint16_t) * 2);
        if (!u) {
            x->oom = 1;
            return j;
        }
        tk->u16 = u;
        tk->u16cap = need * 2;
    }
    pos16 = (int32_t *)(void *)(tk->u16 + (j - i) * 2 + 2);
    for (size_t k = i; k < j; k++) {
        pos16[k - i] = len;
        U16_APPEND_UNSAFE(tk->u16, len, (UChar32)cp[k]);
    }
    pos16[j - i] = len;
    if (!tk->brk) {
        tk->brk = ubrk_open(UBRK_WORD, "", NULL, 0, &err);
    }
    ubrk_setText(tk->brk, tk->u16, len, &err);
    if (U_FAILURE(err)) {
        x->icu_err = u_errorName(err);
        return j;
    }
    for (b = ubrk_next(tk->brk); b != UBRK_DONE; prev = b, b = ubrk_next(tk->brk)) {
        size_t a = i, z = i;
        if (ubrk_getRuleStatus(tk->brk) == UBRK_WORD_NONE) {
            continue;
        }
        while (a < j && pos16[a - i] < prev) a++;
        while (z < j && pos16[z - i] < b) z++;
        if (z > a) {
            if (complex) {
                push(x, a, z, KB_TOK_OTHERW, exact(x->lx, cp + a, z - a));
            } else {
                push_word(x, a, z, 0);
            }
        }
    }
    return j;
}

/* Han segmentation by longest match. An elongated pair (好好 from 好好好好)
 * may also be read from its second character, whichever reaches further:
 * 好好好好吃 -> 好吃 with emphasis, 哈哈哈哈 -> 哈哈. On a tie between the
 * pair as a word and its character alone, the character wins: three or
 * more 太 or 慢 in a row are an emphasised degree word or fault, not the
 * words 太太 (wife) or 慢慢 (slowly), which an elongation never is. */
static size_t han_word(tok_ctx_t *x, size_t i)
{
    const kb_ntext_t *nt = x->nt;
    const kb_lex_entry_t *e0, *e1;
    size_t n = nt->n;
    size_t len0 = kb_lexicon_longest(x->lx, nt->cp + i, n - i, &e0);

    if ((nt->flags[i] & KB_NF_ELONG) && i + 1 < n && nt->cp[i + 1] == nt->cp[i]) {
        size_t len1 = kb_lexicon_longest(x->lx, nt->cp + i + 1, n - i - 1, &e1);
        if (len1 > 0 && (i + 1 + len1 > i + len0 || (len0 == 2 && len1 == 1))) {
            push(x, i, i + 1 + len1, KB_TOK_HAN, e1);
            return i + 1 + len1;
        }
    }
    if (len0 == 0) {
        push(x, i, i + 1, KB_TOK_HAN, NULL);
        return i + 1;
    }
    /* A term may run past the Han block (A货, 差评!) but not into a word. */
    push(x, i, i + len0, KB_TOK_HAN, e0);
    return i + len0;
}

static size_t emoji(tok_ctx_t *x, size_t i)
{
    const kb_lex_entry_t *e;
    size_t len = kb_lexicon_longest(x->lx, x->nt->cp + i, x->nt->n - i, &e);
    size_t j = i + (len ? len : 1);

    /* Skin-tone modifiers and the like belong to the emoji before them. */
    while (len == 0 && j < x->nt->n && x->nt->cp[j] >= 0x1F3FB && x->nt->cp[j] <= 0x1F3FF) {
        j++;
    }
    push(x, i, j, KB_TOK_EMOJI, e);
    return j;
}

/* Punctuation or symbol: an emoticon or bracket code when the lexicon knows
 * one starting here, else a boundary token (or nothing). */
static size_t symbol(tok_ctx_t *x, size_t i, kb_cpclass_t c)
{
    static const int8_t boundary[] = {
        [KB_CC_CLAUSE] = KB_TOK_CLAUSE, [KB_CC_SENTENCE] = KB_TOK_SENT,
        [KB_CC_EXCL] = KB_TOK_EXCL, [KB_CC_QUEST] = KB_TOK_QUEST};
    const kb_lex_entry_t *e;
    size_t len = kb_lexicon_longest(x->lx, x->nt->cp + i, x->nt->n - i, &e);

    if (len > 1 && e && (e->valence < 0 || e->valence > 0)) {
        push(x, i, i + len, KB_TOK_SYM, e);
        return i + len;
    }
    if (c == KB_CC_CLAUSE || c == KB_CC_SENTENCE || c == KB_CC_EXCL || c == KB_CC_QUEST) {
        push(x, i, i + 1, boundary[c], NULL);
    }
    return i + 1;
}

/* English terms of several words: extend a word token over the following
 * adjacent words while the trie continues; keep the longest full term. */
static int is_word_tok(const kb_token_t *t)
{
    return t->type == KB_TOK_WORD || t->type == KB_TOK_NUM;
}

/* The first token that is a word followed by a word, or tk->n. Tokens
 * before it stay as they are, and Chinese text has hardly any words. */
static size_t first_word_pair(const tok_ctx_t *x)
{
    const kb_tokens_t *tk = x->tk;

    if (x->n_words < 2) {
        return tk->n;
    }
    for (size_t r = 0; r + 1 < tk->n; r++) {
        if (is_word_tok(&tk->t[r]) && is_word_tok(&tk->t[r + 1])) {
            return r;
        }
    }
    return tk->n;
}

static void merge_phrases(tok_ctx_t *x)
{
    kb_tokens_t *tk = x->tk;
    const uint32_t *cp = x->nt->cp;
    size_t w = first_word_pair(x);

    for (size_t r = w; r < tk->n; r++) {
        kb_token_t *t = &tk->t[r];
        size_t best = r, k = r;
        const kb_lex_entry_t *be = t->e;
        uint32_t node = KB_LEX_ROOT, bnode = t->node;

        if (t->type == KB_TOK_WORD || t->type == KB_TOK_NUM) {
            node = t->node;
            while (node != KB_LEX_NONE && k + 1 < tk->n &&
                   (tk->t[k + 1].type == KB_TOK_WORD || tk->t[k + 1].type == KB_TOK_NUM)) {
                const kb_lex_entry_t *e;
                k++;
                /* the first word's step is known from its lookup: its
                 * node's block, a cache miss, is not read */
                node = k == r + 1 ? t->sp : kb_lexicon_step(x->lx, node, ' ');
                node = kb_lexicon_walk(x->lx, node, cp + tk->t[k].n0,
                                       tk->t[k].n1 - tk->t[k].n0);
                if (node != KB_LEX_NONE && (e = kb_lexicon_entry(x->lx, node))) {
                    best = k;
                    be = e;
                    bnode = node;
                }
            }
        }
        if (w != r) {
            tk->t[w] = *t; /* most tokens stay where they are */
        }
        if (best > r) {
            tk->t[w].n1 = tk->t[best].n1;
            tk->t[w].s1 = tk->t[best].s1;
            tk->t[w].e = be;
            tk->t[w].node = bnode;
            tk->t[w].type = KB_TOK_WORD;
            for (size_t q = r + 1; q <= best; q++) {
                tk->t[w].flags |= tk->t[q].flags & ~KB_TF_CAPS;
            }
            r = best;
        }
        w++;
    }
    tk->n = w;
}

int kb_tokenize(const kb_lexicon_t *lx, const kb_norm_t *nm,
                const kb_ntext_t *nt, kb_tokens_t *tk, char *errstr,
                size_t errstr_size)
{
    tok_ctx_t x = {lx, nm, kb_norm_class_table(nm), nt, tk, 0, 0, NULL};
    size_t i = 0;

    tk->n = 0;
    while (i < nt->n && !x.oom && !x.icu_err) {
        kb_cpclass_t c = cls_at(&x, i);
        switch (c) {
        case KB_CC_SPACE: i++; break;
        case KB_CC_HAN: i = han_word(&x, i); break;
        case KB_CC_EMOJI: i = emoji(&x, i); break;
        case KB_CC_ALNUM:
            i = alnum_word(&x, i);
            break;
        case KB_CC_LETTER: i = icu_words(&x, i, 0); break;
        case KB_CC_COMPLEX: i = icu_words(&x, i, 1); break;
        default: i = symbol(&x, i, c); break;
        }
    }
    if (x.oom || x.icu_err) {
        snprintf(errstr, errstr_size, "tokenizer: %s",
                 x.oom ? "out of memory" : x.icu_err);
        return -1;
    }
    merge_phrases(&x);
    return 0;
}
