/* kb_report.h -- the replay's HTML report: one self-contained file (inline
 * SVG, inline CSS, no scripts, no external assets) with, per brand, mentions
 * and net sentiment over time, CSAT over time, the SERVQUAL dimensions'
 * scores and gaps, complaints over time with alerts marked, and the top
 * positive and negative terms.
 *
 * Memory does not grow with the input: each brand keeps at most
 * KB_REPORT_POINTS time buckets; when a series would exceed it, neighbouring
 * buckets merge and the bucket width doubles.
 */
#ifndef KB_REPORT_H
#define KB_REPORT_H

#include <stddef.h>

#include "kb_agg.h"
#include "kb_replay.h"

#define KB_REPORT_POINTS 240

typedef struct kb_report kb_report_t;

/** @p agg: the windows the records come from (borrowed for the call). NULL
 *  with errstr when out of memory. Free with kb_report_free(). */
kb_report_t *kb_report_new(const kb_agg_cfg_t *agg, char *errstr, size_t errstr_size);
void kb_report_free(kb_report_t *rep);

/** A final window record (wom or satisfaction), in emission order. */
int kb_report_window(kb_report_t *rep, const kb_agg_rec_t *rec);

/** An alert record (JSON, borrowed). */
int kb_report_alert(kb_report_t *rep, const char *json, size_t len);

/** Write the report to @p path; @p brands are the replay's totals. */
int kb_report_write(kb_report_t *rep, const char *path, const kb_replay_brand_t *const *brands,
                    size_t n_brands, char *errstr, size_t errstr_size);

#endif /* KB_REPORT_H */
