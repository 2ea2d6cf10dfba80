/* kb_score.h -- sentiment, SERVQUAL, complaint and effort for one text.
 *
 * A kb_scorer_t bundles the shared lexicon and normaliser (borrowed) with
 * the per-thread workspaces (owned): one scorer per thread. The rules are
 * VADER-class (Hutto & Gilbert 2014) with Chinese counterparts: negation with
 * a three-token scope inside its clause, degree words, contrast weighting,
 * '!'/'?' emphasis, ALL-CAPS and elongation emphasis, emoji. The summed
 * valence x is normalised to x / sqrt(x^2 + 15), VADER's compound score.
 */
#ifndef KB_SCORE_H
#define KB_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "kb_lexicon.h"
#include "kb_norm.h"

typedef struct kb_scorer kb_scorer_t;

typedef enum { KB_LABEL_NEU = 0, KB_LABEL_POS, KB_LABEL_NEG } kb_label_t;

/* Compound score at or beyond which a text is pos (or neg, negated). */
#define KB_SCORE_THRESHOLD 0.05

typedef enum { KB_LANG_UND = 0, KB_LANG_ZH, KB_LANG_EN, KB_LANG_MIXED } kb_lang_t;

/** A span of the original text: code-point offsets and the bytes (borrowed
 *  from the text passed to kb_scorer_run()). */
typedef struct kb_span {
    uint32_t start, end;
    const char *p;
    size_t len;
} kb_span_t;

typedef enum {
    KB_MOD_NEGATION = 0, /* value: factor applied */
    KB_MOD_DEGREE,       /* value: multiplier applied */
    KB_MOD_DEGREE_UNDER_NEGATION, /* value: multiplier (inverted) */
    KB_MOD_CONTRAST,     /* value: clause weight */
    KB_MOD_CAPS,         /* value: valence added */
    KB_MOD_ELONGATION,   /* value: valence added */
    KB_MOD_TOPIC,        /* value: 0, the term names the topic of the
                            opposite opinion that follows (卫生很差) */
    KB_MOD_RHETORICAL,   /* value: 1, a negator in a rhetorical question
                            (这不是坑人吗) that does not flip */
    KB_MOD_RESOLVED,     /* value: 0, a completed fix governs the problem
                            word ("fixed the lag", 问题解决了) */
    KB_MOD_QUESTION,     /* value: weight of praise inside a Chinese
                            question (能准时送达吗？) */
    KB_MOD_PATTERN,      /* value: 0, the term lies inside a pattern hit
                            that values the whole phrase (等了两个小时) */
    KB_MOD_SCARE_QUOTES, /* value: factor applied, the term alone in quotes
                            is doubted (真是太"好"了, the "best" pizza) */
    KB_MOD_SARCASM,      /* value: factor applied, bare praise closing a
                            complaint ("... two days later. Thanks a lot.") */
    KB_MOD_COUNT
} kb_mod_t;

#define KB_TRACE_MAX_MODS 6

/** One lexicon or pattern hit in the --explain trace. */
typedef struct kb_trace {
    kb_span_t span;
    float base;           /* prior valence from the lexicon or pattern */
    float value;          /* contribution after all modifiers */
    uint8_t is_pattern;
    uint8_t n_mods;
    struct {
        uint8_t kind;     /* kb_mod_t */
        float value;
        kb_span_t by;     /* the modifier's own text (empty for emphasis) */
    } mods[KB_TRACE_MAX_MODS];
} kb_trace_t;

/** A sentiment term that contributed to the score: its normalised form
 *  (lexicon spelling: Simplified, lower case) and its final contribution. */
typedef struct kb_term {
    const char *p;        /* borrowed from the scorer */
    size_t len;
    float value;
} kb_term_t;

typedef struct kb_dim_result {
    int mentioned;
    double score;         /* in [-1, 1] */
    kb_label_t label;
    size_t ev0, n_ev;     /* range in kb_result_t.evidence */
} kb_dim_result_t;

/** Everything scored for one text. Transparent; owned by the scorer and
 *  valid until the next kb_scorer_run() on it. */
typedef struct kb_result {
    double score, pos, neg;    /* compound in [-1, 1]; pos/neg mass shares */
    kb_label_t label;
    kb_lang_t lang;
    kb_dim_result_t dim[KB_SQ_COUNT];
    kb_span_t *evidence;
    size_t n_evidence;
    int complaint, effort;
    const int32_t *brands;     /* brand ids in order of first mention */
    size_t n_brands;
    const kb_term_t *terms;    /* sentiment terms in text order */
    size_t n_terms;
    const kb_trace_t *trace;   /* only with explain */
    size_t n_trace;
    float emphasis;            /* valence added by ! and ? */
} kb_result_t;

/** @p lx and @p nm are borrowed and must outlive the scorer. Returns NULL
 *  on allocation failure. Caller frees with kb_scorer_free(). */
kb_scorer_t *kb_scorer_new(const kb_lexicon_t *lx, const kb_norm_t *nm,
                           char *errstr, size_t errstr_size);
void kb_scorer_free(kb_scorer_t *sc);

/** Score @p len bytes of UTF-8 (borrowed until the next call). Fills the
 *  trace when @p explain. Returns 0 and sets *res, or -1 with errstr
 *  (invalid UTF-8 with its byte offset, out of memory). */
int kb_scorer_run(kb_scorer_t *sc, const char *text, size_t len, int explain,
                  const kb_result_t **res, char *errstr, size_t errstr_size);

const char *kb_label_name(kb_label_t l);
const char *kb_lang_name(kb_lang_t l);
const char *kb_mod_name(kb_mod_t m);
const kb_lexicon_t *kb_scorer_lexicon(const kb_scorer_t *sc);

#endif /* KB_SCORE_H */
