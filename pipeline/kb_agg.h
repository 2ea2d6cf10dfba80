/* kb_agg.h -- per-brand event-time windows: word of mouth and satisfaction.
 *
 * The aggregator is pure: no I/O, no clock. The live pipeline and replay
 * feed it the same observations in the same order and get byte-identical
 * records, which is what makes replay equal live.
 *
 * Time model (as in Kafka Streams / Flink): every observation carries its
 * event time and the input partition it came from. Each partition has a
 * watermark, max event time seen minus the grace period; an observation
 * whose windows have all ended at or before its partition's watermark (or
 * the global horizon) is late and refused. A window is final once every
 * active partition's watermark has passed its end (the global horizon, which
 * never moves back), so share of voice is computed over complete windows.
 * kb_agg_flush_partition() closes what a partition holds open when its
 * input idles or ends; an idle partition stops holding the horizon back
 * until it receives data again.
 *
 * Partitions belong to groups (kb_agg_set_group()), each with its own
 * horizon that normally equals the global one. A group handed over from an
 * instance that had published less resumes at that instance's horizon and
 * publishes its windows up to this one's as it catches up; those windows'
 * share of voice is null, the other groups' mentions in them being gone.
 */
#ifndef KB_AGG_H
#define KB_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "kb_lexicon.h"
#include "kb_score.h"

typedef struct kb_agg kb_agg_t;

typedef struct kb_agg_cfg {
    int64_t window_ms;   /* window length */
    int64_t hop_ms;      /* advance; equal to window_ms for tumbling windows */
    int64_t grace_ms;    /* allowed lateness behind the max event time */
    double ewma_alpha;   /* weight of the newest window in a dimension's `expected` */
    int top_terms;       /* entries in top_pos_terms / top_neg_terms */
} kb_agg_cfg_t;

/** 60 s tumbling windows, 10 s grace, alpha 0.3, 5 top terms. */
void kb_agg_cfg_default(kb_agg_cfg_t *cfg);

typedef struct kb_obs_term {
    const char *p;
    size_t len;
    int positive;
} kb_obs_term_t;

/** One scored mention of one brand. All pointers are borrowed for the call.
 *  Scores are expected rounded to four decimals (kb_round4()), as they are
 *  after a trip through a scored record, so live and replay agree. */
typedef struct kb_obs {
    const char *brand;
    size_t brand_len;
    const char *id;      /* message id as text, NULL when absent */
    size_t id_len;
    int64_t ts_ms;
    double score;
    kb_label_t label;
    int complaint, effort;
    double rating;       /* 1..5 as given, 0 when absent */
    int64_t followers;   /* -1 when absent */
    struct {
        int mentioned;
        double score;
        kb_label_t label;
    } dim[KB_SQ_COUNT];
    const kb_obs_term_t *terms;
    size_t n_terms;
} kb_obs_t;

typedef enum { KB_REC_WOM = 0, KB_REC_SAT = 1 } kb_rec_kind_t;

/** A brand's trailing EWMA per SERVQUAL dimension (`expected`). */
typedef struct kb_agg_bstate {
    double ewma[KB_SQ_COUNT];
    int has[KB_SQ_COUNT];
    int32_t group;       /* group of the brand's partition (kb_agg_set_group()) */
} kb_agg_bstate_t;

/* Sample message ids kept per window (negative or complaint mentions). */
#define KB_AGG_SAMPLES 5

/** A window's counts as numbers, for detectors that run on closed windows
 *  (kb_alert). Everything is borrowed for the callback. */
typedef struct kb_agg_counts {
    int64_t mentions, pos, neg, complaints;
    int64_t dim_mentions[KB_SQ_COUNT], dim_neg[KB_SQ_COUNT];
    const char *const *neg_terms;   /* top negative terms, most frequent first */
    size_t n_neg_terms;
    const char *const *sample_ids;  /* first negative/complaint mentions seen */
    size_t n_sample_ids;
} kb_agg_counts_t;

/** One output record, valid during the callback only. */
typedef struct kb_agg_rec {
    kb_rec_kind_t kind;
    const char *brand;
    int64_t window_start, window_end;
    int final;
    const char *json;    /* one JSON object, no newline */
    size_t len;
    const char *key;     /* "brand|window_start": the record's Kafka key */
    size_t key_len;
    const kb_agg_counts_t *counts;
} kb_agg_rec_t;

