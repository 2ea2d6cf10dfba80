/* kb_engine.h -- the shared, read-only scoring assets: normaliser + lexicon.
 *
 * Loaded once at start-up by every command that scores (score, run, replay)
 * and shared by all their threads; each thread then makes its own
 * kb_scorer_t from it.
 */
#ifndef KB_ENGINE_H
#define KB_ENGINE_H

#include <stddef.h>

#include "kb_lexicon.h"
#include "kb_norm.h"

typedef struct kb_engine kb_engine_t;

/** Load the lexicon folder @p dir (NULL: kb_engine_find_lexicons()) and the
 *  @p n_extra user lexicon files. Strings are borrowed. NULL + errstr on
 *  failure. Caller frees with kb_engine_free(). */
kb_engine_t *kb_engine_new(const char *dir, const char *const *extra,
                           size_t n_extra, char *errstr, size_t errstr_size);
void kb_engine_free(kb_engine_t *en);

const kb_norm_t *kb_engine_norm(const kb_engine_t *en);
const kb_lexicon_t *kb_engine_lexicon(const kb_engine_t *en);
/** The folder the lexicon came from (borrowed). */
const char *kb_engine_lexicon_dir(const kb_engine_t *en);

/** Default lexicon folder: $KB_LEXICONS, else the source tree's lexicons/
 *  this binary was built from, else /usr/share/koubei/lexicons (borrowed). */
const char *kb_engine_find_lexicons(void);

#endif /* KB_ENGINE_H */
