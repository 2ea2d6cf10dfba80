/* kb_decode.c -- JSON message to kb_msg_t, with field mapping. */
#include "kb_decode.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_buf.h"
#include "kb_mem.h"

#define MAX_DEPTH 8

static const char *const field_names[KB_F_COUNT] = {
    "text", "id", "brand", "ts", "lang", "rating", "source", "followers"};

typedef struct {
    char *comp[MAX_DEPTH]; /* owned copies of the path components */
    size_t len0;           /* strlen(comp[0]) */
    int n;
} path_t;

struct kb_decoder {
    size_t max_bytes;
    path_t path[KB_F_COUNT];
};

static void path_free(path_t *p)
{
    for (int i = 0; i < p->n; i++) {
        kb_free(p->comp[i]);
    }
    p->n = 0;
}

static int path_set(path_t *p, const char *s)
{
    path_t np = {{0}, 0, 0};
    const char *c = s;

    while (*c) {
        const char *dot = strchr(c, '.');
        size_t l = dot ? (size_t)(dot - c) : strlen(c);
        if (l == 0 || np.n == MAX_DEPTH || !(np.comp[np.n] = kb_strndup(c, l))) {
            path_free(&np);
            return -1;
        }
        np.n++;
        c += l + (dot != NULL);
    }
    if (np.n == 0) {
        return -1;
    }
    np.len0 = strlen(np.comp[0]);
    path_free(p);
    *p = np;
    return 0;
}

kb_decoder_t *kb_decoder_new(size_t max_bytes, char *errstr, size_t errstr_size)
{
    kb_decoder_t *dec = kb_calloc(1, sizeof(*dec));

    if (!dec) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    dec->max_bytes = max_bytes;
    for (int f = 0; f < KB_F_COUNT; f++) {
        if (path_set(&dec->path[f], field_names[f]) != 0) {
            snprintf(errstr, errstr_size, "out of memory");
            kb_decoder_free(dec);
            return NULL;
        }
    }
    return dec;
}

void kb_decoder_free(kb_decoder_t *dec)
{
    if (!dec) {
        return;
    }
    for (int f = 0; f < KB_F_COUNT; f++) {
        path_free(&dec->path[f]);
    }
    kb_free(dec);
}

int kb_decoder_map(kb_decoder_t *dec, const char *spec, char *errstr,
                   size_t errstr_size)
{
    const char *eq = strchr(spec, '=');
    int f;

    for (f = 0; eq && f < KB_F_COUNT; f++) {
        if (strlen(field_names[f]) == (size_t)(eq - spec) &&
            strncmp(spec, field_names[f], (size_t)(eq - spec)) == 0) {
            break;
        }
    }
    if (!eq || f == KB_F_COUNT) {
        snprintf(errstr, errstr_size,
                 "--field '%s': expected NAME=json.path with NAME one of "
                 "text id brand ts lang rating source followers", spec);
        return -1;
    }
    if (path_set(&dec->path[f], eq + 1) != 0) {
        snprintf(errstr, errstr_size, "--field '%s': bad path (empty "
                 "component or deeper than %d)", spec, MAX_DEPTH);
        return -1;
    }
    return 0;
}

/* Follow a dotted path; numeric components index arrays. */
static json_t *lookup(json_t *root, const path_t *p)
{
    json_t *j = root;

    for (int i = 0; i < p->n && j; i++) {
        if (json_is_object(j)) {
            j = json_object_get(j, p->comp[i]);
        } else if (json_is_array(j) && isdigit((unsigned char)p->comp[i][0])) {
            j = json_array_get(j, strtoul(p->comp[i], NULL, 10));
        } else {
            j = NULL;
        }
    }
    return j;
}

/* Values of the fields whose path is one key, picked up by the fast parse as
 * it meets them (valid when the fast parse made the message): what lookup()
 * would find, without hashing each key again. */
typedef struct {
    int valid;
    int text;     /* the fast path set msg->text itself (v[KB_F_TEXT] unused) */
    json_t *v[KB_F_COUNT];
} found_t;

