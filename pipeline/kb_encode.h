/* kb_encode.h -- scored records and error records as JSON lines.
 *
 * Written by hand into a kb_buf_t rather than built as jansson trees: the
 * key order is a contract, numbers are printed with kb_buf_num() so output
 * is byte-identical run after run, and it avoids a tree per message on the
 * hot path. Field names and meanings are documented in README.md.
 */
#ifndef KB_ENCODE_H
#define KB_ENCODE_H

#include <jansson.h>

#include "kb_buf.h"
#include "kb_decode.h"
#include "kb_lexicon.h"
#include "kb_score.h"

/** Append the scored record of @p msg (no trailing newline). With
 *  @p explain, adds the "trace" array. All arguments are borrowed. */
void kb_encode_scored(kb_buf_t *out, const kb_msg_t *msg, const kb_result_t *r,
                      const kb_lexicon_t *lx, int explain);

/** Append {"id":…,"error":"reason"}; "id" only when @p id is not NULL. */
void kb_encode_error(kb_buf_t *out, const json_t *id, const char *reason);

/** Append a small JSON value (string, number, true/false/null) exactly;
 *  other values through json_dumps() with sorted keys. */
void kb_encode_value(kb_buf_t *out, const json_t *v);

#endif /* KB_ENCODE_H */