/** Returns 0, or -1 to make the calling kb_agg_* function fail. */
typedef int (*kb_agg_emit_fn)(void *ud, const kb_agg_rec_t *rec);

enum { KB_AGG_OK = 0, KB_AGG_LATE = 1, KB_AGG_ERR = -1 };

/** @p cfg is copied. Returns NULL with errstr on a bad configuration or
 *  out of memory. Free with kb_agg_free(). */
kb_agg_t *kb_agg_new(const kb_agg_cfg_t *cfg, kb_agg_emit_fn emit, void *ud,
                     char *errstr, size_t errstr_size);
void kb_agg_free(kb_agg_t *a);

/** Add @p o, read at @p offset of input partition @p part (>= 0). Emits the final
 *  records of every window the observation lets close. Returns KB_AGG_OK,
 *  KB_AGG_LATE (nothing counted: the caller routes it to the late output),
 *  or KB_AGG_ERR (out of memory, or the callback failed). */
int kb_agg_add(kb_agg_t *a, int32_t part, int64_t offset, const kb_obs_t *o);

/** The lowest input offset of @p part still inside an open window: the
 *  offset it is safe to commit (1), or 0 when the partition holds none. */
int kb_agg_min_offset(const kb_agg_t *a, int32_t part, int64_t *offset);

/** The partition was assigned to this instance: until it delivers data or
 *  is flushed as idle, it holds the horizon back, so a partition that is
 *  merely slower to start does not see its windows closed under it. */
int kb_agg_expect_partition(kb_agg_t *a, int32_t part);

/** Put partition @p part in @p group (0 until set). A group is what moves
 *  between instances as one, the live pipeline's scored partition: it has
 *  its own horizon (kb_agg_group_horizon()), so a group resumed from an
 *  owner that published less than this instance rebuilds and publishes its
 *  windows in between instead of finding them closed. KB_AGG_OK or
 *  KB_AGG_ERR (out of memory). */
int kb_agg_set_group(kb_agg_t *a, int32_t part, int32_t group);

/** The partition was taken away (rebalance): forget its open windows
 *  without emitting them; the new owner rebuilds them from the committed
 *  offset. When it was the last partition of its group, the group's
 *  horizon and its brands' baselines are forgotten too. */
void kb_agg_drop_partition(kb_agg_t *a, int32_t part);

/** The input of @p part idles or has ended: close every window it holds
 *  open and emit the finals that become due. KB_AGG_OK or KB_AGG_ERR. */
int kb_agg_flush_partition(kb_agg_t *a, int32_t part);

/** End of input: every partition is flushed and every window is final. */
int kb_agg_flush_all(kb_agg_t *a);

/** Emit a non-final record for every open window changed since its last
 *  emission (the periodic update, and the last word at shutdown). */
int kb_agg_emit_updates(kb_agg_t *a);

/** Windows currently open (brand x window). */
size_t kb_agg_open_windows(const kb_agg_t *a);

/* ---- restart support -------------------------------------------------------
 * A restart replays from the oldest offset inside an open window
 * (kb_agg_min_offset()) with the horizon of the last commit: windows at or
 * before it were published already, the open ones are rebuilt exactly. */

/** How far @p group's windows were published (1), or 0 when not yet. */
int kb_agg_group_horizon(const kb_agg_t *a, int32_t group, int64_t *horizon);

/** After a restart or a rebalance: @p group's windows ending at or before
 *  @p horizon were published already (it only moves forward). */
int kb_agg_set_group_horizon(kb_agg_t *a, int32_t group, int64_t horizon);

/** Read (@p set 0) or overwrite (@p set 1) a brand's EWMA state and group. */
int kb_agg_brand_state(kb_agg_t *a, const char *name, size_t len, kb_agg_bstate_t *st,
                       int set);

typedef int (*kb_agg_brand_fn)(void *ud, const char *name, size_t len,
                               const kb_agg_bstate_t *st);

/** Call @p fn for every brand whose EWMA changed since the last call. */
int kb_agg_take_changed(kb_agg_t *a, kb_agg_brand_fn fn, void *ud);

/** Forget every window, partition, the horizon and the brands' baselines:
 *  the state after an aborted transaction, rebuilt from committed input. */
void kb_agg_reset(kb_agg_t *a);

/** Round to four decimals exactly as kb_buf_num() prints. */
double kb_round4(double v);

#endif /* KB_AGG_H */