static json_t *field_of(const kb_decoder_t *dec, const kb_msg_t *msg,
                        const found_t *fd, kb_field_t f)
{
    if (fd->valid) {
        /* A flat object has nothing below its members. */
        return dec->path[f].n == 1 ? fd->v[f] : NULL;
    }
    return lookup(msg->root, &dec->path[f]);
}

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no timegm() and no TZ environment is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i])) {
            return -1;
        }
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

/* Days in month @mo (1..12) of year @y, proleptic Gregorian. */
static int month_days(int y, int mo)
{
    static const unsigned char n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return n[mo - 1] + (mo == 2 && leap);
}

int kb_parse_iso8601(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, fd = 0, oh = 0, om = 0;
    int sign = 1;

    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo)) {
        /* 2024-02-30 is a typo or a broken export, not 2024-03-01 */
        return -1;
    }
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || h > 23 || mi > 59) {
            return -1;
        }
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &sec) != 0 || sec > 60) {
                return -1;
            }
        }
        if (*s == '.' || *s == ',') {
            for (s++; isdigit((unsigned char)*s); s++) {
                if (fd < 3) { frac = frac * 10 + (*s - '0'); fd++; }
            }
            while (fd > 0 && fd < 3) { frac *= 10; fd++; }
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (digits(&s, 2, &oh) != 0) {
            return -1;
        }
        /* +08:00, +0800 or +08 (ISO 8601 allows the hour alone) */
        if (*s == ':' && (s++, digits(&s, 2, &om) != 0)) {
            return -1;
        }
        if (isdigit((unsigned char)*s) && digits(&s, 2, &om) != 0) {
            return -1;
        }
        if (oh > 23 || om > 59) {
            return -1;
        }
    }
    if (*s != '\0') {
        return -1;
    }
    *ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
            mi * 60 + sec) - sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return 0;
}

/* Write @n digits of @v at @p (zero-padded). */
static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10) {
        p[i] = (char)('0' + v % 10);
    }
    return p + n;
}

void kb_format_iso8601(int64_t ms, char *out, size_t out_size)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t rem = ms - secs * 1000, days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    char tmp[32], *p = tmp;
    int y;
    unsigned m, d;

    /* By hand, not snprintf: this runs for every scored record. */
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || out_size < 25) {
        snprintf(out, out_size, "%lld", (long long)ms);
        return;
    }
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    if (rem) {
        *p++ = '.';
        p = put_digits(p, rem, 3);
    }
    *p++ = 'Z';
    *p = '\0';
    memcpy(out, tmp, (size_t)(p - tmp) + 1);
}

/* Epoch numbers above 1e11 are milliseconds (1e11 s is the year 5138). */
static int epoch_ms(double v, int64_t *ms)
{
    if (!isfinite(v) || v < 0 || v > 1e15) {
        return -1;
    }
    *ms = v > 1e11 ? (int64_t)v : (int64_t)llround(v * 1000.0);
    return 0;
}

/* A rating is a number from 1 to 5, or a string holding only one (exports
 * from spreadsheets quote numbers). The whole string must be the number:
 * "3abc" or "nan" is an error, not a 3 or a rating silently dropped. */
static int parse_rating(const json_t *j, double *r)
{
    if (json_is_number(j)) {
        *r = json_number_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        *r = strtod(s, &end);
        while (end != s && isspace((unsigned char)*end)) {
            end++;
        }
        if (end == s || *end != '\0') {
            return -1;
        }
    } else {
        return -1;
    }
    return isfinite(*r) && *r >= 1 && *r <= 5 ? 0 : -1;
}

static int parse_ts(const json_t *j, int64_t *ms)
{
    if (json_is_number(j)) {
        return epoch_ms(json_number_value(j), ms);
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        double v;
        if (kb_parse_iso8601(s, ms) == 0) {
            return 0;
        }
        v = strtod(s, &end);
        return (end != s && *end == '\0') ? epoch_ms(v, ms) : -1;
    }
    return -1;
}

const char *kb_bad_name(kb_bad_t b)
{
    static const char *const n[KB_BAD_COUNT] = {
        "none", "oversize", "invalid_json", "invalid_utf8", "not_object",
        "missing_text", "empty_text", "bad_field"};
    return b < KB_BAD_COUNT ? n[b] : "?";
}

