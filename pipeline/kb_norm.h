/* kb_norm.h -- text normalisation with offsets back into the original text.
 *
 * The normaliser turns raw UTF-8 into a sequence of code points that the
 * tokenizer and lexicon agree on: NFKC with case folding (full-width to
 * half-width comes with it), Traditional to Simplified Chinese, HTML entities
 * decoded, URLs and @mentions masked, runs of spaces made one (a double
 * space must not break a phrase or a pattern), letter elongations (sooooo, 好好好好)
 * collapsed to two letters and flagged. Every output code point remembers the
 * range of original code points it came from, so evidence offsets point into
 * the text the user sent.
 *
 * A kb_norm_t holds read-only tables built once from ICU at start-up and may
 * be shared by threads; each thread uses its own kb_ntext_t workspace.
 */
#ifndef KB_NORM_H
#define KB_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "kb_buf.h"

typedef struct kb_norm kb_norm_t;

/* Per output code point flags. */
#define KB_NF_UPPER 0x01   /* the original letter was upper/title case */
#define KB_NF_ELONG 0x02   /* part of a collapsed elongation run */
#define KB_NF_HASHTAG 0x04 /* inside a #hashtag / #话题# */
#define KB_NF_MASK 0x08    /* stands for a masked URL or @mention */

/* Code point classes, see kb_norm_class(). */
typedef enum {
    KB_CC_OTHER = 0,   /* symbols and punctuation without a role */
    KB_CC_SPACE,       /* white space */
    KB_CC_HAN,         /* CJK ideographs (segmented by lexicon) */
    KB_CC_ALNUM,       /* ASCII letters and digits, '_' */
    KB_CC_LETTER,      /* other letters/marks/digits of space-delimited scripts */
    KB_CC_COMPLEX,     /* scripts without spaces besides Han (kana, Thai...) */
    KB_CC_EMOJI,       /* pictographic emoji */
    KB_CC_CLAUSE,      /* clause punctuation: , 、 : ～ */
    KB_CC_SENTENCE,    /* sentence punctuation: . 。 ; and new lines */
    KB_CC_EXCL,        /* ! */
    KB_CC_QUEST        /* ? */
} kb_cpclass_t;

/** Normalised text of one message; transparent, owned by the caller.
 *  Arrays hold n entries; init with kb_ntext_init(), reuse across messages,
 *  release with kb_ntext_fini(). */
typedef struct kb_ntext {
    uint32_t *cp;     /* normalised code points */
    uint32_t *src0;   /* first original code point each came from */
    uint32_t *src1;   /* one past the last original code point */
    uint8_t *flags;   /* KB_NF_* */
    size_t n, cap;
    uint32_t *obyte;  /* byte offset of original code point i; n_orig + 1 */
    uint32_t *ocp;    /* working space of the normaliser: NOT the original
                         code points after kb_norm_run() (its fast paths never
                         store them); read orig + obyte[i] instead */
    uint8_t *omask;   /* per original code point: URL/mention/hashtag mask */
    size_t n_orig, ocap;
    const char *orig; /* borrowed: the text of the last kb_norm_run() */
    size_t orig_len;
    kb_buf_t u8;      /* UTF-8 form of cp[], see kb_ntext_utf8() */
    uint32_t *cpu8;   /* index into cp[] -> byte offset in u8 (n + 1) */
    size_t u8cap;
    void *md;         /* PCRE2 match data, created on first use */
} kb_ntext_t;

/** Build the tables. They come from the snapshot of ICU's tables taken at
 *  build time (kb_normtab.h) when the ICU and Unicode versions at run time
 *  match it, else from ICU directly (~80 ms). Returns NULL and fills errstr
 *  on failure (ICU or PCRE2 error, out of memory). Caller frees with
 *  kb_norm_free(). */
kb_norm_t *kb_norm_new(char *errstr, size_t errstr_size);
/** Like kb_norm_new(), but always builds the tables from ICU: for the
 *  generator of the snapshot and the test that compares the two. */
kb_norm_t *kb_norm_new_icu(char *errstr, size_t errstr_size);
/** 1 when @p nm's tables came from the snapshot linked in at build time, 0
 *  when kb_norm_new() fell back to ICU (other ICU/Unicode version, or a
 *  snapshot that does not load). */
int kb_norm_from_snapshot(const kb_norm_t *nm);
/** Append the tables of @p nm (borrowed) to @p out in the snapshot format
 *  that kb_norm_new() reads (with the ICU and Unicode versions they were
 *  made with). Returns 0, or -1 when out of memory. */
int kb_norm_snapshot(const kb_norm_t *nm, kb_buf_t *out);
void kb_norm_free(kb_norm_t *nm);

void kb_ntext_init(kb_ntext_t *nt);
void kb_ntext_fini(kb_ntext_t *nt);

/** Normalise @p len bytes of UTF-8 at @p s (borrowed; must outlive the use of
 *  @p nt). Returns 0, or -1 with errstr set on invalid UTF-8 (with the byte
 *  offset) or out of memory. */
int kb_norm_run(const kb_norm_t *nm, const char *s, size_t len,
                kb_ntext_t *nt, char *errstr, size_t errstr_size);

/** Normalise a short string (a lexicon term) into @p out as UTF-8, without
 *  URL masking or elongation collapse. Returns 0 or -1 (invalid UTF-8/OOM). */
int kb_norm_term(const kb_norm_t *nm, const char *s, size_t len, kb_buf_t *out);

/** Class of a *normalised* code point. */
kb_cpclass_t kb_norm_class(const kb_norm_t *nm, uint32_t cp);
/** The class of every BMP code point (borrowed, 0x10000 entries of
 *  kb_cpclass_t, valid while @p nm lives): the tokenizer looks each code
 *  point up in it directly and calls kb_norm_class() only above the BMP. */
const uint8_t *kb_norm_class_table(const kb_norm_t *nm);

/** UTF-8 rendering of nt->cp (built on first call per message) with the
 *  code point -> byte offset map in nt->cpu8. Returns NULL when out of
 *  memory. */
const kb_buf_t *kb_ntext_utf8(kb_ntext_t *nt);
/** Index into nt->cp of the code point whose UTF-8 form holds byte @p b of
 *  the kb_ntext_utf8() view (which must be built; b < its length). A binary
 *  search: only pattern hits need it, so no per-byte map is kept. */
size_t kb_ntext_cp_at(const kb_ntext_t *nt, size_t b);

#endif /* KB_NORM_H */
