/* kb_cmd.h -- sub-commands of the koubei executable, one file each. */
#ifndef KB_CMD_H
#define KB_CMD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Each takes argv from the sub-command's name on and returns the exit
 * status: 0 ok, 1 runtime failure, 2 usage or configuration error. */
int kb_cmd_broker(int argc, char **argv);
int kb_cmd_run(int argc, char **argv);
int kb_cmd_feed(int argc, char **argv);
int kb_cmd_replay(int argc, char **argv);

/** "500ms", "10s", "5m", "1h", "30" (seconds) -> milliseconds, or -1. */
int64_t kb_cmd_duration_ms(const char *s);

#define KB_CMD_MAX_MULTI 32
#define KB_CMD_MAX_BYTES (256 * 1024)

/** Options every scoring command takes: --lexicons DIR (L), --field
 *  NAME=PATH (f), --lexicon-extra FILE (x), --max-bytes N (m), --log-level
 *  LEVEL (l); the option characters are the same in every command.
 *  Strings are borrowed from argv. */
typedef struct kb_cmd_scoring {
    const char *lexicons;
    const char *extra[KB_CMD_MAX_MULTI];
    size_t n_extra;
    const char *fields[KB_CMD_MAX_MULTI];
    size_t n_fields;
    size_t max_bytes;
} kb_cmd_scoring_t;

void kb_cmd_scoring_init(kb_cmd_scoring_t *o);
/** 1 when @p ch is one of these options and @p arg is good, -1 (after
 *  saying why on stderr) when it is bad, 0 when @p ch is not one of them. */
int kb_cmd_scoring_opt(kb_cmd_scoring_t *o, int ch, const char *arg);

struct kb_decoder;
/** A decoder for @p o's --max-bytes and --field mappings; NULL with
 *  errstr. Caller frees with kb_decoder_free(). */
struct kb_decoder *kb_cmd_decoder(const kb_cmd_scoring_t *o, char *errstr, size_t errstr_size);

struct kb_alert_cfg;
/** --alert KEY=VALUE: set one detector threshold; prints why not and
 *  returns -1 on a bad pair. */
int kb_cmd_alert_opt(struct kb_alert_cfg *cfg, const char *kv);
/** --alert help: print the thresholds as KEY=VALUE lines; returns 1. */
int kb_cmd_alert_help(const struct kb_alert_cfg *cfg);

/** Install SIGINT/SIGTERM handlers that set the flag read by
 *  kb_cmd_stopping(); a second signal exits at once. */
void kb_cmd_catch_signals(void);
int kb_cmd_stopping(void);
/** The flag itself, for loops that poll it. */
volatile const sig_atomic_t *kb_cmd_stop_flag(void);

#endif /* KB_CMD_H */