/* ---- message ---------------------------------------------------------------- */

/* An empty message; text_buf is left as it is (only text points into it). */
static void msg_init(kb_msg_t *msg)
{
    memset(msg, 0, offsetof(kb_msg_t, text_buf));
    msg->followers = -1;
}

void kb_msg_clear(kb_msg_t *msg)
{
    json_decref(msg->root);
    for (int i = 0; i < msg->n_own; i++) {
        json_decref(msg->own[i]);
    }
    kb_free(msg->text_heap);
    msg_init(msg);
}

/* Optional string field: absent/null is fine, another type is bad input. */
static int opt_string(const kb_decoder_t *dec, kb_msg_t *msg, const found_t *fd,
                      kb_field_t f, const char **s, size_t *len, char *errstr,
                      size_t errstr_size)
{
    json_t *j = field_of(dec, msg, fd, f);

    if (!j || json_is_null(j)) {
        return 0;
    }
    if (!json_is_string(j)) {
        snprintf(errstr, errstr_size, "field '%s' is not a string", field_names[f]);
        return -1;
    }
    *s = json_string_value(j);
    if (len) {
        *len = json_string_length(j);
    }
    return 0;
}

/* The text as a jansson value: msg->text and text_len, or -1. */
static int json_text(const kb_decoder_t *dec, kb_msg_t *msg, const found_t *fd,
                     char *errstr, size_t errstr_size)
{
    json_t *j = field_of(dec, msg, fd, KB_F_TEXT);

    if (!j || json_is_null(j)) {
        snprintf(errstr, errstr_size, "missing text");
        msg->bad = KB_BAD_NO_TEXT;
        return -1;
    }
    if (!json_is_string(j)) {
        snprintf(errstr, errstr_size, "text is not a string");
        msg->bad = KB_BAD_NO_TEXT;
        return -1;
    }
    msg->text = json_string_value(j);
    msg->text_len = json_string_length(j);
    return 0;
}

static int get_text(const kb_decoder_t *dec, kb_msg_t *msg, const found_t *fd,
                    char *errstr, size_t errstr_size)
{
    size_t i;

    if (!(fd->valid && fd->text) && json_text(dec, msg, fd, errstr, errstr_size) != 0) {
        return -1;
    }
    for (i = 0; i < msg->text_len && isspace((unsigned char)msg->text[i]); i++) {
    }
    if (i == msg->text_len) {
        snprintf(errstr, errstr_size, "empty text");
        msg->bad = KB_BAD_EMPTY_TEXT;
        return -1;
    }
    if (memchr(msg->text, '\0', msg->text_len)) {
        snprintf(errstr, errstr_size, "text contains a NUL character");
        return -1;
    }
    return 0;
}

static int get_numbers(const kb_decoder_t *dec, kb_msg_t *msg, const found_t *fd,
                       char *errstr, size_t errstr_size)
{
    json_t *j = field_of(dec, msg, fd, KB_F_TS);

    if (j && !json_is_null(j)) {
        if (parse_ts(j, &msg->ts_ms) != 0) {
            snprintf(errstr, errstr_size, "ts is neither ISO-8601 nor epoch "
                     "seconds/milliseconds");
            return -1;
        }
        msg->has_ts = 1;
    }
    j = field_of(dec, msg, fd, KB_F_RATING);
    if (j && !json_is_null(j)) {
        double r;
        if (parse_rating(j, &r) != 0) {
            snprintf(errstr, errstr_size, "rating is not a number from 1 to 5");
            return -1;
        }
        msg->rating = r;
    }
    j = field_of(dec, msg, fd, KB_F_FOLLOWERS);
    if (j && !json_is_null(j)) {
        if (!json_is_integer(j) || json_integer_value(j) < 0) {
            snprintf(errstr, errstr_size, "followers is not a non-negative integer");
            return -1;
        }
        msg->followers = json_integer_value(j);
    }
    return 0;
}

/* ---- fast path -------------------------------------------------------------- */

