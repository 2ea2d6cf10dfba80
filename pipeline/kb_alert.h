/* kb_alert.h -- per-brand anomaly detectors over closed windows.
 *
 * The alert module is pure like the aggregator: no I/O, no clock, no
 * randomness. It sees each brand's final windows in event-time order and
 * emits alert records through a callback, so `koubei run` and `koubei
 * replay` produce byte-identical alerts from the same windows.
 *
 * Detectors, per brand and window:
 *   complaint_spike   complaints against the brand's own baseline;
 *   negative_storm    negative mentions rising sharply, with the negative
 *                     share above its baseline (口碑风暴);
 *   dimension_spike   negative mentions of one SERVQUAL dimension.
 * Expected counts come from an EWMA baseline (level and drift) and, once a
 * same-hour-of-week history exists, from the median/MAD of that hour's
 * mentions in the last weeks times the brand's EWMA share of the series,
 * so daily and weekly rhythm is not mistaken for a spike. A window is
 * anomalous when the Poisson upper tail p, the z score, the ratio to the
 * expected count and the absolute count all pass their thresholds, in the
 * window alone or summed over the last sum_windows windows (small brands).
 * Alerts start once per incident (the most specific kind wins), publish
 * again only when their severity rises, resolve after resolve_windows
 * normal windows and leave the brand in cooldown.
 *
 * Not thread-safe: one kb_alert_t per thread (brands partition naturally).
 */
#ifndef KB_ALERT_H
#define KB_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "kb_agg.h"
#include "kb_lexicon.h"

typedef struct kb_alert kb_alert_t;

/** Every threshold of the detectors; kb_alert_cfg_default() documents the
 *  defaults (see also docs-alerts.md). Counts of windows are in windows of
 *  window_ms. */
typedef struct kb_alert_cfg {
    int64_t window_ms;       /* length of the windows fed in (1 h) */
    int warmup_windows;      /* windows a brand must have seen before it may alert (168) */
    double ewma_alpha;       /* weight of the newest window in the EWMA baselines (0.05) */
    double p_max;            /* Poisson upper-tail p at or below which a count is extreme (1e-4) */
    double z_min;            /* and z = (obs - exp) / sqrt(exp + baseline var) at least (3) */
    double min_ratio;        /* and observed / expected at least (2) */
    int64_t min_observed;    /* and at least this many events in the window (5) */
    double min_expected;     /* floor of the expected count: small brands stay calm (1) */
    double storm_share_ratio; /* negative_storm also needs neg share >= this x baseline share (1.3) */
    double hold_p;           /* a firing alert stays anomalous while p <= hold_p ... (0.01) */
    double hold_ratio;       /* ... and observed / expected >= hold_ratio (1.3) */
    int resolve_windows;     /* consecutive normal windows that resolve an alert (2) */
    int cooldown_windows;    /* after a brand's alert resolves, no new alert of that brand (6) */
    int freeze_windows;      /* baselines skip anomalous windows for at most this many in a row (48) */
    int season_weeks;        /* same-hour-of-week samples kept per hour, 1..8 (3) */
    int season_min_weeks;    /* samples an hour needs before the seasonal baseline is used (1) */
    int max_gap_windows;     /* longer silences reset the brand's baselines (336) */
    int sum_windows;         /* the same test also runs on the sum of the last N windows, 1..6 (3) */
} kb_alert_cfg_t;

/** The defaults above, for 1 h windows. */
void kb_alert_cfg_default(kb_alert_cfg_t *cfg);

/** Set the field named @p key (the field names above) from the number in
 *  @p value (both borrowed). Returns 0, or -1 with errstr for an unknown key
 *  or a value that is not a (whole, for counts) number. Ranges are checked
 *  by kb_alert_new(). */
int kb_alert_cfg_set(kb_alert_cfg_t *cfg, const char *key, const char *value, char *errstr,
                     size_t errstr_size);

struct kb_buf;
/** Append every field as "key=value\n" (the effective configuration). */
void kb_alert_cfg_print(const kb_alert_cfg_t *cfg, struct kb_buf *out);

/** One brand's closed (final) window. Transparent; everything borrowed for
 *  the call. */
typedef struct kb_alert_window {
    const char *brand;
    size_t brand_len;
    int64_t window_start, window_end;           /* epoch ms */
    int64_t mentions, negative, complaints;     /* counts in the window */
    int64_t dim_mentions[KB_SQ_COUNT], dim_negative[KB_SQ_COUNT];
    const char *const *neg_terms;               /* top negative terms, most frequent first */
    size_t n_neg_terms;
    const char *const *sample_ids;              /* ids of up to 5 negative/complaint messages */
    size_t n_sample_ids;
} kb_alert_window_t;

