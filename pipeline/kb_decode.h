/* kb_decode.h -- JSON message to kb_msg_t, with field mapping.
 *
 * Input is one JSON object a message. Fields are found by dotted paths
 * (`content.body`, `items.0.text`), by default the field's own name.
 * Every way a message can be unusable is reported as a reason string, never
 * by aborting: the caller writes an error/dead-letter record and carries on.
 * A kb_decoder_t is read-only once configured and may be shared by threads.
 */
#ifndef KB_DECODE_H
#define KB_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct kb_decoder kb_decoder_t;

/* Fields that can be mapped. */
typedef enum {
    KB_F_TEXT = 0, KB_F_ID, KB_F_BRAND, KB_F_TS, KB_F_LANG, KB_F_RATING,
    KB_F_SOURCE, KB_F_FOLLOWERS, KB_F_COUNT
} kb_field_t;

/** Why a message was rejected (counters and dead-letter reasons). */
typedef enum {
    KB_BAD_NONE = 0,
    KB_BAD_OVERSIZE,
    KB_BAD_JSON,
    KB_BAD_UTF8,
    KB_BAD_NOT_OBJECT,
    KB_BAD_NO_TEXT,
    KB_BAD_EMPTY_TEXT,
    KB_BAD_FIELD,
    KB_BAD_COUNT
} kb_bad_t;

/** Short stable name of a rejection class ("invalid_json", ...). */
const char *kb_bad_name(kb_bad_t b);

/** Bytes of text a message holds in itself (longer texts are allocated). */
#define KB_MSG_TEXT_INLINE 256

/** One decoded message. Transparent. Strings are borrowed from values the
 *  message owns (`root`, or `own` and the text buffers when the flat-object
 *  fast path decoded it): release with kb_msg_clear(). `text` may point
 *  into the message itself: do not copy a kb_msg_t, pass its address. */
typedef struct kb_msg {
    json_t *root;
    const json_t *id;         /* NULL when absent */
    const char *text;
    size_t text_len;
    const char *brand;        /* NULL when absent */
    size_t brand_len;
    const char *lang;         /* NULL when absent (a hint; output is detected) */
    const char *source;
    size_t source_len;
    int64_t ts_ms;            /* event time, valid when has_ts */
    int has_ts;
    double rating;            /* 1..5 as given, 0 when absent */
    int64_t followers;        /* -1 when absent */
    kb_bad_t bad;             /* set when kb_decode() returns KB_DECODE_BAD */
    /* fast path: the mapped values (one reference each) and the text, in
     * text_buf when it fits, else in text_heap; text_buf stays last (it
     * is not cleared) */
    json_t *own[KB_F_COUNT];
    int n_own;
    char *text_heap;
    char text_buf[KB_MSG_TEXT_INLINE];
} kb_msg_t;

/** Result of kb_decode(). */
typedef enum {
    KB_DECODE_OK = 0,
    KB_DECODE_BAD = 1,   /* bad input: errstr says why; msg->id may be set */
    KB_DECODE_ERROR = -1 /* out of memory */
} kb_decode_rc_t;

/** @p max_bytes: larger messages are rejected. NULL + errstr on failure.
 *  Caller frees with kb_decoder_free(). */
kb_decoder_t *kb_decoder_new(size_t max_bytes, char *errstr, size_t errstr_size);
void kb_decoder_free(kb_decoder_t *dec);

/** Apply a mapping "field=dotted.path" (e.g. "text=content.body").
 *  Returns 0, or -1 with errstr for an unknown field or an empty path. */
int kb_decoder_map(kb_decoder_t *dec, const char *spec, char *errstr,
                   size_t errstr_size);

/** Decode @p len bytes at @p buf (borrowed; need not be NUL-terminated).
 *  On KB_DECODE_OK and KB_DECODE_BAD, release @p msg with kb_msg_clear(). */
kb_decode_rc_t kb_decode(const kb_decoder_t *dec, const char *buf, size_t len,
                         kb_msg_t *msg, char *errstr, size_t errstr_size);
void kb_msg_clear(kb_msg_t *msg);

/** Parse ISO-8601 ("2026-11-02T09:00:12Z", "2026-11-02T17:00:12.5+08:00",
 *  "2026-11-02 09:00:12" taken as UTC) into epoch milliseconds. 0 or -1. */
int kb_parse_iso8601(const char *s, int64_t *ms);
/** Format epoch milliseconds as "2026-11-02T09:00:12Z" (".123" when there
 *  are milliseconds) into @p out (at least 32 bytes). */
void kb_format_iso8601(int64_t ms, char *out, size_t out_size);

#endif /* KB_DECODE_H */
