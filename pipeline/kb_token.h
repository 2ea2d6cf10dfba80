/* kb_token.h -- split normalised text into tokens the scorer understands.
 *
 * Han runs are segmented by longest match against the lexicon trie (ICU's
 * dictionary would split 客服, 性价比 and 还行 into single characters, and costs
 * ~13 us a message). ASCII words follow the UAX #29 word rules directly (the
 * tests compare them with ICU); other space-delimited and complex scripts go
 * through ICU's word break iterator. English multi-word terms are merged
 * after splitting. Emoji, emoticons and bracket codes are tokens of their own.
 *
 * Each thread owns its kb_tokens_t workspace.
 */
#ifndef KB_TOKEN_H
#define KB_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "kb_lexicon.h"
#include "kb_norm.h"

typedef enum {
    KB_TOK_HAN = 0,  /* Chinese word or single character */
    KB_TOK_WORD,     /* word of a space-delimited script (or a phrase) */
    KB_TOK_NUM,      /* digits */
    KB_TOK_OTHERW,   /* word of another script (kana, Thai...) */
    KB_TOK_EMOJI,    /* emoji */
    KB_TOK_SYM,      /* emoticon / bracket code found in the lexicon */
    KB_TOK_CLAUSE,   /* , 、 : */
    KB_TOK_SENT,     /* . 。 ; new line */
    KB_TOK_EXCL,     /* ! */
    KB_TOK_QUEST     /* ? */
} kb_toktype_t;

#define KB_TF_CAPS 0x01    /* ALL-CAPS word of two or more letters */
#define KB_TF_ELONG 0x02   /* contained a collapsed elongation */
#define KB_TF_HASHTAG 0x04 /* inside a hashtag */
#define KB_TF_LATIN 0x08   /* Latin-script word (for language detection) */

/** One token; transparent. */
typedef struct kb_token {
    uint32_t n0, n1;           /* range in kb_ntext_t.cp */
    uint32_t s0, s1;           /* range of original code points */
    const kb_lex_entry_t *e;   /* lexicon entry (borrowed) or NULL */
    uint8_t type;              /* kb_toktype_t */
    uint8_t flags;             /* KB_TF_* */
    uint32_t node;             /* word and number tokens: trie node reached
                                  by cp[n0, n1) (phrases are extended from
                                  it), KB_LEX_NONE when no term is or
                                  starts so (kb_lexicon_word()) or for
                                  other tokens */
    uint32_t sp;               /* the child of node by ' ' (or KB_LEX_NONE),
                                  from the word lookup; stale once phrases
                                  are merged */
} kb_token_t;

/** Token list of one message; transparent; reuse across messages. */
typedef struct kb_tokens {
    kb_token_t *t;
    size_t n, cap;
    void *brk;       /* ICU break iterator, opened on first use */
    uint16_t *u16;   /* scratch for ICU */
    size_t u16cap;
    uint32_t *tmp;   /* scratch for de-elongated lookups */
    size_t tmpcap;
} kb_tokens_t;

void kb_tokens_init(kb_tokens_t *tk);
void kb_tokens_fini(kb_tokens_t *tk);

/** Tokenize @p nt (borrowed) with @p lx and @p nm (borrowed) into @p tk.
 *  Returns 0, or -1 with errstr (out of memory, ICU failure). */
int kb_tokenize(const kb_lexicon_t *lx, const kb_norm_t *nm,
                const kb_ntext_t *nt, kb_tokens_t *tk, char *errstr,
                size_t errstr_size);

#endif /* KB_TOKEN_H */