/** @p key is "brand|kind|dimension" (dimension empty when none), @p json one
 *  alert object without newline; both valid during the call only. Return 0,
 *  or -1 to make the calling kb_alert_* function fail. */
typedef int (*kb_alert_emit_fn)(void *ud, const char *key, size_t key_len,
                                const char *json, size_t len);

/** @p cfg is copied. NULL with errstr on a bad configuration or out of
 *  memory. Free with kb_alert_free(). */
kb_alert_t *kb_alert_new(const kb_alert_cfg_t *cfg, kb_alert_emit_fn emit, void *ud,
                         char *errstr, size_t errstr_size);
/** NULL is a no-op. */
void kb_alert_free(kb_alert_t *al);

enum { KB_ALERT_OK = 0, KB_ALERT_SEEN = 1, KB_ALERT_ERR = -1 };

/** Feed one brand's final window. Windows of one brand come in increasing
 *  window_start order (brands may interleave). A window starting before the
 *  end of the brand's last one was seen already (as when a restart restores
 *  a state newer than the input it replays): it is ignored and
 *  KB_ALERT_SEEN returned. Windows a brand skipped (no mentions) count as
 *  zero windows for its baselines, up to max_gap_windows; a longer silence
 *  resets the brand. Returns KB_ALERT_OK, KB_ALERT_SEEN, or KB_ALERT_ERR on
 *  a bad window (end <= start, negative counts), out of memory or a failing
 *  callback. */
int kb_alert_window(kb_alert_t *al, const kb_alert_window_t *w);

/** Feed an aggregator record: a final word-of-mouth record becomes the
 *  brand's window (its counts, top negative terms and sample ids); other
 *  records, and hopping windows that do not start on a multiple of
 *  window_ms (so the windows fed tile time), are ignored (KB_ALERT_OK).
 *  This is the one place live and replay turn windows into detector input. */
int kb_alert_feed_record(kb_alert_t *al, const kb_agg_rec_t *rec);

/* ---- restart support -------------------------------------------------------
 * A brand's whole detector state (baselines, seasonal history, firing and
 * cooldown state) as one compact JSON object, doubles printed with 17
 * significant digits so a restored detector continues bit for bit. */

/** @p *json: caller frees with kb_free(). Returns 1 with the state, 0 when
 *  the brand is unknown (*json NULL), -1 out of memory. */
int kb_alert_state_get(const kb_alert_t *al, const char *brand, size_t len, char **json);

/** Replace (or create) the brand's state from @p json (borrowed). Returns 0,
 *  or -1 with errstr when the JSON is malformed or does not fit the
 *  configuration (the brand is then left unchanged). */
int kb_alert_state_set(kb_alert_t *al, const char *brand, size_t len, const char *json,
                       size_t json_len, char *errstr, size_t errstr_size);

typedef int (*kb_alert_brand_fn)(void *ud, const char *brand, size_t len,
                                 const char *json, size_t json_len);

/** Call @p fn with the state of every brand changed since the last call, in
 *  brand-name byte order. Returns 0, or -1 out of memory or when @p fn
 *  fails (brands not yet passed stay changed). */
int kb_alert_take_changed(kb_alert_t *al, kb_alert_brand_fn fn, void *ud);

/** Brands known. */
size_t kb_alert_brands(const kb_alert_t *al);

/** Bytes held for one brand with this configuration (plus its name). */
size_t kb_alert_brand_bytes(const kb_alert_cfg_t *cfg);

/* ---- arithmetic, exposed for the tests ---------------------------------- */

/** ln P(X >= k) for X ~ Poisson(lambda), lambda > 0; 0 for k <= 0. Stable in
 *  log space through the regularised incomplete gamma function. */
double kb_alert_poisson_logsf(int64_t k, double lambda);

/** One EWMA step: mean and variance (West's incremental form), the first
 *  sample (*n == 0) initialises the mean. */
void kb_alert_ewma(double *mean, double *var, int64_t *n, double x, double alpha);

/** Median and MAD (unscaled) of the first @p n values (at most 32; 0 and 0
 *  when n is 0). The array is left unchanged. */
void kb_alert_median_mad(const uint32_t *v, size_t n, double *median, double *mad);

/** Severity 1..10 from observed / expected and ln p. */
int kb_alert_severity(double observed, double expected, double log_p);

#endif /* KB_ALERT_H */