/* Most messages are one flat object of strings and integers. json_loadb
 * lexes them through a character stream and was a third of the cost of
 * scoring a line, so such objects are parsed here into the same jansson
 * values json_loadb would build. Only the values of mapped fields are kept,
 * owned by a json array as the message root (an object's hash table cost
 * an allocation per member and its hashing; nothing looks members up by
 * name once found_t has them). Anything else (nesting, reals, \u0000,
 * escaped keys, duplicates, bad UTF-8, any syntax error) returns NULL and
 * the line goes through json_loadb, which then gives its own verdict and
 * message: the fast path never decides that input is bad. */
#define FAST_KEYS 16 /* keys remembered for the duplicate test */

typedef struct {
    const unsigned char *p, *end;
    char *tmp; /* unescaped string bytes */
    size_t tmp_cap;
    const kb_decoder_t *dec;
    found_t *fd;
    kb_msg_t *msg; /* takes the mapped values and the text */
    const char *keys[FAST_KEYS]; /* the object's keys so far (in the input) */
    size_t key_len[FAST_KEYS];
    int n_keys;
} fast_t;

static void fast_ws(fast_t *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r')) {
        f->p++;
    }
}

/* Length of the valid UTF-8 sequence at p (as jansson checks it: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0. The range checks
 * are made on the second byte, per lead byte, as in the Unicode table of
 * well-formed sequences: this runs once per non-ASCII character of every
 * message, and decoding the code point only to compare it cost more than
 * the rest of the JSON parse. */
static inline __attribute__((always_inline)) size_t fast_utf8(const unsigned char *p,
                                                              const unsigned char *end)
{
    unsigned c = p[0];
    size_t left = (size_t)(end - p);

    /* Three bytes first (all of CJK), with both continuation bytes
     * tested at once; only E0 and ED narrow the second byte. */
    if ((c & 0xF0) == 0xE0) {
        if (left < 3 || (((p[1] ^ 0x80) | (p[2] ^ 0x80)) & 0xC0) != 0) {
            return 0;
        }
        if (c == 0xE0) {
            return p[1] >= 0xA0 ? 3 : 0;
        }
        return c == 0xED && p[1] >= 0xA0 ? 0 : 3;
    }
    if (c < 0xC2) {
        return 0;
    }
    if (c < 0xE0) {
        return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c < 0xF5) {
        if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) ||
            (c == 0xF4 && p[1] >= 0x90)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

static int fast_hex4(const unsigned char *p, const unsigned char *end, uint32_t *v)
{
    *v = 0;
    if (end - p < 4) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        int c = p[i];
        int d = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) {
            return -1;
        }
        *v = (*v << 4) | (uint32_t)d;
    }
    return 0;
}

/* One escape after the backslash into f->tmp at *n; -1: leave it to jansson. */
static int fast_escape(fast_t *f, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *c;
    uint32_t cp, lo;

    if (f->p >= f->end) {
        return -1;
    }
    if (*f->p != 'u') {
        if (!(c = memchr(from, *f->p, sizeof(from) - 1))) {
            return -1;
        }
        f->tmp[(*n)++] = to[c - from];
        f->p++;
        return 0;
    }
    if (fast_hex4(f->p + 1, f->end, &cp) != 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
        return -1;
    }
    f->p += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u' ||
            fast_hex4(f->p + 2, f->end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
            return -1;
        }
        f->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    *n += kb_utf8_put(cp, f->tmp + *n);
    return 0;
}

/* Are the eight bytes at p all plain string bytes (0x20..0x7F, neither
 * '"' nor '\\')? Word-at-a-time tests, each exact about whether some
 * byte is high, below 0x20 ((w - 0x20..) & ~w), or a quote or backslash
 * (a zero byte after the xor); which byte does not matter here. */
static inline int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
    uint64_t w, q, b;

    memcpy(&w, p, sizeof(w));
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    return ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) == 0;
}

/* Lead bytes whose three-byte sequences take any two continuation bytes. */
static const uint8_t lead3[256] = {
    [0xE1] = 1, [0xE2] = 1, [0xE3] = 1, [0xE4] = 1, [0xE5] = 1, [0xE6] = 1,
    [0xE7] = 1, [0xE8] = 1, [0xE9] = 1, [0xEA] = 1, [0xEB] = 1, [0xEC] = 1,
    [0xEE] = 1, [0xEF] = 1};

