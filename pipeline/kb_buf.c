/* kb_buf.c -- growable byte buffer with JSON string escaping. */
#include "kb_buf.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kb_mem.h"

#include <unicode/utf8.h>

void kb_buf_init(kb_buf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void kb_buf_fini(kb_buf_t *b)
{
    kb_free(b->p);
    kb_buf_init(b);
}

void kb_buf_reset(kb_buf_t *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->p) {
        b->p[0] = '\0';
    }
}

/* Make room for @extra more bytes plus the NUL; sets oom on failure. */
static int reserve(kb_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (b->oom) {
        return -1;
    }
    if (need <= b->cap) {
        return 0;
    }
    while (cap < need) {
        cap *= 2;
    }
    p = kb_realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void kb_buf_append_slow(kb_buf_t *b, const void *data, size_t len)
{
    if (reserve(b, len) == 0) {
        memcpy(b->p + b->len, data, len);
        b->len += len;
        b->p[b->len] = '\0';
    }
}

void kb_buf_printf(kb_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The escaped bytes of a JSON string, without its quotes. Inlined into
 * kb_buf_json_str(), which writes every term of every record: as a call
 * of its own it cost 150 instructions a Chinese message. */
static inline __attribute__((always_inline)) void json_body(kb_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Bytes that need an escape: one table load per byte instead of three
     * comparisons (evidence and terms are mostly three-byte characters). */
    static const uint8_t needs[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        ['"'] = 1, ['\\'] = 1};
    size_t i, run = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];

        if (!needs[c]) {
            continue; /* copied as part of the run below */
        }
        kb_buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            kb_buf_append(b, u, 6);
            continue;
        }
        kb_buf_puts(b, esc);
    }
    kb_buf_append(b, s + run, len - run);
}

void kb_buf_json_str(kb_buf_t *b, const char *s, size_t len)
{
    kb_buf_putc(b, '"');
    json_body(b, s, len);
    kb_buf_putc(b, '"');
}

/* Reasons are short and rare: validating a code point at a time is fine
 * here, unlike in kb_buf_json_str(), which writes every scored term. */
void kb_buf_json_text(kb_buf_t *b, const char *s, size_t len)
{
    const uint8_t *u = (const uint8_t *)s;
    int32_t n = len > INT32_MAX ? INT32_MAX : (int32_t)len, k = 0, run = 0;

    kb_buf_putc(b, '"');
    while (k < n) {
        int32_t at = k;
        UChar32 c;
        U8_NEXT(u, k, n, c); /* steps over an ill-formed sequence too */
        if (c < 0) {
            json_body(b, s + run, (size_t)(at - run));
            kb_buf_puts(b, "\\ufffd");
            run = k;
        }
    }
    json_body(b, s + run, (size_t)(n - run));
    kb_buf_putc(b, '"');
}

void kb_buf_num(kb_buf_t *b, double v)
{
    char tmp[32], *p = tmp + sizeof(tmp);
    long long q;
    int neg, frac, digits = 4;

    if (!isfinite(v) || fabs(v) > 9e14) {
        kb_buf_puts(b, isfinite(v) ? "1e15" : "null");
        return;
    }
    /* Fixed point with four decimals, printed by hand: snprintf("%.4f") is
     * a large share of the per-record cost. Trailing zeros are trimmed. */
    q = llround(v * 10000.0);
    neg = q < 0;
    q = neg ? -q : q;
    frac = (int)(q % 10000);
    q /= 10000;
    while (digits > 0 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    for (int i = 0; i < digits; i++, frac /= 10) {
        *--p = (char)('0' + frac % 10);
    }
    if (digits > 0) {
        *--p = '.';
    }
    do {
        *--p = (char)('0' + q % 10);
        q /= 10;
    } while (q > 0);
    if (neg) { /* q != 0 here, so never "-0" */
        *--p = '-';
    }
    kb_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void kb_buf_int(kb_buf_t *b, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    /* By hand, not through printf: ids and evidence offsets are written for
     * every record, and vsnprintf ran twice per number. Negated as unsigned
     * so INT64_MIN works too. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        *--p = '-';
    }
    kb_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

size_t kb_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void kb_buf_utf8(kb_buf_t *b, uint32_t cp)
{
    char u[4];

    kb_buf_append(b, u, kb_utf8_put(cp, u));
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n) {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

static void base64(kb_buf_t *b, const unsigned char *s, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    kb_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        kb_buf_putc(b, tab[v >> 18 & 63]);
        kb_buf_putc(b, tab[v >> 12 & 63]);
        kb_buf_putc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
        kb_buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
    }
    kb_buf_putc(b, '"');
}

void kb_buf_payload(kb_buf_t *b, const void *p, size_t n)
{
    kb_buf_puts(b, ",\"payload\":");
    if (!p) {
        kb_buf_puts(b, "\"\"");
    } else if (utf8_valid(p, n)) {
        kb_buf_json_str(b, p, n);
    } else {
        base64(b, p, n);
        kb_buf_puts(b, ",\"payload_encoding\":\"base64\"");
    }
}
