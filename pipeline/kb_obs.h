/* kb_obs.h -- the aggregator's view of a scored message.
 *
 * Two ways in, one result: from a kb_result_t in the same process (replay,
 * `--role all`) and from a scored JSON record read back from Kafka
 * (`--role aggregate`). Both round scores to four decimals and list each
 * distinct term once, exactly as the scored record prints them, so the
 * aggregates are byte-identical whichever way the message came.
 */
#ifndef KB_OBS_H
#define KB_OBS_H

#include <jansson.h>

#include "kb_agg.h"
#include "kb_decode.h"

/* Terms beyond this many per message are not counted in top terms. */
#define KB_OBS_MAX_TERMS 64

typedef struct kb_obs_buf {
    kb_obs_t obs;
    kb_obs_term_t terms[KB_OBS_MAX_TERMS];
    char id[24]; /* a numeric id as text */
} kb_obs_buf_t;

/** Fill @p ob from a scored message for @p brand (borrowed, as are @p msg
 *  and @p r). The event time is msg's ts, else @p fallback_ts_ms. */
void kb_obs_from_result(kb_obs_buf_t *ob, const kb_msg_t *msg, const kb_result_t *r,
                        const char *brand, size_t brand_len, int64_t fallback_ts_ms);

/** Fill @p ob from a scored record (borrowed; strings point into it).
 *  Returns 0, or -1 with errstr when the record is not a scored record
 *  (no brand, no sentiment) — a dead letter for the aggregator. */
int kb_obs_from_json(kb_obs_buf_t *ob, const json_t *rec, int64_t fallback_ts_ms,
                     char *errstr, size_t errstr_size);

#endif /* KB_OBS_H */