/* Are p[0] and p[1] both continuation bytes (10xxxxxx)? */
static inline int cont2(const unsigned char *p)
{
    uint16_t t;

    memcpy(&t, p, sizeof(t));
    return (t & 0xC0C0u) == 0x8080u;
}

/* Skip the unescaped bytes at f->p in one tight loop (most strings have
 * no escapes). 1: stopped at the closing quote or the end, 0: at a
 * backslash, 2: invalid (control character or bad UTF-8). */
static size_t plain_run(fast_t *f, int wide)
{
    const unsigned char *p = f->p, *end = f->end;
    size_t rc = 1;

    /* A value that starts in ASCII (English text) goes eight plain bytes
     * at a time until eight that are not, then byte by byte like any
     * other string (Chinese text, a key, the end of the string). */
    while (wide && end - p >= 8 && *p < 0x80 && plain8(p)) {
        p += 8;
    }
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k;
            /* Most of Chinese: lead E1..EC or EE..EF, which take any two
             * continuation bytes (E0 and ED restrict the second one); a
             * table and one 16-bit test, not five branches a character */
            if (lead3[c] && end - p >= 3 && cont2(p + 1)) {
                p += 3;
                continue;
            }
            k = fast_utf8(p, end);
            if (k == 0) {
                rc = 2;
                break;
            }
            p += k;
        } else if (c >= 0x20 && c != '"' && c != '\\') {
            p++;
        } else {
            rc = c < 0x20 ? 2 : c == '"' ? 1 : 0;
            break;
        }
    }
    f->p = p;
    return rc;
}

/* A string at f->p (after the quote): its bytes in s and len, pointing into
 * the input when it has no escapes, else into f->tmp. wide: a value, which
 * may be long (see plain_run()). */
static int fast_string(fast_t *f, const char **s, size_t *len, int wide)
{
    const unsigned char *start = f->p;
    size_t n = 0;
    int esc = 0;

    while (f->p < f->end && *f->p != '"') {
        size_t k;
        if (!esc && (k = plain_run(f, wide)) != 0) {
            if (k == 2) {
                return -1;
            }
            break;
        }
        if (*f->p < 0x20) {
            return -1;
        }
        if (*f->p == '\\') {
            if (!esc) {
                size_t need = (size_t)(f->end - start) + 4;
                if (f->tmp_cap < need) {
                    char *t = kb_realloc(f->tmp, need);
                    if (!t) {
                        return -1;
                    }
                    f->tmp = t;
                    f->tmp_cap = need;
                }
                memcpy(f->tmp, start, (size_t)(f->p - start));
                n = (size_t)(f->p - start);
                esc = 1;
            }
            f->p++;
            if (fast_escape(f, &n) != 0) {
                return -1;
            }
            continue;
        }
        k = *f->p < 0x80 ? 1 : fast_utf8(f->p, f->end);
        if (k == 0) {
            return -1;
        }
        if (esc) {
            memcpy(f->tmp + n, f->p, k);
            n += k;
        }
        f->p += k;
    }
    if (f->p >= f->end) {
        return -1;
    }
    *s = esc ? f->tmp : (const char *)start;
    *len = esc ? n : (size_t)(f->p - start);
    f->p++;
    return 0;
}

/* An integer that strtoll takes without overflow, as jansson lexes it. */
static json_t *fast_integer(fast_t *f)
{
    const unsigned char *q = f->p;
    unsigned long long v = 0; /* 19 digits fit; more than 18 go to jansson */
    int neg = 0, nd = 0;

    if (*q == '-') {
        neg = 1;
        q++;
    }
    if (q < f->end && *q == '0' && q + 1 < f->end && isdigit(q[1])) {
        return NULL;
    }
    for (; q < f->end && isdigit(*q) && nd < 19; q++, nd++) {
        v = v * 10 + (*q - '0');
    }
    if (nd == 0 || nd > 18 ||
        (q < f->end && (isdigit(*q) || *q == '.' || *q == 'e' || *q == 'E'))) {
        return NULL;
    }
    f->p = q;
    return json_integer(neg ? -(json_int_t)v : (json_int_t)v);
}

