/* kb_prefilter.c -- cheap necessary conditions for a set of regex patterns.
 *
 * Analysis: a recursive-descent reader of the PCRE2 subset the lexicons use
 * computes, for every node, either its exact set of matching strings (when
 * finite and small: "took|takes", "[一二]个?") or a conjunction of literal
 * sets that every match contains one member of. Concatenation multiplies
 * exact sets into longer literals and otherwise collects its parts' sets;
 * alternation unites them; assertions (\b, lookarounds) match the empty
 * string, since the literal test looks at the whole text anyway. Every rule
 * only keeps conditions that hold for all matches, and anything unknown
 * makes the whole pattern unconditional.
 *
 * Scan: literals are keyed by their first one, two or three bytes, and
 * non-ASCII literals of six bytes or more by a hash of their first six (a
 * Chinese character is three bytes, and dozens of words open with a
 * frequent one: keyed by it, every occurrence compared them all; English
 * text would pay the second probe at most letter pairs); a bitmap per length
 * (8 KiB each, stays in L1) rejects almost every text position with one
 * load, the rest find their literals with one hash probe and compare.
 * A three-byte character (all of Chinese) is looked up by code point in a
 * table of the characters literals open with, and its other two bytes are
 * stepped over.
 */
#include "kb_prefilter.h"

#include <stdlib.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_mem.h"

#define LIT_MAX 32 /* longer literals are cut: a prefix is still required */
#define SET_MAX 48 /* more members than this and a set says too little */
#define REQ_MAX 8  /* sets kept per node (and per pattern): bits of need */
#define CLASS_MAX 16
#define REPEAT_MAX 4
#define FIRST_MAX 64 /* first code points kept per pattern */

typedef struct {
    uint8_t len;
    char b[LIT_MAX];
} lit_t;

typedef struct {
    size_t n;
    lit_t v[SET_MAX];
} litset_t;

/* What is known of the strings a regex node matches. */
typedef struct {
    int exact;   /* ex is exactly the set of strings the node can match */
    litset_t ex;
    size_t n_req; /* every match contains a member of each req[i] */
    litset_t req[REQ_MAX];
} info_t;

/* Reader state; bad is set for syntax the analysis does not handle. */
typedef struct {
    const char *p, *end;
    int bad, oom;
} rx_t;

/* One literal of one pattern's set, keyed for the scan (while building). */
typedef struct {
    uint32_t key; /* (key length << 24) | first 1..3 bytes, or KEY6 */
    uint32_t pat;
    uint8_t bit;
    uint8_t len;
    char b[LIT_MAX];
} entry_t;

/* One distinct literal of the scan and the sets it meets. Short words such
 * as "the" or "in" are in the sets of dozens of patterns: the scan compares
 * such a literal once and marks all of them. */
typedef struct {
    uint64_t w8, m8; /* its first 8 bytes (zero-padded) and their mask */
    uint32_t key;
    uint32_t t0, t1; /* its sets: targets t0 .. t1 - 1 */
    uint8_t len;
    char b[LIT_MAX];
} plit_t;

/* The sets of a pattern that a literal meets. */
typedef struct {
    uint32_t pat;
    uint8_t bit;
} target_t;

/* Where the literals of one key start and end in the literal array. */
typedef struct {
    uint32_t key, lo, hi;
} range_t;

/* Code points every non-empty match of a pattern starts with. */
typedef struct {
    size_t n;    /* 0: unknown (any position may start a match) */
    uint32_t cp[FIRST_MAX];
    size_t n2;   /* second code points, ascending; 0: unknown */
    uint32_t cp2[FIRST_MAX];
} firsts_t;

struct kb_prefilter {
    size_t n_pats;
    uint8_t *need; /* per pattern: one bit per set; 0 = always runs */
    firsts_t *first; /* per pattern */
    entry_t *ents;
    size_t n_ents, cap_ents;
    plit_t *lits; /* distinct literals, by key (kb_prefilter_build()) */
    size_t n_lits;
    target_t *tgts;
    range_t *ranges; /* open addressing by key; key 0 = empty slot */
    size_t range_cap;
    uint8_t *start;     /* by first two bytes (b0 | b1 << 8): START_* bits */
    uint64_t bm3[1024]; /* 65536-bit filter on hashed three-byte keys */
    uint64_t bm6[1024]; /* the same for KEY6_CLASS keys */
    /* By BMP code point of three UTF-8 bytes: CPF_* bits of the literals
     * that open with exactly that character; NULL when some literal opens
     * with a byte that is not a character's first (kb_prefilter_scan()
     * then looks at every byte) */
    uint8_t *cpf;
};

#define CPF_3 1u /* a literal keyed by its first three bytes */
#define CPF_6 2u /* a literal with a KEY6_CLASS key */

/* What may start at a text position, by its first two bytes. */
#define START_1 1u /* a one-byte literal b0 */
#define START_2 2u /* a two-byte literal b0 b1 */
#define START_3 4u /* a literal of three or more bytes opening b0 b1 */
#define START_6 8u /* a literal with a KEY6_CLASS key opening b0 b1 */
#define START_CP 16u /* instead of the others for the first two bytes of a
                        three-byte character: ask cpf[] (see build_cpf()) */

/* Literals of six bytes or more that start with a non-ASCII character are
 * keyed (6 << 24) | a 24-bit hash of their first six bytes; a key equal
 * for other bytes costs a compare. */
#define KEY6_CLASS (6u << 24)

/* ---- literal sets ------------------------------------------------------- */

