/* kb_encode.c -- scored records and error records as JSON lines. */
#include "kb_encode.h"

#include <stdlib.h>
#include <string.h>

/* Literal keys and punctuation: their length is known at compile time, so
 * no strlen() per piece of every record. */
#define PUT_LIT(out, lit) kb_buf_append((out), "" lit, sizeof(lit) - 1)

void kb_encode_value(kb_buf_t *out, const json_t *v)
{
    char *s;

    switch (json_typeof(v)) {
    case JSON_STRING:
        kb_buf_json_str(out, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        kb_buf_int(out, (int64_t)json_integer_value(v));
        return;
    case JSON_TRUE: PUT_LIT(out, "true"); return;
    case JSON_FALSE: PUT_LIT(out, "false"); return;
    case JSON_NULL: PUT_LIT(out, "null"); return;
    default:
        break;
    }
    s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s) {
        out->oom = 1;
        return;
    }
    kb_buf_puts(out, s);
    free(s);
}

void kb_encode_error(kb_buf_t *out, const json_t *id, const char *reason)
{
    kb_buf_putc(out, '{');
    if (id) {
        PUT_LIT(out, "\"id\":");
        kb_encode_value(out, id);
        kb_buf_putc(out, ',');
    }
    PUT_LIT(out, "\"error\":");
    kb_buf_json_text(out, reason, strlen(reason));
    kb_buf_putc(out, '}');
}

static void key(kb_buf_t *out, const char *k)
{
    kb_buf_putc(out, '"');
    kb_buf_puts(out, k);
    PUT_LIT(out, "\":");
}

static void span(kb_buf_t *out, const char *name, const kb_span_t *sp)
{
    PUT_LIT(out, "{\"");
    kb_buf_puts(out, name);
    PUT_LIT(out, "\":");
    kb_buf_json_str(out, sp->p, sp->len);
    PUT_LIT(out, ",\"start\":");
    kb_buf_int(out, sp->start);
    PUT_LIT(out, ",\"end\":");
    kb_buf_int(out, sp->end);
}

/* "brand" is the given brand, else the first detected one; "brands" lists
 * every detected brand when there are several. */
static void brand_fields(kb_buf_t *out, const kb_msg_t *msg, const kb_result_t *r,
                         const kb_lexicon_t *lx)
{
    const char *b;

    key(out, "brand");
    if (msg->brand) {
        kb_buf_json_str(out, msg->brand, msg->brand_len);
    } else if (r->n_brands > 0 && (b = kb_lexicon_brand_name(lx, r->brands[0]))) {
        kb_buf_json_str(out, b, strlen(b));
    } else {
        PUT_LIT(out, "null");
    }
    if (!msg->brand && r->n_brands > 1) {
        PUT_LIT(out, ",\"brands\":[");
        for (size_t i = 0; i < r->n_brands; i++) {
            b = kb_lexicon_brand_name(lx, r->brands[i]);
            if (i) kb_buf_putc(out, ',');
            kb_buf_json_str(out, b, strlen(b));
        }
        kb_buf_putc(out, ']');
    }
}

static void meta_fields(kb_buf_t *out, const kb_msg_t *msg)
{
    char ts[40];

    PUT_LIT(out, ",\"ts\":");
    if (msg->has_ts) {
        kb_format_iso8601(msg->ts_ms, ts, sizeof(ts));
        kb_buf_json_str(out, ts, strlen(ts));
    } else {
        PUT_LIT(out, "null");
    }
    if (msg->source) {
        PUT_LIT(out, ",\"source\":");
        kb_buf_json_str(out, msg->source, msg->source_len);
    }
    if (msg->rating > 0) {
        PUT_LIT(out, ",\"rating\":");
        kb_buf_num(out, msg->rating); /* 4.5 stays 4.5 */
    }
    if (msg->followers >= 0) {
        PUT_LIT(out, ",\"followers\":");
        kb_buf_int(out, msg->followers);
    }
}

static void servqual_field(kb_buf_t *out, const kb_result_t *r)
{
    int first = 1;

    PUT_LIT(out, ",\"servqual\":{");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        const kb_dim_result_t *dr = &r->dim[d];
        if (!dr->mentioned) {
            continue;
        }
        if (!first) kb_buf_putc(out, ',');
        first = 0;
        key(out, kb_servqual_name(d));
        PUT_LIT(out, "{\"score\":");
        kb_buf_num(out, dr->score);
        PUT_LIT(out, ",\"label\":\"");
        kb_buf_puts(out, kb_label_name(dr->label));
        PUT_LIT(out, "\",\"evidence\":[");
        for (size_t i = 0; i < dr->n_ev; i++) {
            if (i) kb_buf_putc(out, ',');
            span(out, "term", &r->evidence[dr->ev0 + i]);
            kb_buf_putc(out, '}');
        }
        PUT_LIT(out, "]}");
    }
    kb_buf_putc(out, '}');
}