static json_t *fast_value(fast_t *f)
{
    static const struct { const char *w; size_t n; } words[] = {
        {"true", 4}, {"false", 5}, {"null", 4}};
    const char *s;
    size_t len;

    if (f->p >= f->end) {
        return NULL;
    }
    if (*f->p == '"') {
        f->p++;
        return fast_string(f, &s, &len, 1) == 0 ? json_stringn_nocheck(s, len) : NULL;
    }
    if (*f->p == '-' || isdigit(*f->p)) {
        return fast_integer(f);
    }
    for (int i = 0; i < 3; i++) {
        if ((size_t)(f->end - f->p) >= words[i].n && memcmp(f->p, words[i].w, words[i].n) == 0 &&
            ((size_t)(f->end - f->p) == words[i].n || !isalnum(f->p[words[i].n]))) {
            f->p += words[i].n;
            return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
        }
    }
    return NULL;
}

/* Has the object a member called k already? More keys than FAST_KEYS
 * count as a duplicate, which leaves such objects to jansson. */
static int fast_dup(fast_t *f, const char *k, size_t klen)
{
    if (f->n_keys == FAST_KEYS) {
        return 1;
    }
    for (int i = 0; i < f->n_keys; i++) {
        if (f->key_len[i] == klen && memcmp(f->keys[i], k, klen) == 0) {
            return 1;
        }
    }
    f->keys[f->n_keys] = k;
    f->key_len[f->n_keys++] = klen;
    return 0;
}

/* The fields mapped to key k, as bits. */
static unsigned fields_of(const kb_decoder_t *dec, const char *k, size_t klen)
{
    unsigned mapped = 0;

    for (int i = 0; i < KB_F_COUNT; i++) {
        const path_t *pt = &dec->path[i];
        if (pt->n == 1 && pt->len0 == klen && memcmp(pt->comp[0], k, klen) == 0) {
            mapped |= 1u << i;
        }
    }
    return mapped;
}

/* The text, a string at f->p (after the quote), copied into the message
 * with a NUL after it: a jansson string cost two allocations, a copy and
 * two frees a message. -1 to fall back. */
static int fast_text(fast_t *f)
{
    kb_msg_t *msg = f->msg;
    const char *s;
    size_t len;
    char *t = msg->text_buf;

    if (fast_string(f, &s, &len, 1) != 0) {
        return -1;
    }
    if (len >= sizeof(msg->text_buf)) {
        if (!(t = msg->text_heap = kb_malloc(len + 1))) {
            return -1; /* jansson then runs out of memory too, and says so */
        }
    }
    memcpy(t, s, len);
    t[len] = '\0';
    msg->text = t;
    msg->text_len = len;
    f->fd->text = 1;
    return 0;
}

/* One "key": value member; its value goes to the message when a field is
 * mapped to it. -1 to fall back. */
static int fast_member(fast_t *f)
{
    const char *k;
    size_t klen;
    json_t *v;
    unsigned mapped;

    if (f->p >= f->end || *f->p != '"') {
        return -1;
    }
    f->p++;
    if (fast_string(f, &k, &klen, 0) != 0 || k == f->tmp) { /* escaped keys are rare: jansson */
        return -1;
    }
    fast_ws(f);
    if (f->p >= f->end || *f->p != ':' || fast_dup(f, k, klen)) {
        return -1; /* duplicates are jansson's error to report */
    }
    f->p++;
    fast_ws(f);
    mapped = fields_of(f->dec, k, klen);
    if (mapped == 1u << KB_F_TEXT && f->p < f->end && *f->p == '"') {
        f->p++;
        return fast_text(f);
    }
    if (!(v = fast_value(f))) {
        return -1;
    }
    if (!mapped) {
        json_decref(v);
        return 0;
    }
    for (int i = 0; i < KB_F_COUNT; i++) {
        if ((mapped >> i) & 1) {
            f->fd->v[i] = v; /* borrowed from msg->own */
        }
    }
    /* a field maps one key and keys are distinct: at most KB_F_COUNT */
    f->msg->own[f->msg->n_own++] = v;
    return 0;
}

