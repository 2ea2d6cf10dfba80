/* kb_prefilter.h -- cheap necessary conditions for a set of regex patterns.
 *
 * Most texts match none of the lexicon's patterns, yet PCRE2 has to try a
 * pattern that opens with \b or a wide lookahead class at almost every
 * position to find that out. At load time each pattern's source is read and
 * reduced to up to a few sets of literals such that every match contains one
 * literal of each set (e.g. "took|takes|..." and "hour|minute|day|..."). At
 * run time one pass over the text finds which literals occur; a pattern
 * whose sets are not all met cannot match and is not run at all.
 *
 * The analysis only ever weakens a condition when in doubt: a pattern whose
 * syntax it does not fully understand (inline options, backreferences, \Q,
 * \x, verbs, ...) gets no condition and always runs, so results are exactly
 * those of running every pattern.
 *
 * Build with kb_prefilter_add() for each pattern, then kb_prefilter_build();
 * a built kb_prefilter_t is immutable and may be shared between threads.
 */
#ifndef KB_PREFILTER_H
#define KB_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct kb_prefilter kb_prefilter_t;

/** Returns NULL when out of memory. Caller frees with kb_prefilter_free(). */
kb_prefilter_t *kb_prefilter_new(void);
void kb_prefilter_free(kb_prefilter_t *pf);

/** Add the next pattern (index = number of patterns added before it).
 *  @p re (borrowed) must be a PCRE2 pattern that compiled with PCRE2_UTF
 *  and PCRE2_UCP and no other options. Returns 0, or -1 when out of memory.
 *  Must not be called after kb_prefilter_build(). */
int kb_prefilter_add(kb_prefilter_t *pf, const char *re);

/** Freeze the added patterns into scan tables. Returns 0 or -1 (memory). */
int kb_prefilter_build(kb_prefilter_t *pf);

/** Number of patterns added. */
size_t kb_prefilter_count(const kb_prefilter_t *pf);

/** Number of literal sets pattern @p k must meet (0: it always runs). */
size_t kb_prefilter_sets(const kb_prefilter_t *pf, size_t k);

/** The code points that every non-empty match of pattern @p k starts with:
 *  sets *cps (borrowed, valid until the next kb_prefilter_add() or
 *  kb_prefilter_free()) and returns how many, or 0
 *  when the analysis cannot tell (too many, a wildcard, unread syntax); then
 *  a match may start anywhere. Lookarounds and \b are not counted on. */
size_t kb_prefilter_first(const kb_prefilter_t *pf, size_t k, const uint32_t **cps);

/** The code points that the second code point of every non-empty match of
 *  pattern @p k is one of (every non-empty match has two or more), in
 *  ascending order: sets *cps (borrowed, as for kb_prefilter_first()) and
 *  returns how many, or 0 when the analysis cannot tell or a match may be
 *  one code point long. */
size_t kb_prefilter_second(const kb_prefilter_t *pf, size_t k, const uint32_t **cps);

/** Scan @p len bytes of @p s (valid UTF-8, as PCRE2 will assume) once and
 *  set run[k] to 1 when pattern k may match @p s, 0 when it certainly does
 *  not. @p run has room for
 *  kb_prefilter_count() bytes (owned by the caller). */
void kb_prefilter_scan(const kb_prefilter_t *pf, const char *s, size_t len,
                       uint8_t *run);

#endif /* KB_PREFILTER_H */
