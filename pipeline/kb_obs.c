/* kb_obs.c -- the aggregator's view of a scored message. */
#include "kb_obs.h"

#include <stdio.h>
#include <string.h>

static void add_term(kb_obs_buf_t *ob, const char *p, size_t len, int positive)
{
    for (size_t i = 0; i < ob->obs.n_terms; i++) {
        const kb_obs_term_t *t = &ob->terms[i];
        if (t->positive == positive && t->len == len && memcmp(t->p, p, len) == 0) {
            return;
        }
    }
    if (ob->obs.n_terms < KB_OBS_MAX_TERMS) {
        kb_obs_term_t *t = &ob->terms[ob->obs.n_terms++];
        t->p = p;
        t->len = len;
        t->positive = positive;
    }
}

static void init(kb_obs_buf_t *ob)
{
    memset(&ob->obs, 0, sizeof(ob->obs));
    ob->obs.terms = ob->terms;
    ob->obs.followers = -1;
}

/* A string id as is, an integer one as decimal text, anything else none. */
static void set_id(kb_obs_buf_t *ob, const json_t *id)
{
    if (json_is_string(id)) {
        ob->obs.id = json_string_value(id);
        ob->obs.id_len = json_string_length(id);
    } else if (json_is_integer(id)) {
        int n = snprintf(ob->id, sizeof(ob->id), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        ob->obs.id = ob->id;
        ob->obs.id_len = (size_t)n;
    }
}

void kb_obs_from_result(kb_obs_buf_t *ob, const kb_msg_t *msg, const kb_result_t *r,
                        const char *brand, size_t brand_len, int64_t fallback_ts_ms)
{
    kb_obs_t *o = &ob->obs;

    init(ob);
    o->brand = brand;
    o->brand_len = brand_len;
    set_id(ob, msg->id);
    o->ts_ms = msg->has_ts ? msg->ts_ms : fallback_ts_ms;
    o->score = kb_round4(r->score);
    o->label = r->label;
    o->complaint = r->complaint;
    o->effort = r->effort;
    o->rating = msg->rating;
    o->followers = msg->followers;
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        o->dim[d].mentioned = r->dim[d].mentioned;
        o->dim[d].score = kb_round4(r->dim[d].score);
        o->dim[d].label = r->dim[d].label;
    }
    for (int pass = 1; pass >= 0; pass--) { /* positive terms first, as printed */
        for (size_t i = 0; i < r->n_terms; i++) {
            if ((r->terms[i].value > 0) == pass) {
                add_term(ob, r->terms[i].p, r->terms[i].len, pass);
            }
        }
    }
}

static kb_label_t label_named(const char *s)
{
    return !s ? KB_LABEL_NEU : strcmp(s, "pos") == 0 ? KB_LABEL_POS
                             : strcmp(s, "neg") == 0 ? KB_LABEL_NEG : KB_LABEL_NEU;
}

static void json_terms(kb_obs_buf_t *ob, const json_t *list, int positive)
{
    size_t i;
    const json_t *v;

    json_array_foreach(list, i, v) {
        if (json_is_string(v)) {
            add_term(ob, json_string_value(v), json_string_length(v), positive);
        }
    }
}

int kb_obs_from_json(kb_obs_buf_t *ob, const json_t *rec, int64_t fallback_ts_ms,
                     char *errstr, size_t errstr_size)
{
    kb_obs_t *o = &ob->obs;
    const json_t *brand = json_object_get(rec, "brand");
    const json_t *sent = json_object_get(rec, "sentiment");
    const json_t *ts = json_object_get(rec, "ts"), *sq, *terms, *v;

    init(ob);
    if (!json_is_string(brand) || !json_is_object(sent) ||
        !json_is_number(json_object_get(sent, "score"))) {
        snprintf(errstr, errstr_size, "not a scored record with a brand");
        return -1;
    }
    o->brand = json_string_value(brand);
    o->brand_len = json_string_length(brand);
    set_id(ob, json_object_get(rec, "id"));
    o->ts_ms = fallback_ts_ms;
    if (json_is_string(ts) && kb_parse_iso8601(json_string_value(ts), &o->ts_ms) != 0) {
        snprintf(errstr, errstr_size, "unreadable ts");
        return -1;
    }
    o->score = kb_round4(json_number_value(json_object_get(sent, "score")));
    o->label = label_named(json_string_value(json_object_get(sent, "label")));
    o->complaint = json_is_true(json_object_get(rec, "complaint"));
    o->effort = json_is_true(json_object_get(rec, "effort"));
    v = json_object_get(rec, "rating");
    o->rating = json_is_number(v) ? json_number_value(v) : 0;
    v = json_object_get(rec, "followers");
    o->followers = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
    sq = json_object_get(rec, "servqual");
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        const json_t *dim = json_object_get(sq, kb_servqual_name(d));
        if (json_is_object(dim)) {
            o->dim[d].mentioned = 1;
            o->dim[d].score = kb_round4(json_number_value(json_object_get(dim, "score")));
            o->dim[d].label = label_named(json_string_value(json_object_get(dim, "label")));
        }
    }
    terms = json_object_get(rec, "terms");
    json_terms(ob, json_object_get(terms, "pos"), 1);
    json_terms(ob, json_object_get(terms, "neg"), 0);
    return 0;
}