/* Distinct sentiment terms by polarity, in text order: what the aggregator
 * counts for a brand's top terms. */
static void terms_field(kb_buf_t *out, const kb_result_t *r)
{
    for (int pass = 0; pass < 2; pass++) {
        int first = 1;
        kb_buf_puts(out, pass ? "],\"neg\":[" : ",\"terms\":{\"pos\":[");
        for (size_t i = 0; i < r->n_terms; i++) {
            const kb_term_t *t = &r->terms[i];
            size_t j = 0;
            if ((t->value > 0) == (pass == 1)) {
                continue;
            }
            while (j < i && !((r->terms[j].value > 0) == (t->value > 0) &&
                              r->terms[j].len == t->len &&
                              memcmp(r->terms[j].p, t->p, t->len) == 0)) {
                j++;
            }
            if (j < i) {
                continue; /* already listed */
            }
            if (!first) kb_buf_putc(out, ',');
            first = 0;
            kb_buf_json_str(out, t->p, t->len);
        }
    }
    PUT_LIT(out, "]}");
}

static void trace_field(kb_buf_t *out, const kb_result_t *r)
{
    PUT_LIT(out, ",\"trace\":[");
    for (size_t i = 0; i < r->n_trace; i++) {
        const kb_trace_t *t = &r->trace[i];
        if (i) kb_buf_putc(out, ',');
        span(out, "term", &t->span);
        kb_buf_puts(out, t->is_pattern ? ",\"source\":\"pattern\"" : ",\"source\":\"lexicon\"");
        PUT_LIT(out, ",\"valence\":");
        kb_buf_num(out, t->base);
        PUT_LIT(out, ",\"modifiers\":[");
        for (int m = 0; m < t->n_mods; m++) {
            if (m) kb_buf_putc(out, ',');
            PUT_LIT(out, "{\"type\":\"");
            kb_buf_puts(out, kb_mod_name((kb_mod_t)t->mods[m].kind));
            PUT_LIT(out, "\",\"value\":");
            kb_buf_num(out, t->mods[m].value);
            if (t->mods[m].by.len) {
                PUT_LIT(out, ",\"by\":");
                kb_buf_json_str(out, t->mods[m].by.p, t->mods[m].by.len);
            }
            kb_buf_putc(out, '}');
        }
        PUT_LIT(out, "],\"contribution\":");
        kb_buf_num(out, t->value);
        kb_buf_putc(out, '}');
    }
    if (r->emphasis > 0 || r->emphasis < 0) {
        kb_buf_puts(out, r->n_trace ? "," : "");
        PUT_LIT(out, "{\"source\":\"punctuation\",\"contribution\":");
        kb_buf_num(out, r->emphasis);
        kb_buf_putc(out, '}');
    }
    kb_buf_putc(out, ']');
}

void kb_encode_scored(kb_buf_t *out, const kb_msg_t *msg, const kb_result_t *r,
                      const kb_lexicon_t *lx, int explain)
{
    PUT_LIT(out, "{\"id\":");
    if (msg->id) {
        kb_encode_value(out, msg->id);
    } else {
        PUT_LIT(out, "null");
    }
    kb_buf_putc(out, ',');
    brand_fields(out, msg, r, lx);
    meta_fields(out, msg);
    PUT_LIT(out, ",\"lang\":\"");
    kb_buf_puts(out, kb_lang_name(r->lang));
    PUT_LIT(out, "\",\"sentiment\":{\"score\":");
    kb_buf_num(out, r->score);
    PUT_LIT(out, ",\"label\":\"");
    kb_buf_puts(out, kb_label_name(r->label));
    PUT_LIT(out, "\",\"pos\":");
    kb_buf_num(out, r->pos);
    PUT_LIT(out, ",\"neg\":");
    kb_buf_num(out, r->neg);
    kb_buf_putc(out, '}');
    servqual_field(out, r);
    kb_buf_puts(out, r->complaint ? ",\"complaint\":true" : ",\"complaint\":false");
    kb_buf_puts(out, r->effort ? ",\"effort\":true" : ",\"effort\":false");
    terms_field(out, r);
    PUT_LIT(out, ",\"lexicon\":\"");
    kb_buf_puts(out, kb_lexicon_hash(lx));
    kb_buf_putc(out, '"');
    if (explain) {
        trace_field(out, r);
    }
    kb_buf_putc(out, '}');
}
