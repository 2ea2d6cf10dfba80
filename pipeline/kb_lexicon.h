/* kb_lexicon.h -- load and query the sentiment/aspect lexicons.
 *
 * A lexicon is a folder of TSV files (format: lexicons/README.md). Loading
 * normalises every term with kb_norm and stores all of them, whatever their
 * kind, in one code-point trie, so the tokenizer finds the longest known term
 * in one walk and gets every role of it (sentiment, negator, degree,
 * contrast, SERVQUAL, intent, brand) from one entry. PCRE2 patterns are
 * compiled into one JIT-compiled alternation.
 *
 * A loaded kb_lexicon_t is immutable and may be shared between threads.
 */
#ifndef KB_LEXICON_H
#define KB_LEXICON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kb_norm.h"

typedef struct kb_lexicon kb_lexicon_t;

/* SERVQUAL dimensions, in output order. */
typedef enum {
    KB_SQ_TANGIBLES = 0,
    KB_SQ_RELIABILITY,
    KB_SQ_RESPONSIVENESS,
    KB_SQ_ASSURANCE,
    KB_SQ_EMPATHY,
    KB_SQ_COUNT
} kb_servqual_t;

#define KB_INTENT_COMPLAINT 0x01
#define KB_INTENT_COMPLAINT_WEAK 0x02
#define KB_INTENT_EFFORT 0x04

typedef enum {
    KB_CONTRAST_NONE = 0,
    KB_CONTRAST_BUT,      /* clause before weighs less, clause after more */
    KB_CONTRAST_BUT_MID,  /* like BUT, only when it opens a later clause */
    KB_CONTRAST_ALTHOUGH, /* its own clause weighs less */
    KB_CONTRAST_SCOPE,    /* only ends a negator's or degree word's reach
                             (不是A就B, 不是A而是B): no clause weighting */
    KB_CONTRAST_SUMMARY,  /* opens the verdict (总的来说, overall): its
                             sentence weighs more, what came before less */
    KB_CONTRAST_IRREALIS, /* opens a wish or supposition (希望, 如果, hope):
                             its clause says nothing about what happened */
    KB_CONTRAST_COUNTERFACTUAL /* opens an expectation that was not met
                             (本以为, should have been, expected): praise in
                             its clause names what was missing */
} kb_contrast_t;

/** Everything known about one normalised term. Transparent, read-only. */
typedef struct kb_lex_entry {
    float valence;    /* prior valence, 0 when not a sentiment term */
    float negator;    /* negation factor (e.g. -0.74), 0 when not a negator */
    float degree;     /* degree multiplier, 0 when not a degree word */
    uint8_t contrast; /* kb_contrast_t */
    uint8_t servqual; /* bit (1 << kb_servqual_t) per dimension */
    uint8_t intent;   /* KB_INTENT_* bits */
    uint8_t is_word;  /* listed as a neutral shield word */
    uint8_t resolver; /* a completed fix (fixed, 解决了): a problem word it
                         governs is no longer a complaint */
    int32_t brand;    /* brand index, -1 when not a brand alias */
} kb_lex_entry_t;

/** Tags of a regex pattern hit. */
typedef struct kb_lex_pattern {
    float valence;
    uint8_t servqual;
    uint8_t intent;
    uint8_t rating; /* KB_RATING_MID: a middling overall rating (3/5) */
} kb_lex_pattern_t;

#define KB_RATING_MID 1u

#define KB_LEX_ROOT 0u
#define KB_LEX_NONE UINT32_MAX

/** Load every *.tsv in @p dir (borrowed) plus optional extra files in the
 *  common "term<TAB>valence" format (lines may carry the same directives).
 *  @p nm is borrowed and must outlive the lexicon. Returns NULL with errstr
 *  ("file:line: reason") on failure. Caller frees with kb_lexicon_free(). */
kb_lexicon_t *kb_lexicon_load(const kb_norm_t *nm, const char *dir,
                              const char *const *extra, size_t n_extra,
                              char *errstr, size_t errstr_size);
void kb_lexicon_free(kb_lexicon_t *lx);

/** Validate @p dir: every problem (bad line, value out of range, unknown
 *  dimension or kind, duplicate term of the same kind with both file:line
 *  positions, bad regex) is written to @p out, followed by entry counts.
 *  Returns the number of problems (0 = clean) or -1 when it cannot run. */
int kb_lexicon_check(const kb_norm_t *nm, const char *dir, FILE *out);

/** Trie walk: the child of @p node for code point @p cp, or KB_LEX_NONE.
 *  @p node must be KB_LEX_ROOT or a node a walk returned, never
 *  KB_LEX_NONE (the walk reads the node's block without a check: it is the
 *  tokenizer's inner loop). The same holds for kb_lexicon_entry(). */
uint32_t kb_lexicon_step(const kb_lexicon_t *lx, uint32_t node, uint32_t cp);
/** kb_lexicon_step() over @p n code points at @p cp (borrowed) in one call:
 *  the node reached from @p node, or KB_LEX_NONE as soon as a step fails. */
uint32_t kb_lexicon_walk(const kb_lexicon_t *lx, uint32_t node, const uint32_t *cp,
                         size_t n);
/** A word's kb_lexicon_walk() from the root, its entry (in @p e) and the
 *  node's child by ' ' (in @p sp, where phrases continue; KB_LEX_NONE when
 *  none), in one hash probe for a word of ASCII code points: cp[0, n)
 *  (borrowed) is one word, no ' ' in it. Differs from the walk only where
 *  the walk reaches a node with no entry that no phrase continues from:
 *  that is KB_LEX_NONE here, of no use to a caller either way. */
uint32_t kb_lexicon_word(const kb_lexicon_t *lx, const uint32_t *cp, size_t n,
                         const kb_lex_entry_t **e, uint32_t *sp);
/** The entry ending at @p node, or NULL. */
const kb_lex_entry_t *kb_lexicon_entry(const kb_lexicon_t *lx, uint32_t node);
/** Longest term that is a prefix of cp[0, n); returns its length in code
 *  points (0 when none) and its entry in @p e. */
size_t kb_lexicon_longest(const kb_lexicon_t *lx, const uint32_t *cp, size_t n,
                          const kb_lex_entry_t **e);

/** 16 hex digits identifying the loaded files (borrowed). */
const char *kb_lexicon_hash(const kb_lexicon_t *lx);
size_t kb_lexicon_size(const kb_lexicon_t *lx);
size_t kb_lexicon_brand_count(const kb_lexicon_t *lx);
/** Canonical name of brand @p id (borrowed). */
const char *kb_lexicon_brand_name(const kb_lexicon_t *lx, int32_t id);
/** Name of SERVQUAL dimension @p d ("tangibles", ...). */
const char *kb_servqual_name(int d);

/** Run the pattern set over the UTF-8 form of @p nt (borrowed, normalised
 *  text; its kb_ntext_utf8() view is built if need be). For each hit,
 *  stores byte offsets into that view and tags (borrowed) in @p hits;
 *  returns the number of hits (at most @p max). @p md is match state owned by the caller's
 *  workspace (created when *md is NULL). -1 when out of memory. */
typedef struct kb_pattern_hit {
    size_t b0, b1;
    const kb_lex_pattern_t *tags;
} kb_pattern_hit_t;
/** Free match state created by kb_lexicon_patterns() (NULL ok). */
void kb_lexicon_match_free(void *md);
int kb_lexicon_patterns(const kb_lexicon_t *lx, kb_ntext_t *nt,
                        void **md, kb_pattern_hit_t *hits, size_t max);

#endif /* KB_LEXICON_H */