static int set_has(const litset_t *s, const char *b, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].len == len && memcmp(s->v[i].b, b, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Add an exact member; -1 when it does not fit (the set stops being exact). */
static int set_add(litset_t *s, const char *b, size_t len)
{
    if (set_has(s, b, len)) {
        return 0;
    }
    if (s->n == SET_MAX || len > LIT_MAX) {
        return -1;
    }
    s->v[s->n].len = (uint8_t)len;
    memcpy(s->v[s->n].b, b, len);
    s->n++;
    return 0;
}

static int contains(const lit_t *hay, const lit_t *needle)
{
    if (needle->len > hay->len) {
        return 0;
    }
    if (needle->len == 0) {
        return 1;
    }
    /* load-time analysis calls this for every pair of members: the first
     * byte settles most of them without a memcmp() call */
    for (size_t i = 0; i + needle->len <= hay->len; i++) {
        if (hay->b[i] == needle->b[0] && memcmp(hay->b + i, needle->b, needle->len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* *dst = *src, but only the members in use (a litset_t is 1.6 KiB). */
static void set_copy(litset_t *dst, const litset_t *src)
{
    dst->n = src->n;
    memcpy(dst->v, src->v, src->n * sizeof(src->v[0]));
}

/* Add a member to a requirement set ("one of these occurs"). A member that
 * contains another is redundant: finding the shorter one is enough. */
static int req_add(litset_t *s, const lit_t *l)
{
    size_t j = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (contains(l, &s->v[i])) {
            return 0;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        if (!contains(&s->v[i], l)) {
            s->v[j++] = s->v[i];
        }
    }
    s->n = j;
    if (s->n == SET_MAX) {
        return -1;
    }
    s->v[s->n++] = *l;
    return 0;
}

static int set_has_empty(const litset_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].len == 0) {
            return 1;
        }
    }
    return 0;
}

/* out = every a followed by every b; -1 when it does not fit. */
static int set_cross(const litset_t *a, const litset_t *b, litset_t *out)
{
    out->n = 0;
    for (size_t i = 0; i < a->n; i++) {
        for (size_t j = 0; j < b->n; j++) {
            char tmp[2 * LIT_MAX];
            size_t la = a->v[i].len, lb = b->v[j].len;
            memcpy(tmp, a->v[i].b, la);
            memcpy(tmp + la, b->v[j].b, lb);
            if (set_add(out, tmp, la + lb) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* How rare a literal is, in half bytes: its length, less half a byte when
 * it is all letters (short words such as "of" and "out" are in most
 * English texts), plus one and a half when it has other bytes (a digit or
 * a '/' is in few). */
static size_t lit_weight(const lit_t *l)
{
    for (size_t i = 0; i < l->len; i++) {
        unsigned char c = (unsigned char)(l->b[i] | 0x20);
        if (c < 'a' || c > 'z') {
            return 2u * l->len + 3;
        }
    }
    return 2u * l->len - 1;
}

/* How much a requirement set narrows things down: its rarest member's
 * weight (short literals occur everywhere), then fewer members. 0: useless,
 * a set with the empty string is always met. */
static long set_score(const litset_t *s)
{
    size_t min = 2 * LIT_MAX;

    if (s->n == 0 || set_has_empty(s)) {
        return 0;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (lit_weight(&s->v[i]) < min) {
            min = lit_weight(&s->v[i]);
        }
    }
    return (long)min * 500 - (long)s->n;
}

/* ---- node info ------------------------------------------------------------ */

/* *dst = *src, but only the sets and members in use (an info_t is 14 KiB
 * and the analysis copies one per alternative). */
static void info_copy(info_t *dst, const info_t *src)
{
    dst->exact = src->exact;
    set_copy(&dst->ex, &src->ex);
    dst->n_req = src->n_req;
    for (size_t i = 0; i < src->n_req; i++) {
        set_copy(&dst->req[i], &src->req[i]);
    }
}

static void info_empty(info_t *in)
{
    in->exact = 1;
    in->ex.n = 1;
    in->ex.v[0].len = 0;
    in->n_req = 0;
}

static void info_any(info_t *in)
{
    in->exact = 0;
    in->ex.n = 0;
    in->n_req = 0;
}

/* Does requirement @p x imply requirement @p y? It does when each member
 * of x contains a member of y: a text with some x then has some y. */
static int set_implies(const litset_t *x, const litset_t *y)
{
    for (size_t i = 0; i < x->n; i++) {
        size_t j = 0;
        while (j < y->n && !contains(&x->v[i], &y->v[j])) {
            j++;
        }
        if (j == y->n) {
            return 0;
        }
    }
    return 1;
}

/* Drop the requirements of @p in that @p s implies (s replaces them). */
static void info_drop_implied(info_t *in, const litset_t *s)
{
    size_t w = 0;

    for (size_t i = 0; i < in->n_req; i++) {
        if (!set_implies(s, &in->req[i])) {
            set_copy(&in->req[w++], &in->req[i]);
        }
    }
    in->n_req = w;
}

/* The least useful requirement of @p in (which has some); its score in
 * *sc. */
static size_t info_worst(const info_t *in, long *sc)
{
    size_t worst = 0;

    *sc = set_score(&in->req[0]);
    for (size_t i = 1; i < in->n_req; i++) {
        long c = set_score(&in->req[i]);
        if (c < *sc) {
            worst = i;
            *sc = c;
        }
    }
    return worst;
}

/* Keep @p min (reduced: no member contains another) as a requirement of
 * @p in; the REQ_MAX best survive. A set that a kept one implies adds
 * nothing and is not kept, so the slots go to independent conditions
 * (alt_merge() offers many overlapping ones). */
static void info_keep(info_t *in, const litset_t *min)
{
    long sc = set_score(min), worst_sc;
    size_t worst;

    if (sc == 0) {
        return;
    }
    /* most of alt_merge()'s unions lose to all kept sets: say so before
     * the pairwise implication tests */
    if (in->n_req == REQ_MAX && (info_worst(in, &worst_sc), sc <= worst_sc)) {
        return;
    }
    for (size_t i = 0; i < in->n_req; i++) {
        if (set_implies(&in->req[i], min)) {
            return;
        }
    }
    info_drop_implied(in, min);
    if (in->n_req < REQ_MAX) {
        set_copy(&in->req[in->n_req++], min);
        return;
    }
    worst = info_worst(in, &worst_sc);
    if (sc > worst_sc) {
        set_copy(&in->req[worst], min);
    }
}

/* @p s reduced into @p min; -1 when it does not fit. */
static int set_reduce(const litset_t *s, litset_t *min)
{
    min->n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (req_add(min, &s->v[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Keep @p s as a requirement of @p in (see info_keep()). */
static void info_require(info_t *in, const litset_t *s)
{
    litset_t min;

    if (set_score(s) != 0 && set_reduce(s, &min) == 0) {
        info_keep(in, &min);
    }
}

/* The requirement sets of @p in, reduced: its exact set, if it says
 * anything (reduced into @p ex), and its reqs. Returns how many (at most
 * REQ_MAX + 1) were put in @p out. */
static size_t info_sets(const info_t *in, const litset_t **out, litset_t *ex)
{
    size_t n = 0;

    if (in->exact && set_score(&in->ex) > 0 && set_reduce(&in->ex, ex) == 0) {
        out[n++] = ex;
    }
    for (size_t i = 0; i < in->n_req; i++) {
        out[n++] = &in->req[i];
    }
    return n;
}

/* An exact node turned into what it requires. */
static void info_inexact(info_t *in)
{
    if (in->exact) {
        in->exact = 0;
        info_require(in, &in->ex);
        in->ex.n = 0;
    }
}

/* ---- reader ----------------------------------------------------------------- */

static info_t *info_new(rx_t *rx)
{
    info_t *in = kb_malloc(sizeof(*in));

    if (!in) {
        rx->oom = 1;
    }
    return in;
}

static int parse_alt(rx_t *rx, info_t *out);

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
}

static uint32_t utf8_get(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint32_t cp = n == 1 ? u[0] : n == 2 ? u[0] & 0x1Fu : n == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;

    for (size_t i = 1; i < n; i++) {
        cp = (cp << 6) | (u[i] & 0x3Fu);
    }
    return cp;
}


static int is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Read one literal code point at rx->p (UTF-8 was validated by PCRE2). */
static uint32_t read_char(rx_t *rx)
{
    size_t n = utf8_len((unsigned char)*rx->p);
    uint32_t cp;

    if ((size_t)(rx->end - rx->p) < n) {
        rx->bad = 1;
        return 0;
    }
    cp = utf8_get(rx->p, n);
    rx->p += n;
    return cp;
}

/* The character a "\x" escape stands for, or -1 (a class such as \s: many
 * characters), or -2 (not handled). Shared by classes and atoms. */
static long escape_char(rx_t *rx, char c)
{
    static const char ctl[] = "n\nt\tr\rf\fe\033a\007";

    for (size_t i = 0; ctl[i]; i += 2) {
        if (c == ctl[i]) {
            return (unsigned char)ctl[i + 1];
        }
    }
    if (strchr("sSdDwWhHvV", c)) {
        return -1;
    }
    if (c == 'p' || c == 'P') { /* \pL or \p{Han}: some property, many chars */
        if (rx->p < rx->end && *rx->p == '{') {
            const char *close = memchr(rx->p, '}', (size_t)(rx->end - rx->p));
            if (!close) {
                return -2;
            }
            rx->p = close + 1;
        } else if (rx->p < rx->end) {
            rx->p++;
        }
        return -1;
    }
    if (!is_alnum(c) && (unsigned char)c < 0x80) {
        return (unsigned char)c; /* \. \- \' \\ ...: the character itself */
    }
    return -2;
}

/* One class member or range end: a code point, -1 (many), -2 (bad). */
static long class_char(rx_t *rx)
{
    if (*rx->p == '\\') {
        char c;
        rx->p++;
        if (rx->p >= rx->end) {
            return -2;
        }
        c = *rx->p++;
        return escape_char(rx, c);
    }
    if (*rx->p == '[' && rx->p + 1 < rx->end && strchr(":.=", rx->p[1])) {
        return -2; /* POSIX class */
    }
    return (long)read_char(rx);
}

/* One item of a [...] class: a character or a range lo-hi (lo = hi for a
 * single character; lo < 0 for an escape class such as \d that stands for
 * many). Returns -1 and marks rx bad on a malformed item or a POSIX class. */
static int class_item(rx_t *rx, long *lo, long *hi)
{
    *lo = class_char(rx);
    if (*lo == -2 || rx->bad) {
        rx->bad = 1;
        return -1;
    }
    *hi = *lo;
    if (*lo >= 0 && rx->p + 1 < rx->end && rx->p[0] == '-' && rx->p[1] != ']') {
        rx->p++;
        *hi = class_char(rx);
        if (*hi < 0 || *hi < *lo) {
            rx->bad = 1;
            return -1;
        }
    }
    return 0;
}

/* [...] after the '[': an exact set of up to CLASS_MAX characters, else any. */
static void parse_class(rx_t *rx, info_t *out)
{
    int neg = 0, many = 0, first = 1;

    out->exact = 1;
    out->ex.n = 0;
    out->n_req = 0;
    if (rx->p < rx->end && *rx->p == '^') {
        neg = 1;
        rx->p++;
    }
    while (!rx->bad && rx->p < rx->end && (first || *rx->p != ']')) {
        long lo, hi;
        first = 0;
        if (class_item(rx, &lo, &hi) != 0) {
            return;
        }
        if (lo < 0 || hi - lo >= CLASS_MAX) {
            many = 1;
            continue;
        }
        for (long c = lo; c <= hi && !many; c++) {
            char b[4];
            if (set_add(&out->ex, b, kb_utf8_put((uint32_t)c, b)) != 0 ||
                out->ex.n > CLASS_MAX) {
                many = 1;
            }
        }
    }
    if (rx->p >= rx->end) {
        rx->bad = 1;
        return;
    }
    rx->p++; /* ']' */
    if (neg || many) {
        info_any(out);
    }
}

/* What "\..." outside a class stands for, read after the backslash. */
typedef enum {
    ESC_BAD,    /* malformed: rx is marked bad */
    ESC_EMPTY,  /* an assertion that consumes nothing (\b \B \A \z \Z) */
    ESC_START,  /* \G: holds only where the search starts */
    ESC_ANY,    /* a class or sequence of many characters (\d, \R, \X ...) */
    ESC_CHAR    /* one literal code point, in *cp */
} esc_t;

static esc_t read_escape(rx_t *rx, long *cp)
{
    char c;

    if (rx->p >= rx->end) {
        rx->bad = 1;
        return ESC_BAD;
    }
    c = *rx->p++;
    if (c == 'G') {
        return ESC_START;
    }
    if (strchr("bBAzZ", c)) {
        return ESC_EMPTY;
    }
    if (strchr("RX", c)) {
        return ESC_ANY;
    }
    if ((unsigned char)c >= 0x80) {
        rx->p--;
        *cp = (long)read_char(rx);
    } else {
        *cp = escape_char(rx, c);
    }
    if (*cp == -2) {
        rx->bad = 1;
        return ESC_BAD;
    }
    return *cp == -1 ? ESC_ANY : ESC_CHAR;
}

/* "\..." outside a class, after the backslash. */
static void parse_escape(rx_t *rx, info_t *out)
{
    char b[4];
    long cp = 0;

    switch (read_escape(rx, &cp)) {
    case ESC_EMPTY:
    case ESC_START:
        info_empty(out); /* assertions consume nothing */
        break;
    case ESC_ANY:
        info_any(out);
        break;
    case ESC_CHAR:
        out->exact = 1;
        out->ex.n = 0;
        out->n_req = 0;
        (void)set_add(&out->ex, b, kb_utf8_put((uint32_t)cp, b));
        break;
    case ESC_BAD:
        break;
    }
}

/* The head of a group after its '(': plain and atomic groups and the four
 * lookarounds are understood; sets *look for a lookaround. Anything else
 * (verbs, options, named groups, comments, recursion ...) marks rx bad. */
static int group_head(rx_t *rx, int *look)
{
    const char *p = rx->p;
    size_t left = (size_t)(rx->end - p);

    *look = 0;
    if (left >= 1 && p[0] == '*') {
        rx->bad = 1;
        return -1;
    }
    if (left >= 1 && p[0] == '?') {
        if (left >= 2 && (p[1] == ':' || p[1] == '>')) {
            rx->p += 2;
        } else if (left >= 2 && (p[1] == '=' || p[1] == '!')) {
            rx->p += 2;
            *look = 1;
        } else if (left >= 3 && p[1] == '<' && (p[2] == '=' || p[2] == '!')) {
            rx->p += 3;
            *look = 1;
        } else {
            rx->bad = 1;
            return -1;
        }
    }
    return 0;
}

/* The ')' that closes a group whose content was just read. */
static int group_close(rx_t *rx)
{
    if (rx->bad || rx->oom) {
        return -1;
    }
    if (rx->p >= rx->end || *rx->p != ')') {
        rx->bad = 1;
        return -1;
    }
    rx->p++;
    return 0;
}

/* "(..." after the '(': groups keep their content's info, lookarounds
 * match the empty string; other (?...) forms are not handled. */
static void parse_group(rx_t *rx, info_t *out)
{
    int look;

    if (group_head(rx, &look) != 0) {
        return;
    }
    parse_alt(rx, out);
    if (group_close(rx) == 0 && look) {
        info_empty(out);
    }
}

/* One atom without its quantifier. */
static void parse_atom(rx_t *rx, info_t *out)
{
    char c = *rx->p++;
    char b[4];

    switch (c) {
    case '(':
        parse_group(rx, out);
        return;
    case '[':
        parse_class(rx, out);
        return;
    case '\\':
        parse_escape(rx, out);
        return;
    case '.':
        info_any(out);
        return;
    case '^':
    case '$':
        info_empty(out);
        return;
    case '*':
    case '+':
    case '?':
    case '{':
        rx->bad = 1;
        return;
    default:
        rx->p--;
        out->exact = 1;
        out->ex.n = 0;
        out->n_req = 0;
        (void)set_add(&out->ex, b, kb_utf8_put(read_char(rx), b));
        return;
    }
}

static long read_num(rx_t *rx)
{
    long v = 0;
    int any = 0;

    while (rx->p < rx->end && *rx->p >= '0' && *rx->p <= '9' && v < 100000) {
        v = v * 10 + (*rx->p++ - '0');
        any = 1;
    }
    return any ? v : -1;
}

/* A quantifier at rx->p: 1 and its bounds (max -1 = unbounded), or 0. */
static int parse_quant(rx_t *rx, long *min, long *max)
{
    if (rx->p >= rx->end) {
        return 0;
    }
    switch (*rx->p) {
    case '?': *min = 0; *max = 1; break;
    case '*': *min = 0; *max = -1; break;
    case '+': *min = 1; *max = -1; break;
    case '{':
        rx->p++;
        *min = read_num(rx);
        *max = *min;
        if (rx->p < rx->end && *rx->p == ',') {
            rx->p++;
            if (rx->p < rx->end && *rx->p == '}') {
                *max = -1;
            } else if ((*max = read_num(rx)) < *min) {
                rx->bad = 1;
                return 0;
            }
        }
        if (*min < 0 || rx->p >= rx->end || *rx->p != '}') {
            rx->bad = 1; /* a literal '{' or a form we do not read */
            return 0;
        }
        break;
    default:
        return 0;
    }
    rx->p++;
    if (rx->p < rx->end && (*rx->p == '?' || *rx->p == '+')) {
        rx->p++; /* lazy or possessive: same strings */
    }
    return 1;
}

/* Apply {min,max} to @p in. */
static void apply_quant(info_t *in, long min, long max)
{
    if (max == 0) {
        info_empty(in);
    } else if (min == 0) {
        if (in->exact && max == 1 && set_add(&in->ex, "", 0) == 0) {
            return; /* x? = x or nothing, still exact */
        }
        info_any(in);
    } else if (in->exact && min == max && min <= REPEAT_MAX) {
        litset_t one = in->ex, acc = in->ex;
        for (long i = 1; i < min; i++) {
            if (set_cross(&acc, &one, &in->ex) != 0) {
                in->ex = one;
                info_inexact(in);
                return;
            }
            acc = in->ex;
        }
    } else if (!(min == 1 && max == 1)) {
        info_inexact(in); /* at least one copy: its requirements hold */
    }
}

/* Concatenation up to '|' or ')': exact runs multiply, the rest collect. */
static int parse_concat(rx_t *rx, info_t *out)
{
    info_t *c = info_new(rx), *tmp = info_new(rx);
    int all_exact = 1;

    if (!c || !tmp) {
        kb_free(c);
        kb_free(tmp);
        return -1;
    }
    info_empty(c);
    out->exact = 0;
    out->n_req = 0;
    set_copy(&out->ex, &c->ex); /* the current exact run, starts as {""} */
    while (!rx->bad && rx->p < rx->end && *rx->p != '|' && *rx->p != ')') {
        long min, max;
        parse_atom(rx, c);
        if (rx->bad || rx->oom) {
            break;
        }
        if (parse_quant(rx, &min, &max)) {
            apply_quant(c, min, max);
        }
        if (rx->bad) {
            break;
        }
        if (c->exact && set_cross(&out->ex, &c->ex, &tmp->ex) == 0) {
            set_copy(&out->ex, &tmp->ex);
            continue;
        }
        all_exact = 0;
        info_require(out, &out->ex);
        if (c->exact) {
            set_copy(&out->ex, &c->ex);
        } else {
            out->ex.n = 1;
            out->ex.v[0].len = 0;
            for (size_t i = 0; i < c->n_req; i++) {
                info_require(out, &c->req[i]);
            }
        }
    }
    if (all_exact) {
        out->exact = 1;
    } else {
        info_require(out, &out->ex);
        out->ex.n = 0;
    }
    kb_free(c);
    kb_free(tmp);
    return rx->bad || rx->oom ? -1 : 0;
}

/* Merge alternative @p c into the alternation so far in @p acc. */
static void alt_merge(rx_t *rx, info_t *acc, const info_t *c, int first)
{
    const litset_t *as[REQ_MAX + 1], *cs[REQ_MAX + 1];
    litset_t ea, ec; /* the sides' exact sets, reduced */
    size_t na, nc;
    info_t *res;

    if (first) {
        info_copy(acc, c);
        return;
    }
    if (acc->exact && c->exact) {
        litset_t u = acc->ex;
        size_t i;
        for (i = 0; i < c->ex.n; i++) {
            if (set_add(&u, c->ex.v[i].b, c->ex.v[i].len) != 0) {
                break;
            }
        }
        if (i == c->ex.n) {
            acc->ex = u;
            return;
        }
    }
    /* Not exact any more. Any set of one side united with any set of the
     * other holds for every match of either; the REQ_MAX best unions are
     * kept. Uniting only each side's best set lost the conditions that
     * matter: "9/10" or "nine out of ten" needs "/" or "out", but each
     * side's best set alone was a long word of one side. */
    if (!(res = info_new(rx))) {
        return;
    }
    info_any(res);
    na = info_sets(acc, as, &ea);
    nc = info_sets(c, cs, &ec);
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nc; j++) {
            litset_t u;
            size_t k = 0;
            set_copy(&u, as[i]);
            while (k < cs[j]->n && req_add(&u, &cs[j]->v[k]) == 0) {
                k++;
            }
            if (k == cs[j]->n) {
                info_keep(res, &u);
            }
        }
    }
    info_copy(acc, res);
    kb_free(res);
}

static int parse_alt(rx_t *rx, info_t *out)
{
    info_t *c = info_new(rx);
    int first = 1;

    if (!c) {
        return -1;
    }
    for (;;) {
        if (parse_concat(rx, c) != 0) {
            break;
        }
        alt_merge(rx, out, c, first);
        first = 0;
        if (rx->p < rx->end && *rx->p == '|') {
            rx->p++;
            continue;
        }
        break;
    }
    kb_free(c);
    return rx->bad || rx->oom ? -1 : 0;
}

/* ---- first code points ------------------------------------------------------ */

/* A set of up to FIRST_MAX code points; any: more, or unknown. */
typedef struct {
    int any;
    size_t n;
    uint32_t cp[FIRST_MAX];
} cpset_t;

/* What the reader knows of where a node's matches can start: the code points
 * its non-empty matches start with (f), whether it can match the empty
 * string, so that what follows it may start the match, whether it can match
 * exactly one code point (one), and the second code points of its matches
 * of two or more (sec). A twin is tried only where the text's next code
 * point is one of sec, unless a match may be one code point long. */
typedef struct {
    cpset_t f;
    int nullable;
    int one;
    cpset_t sec;
} first_t;

static void first_none(first_t *f, int nullable)
{
    f->f.any = f->sec.any = 0;
    f->f.n = f->sec.n = 0;
    f->nullable = nullable;
    f->one = 0;
}

static void cps_add(cpset_t *s, uint32_t cp)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->cp[i] == cp) {
            return;
        }
    }
    if (s->n == FIRST_MAX) {
        s->any = 1;
        return;
    }
    s->cp[s->n++] = cp;
}

static void cps_union(cpset_t *acc, const cpset_t *s)
{
    acc->any |= s->any;
    for (size_t i = 0; i < s->n && !acc->any; i++) {
        cps_add(acc, s->cp[i]);
    }
}

static void first_add(first_t *f, uint32_t cp)
{
    cps_add(&f->f, cp);
}

/* One code point from the class or escape just read: a match of length 1. */
static void first_single(first_t *f)
{
    f->one = 1;
}

static void first_alt(rx_t *rx, first_t *out);

/* [...] after the '[': its members when they are few and listed. */
static void first_class(rx_t *rx, first_t *out)
{
    int first = 1;

    first_none(out, 0);
    first_single(out);
    if (rx->p < rx->end && *rx->p == '^') {
        out->f.any = 1; /* negated: nearly everything */
        rx->p++;
    }
    while (!rx->bad && rx->p < rx->end && (first || *rx->p != ']')) {
        long lo, hi;
        first = 0;
        if (class_item(rx, &lo, &hi) != 0) {
            return;
        }
        if (lo < 0 || hi - lo >= FIRST_MAX) {
            out->f.any = 1;
            continue;
        }
        for (long c = lo; c <= hi && !out->f.any; c++) {
            first_add(out, (uint32_t)c);
        }
    }
    if (rx->p >= rx->end) {
        rx->bad = 1;
        return;
    }
    rx->p++; /* ']' */
}

/* "\..." outside a class, after the backslash. */
static void first_escape(rx_t *rx, first_t *out)
{
    long cp = 0;

    first_none(out, 0);
    switch (read_escape(rx, &cp)) {
    case ESC_EMPTY:
        out->nullable = 1; /* assertions consume nothing */
        break;
    case ESC_START: /* an anchored twin started at each candidate would
                       match \G anywhere */
    case ESC_ANY: /* \R and \X can be two code points or more */
        out->f.any = out->sec.any = 1;
        first_single(out);
        break;
    case ESC_CHAR:
        first_add(out, (uint32_t)cp);
        first_single(out);
        break;
    case ESC_BAD:
        break;
    }
}

/* "(..." after the '(': groups start where their content does; lookarounds
 * consume nothing (they only ever rule starts out, never in). */
static void first_group(rx_t *rx, first_t *out)
{
    int look;

    if (group_head(rx, &look) != 0) {
        return;
    }
    first_alt(rx, out);
    if (group_close(rx) == 0 && look) {
        first_none(out, 1);
    }
}

static void first_atom(rx_t *rx, first_t *out)
{
    char c = *rx->p++;

    switch (c) {
    case '(':
        first_group(rx, out);
        return;
    case '[':
        first_class(rx, out);
        return;
    case '\\':
        first_escape(rx, out);
        return;
    case '.':
        first_none(out, 0);
        out->f.any = 1;
        first_single(out);
        return;
    case '^':
    case '$':
        first_none(out, 1);
        return;
    case '*':
    case '+':
    case '?':
    case '{':
        rx->bad = 1;
        return;
    default:
        rx->p--;
        first_none(out, 0);
        first_add(out, read_char(rx));
        first_single(out);
        return;
    }
}

/* X{min,max} (max -1: unbounded) from X in @p c. Repeats can put one
 * copy's first code point second. */
static void first_quant(first_t *c, long min, long max)
{
    if (min == 0) {
        c->nullable = 1;
    }
    if ((max < 0 || max >= 2) && c->one) {
        cps_union(&c->sec, &c->f);
    }
}

/* @p out (a concatenation so far) followed by @p c. A match of both is a
 * match a of out then b of c: its second code point is a's when a has two,
 * b's first when a has one, b's second when a is empty. */
static void first_then(first_t *out, const first_t *c)
{
    int one = (out->one && c->nullable) || (out->nullable && c->one);

    if (out->one) {
        cps_union(&out->sec, &c->f);
    }
    if (out->nullable) {
        cps_union(&out->sec, &c->sec);
        cps_union(&out->f, &c->f);
        out->nullable = c->nullable;
    }
    out->one = one;
}

/* A concatenation starts where its first atom that cannot be empty does, or
 * at any atom before it. */
static void first_concat(rx_t *rx, first_t *out)
{
    first_t *c = kb_malloc(sizeof(*c));

    if (!c) {
        rx->oom = 1;
        return;
    }
    first_none(out, 1);
    while (!rx->bad && !rx->oom && rx->p < rx->end && *rx->p != '|' && *rx->p != ')') {
        long min, max;
        first_atom(rx, c);
        if (rx->bad || rx->oom) {
            break;
        }
        if (parse_quant(rx, &min, &max)) {
            first_quant(c, min, max);
        }
        if (rx->bad) {
            break;
        }
        first_then(out, c);
    }
    kb_free(c);
}

static void first_alt(rx_t *rx, first_t *out)
{
    first_t *c = kb_malloc(sizeof(*c));

    if (!c) {
        rx->oom = 1;
        return;
    }
    first_none(out, 0);
    for (;;) {
        first_concat(rx, c);
        if (rx->bad || rx->oom) {
            break;
        }
        cps_union(&out->f, &c->f);
        cps_union(&out->sec, &c->sec);
        out->nullable |= c->nullable;
        out->one |= c->one;
        if (rx->p < rx->end && *rx->p == '|') {
            rx->p++;
            continue;
        }
        break;
    }
    kb_free(c);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Fill @p fs for the pattern @p re; unknown (n = 0) unless the whole pattern
 * was read. Returns -1 when out of memory. */
static int first_of(const char *re, firsts_t *fs)
{
    rx_t rx = {re, re + strlen(re), 0, 0};
    first_t *f = kb_malloc(sizeof(*f));

    fs->n = fs->n2 = 0;
    if (!f) {
        return -1;
    }
    first_alt(&rx, f);
    if (!rx.bad && !rx.oom && rx.p == rx.end && !f->f.any) {
        fs->n = f->f.n;
        memcpy(fs->cp, f->f.cp, f->f.n * sizeof(uint32_t));
    }
    if (!rx.bad && !rx.oom && rx.p == rx.end && !f->sec.any && !f->one && f->sec.n > 0) {
        fs->n2 = f->sec.n;
        memcpy(fs->cp2, f->sec.cp, f->sec.n * sizeof(uint32_t));
        qsort(fs->cp2, fs->n2, sizeof(uint32_t), cmp_u32);
    }
    kb_free(f);
    return rx.oom ? -1 : 0;
}

/* ---- building --------------------------------------------------------------- */

kb_prefilter_t *kb_prefilter_new(void)
{
    return kb_calloc(1, sizeof(kb_prefilter_t));
}

void kb_prefilter_free(kb_prefilter_t *pf)
{
    if (pf) {
        kb_free(pf->need);
        kb_free(pf->first);
        kb_free(pf->ents);
        kb_free(pf->lits);
        kb_free(pf->tgts);
        kb_free(pf->ranges);
        kb_free(pf->start);
        kb_free(pf->cpf);
        kb_free(pf);
    }
}

static uint32_t key6_of(const unsigned char *b)
{
    uint32_t lo = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
    uint32_t hi = b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16;

    return KEY6_CLASS | ((lo ^ ((hi * 0x9E3779B1u) >> 8)) & 0xFFFFFFu);
}

static uint32_t key_of(const char *b, size_t len)
{
    size_t k = len < 3 ? len : 3;
    uint32_t key = (uint32_t)k << 24;

    if (len >= 6 && (unsigned char)b[0] >= 0x80) {
        return key6_of((const unsigned char *)b);
    }
    for (size_t i = 0; i < k; i++) {
        key |= (uint32_t)(unsigned char)b[i] << (8 * i);
    }
    return key;
}

/* The 16-bit filter slot of a key (identity for one and two bytes). */
static uint32_t key_slot(uint32_t key)
{
    uint32_t v = key & 0xFFFFFFu;

    return (key >> 24) < 3 ? v : ((v * 0x9E3779B1u) >> 16);
}

static int add_entry(kb_prefilter_t *pf, uint32_t pat, uint8_t bit, const lit_t *l)
{
    entry_t *e;

    if (pf->n_ents == pf->cap_ents) {
        size_t cap = pf->cap_ents ? 2 * pf->cap_ents : 256;
        entry_t *ne = kb_realloc(pf->ents, cap * sizeof(*ne));
        if (!ne) {
            return -1;
        }
        pf->ents = ne;
        pf->cap_ents = cap;
    }
    e = &pf->ents[pf->n_ents++];
    e->key = key_of(l->b, l->len);
    e->pat = pat;
    e->bit = bit;
    e->len = l->len;
    memcpy(e->b, l->b, l->len);
    return 0;
}

/* Is some member of @p s one byte that text is full of (a letter, white
 * space, common punctuation)? Such a set is met by nearly every text and
 * costs a lookup at each such byte. A digit or a '/' is rare enough to be
 * a useful condition ("5" or "ten" for "5 out of 5", "/" for "9/10"). */
static int set_common(const litset_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        unsigned char c = (unsigned char)s->v[i].b[0];
        if (s->v[i].len == 1 && (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c <= ' ' || strchr(",.!?;:'\"-~()", c))) {
            return 1;
        }
    }
    return 0;
}

/* Record the requirement sets of pattern @p pat from its info. A common
 * set (set_common()) is left out when the pattern has another set (fewer
 * conditions can only let the pattern run more often); when all are
 * common, the best one is kept. */
static int add_reqs(kb_prefilter_t *pf, uint32_t pat, info_t *in)
{
    uint8_t need = 0;
    size_t w = 0, best = 0;

    info_inexact(in);
    for (size_t i = 0; i < in->n_req; i++) {
        if (set_score(&in->req[i]) > set_score(&in->req[best])) {
            best = i;
        }
    }
    for (size_t i = 0; i < in->n_req; i++) {
        if (!set_common(&in->req[i])) {
            in->req[w++] = in->req[i];
        }
    }
    if (w == 0 && in->n_req > 0) {
        in->req[w++] = in->req[best];
    }
    in->n_req = w;
    for (size_t i = 0; i < in->n_req; i++) {
        for (size_t j = 0; j < in->req[i].n; j++) {
            if (add_entry(pf, pat, (uint8_t)(1u << i), &in->req[i].v[j]) != 0) {
                return -1;
            }
        }
        need |= (uint8_t)(1u << i);
    }
    pf->need[pat] = need;
    return 0;
}

int kb_prefilter_add(kb_prefilter_t *pf, const char *re)
{
    rx_t rx = {re, re + strlen(re), 0, 0};
    info_t *in = info_new(&rx);
    uint8_t *nn = kb_realloc(pf->need, pf->n_pats + 1);
    firsts_t *nf = nn ? kb_realloc(pf->first, (pf->n_pats + 1) * sizeof(*nf)) : NULL;
    int rc = 0;

    if (nn) {
        pf->need = nn;
    }
    if (nf) {
        pf->first = nf;
    }
    if (!in || !nn || !nf || first_of(re, &pf->first[pf->n_pats]) != 0) {
        kb_free(in);
        return -1;
    }
    pf->need[pf->n_pats] = 0;
    info_any(in);
    if (parse_alt(&rx, in) == 0 && rx.p == rx.end) {
        rc = add_reqs(pf, (uint32_t)pf->n_pats, in);
    } else if (rx.oom) {
        rc = -1;
    }
    /* else: syntax we do not read (or a stray ')'): the pattern always runs */
    kb_free(in);
    if (rc == 0) {
        pf->n_pats++;
    }
    return rc;
}

/* By key, then literal, then pattern and set: the entries of one literal
 * are adjacent and become one plit_t. */
static int cmp_entry(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int c;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }
    if ((c = memcmp(x->b, y->b, x->len)) != 0) {
        return c;
    }
    if (x->pat != y->pat) {
        return x->pat < y->pat ? -1 : 1;
    }
    return x->bit < y->bit ? -1 : x->bit > y->bit;
}

static size_t range_home(uint32_t key, size_t cap)
{
    return (size_t)((key * 0x9E3779B1u) >> 7) & (cap - 1);
}

/* Collapse the sorted entries into distinct literals, each with the list
 * of the sets it meets. */
static int build_lits(kb_prefilter_t *pf)
{
    size_t nl = 0, nt = 0;

    kb_free(pf->lits);
    kb_free(pf->tgts);
    pf->lits = kb_malloc((pf->n_ents ? pf->n_ents : 1) * sizeof(*pf->lits));
    pf->tgts = kb_malloc((pf->n_ents ? pf->n_ents : 1) * sizeof(*pf->tgts));
    if (!pf->lits || !pf->tgts) {
        return -1;
    }
    for (size_t i = 0; i < pf->n_ents; i++) {
        const entry_t *e = &pf->ents[i], *prev = i ? e - 1 : NULL;
        if (!prev || prev->key != e->key || prev->len != e->len ||
            memcmp(prev->b, e->b, e->len) != 0) {
            plit_t *l = &pf->lits[nl++];
            l->key = e->key;
            l->len = e->len;
            memcpy(l->b, e->b, e->len);
            l->w8 = l->m8 = 0;
            memcpy(&l->w8, e->b, e->len < 8 ? e->len : 8);
            memset(&l->m8, 0xFF, e->len < 8 ? e->len : 8);
            l->t0 = l->t1 = (uint32_t)nt;
        } else if (prev->pat == e->pat) {
            /* another set of the same pattern: one target, the bits
             * together (a literal is often in several sets of a pattern,
             * "out" in four of "two out of five") */
            pf->tgts[nt - 1].bit |= e->bit;
            continue;
        }
        pf->tgts[nt++] = (target_t){e->pat, e->bit};
        pf->lits[nl - 1].t1 = (uint32_t)nt;
    }
    pf->n_lits = nl;
    return 0;
}

/* Index the literals by key: text positions whose first bytes pass the
 * bitmap find their literals with one probe, not a binary search
 * (frequent keys such as "the" or "a" hit at every other word). */
static int build_ranges(kb_prefilter_t *pf)
{
    size_t cap = 16;

    while (cap < 2 * pf->n_lits) {
        cap *= 2;
    }
    kb_free(pf->ranges);
    if (!(pf->ranges = kb_calloc(cap, sizeof(*pf->ranges)))) {
        return -1;
    }
    pf->range_cap = cap;
    for (size_t i = 0; i < pf->n_lits;) {
        size_t j = i, h;
        while (j < pf->n_lits && pf->lits[j].key == pf->lits[i].key) {
            j++;
        }
        for (h = range_home(pf->lits[i].key, cap); pf->ranges[h].key; h = (h + 1) & (cap - 1)) {
        }
        pf->ranges[h] = (range_t){pf->lits[i].key, (uint32_t)i, (uint32_t)j};
        i = j;
    }
    return 0;
}

/* The code point table of kb_prefilter_scan(). It may skip a text's
 * continuation bytes, and test a three-byte character against the
 * literals that open with it, only when every literal opens with a whole
 * character (they are made of a pattern's characters, so this always
 * holds; a literal cut to LIT_MAX bytes loses its end, not its start). */
static int build_cpf(kb_prefilter_t *pf)
{
    kb_free(pf->cpf);
    if (!(pf->cpf = kb_calloc(0x10000, 1))) {
        return -1;
    }
    for (size_t i = 0; i < pf->n_ents; i++) {
        const unsigned char *b = (const unsigned char *)pf->ents[i].b;
        size_t len = pf->ents[i].len;
        if ((b[0] & 0xC0) == 0x80 || ((b[0] & 0xF0) == 0xE0 && len < 3)) {
            kb_free(pf->cpf);
            pf->cpf = NULL; /* opens inside a character: scan bytes */
            return 0;
        }
        if ((b[0] & 0xF0) == 0xE0) {
            uint32_t c = (b[0] & 0x0Fu) << 12 | (b[1] & 0x3Fu) << 6 | (b[2] & 0x3Fu);
            pf->cpf[c] |= (pf->ents[i].key >> 24) == (KEY6_CLASS >> 24) ? CPF_6 : CPF_3;
        }
    }
    /* Such a pair can only have START_3 and START_6 (no literal of one or
     * two bytes opens with a lead byte E0..EF: it would end inside the
     * character). */
    for (uint32_t b0 = 0xE0; b0 <= 0xEF; b0++) {
        for (uint32_t b1 = 0; b1 < 256; b1++) {
            if (pf->start[b0 | b1 << 8]) {
                pf->start[b0 | b1 << 8] = START_CP;
            }
        }
    }
    return 0;
}

int kb_prefilter_build(kb_prefilter_t *pf)
{
    if (pf->n_ents) {
        qsort(pf->ents, pf->n_ents, sizeof(*pf->ents), cmp_entry);
    }
    kb_free(pf->start);
    if (!(pf->start = kb_calloc(65536, 1))) {
        return -1;
    }
    memset(pf->bm3, 0, sizeof(pf->bm3));
    memset(pf->bm6, 0, sizeof(pf->bm6));
    for (size_t i = 0; i < pf->n_ents; i++) {
        uint32_t key = pf->ents[i].key, slot = key_slot(key);
        if (pf->ents[i].len == 1) {
            for (uint32_t b1 = 0; b1 < 256; b1++) {
                pf->start[(key & 0xFFu) | b1 << 8] |= START_1;
            }
        } else if (pf->ents[i].len == 2) {
            pf->start[key & 0xFFFFu] |= START_2;
        } else {
            const unsigned char *b = (const unsigned char *)pf->ents[i].b;
            uint64_t *bm = (key >> 24) == (KEY6_CLASS >> 24) ? pf->bm6 : pf->bm3;
            pf->start[b[0] | b[1] << 8] |= bm == pf->bm6 ? START_6 : START_3;
            bm[slot >> 6] |= 1ull << (slot & 63);
        }
    }
    return build_lits(pf) != 0 || build_ranges(pf) != 0 || build_cpf(pf) != 0 ? -1 : 0;
}

size_t kb_prefilter_count(const kb_prefilter_t *pf)
{
    return pf->n_pats;
}

size_t kb_prefilter_first(const kb_prefilter_t *pf, size_t k, const uint32_t **cps)
{
    if (k >= pf->n_pats) {
        return 0;
    }
    *cps = pf->first[k].cp;
    return pf->first[k].n;
}

size_t kb_prefilter_second(const kb_prefilter_t *pf, size_t k, const uint32_t **cps)
{
    if (k >= pf->n_pats) {
        return 0;
    }
    *cps = pf->first[k].cp2;
    return pf->first[k].n2;
}

size_t kb_prefilter_sets(const kb_prefilter_t *pf, size_t k)
{
    size_t n = 0;

    for (uint8_t need = k < pf->n_pats ? pf->need[k] : 0; need; need >>= 1) {
        n += need & 1;
    }
    return n;
}

/* ---- scanning ----------------------------------------------------------------- */

/* u[0] | u[1] << 8, the index of the start table. On a little-endian host
 * that is one 16-bit load: the scan below does it for every byte of every
 * text, and the two byte loads, shift and or were half of that loop. */
static inline uint32_t pair_at(const unsigned char *u)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t v;

    memcpy(&v, u, sizeof(v));
    return v;
#else
    return u[0] | ((uint32_t)u[1] << 8);
#endif
}

/* Does literal e occur at s (left bytes)? hashed: e is keyed by a hash
 * of six bytes, which says nothing for sure. */
static inline int lit_at(const plit_t *e, const char *s, size_t left, int hashed)
{
    /* Most texts have 8 bytes left: one masked compare settles a literal
     * of up to 8 bytes, with no branch on its length to mispredict. */
    if (left >= 8) {
        uint64_t v;
        memcpy(&v, s, sizeof(v));
        if (((v ^ e->w8) & e->m8) != 0) {
            return 0;
        }
        return e->len <= 8 || (e->len <= left && memcmp(e->b + 8, s + 8, e->len - 8u) == 0);
    }
    if (hashed) {
        return e->len <= left && memcmp(e->b, s, e->len) == 0;
    }
    /* The key holds the first three bytes, so only longer literals need
     * comparing, and only past them. */
    return e->len <= 3 || (e->len <= left && e->b[3] == s[3] &&
                           memcmp(e->b + 4, s + 4, e->len - 4u) == 0);
}

/* Mark the sets of every literal with key @p key that occurs at @p s. */
static inline void hit(const kb_prefilter_t *pf, uint32_t key, const char *s,
                       size_t left, uint8_t *run, int hashed)
{
    size_t h = range_home(key, pf->range_cap);

    while (pf->ranges[h].key != key) {
        if (!pf->ranges[h].key) {
            return; /* a bitmap collision of the three-byte hash */
        }
        h = (h + 1) & (pf->range_cap - 1);
    }
    for (uint32_t i = pf->ranges[h].lo; i < pf->ranges[h].hi; i++) {
        const plit_t *l = &pf->lits[i];
        if (lit_at(l, s, left, hashed)) {
            for (uint32_t t = l->t0; t < l->t1; t++) {
                run[pf->tgts[t].pat] |= pf->tgts[t].bit;
            }
        }
    }
}

/* One text position with two bytes: most positions stop at the table
 * lookup (continuation bytes start no literal, so Han text skips two of
 * every three bytes there too). */
static void scan_at(const kb_prefilter_t *pf, uint32_t f, const unsigned char *u,
                    size_t left, uint8_t *run)
{
    uint32_t b01 = pair_at(u), k3, slot;

    /* three-byte keys first: most positions that pass have only those */
    if ((f & START_3) && left >= 3) {
        k3 = (3u << 24) | b01 | ((uint32_t)u[2] << 16);
        slot = key_slot(k3);
        if ((pf->bm3[slot >> 6] >> (slot & 63)) & 1) {
            hit(pf, k3, (const char *)u, left, run, 0);
        }
    }
    if (!(f & ~START_3)) {
        return;
    }
    if (f & START_1) {
        hit(pf, (1u << 24) | u[0], (const char *)u, left, run, 0);
    }
    if (f & START_2) {
        hit(pf, (2u << 24) | b01, (const char *)u, left, run, 0);
    }
    if ((f & START_6) && left >= 6) {
        k3 = key6_of(u);
        slot = key_slot(k3);
        if ((pf->bm6[slot >> 6] >> (slot & 63)) & 1) {
            hit(pf, k3, (const char *)u, left, run, 1);
        }
    }
}

/* run[k] = (run[k] & need[k]) == need[k] for every pattern, eight at a
 * time: x = (run & need) ^ need has a zero byte exactly where all sets
 * are met, and the usual zero-byte test ((x & 0x7f..) + 0x7f..) | x sets
 * the top bit of each non-zero byte without carrying into the next. */
static void settle(uint8_t *run, const uint8_t *need, size_t n)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, ones = 0x0101010101010101ULL;
    size_t k = 0;

    for (; k + 8 <= n; k += 8) {
        uint64_t r, m, x;
        memcpy(&r, run + k, 8);
        memcpy(&m, need + k, 8);
        x = (r & m) ^ m;
        x = ((x & lo7) + lo7) | x;
        r = (~x >> 7) & ones;
        memcpy(run + k, &r, 8);
    }
    for (; k < n; k++) {
        run[k] = (run[k] & need[k]) == need[k];
    }
}

/* A character of three bytes (lead byte E0..EF) at u, left bytes from u:
 * what scan_at() does there, with the literals that open with it known
 * exactly by code point (build_cpf()): no filter on its first two bytes,
 * which in Chinese text are a lead byte and one of 64 blocks of characters
 * and let nearly every character through, and no hashed bitmap for its
 * three-byte key. */
static inline void scan_cp3(const kb_prefilter_t *pf, const unsigned char *u, size_t left,
                            uint8_t *run)
{
    uint8_t f = pf->cpf[(u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu)];

    if (f & CPF_3) {
        hit(pf, (3u << 24) | pair_at(u) | ((uint32_t)u[2] << 16), (const char *)u, left,
            run, 0);
    }
    if ((f & CPF_6) && left >= 6) {
        uint32_t k6 = key6_of(u), slot = key_slot(k6);
        if ((pf->bm6[slot >> 6] >> (slot & 63)) & 1) {
            hit(pf, k6, (const char *)u, left, run, 1);
        }
    }
}

void kb_prefilter_scan(const kb_prefilter_t *pf, const char *s, size_t len,
                       uint8_t *run)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    const uint8_t *start = pf->start;

    memset(run, 0, pf->n_pats);
    /* A three-byte character (all of Chinese) is one step: only its first
     * byte can open a literal. Every other byte is looked at, continuation
     * bytes of two- and four-byte characters too (no literal starts there,
     * so their table entries are empty). The text is valid UTF-8, so a
     * lead byte E0..EF has its two continuation bytes. */
    for (const unsigned char *p = u, *last = len ? end - 1 : u; p < last; p++) {
        uint32_t f;
        /* most positions: one load and a test */
        while ((f = start[pair_at(p)]) == 0) {
            if (++p == last) {
                goto done;
            }
        }
        if (f & START_CP) {
            scan_cp3(pf, p, (size_t)(end - p), run);
            p += 2;
        } else {
            scan_at(pf, f, p, (size_t)(end - p), run);
        }
    }
done:
    if (len > 0 && (pf->start[u[len - 1]] & START_1)) {
        hit(pf, (1u << 24) | u[len - 1], s + len - 1, 1, run, 0);
    }
    settle(run, pf->need, pf->n_pats);
}
