/* kb_run.h -- the live pipeline on Kafka.
 *
 * Stage 1 (score): a consumer group on the input topics decodes and scores
 * each message and produces the scored record to the scored topic, keyed by
 * brand with the murmur2 partitioner (Java clients place keys the same way).
 * Bad input goes to the dead-letter topic with its reason and coordinates.
 * Stage 2 (aggregate): a consumer group on the scored topic feeds kb_agg;
 * each instance owns the brands of its partitions. Window records go to the
 * word-of-mouth and satisfaction topics keyed "brand|window_start", late
 * records to the late topic.
 *
 * Delivery: input offsets are committed only after the producer has
 * delivered everything they caused (the producer is flushed before each
 * commit), and the aggregate stage commits no further than the oldest
 * offset still inside an open window, so nothing accepted is lost.
 */
#ifndef KB_RUN_H
#define KB_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kb_agg.h"
#include "kb_alert.h"
#include "kb_decode.h"
#include "kb_engine.h"

#define KB_RUN_MAX_PROPS 64

typedef enum { KB_ROLE_ALL = 0, KB_ROLE_SCORE, KB_ROLE_AGGREGATE } kb_role_t;

typedef struct kb_run_cfg {
    const char *brokers;
    const char *props[KB_RUN_MAX_PROPS]; /* "key=value" librdkafka properties */
    size_t n_props;
    kb_role_t role;
    const char *group;        /* consumer group prefix: GROUP.score, GROUP.aggregate */
    const char *input;        /* comma-separated input topics */
    const char *t_scored, *t_wom, *t_sat, *t_dlq, *t_late, *t_state, *t_stats, *t_alerts;
    kb_agg_cfg_t agg;
    int alerts;               /* run the detectors on final windows (1) */
    kb_alert_cfg_t alert;     /* its window_ms follows agg.window_ms */
    int64_t idle_close_ms;    /* close a partition's windows after this much quiet */
    int64_t emit_interval_ms; /* non-final updates */
    int64_t commit_interval_ms;
    int64_t stats_interval_ms;
    int64_t exit_idle_ms;     /* > 0: stop after this long without input (demos) */
    FILE *show;               /* print final word-of-mouth lines here (or NULL) */
    int exactly_once;         /* Kafka transactions (real brokers) */
    const char *txn_id;       /* transactional.id; default koubei-<group>-<pid> */
    int64_t txn_watchdog_ms;  /* longest wait for send_offsets_to_transaction */
} kb_run_cfg_t;

typedef struct kb_run kb_run_t;

/** Defaults: role all, group "koubei", input "feedback.raw", topics
 *  koubei.scored/.wom/.satisfaction/.dlq/.late, 60 s windows, 10 s grace,
 *  30 s idle close, 5 s updates, 1 s commits, 10 s stats. */
void kb_run_cfg_default(kb_run_cfg_t *cfg);

/** @p en and @p dec are borrowed and must outlive the pipeline. NULL with
 *  errstr on a bad configuration or a client that cannot start. */
kb_run_t *kb_run_new(const kb_run_cfg_t *cfg, const kb_engine_t *en,
                     const kb_decoder_t *dec, char *errstr, size_t errstr_size);
void kb_run_free(kb_run_t *r);

/** Run until *stop becomes non-zero (or the exit-idle time passes), then
 *  emit open windows as updates, flush, commit and return 0; -1 with
 *  errstr on a fatal error (a record the producer could not deliver). */
int kb_run_loop(kb_run_t *r, volatile const sig_atomic_t *stop, char *errstr, size_t errstr_size);

/** Counters, for the stats line and the summary. */
typedef struct kb_run_stats {
    uint64_t consumed, scored, dlq, late, unbranded, windows_emitted, produce_errors;
    uint64_t commits, duplicates, txn_commits, txn_aborts, alerts;
    int64_t lag;
    size_t windows_open;
} kb_run_stats_t;

void kb_run_get_stats(const kb_run_t *r, kb_run_stats_t *st);

#endif /* KB_RUN_H */
