/* kb_buf.h -- growable byte buffer with JSON string escaping.
 *
 * kb_buf_t is transparent: p/len are read directly. Appends never fail
 * loudly; an allocation failure sets the sticky `oom` flag and later appends
 * become no-ops, so a caller checks once, after building a whole record.
 * p is always NUL-terminated when cap > 0 and oom is 0.
 */
#ifndef KB_BUF_H
#define KB_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct kb_buf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
} kb_buf_t;

void kb_buf_init(kb_buf_t *b);
void kb_buf_fini(kb_buf_t *b);
/** Empty the buffer (keeps the allocation, clears oom). */
void kb_buf_reset(kb_buf_t *b);
/** Where kb_buf_append() and kb_buf_putc() go when there is no room: grow
 *  (or set oom), then append. */
void kb_buf_append_slow(kb_buf_t *b, const void *data, size_t len);

/* The appends are inline: a record is built from dozens of pieces of a few
 * bytes, and the buffer, reused per record, almost always has room, so the
 * common case is a bounds test and a copy the compiler can size. (oom keeps
 * cap honest: a failed growth never raises it.) */
static inline void kb_buf_append(kb_buf_t *b, const void *data, size_t len)
{
    if (!b->oom && len < b->cap - b->len) {
        memcpy(b->p + b->len, data, len);
        b->len += len;
        b->p[b->len] = '\0';
        return;
    }
    kb_buf_append_slow(b, data, len);
}

static inline void kb_buf_puts(kb_buf_t *b, const char *s)
{
    kb_buf_append(b, s, strlen(s));
}

static inline void kb_buf_putc(kb_buf_t *b, char c)
{
    kb_buf_append(b, &c, 1);
}
void kb_buf_printf(kb_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Append @p len bytes of UTF-8 as a quoted, escaped JSON string. */
void kb_buf_json_str(kb_buf_t *b, const char *s, size_t len);
/** kb_buf_json_str() for bytes that may not be UTF-8 (an error reason that
 *  quotes its input, a message cut at a byte limit): each ill-formed
 *  sequence is written as U+FFFD, so the line stays valid JSON. */
void kb_buf_json_text(kb_buf_t *b, const char *s, size_t len);
/** Append a number with up to 4 decimals, trailing zeros trimmed, so output
 *  is stable across runs and platforms ("0.5", "-0.1234", "3"). */
void kb_buf_num(kb_buf_t *b, double v);
void kb_buf_int(kb_buf_t *b, int64_t v);
/** Append one code point as UTF-8. */
void kb_buf_utf8(kb_buf_t *b, uint32_t cp);
/** Write code point @p cp (<= U+10FFFF) as UTF-8 into @p out (room for 4);
 *  returns the bytes written. */
size_t kb_utf8_put(uint32_t cp, char *out);
/** Append `,"payload":` and @p p as a JSON string when it is valid UTF-8,
 *  else base64 followed by `,"payload_encoding":"base64"` (dead letters
 *  keep the bytes exactly). */
void kb_buf_payload(kb_buf_t *b, const void *p, size_t n);

#endif /* KB_BUF_H */
