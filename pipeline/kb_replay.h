/* kb_replay.h -- batch replay: archived messages through the live scorer and
 * aggregator.
 *
 * The same modules as `koubei run` in the same order: kb_decode, kb_scorer,
 * kb_obs, kb_agg. Event time comes from the messages (or the Kafka
 * timestamp, as live); at end of input every window closes. Nothing here
 * reads a clock, so one input gives one output, byte for byte.
 *
 * Substreams: every message names the input stream it was read from (files
 * are one stream, 0; a Kafka range uses the partition). All streams hold the
 * horizon back until the end, so a record is late only against its own
 * stream's watermark and the output does not depend on how the streams
 * interleave. Final records come out ordered by window start, then brand.
 */
#ifndef KB_REPLAY_H
#define KB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "kb_agg.h"
#include "kb_alert.h"
#include "kb_decode.h"
#include "kb_engine.h"

typedef struct kb_replay kb_replay_t;

/** Where an output record belongs: the live pipeline's topics. */
typedef enum {
    KB_OUT_WOM = 0, KB_OUT_SAT, KB_OUT_ALERT, KB_OUT_SCORED, KB_OUT_DLQ, KB_OUT_LATE,
    KB_OUT_COUNT
} kb_out_t;

/** Short name of an output ("wom", "satisfaction", ...). */
const char *kb_out_name(kb_out_t o);

/** One output record: @p key (may be empty) and one JSON object without a
 *  newline, both valid during the call. Return 0, or -1 to fail the run. */
typedef int (*kb_replay_out_fn)(void *ud, kb_out_t out, const char *key, size_t key_len,
                                const char *json, size_t len);

/** Observer of every final window (summary, report); may be NULL. */
typedef int (*kb_replay_window_fn)(void *ud, const kb_agg_rec_t *rec);

typedef struct kb_replay_cfg {
    kb_agg_cfg_t agg;
    int alerts;                  /* run the detectors on the final windows */
    kb_alert_cfg_t alert;        /* its window_ms is set to agg.window_ms */
    int scored;                  /* also emit KB_OUT_SCORED records */
    kb_replay_out_fn out;
    kb_replay_window_fn on_window;
    void *ud;
} kb_replay_cfg_t;

/** Where a message came from, for dead letters: a file and line, or a
 *  Kafka topic, partition and offset. Strings borrowed for the call. */
typedef struct kb_origin {
    const char *file;            /* NULL for Kafka */
    int64_t line;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t kafka_ts_ms;         /* -1 when none: the event time must be in the message */
} kb_origin_t;

typedef struct kb_replay_stats {
    int64_t messages, bytes, scored, dlq, late, unbranded, windows, alerts;
} kb_replay_stats_t;

/** @p en and @p dec are borrowed and must outlive the replay. NULL with
 *  errstr on a bad configuration or out of memory. */
kb_replay_t *kb_replay_new(const kb_replay_cfg_t *cfg, const kb_engine_t *en,
                           const kb_decoder_t *dec, char *errstr, size_t errstr_size);
void kb_replay_free(kb_replay_t *rp);

/** Declare the input streams 0..n-1 before the first message. */
int kb_replay_streams(kb_replay_t *rp, int32_t n);

/** One input message of stream @p stream. Bad input becomes a dead letter
 *  and counts; returns -1 only when the run must stop (out of memory, the
 *  output callback failed) with errstr. */
int kb_replay_message(kb_replay_t *rp, int32_t stream, const char *data, size_t len,
                      const kb_origin_t *from, char *errstr, size_t errstr_size);

/** End of input: every window closes and its final records are emitted. */
int kb_replay_finish(kb_replay_t *rp, char *errstr, size_t errstr_size);

void kb_replay_get_stats(const kb_replay_t *rp, kb_replay_stats_t *st);

/** A brand's totals over the whole replay (each mention once, whatever the
 *  window layout): the summary table. Transparent. */
typedef struct kb_replay_brand {
    const char *name;
    int64_t mentions, pos, neg, promoters, detractors, complaints;
    int64_t dim_mentions[KB_SQ_COUNT], dim_neg[KB_SQ_COUNT];
    double dim_score_sum[KB_SQ_COUNT];
} kb_replay_brand_t;

/** Every brand seen, sorted by name (bytes); valid until the next call on
 *  @p rp. Returns the count; *out NULL when out of memory. */
size_t kb_replay_brands(kb_replay_t *rp, const kb_replay_brand_t *const **out);

#endif /* KB_REPLAY_H */