/* Parse buf as a flat object into msg (empty on entry) and fd. Returns 0,
 * or -1 to fall back to jansson with msg emptied again. */
static int fast_load(const kb_decoder_t *dec, const char *buf, size_t len, found_t *fd,
                     kb_msg_t *msg)
{
    fast_t f;
    int ok = 0;

    memset(&f, 0, sizeof(f));
    f.p = (const unsigned char *)buf;
    f.end = f.p + len;
    f.dec = dec;
    f.fd = fd;
    f.msg = msg;
    memset(fd, 0, sizeof(*fd));

    fast_ws(&f);
    if (f.p < f.end && *f.p == '{') {
        f.p++;
        fast_ws(&f);
        if (f.p < f.end && *f.p == '}') {
            ok = 1;
            f.p++;
        }
        while (!ok && fast_member(&f) == 0) {
            fast_ws(&f);
            if (f.p < f.end && *f.p == '}') {
                ok = 1;
                f.p++;
            } else if (f.p >= f.end || *f.p != ',') {
                break;
            } else {
                f.p++;
                fast_ws(&f);
            }
        }
        fast_ws(&f);
    }
    kb_free(f.tmp);
    if (!ok || f.p != f.end) {
        kb_msg_clear(msg);
        memset(fd, 0, sizeof(*fd));
        return -1;
    }
    fd->valid = 1;
    return 0;
}

kb_decode_rc_t kb_decode(const kb_decoder_t *dec, const char *buf, size_t len,
                         kb_msg_t *msg, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *id;
    found_t fd;

    msg_init(msg);
    memset(&fd, 0, sizeof(fd));
    if (len > dec->max_bytes) {
        snprintf(errstr, errstr_size, "message of %zu bytes exceeds the limit "
                 "of %zu", len, dec->max_bytes);
        msg->bad = KB_BAD_OVERSIZE;
        return KB_DECODE_BAD;
    }
    /* A byte order mark, as Windows tools write at the start of a file
     * (the first line of an export): RFC 8259 (8.1) lets a parser ignore
     * it, and no user would call that line bad JSON. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    if (fast_load(dec, buf, len, &fd, msg) != 0) {
        msg->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (!fd.valid && !msg->root) {
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            return KB_DECODE_ERROR;
        }
        snprintf(errstr, errstr_size, "%s: %s (column %d)",
                 json_error_code(&jerr) == json_error_invalid_utf8
                     ? "invalid UTF-8" : "invalid JSON",
                 jerr.text, jerr.column);
        msg->bad = json_error_code(&jerr) == json_error_invalid_utf8
                       ? KB_BAD_UTF8 : KB_BAD_JSON;
        return KB_DECODE_BAD;
    }
    if (!fd.valid && !json_is_object(msg->root)) {
        snprintf(errstr, errstr_size, "not a JSON object");
        msg->bad = KB_BAD_NOT_OBJECT;
        return KB_DECODE_BAD;
    }
    id = field_of(dec, msg, &fd, KB_F_ID);
    msg->id = (id && !json_is_null(id)) ? id : NULL;
    if (get_text(dec, msg, &fd, errstr, errstr_size) != 0 ||
        opt_string(dec, msg, &fd, KB_F_BRAND, &msg->brand, &msg->brand_len, errstr,
                   errstr_size) ||
        opt_string(dec, msg, &fd, KB_F_LANG, &msg->lang, NULL, errstr, errstr_size) ||
        opt_string(dec, msg, &fd, KB_F_SOURCE, &msg->source, &msg->source_len, errstr,
                   errstr_size) ||
        get_numbers(dec, msg, &fd, errstr, errstr_size) != 0) {
        if (msg->bad == KB_BAD_NONE) {
            msg->bad = KB_BAD_FIELD;
        }
        return KB_DECODE_BAD;
    }
    if (msg->brand && msg->brand_len == 0) {
        msg->brand = NULL; /* "" means not given: detect from the text */
    }
    return KB_DECODE_OK;
}
